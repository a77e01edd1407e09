// One run per command: the real bin (and `npm run build`, which calls it) builds once, prints one
// summary line and each warning once, and leaves no temporary file; an interrupted run's leftovers
// are cleaned by the next build.
import { spawn } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, runSyndic, type CliRun } from '../helpers/run-cli.js';
import { CORPUS_DIR } from '../helpers/feeds.js';

let tmp: string;
let content: string;
const syndic = (args: string[]) => runSyndic(args, { SYNDIC_LOG_JSON: '' });

/** Every file under dir, relative, hidden ones included. */
async function allFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string, prefix: string) => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      if (e.isDirectory()) await walk(path.join(d, e.name), prefix + e.name + '/');
      else out.push(prefix + e.name);
    }
  };
  await walk(dir, '');
  return out.sort();
}

const summaries = (r: CliRun) => r.stdout.split('\n').filter((l) => l.startsWith('built '));
const warnings = (r: CliRun) => r.stderr.split('\n').filter((l) => l.startsWith('warn: '));

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'syndic-run-'));
  content = path.join(tmp, 'content');
  await mkdir(path.join(content, 'nested'), { recursive: true });
  // dribbble-01 has `date: Invalid Date`: exactly one warning per build.
  for (const f of ['36kr-01.md', 'dribbble-01.md']) await copyFile(path.join(CORPUS_DIR, f), path.join(content, f));
  await copyFile(path.join(CORPUS_DIR, 'sina-finance-01.md'), path.join(content, 'nested/sina-finance-01.md'));
});

afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe('one run per command', () => {
  it('bin/syndic.js build: one summary line, each warning once, no temporary file left', async () => {
    const out = path.join(tmp, 'out-bin');
    const r = await syndic(['build', '--content', content, '--out', out, '--cache-dir', path.join(tmp, 'cache-bin')]);
    expect(r.code, r.stderr).toBe(0);
    expect(summaries(r)).toHaveLength(1);
    expect(summaries(r)[0]).toMatch(/^built 3 articles \(0 drafts, 0 rejected\) into .*: \d+ files written, 0 unchanged, 0 removed in [\d.]+ s/);
    expect(warnings(r)).toHaveLength(1);
    expect(warnings(r)[0]).toMatch(/dribbble-01\.md.*date/);
    const files = await allFiles(out);
    expect(files.filter((f) => f.endsWith('.tmp') || f.includes('.syndic-tmp'))).toEqual([]);
    expect(files).toContain('rss.xml');
    expect(files).toContain('articles/nested/sina-finance-01/index.html');
  });

  it('npm run build goes through the bin once', async () => {
    const out = path.join(tmp, 'out-npm');
    const r = await new Promise<CliRun>((resolve, reject) => {
      const child = spawn('npm', ['run', '--silent', 'build', '--', '--content', content, '--out', out, '--cache-dir', path.join(tmp, 'cache-npm')], {
        cwd: ROOT,
        env: { ...process.env, SYNDIC_LOG_JSON: '' },
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
    expect(r.code, r.stderr).toBe(0);
    expect(summaries(r)).toHaveLength(1);
    expect(warnings(r)).toHaveLength(1);
    expect((await allFiles(out)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it("cleans an interrupted run's temporary files at the next build, and only those", async () => {
    const out = path.join(tmp, 'out-stale');
    // Leftovers of a killed run: this engine's temporary folder, and an older version's in-place
    // temporaries (that version kept no manifest, so the folder has none yet).
    await mkdir(path.join(out, '.syndic-tmp'), { recursive: true });
    await writeFile(path.join(out, '.syndic-tmp', '4242-1-7'), 'half a page');
    await mkdir(path.join(out, 'categories/x'), { recursive: true });
    await writeFile(path.join(out, 'index.html.4242.k3j5h2.tmp'), 'half');
    await writeFile(path.join(out, 'categories/x/rss.xml.4242.a1b2c3.tmp'), 'half');
    // Not ours: a user's file that merely ends in .tmp stays.
    await writeFile(path.join(out, 'notes.tmp'), 'mine');
    const r = await syndic(['build', '--content', content, '--out', out, '--cache-dir', path.join(tmp, 'cache-stale')]);
    expect(r.code, r.stderr).toBe(0);
    const files = await allFiles(out);
    expect(files.filter((f) => f.endsWith('.tmp'))).toEqual(['notes.tmp']);
    expect(files.some((f) => f.startsWith('.syndic-tmp'))).toBe(false);
  });
});

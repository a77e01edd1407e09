// A build killed before it saved its manifest (power cut, kill -9, out of memory), through the real
// bin: the next build takes what the killed one wrote as its own. Without that, the page of an
// article that the killed build wrote, and that was deleted before the next build, stayed served
// forever: no manifest listed it, and a build removes only files a manifest lists.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CORPUS_DIR } from '../helpers/feeds.js';
import { ROOT, runSyndic } from '../helpers/run-cli.js';

let tmp: string;
const syndic = (args: string[]) => runSyndic(args, { SYNDIC_LOG_JSON: '' });
/** The article the killed build publishes; it is the first in listing order, so its page is written early. */
const PROBE = '000-probe.md';
const PROBE_PAGE = 'articles/000-probe/index.html';
/** Enough articles that the build is far from done when the probe's page appears. */
const ARTICLES = 1500;

/** Every file under `dir` but the build's own bookkeeping, with its bytes. */
async function snapshot(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const walk = async (d: string, prefix: string) => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      if (e.isDirectory()) await walk(path.join(d, e.name), `${prefix}${e.name}/`);
      else if (!e.name.startsWith('.syndic-')) out.set(prefix + e.name, (await readFile(path.join(d, e.name))).toString('base64'));
    }
  };
  await walk(dir, '');
  return out;
}

/** Runs `syndic build` and kills it (SIGKILL) as soon as `file` exists; fails if the build ends first. */
function buildKilledAfter(args: string[], file: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'bin/syndic.js'), 'build', ...args], { cwd: ROOT, stdio: 'ignore', env: { ...process.env, SYNDIC_LOG_JSON: '' } });
    let killed = false;
    const poll = setInterval(() => {
      if (!existsSync(file)) return;
      clearInterval(poll);
      killed = child.kill('SIGKILL');
    }, 2);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearInterval(poll);
      if (killed && signal === 'SIGKILL') resolve();
      else reject(new Error(`the build ended (code ${code}) before ${file} appeared or before it was killed`));
    });
  });
}

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'syndic-interrupted-'));
});

afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

it('a build killed after writing a new page and before saving its manifest: the next build removes the page once its article is deleted', { timeout: 300_000 }, async () => {
  const content = path.join(tmp, 'content');
  const corpus = (await readdir(CORPUS_DIR)).filter((f) => f.endsWith('.md')).sort();
  for (let i = 0; i < ARTICLES; i++) {
    const dir = path.join(content, `a${Math.floor(i / 200)}`);
    await mkdir(dir, { recursive: true });
    await copyFile(path.join(CORPUS_DIR, corpus[i % corpus.length]!), path.join(dir, `${String(i).padStart(4, '0')}.md`));
  }
  const out = path.join(tmp, 'out');
  // A published site, complete, with its manifest.
  let r = await syndic(['build', '--content', content, '--out', out, '--cache-dir', path.join(tmp, 'cache')]);
  expect(r.code, r.stderr).toBe(0);

  // A new article; the build that publishes it reads every article again (a new cache) and is
  // killed once the new page is on disk, long before the manifest is written at the end.
  await writeFile(
    path.join(content, PROBE),
    '---\ntitle: Probe\ndate: 2024-05-01T08:00:00Z\ncategories:\n  - 探针\n---\n\n<p>written by a build that is killed</p>\n',
  );
  await buildKilledAfter(['--content', content, '--out', out, '--cache-dir', path.join(tmp, 'cache-killed')], path.join(out, PROBE_PAGE));
  const manifest = JSON.parse(await readFile(path.join(out, '.syndic-manifest.json'), 'utf8')) as { files: Record<string, unknown> };
  expect(manifest.files[PROBE_PAGE], 'the killed build saved no manifest').toBeUndefined();

  // The article is deleted before the next build, which must leave what a fresh build of the same
  // articles leaves: no page, no category of the probe.
  await rm(path.join(content, PROBE));
  r = await syndic(['build', '--content', content, '--out', out, '--cache-dir', path.join(tmp, 'cache-killed')]);
  expect(r.code, r.stderr).toBe(0);
  expect(existsSync(path.join(out, PROBE_PAGE)), 'the page of the deleted article').toBe(false);
  const fresh = path.join(tmp, 'fresh');
  r = await syndic(['build', '--content', content, '--out', fresh, '--cache-dir', path.join(tmp, 'cache-fresh')]);
  expect(r.code, r.stderr).toBe(0);
  const [got, want] = [await snapshot(out), await snapshot(fresh)];
  expect([...got.keys()].sort()).toEqual([...want.keys()].sort());
  for (const [f, body] of want) expect(got.get(f) === body, f).toBe(true);
});

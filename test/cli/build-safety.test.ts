// Never destroy what the user did not ask to destroy (issue 11, item 1), through the real bin: a
// missing or empty content folder is an error (exit 2) unless --allow-empty, an output folder that
// cannot be written is an error (exit 3) before any article is read, and a build removes only the
// files its manifest says an earlier build wrote.
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSyndic, type CliRun } from '../helpers/run-cli.js';
import { CORPUS_DIR } from '../helpers/feeds.js';

let tmp: string;
let content: string;
const syndic = (args: string[]) => runSyndic(args, { SYNDIC_LOG_JSON: '' });

async function snapshot(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const walk = async (d: string, prefix: string) => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      if (e.isDirectory()) await walk(path.join(d, e.name), prefix + e.name + '/');
      else out.set(prefix + e.name, (await readFile(path.join(d, e.name))).toString('base64'));
    }
  };
  await walk(dir, '');
  return out;
}

/** The run failed with exactly one line on stderr, nothing on stdout, and the given exit code. */
function expectOneLineError(r: CliRun, code: number, pattern: RegExp): void {
  expect(r.code, r.stderr).toBe(code);
  expect(r.stdout).toBe('');
  const lines = r.stderr.trim().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^error: /);
  expect(lines[0]).toMatch(pattern);
}

// A user's files next to the generated ones, including some that look generated.
const USER_FILES: Record<string, string> = {
  CNAME: 'feeds.example.org\n',
  'favicon.ico': 'icon',
  'robots.txt': 'User-agent: *\n',
  'custom/index.html': '<p>mine</p>',
  'custom/rss.xml': '<rss/>',
  'categories/hand-made/feed.json': '{}',
};

async function withUserFiles(out: string): Promise<void> {
  for (const [f, body] of Object.entries(USER_FILES)) {
    await mkdir(path.dirname(path.join(out, f)), { recursive: true });
    await writeFile(path.join(out, f), body);
  }
}

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'syndic-safety-'));
  content = path.join(tmp, 'content');
  await mkdir(content, { recursive: true });
  for (const f of ['36kr-01.md', 'sina-finance-01.md', 'dribbble-01.md']) await copyFile(path.join(CORPUS_DIR, f), path.join(content, f));
});

afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

/** A built site with the user's files in it, and its own cache. */
async function builtSite(name: string): Promise<{ out: string; cache: string }> {
  const out = path.join(tmp, name);
  const cache = path.join(tmp, `${name}-cache`);
  await withUserFiles(out);
  const r = await syndic(['build', '--content', content, '--out', out, '--cache-dir', cache]);
  expect(r.code, r.stderr).toBe(0);
  return { out, cache };
}

describe.concurrent('a build never destroys what it was not asked to', () => {
  it('a mistyped --content is exit 2 with one line, and removes nothing', async () => {
    const { out, cache } = await builtSite('out-typo');
    const before = await snapshot(out);
    const typo = path.join(tmp, 'contnet');
    const r = await syndic(['build', '--content', typo, '--out', out, '--cache-dir', cache]);
    expectOneLineError(r, 2, new RegExp(`content folder not found, ${typo}, .*--content`));
    expect(await snapshot(out)).toEqual(before);
  });

  it('a content folder with no article is exit 2 (suggesting --allow-empty), and removes nothing', async () => {
    const { out, cache } = await builtSite('out-empty');
    const before = await snapshot(out);
    const empty = path.join(tmp, 'empty');
    await mkdir(path.join(empty, 'img'), { recursive: true });
    await writeFile(path.join(empty, 'img/pic.png'), 'not an article');
    const r = await syndic(['build', '--content', empty, '--out', out, '--cache-dir', cache]);
    expectOneLineError(r, 2, /no articles .* in the content folder, .*empty, .*--allow-empty/);
    expect(await snapshot(out)).toEqual(before);
  });

  it('--allow-empty builds the empty site: generated files go, the user files stay', async () => {
    const { out, cache } = await builtSite('out-allow');
    const r = await syndic(['build', '--content', path.join(tmp, 'nowhere'), '--out', out, '--cache-dir', cache, '--allow-empty']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/built 0 articles .* removed/);
    const after = await snapshot(out);
    for (const [f, body] of Object.entries(USER_FILES)) expect(Buffer.from(after.get(f)!, 'base64').toString(), f).toBe(body);
    expect([...after.keys()].filter((f) => f.startsWith('articles/'))).toEqual([]);
    expect(await readFile(path.join(out, 'rss.xml'), 'utf8')).not.toContain('<item>');
  });

  it('an output folder that cannot be written is exit 3 before any article is read', async () => {
    // Root may write anywhere, so the unwritable output is one whose path runs through a file.
    const blocker = path.join(tmp, 'a-file');
    await writeFile(blocker, 'x');
    // An article that would print a rejection if it were read.
    const bad = path.join(tmp, 'bad-content');
    await mkdir(bad, { recursive: true });
    await writeFile(path.join(bad, 'no-title.md'), '---\ndate: 2024-01-01\n---\nbody');
    const r = await syndic(['build', '--content', bad, '--out', path.join(blocker, 'public'), '--cache-dir', path.join(tmp, 'cache-w')]);
    expectOneLineError(r, 3, new RegExp(`output folder is not writable \\((ENOTDIR|EEXIST)\\), ${blocker}/public, .*--out`));
    expect(await readFile(blocker, 'utf8')).toBe('x');
  });

  it("rebuilds remove only files an earlier build wrote: a deleted article's page and emptied category go, user files stay", async () => {
    const { out, cache } = await builtSite('out-owned');
    const own = path.join(tmp, 'content-owned');
    await mkdir(own, { recursive: true });
    for (const f of await readdir(content)) await copyFile(path.join(content, f), path.join(own, f));
    let r = await syndic(['build', '--content', own, '--out', out, '--cache-dir', cache]);
    expect(r.code, r.stderr).toBe(0);
    const catDir = (await readdir(path.join(out, 'categories'))).filter((d) => d !== 'hand-made');
    expect(catDir.length).toBeGreaterThan(1);
    // A manifest that lists a path outside the folder is never followed.
    const manifest = JSON.parse(await readFile(path.join(out, '.syndic-manifest.json'), 'utf8')) as { files: Record<string, unknown> };
    manifest.files['../outside.txt'] = { hash: '', size: 1, mtimeMs: 0 };
    await writeFile(path.join(out, '.syndic-manifest.json'), JSON.stringify({ generator: 'syndic', format: 1, files: manifest.files }));
    await writeFile(path.join(tmp, 'outside.txt'), 'keep');

    await rm(path.join(own, 'sina-finance-01.md'));
    r = await syndic(['build', '--content', own, '--out', out, '--cache-dir', cache]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/[1-9]\d* removed/);
    await expect(stat(path.join(out, 'articles/sina-finance-01/index.html'))).rejects.toThrow();
    await expect(stat(path.join(out, 'articles/sina-finance-01'))).rejects.toThrow(); // its emptied folder too
    await expect(stat(path.join(out, 'categories/金融'))).rejects.toThrow();
    const after = await snapshot(out);
    for (const [f, body] of Object.entries(USER_FILES)) expect(Buffer.from(after.get(f)!, 'base64').toString(), f).toBe(body);
    expect(await readFile(path.join(tmp, 'outside.txt'), 'utf8')).toBe('keep');
    expect(after.has('articles/36kr-01/index.html')).toBe(true);
  });

  it('an output folder without a manifest (an older Syndic, or files put there by hand) loses nothing', async () => {
    const out = path.join(tmp, 'out-legacy');
    // What an older build left: generated-looking files for articles that no longer exist.
    await withUserFiles(out);
    await mkdir(path.join(out, 'articles/gone'), { recursive: true });
    await writeFile(path.join(out, 'articles/gone/index.html'), '<p>old</p>');
    await mkdir(path.join(out, 'categories/old'), { recursive: true });
    await writeFile(path.join(out, 'categories/old/rss.xml'), '<rss/>');
    const r = await syndic(['build', '--content', content, '--out', out, '--cache-dir', path.join(tmp, 'cache-legacy')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/ 0 removed/);
    expect(await readFile(path.join(out, 'articles/gone/index.html'), 'utf8')).toBe('<p>old</p>');
    expect(await readFile(path.join(out, 'categories/old/rss.xml'), 'utf8')).toBe('<rss/>');
  });
});

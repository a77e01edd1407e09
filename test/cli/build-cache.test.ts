// The build cache, through the real bin: an incremental build (articles added, edited, renamed,
// deleted, a category collision that changes slugs) gives byte for byte the files of a cold build
// and of the Store engine's build() (what `syndic build` wrote before it had a cache); an unchanged
// rebuild parses and writes nothing; a settings change or a new version of Syndic invalidates it.
import { copyFile, cp, mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build } from '../../src/build/publish.js';
import { FolderBuilder } from '../../src/build/folder.js';
import { loadSettings } from '../../src/cli/config.js';
import { FsStore } from '../../src/store/fs-store.js';
import { ROOT, runSyndic, type CliRun } from '../helpers/run-cli.js';
import { CORPUS_DIR } from '../helpers/feeds.js';

let tmp: string;
const syndic = (args: string[]) => runSyndic(args, { SYNDIC_LOG_JSON: '' });

/** Every file of a built folder with its bytes, the manifest left out (it records mtimes). */
async function files(dir: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  const walk = async (d: string, prefix: string) => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      if (e.isDirectory()) await walk(path.join(d, e.name), prefix + e.name + '/');
      else if (prefix + e.name !== '.syndic-manifest.json') out.set(prefix + e.name, await readFile(path.join(d, e.name)));
    }
  };
  await walk(dir, '');
  return out;
}

function expectSameFiles(actual: Map<string, Buffer>, expected: Map<string, Buffer>): void {
  expect([...actual.keys()].sort()).toEqual([...expected.keys()].sort());
  for (const [f, body] of expected) expect(actual.get(f)!.equals(body), f).toBe(true);
}

const parsed = (r: CliRun) => Number(/\((\d+) parsed/.exec(r.stdout)?.[1] ?? NaN);
const fromCache = (r: CliRun) => Number(/(\d+) from cache/.exec(r.stdout)?.[1] ?? NaN);
const written = (r: CliRun) => Number(/: (\d+) files written/.exec(r.stdout)?.[1] ?? NaN);
const withFront = (title: string, cats: string, date = '2023-03-04 05:06:07') => `---\ntitle: ${title}\ndate: ${date}\ncategories: ${cats}\n---\n<p>${title} body</p>\n`;

/** A new folder under tmp holding the first `n` corpus articles. */
async function corpusFolder(name: string, n: number): Promise<string> {
  const dir = path.join(tmp, name);
  await mkdir(dir, { recursive: true });
  for (const f of corpus.slice(0, n)) await copyFile(path.join(CORPUS_DIR, f), path.join(dir, f));
  return dir;
}

let corpus: string[];

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'syndic-cache-'));
  corpus = (await readdir(CORPUS_DIR)).filter((f) => f.endsWith('.md')).sort().slice(0, 24);
});

afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe('build cache', () => {
  it('an incremental build writes the same bytes as a cold build and as the Store engine', async () => {
    const content = path.join(tmp, 'inc');
    const out = path.join(tmp, 'inc-out');
    const cache = path.join(tmp, 'inc-cache');
    await mkdir(path.join(content, 'sub'), { recursive: true });
    for (const f of corpus) await copyFile(path.join(CORPUS_DIR, f), path.join(content, f));
    await writeFile(path.join(content, 'sub/slugs.md'), withFront('Slug one', '[Café, Menu]'));
    let r = await syndic(['build', '--content', content, '--out', out, '--cache-dir', cache]);
    expect(r.code, r.stderr).toBe(0);
    expect(parsed(r)).toBe(25);

    // Unchanged: nothing parsed, nothing written.
    r = await syndic(['build', '--content', content, '--out', out, '--cache-dir', cache]);
    expect(r.code, r.stderr).toBe(0);
    expect(parsed(r)).toBe(0);
    expect(written(r)).toBe(0);

    // A touched but identical article is read again (its stat changed), not parsed, and writes nothing.
    const later = new Date(Date.now() - 60_000);
    await utimes(path.join(content, corpus[3]!), later, later);
    r = await syndic(['build', '--content', content, '--out', out, '--cache-dir', cache]);
    expect(parsed(r)).toBe(0);
    expect(written(r)).toBe(0);

    // Generated files removed or altered by hand are written again, and only they.
    const rss = await readFile(path.join(out, 'rss.xml'));
    const page = await readFile(path.join(out, `articles/${corpus[4]!.replace(/\.md$/, '')}/index.html`));
    await rm(path.join(out, 'rss.xml'));
    await writeFile(path.join(out, `articles/${corpus[4]!.replace(/\.md$/, '')}/index.html`), 'vandalised');
    r = await syndic(['build', '--content', content, '--out', out, '--cache-dir', cache]);
    expect(written(r)).toBe(2);
    expect(parsed(r)).toBeLessThanOrEqual(21); // the article whose page was redone, and the entries rss.xml lists
    expect((await readFile(path.join(out, 'rss.xml'))).equals(rss)).toBe(true);
    expect((await readFile(path.join(out, `articles/${corpus[4]!.replace(/\.md$/, '')}/index.html`))).equals(page)).toBe(true);

    // Add, edit, rename, delete; and a new sibling category whose slug collides with one in use
    // (`CAFÉ` and `Café` both slugify to `café`), which renames that category's folder.
    await writeFile(path.join(content, 'sub/new.md'), withFront('Brand new', '[News, Today]', '2030-01-01 00:00:00'));
    await writeFile(path.join(content, corpus[0]!), (await readFile(path.join(content, corpus[0]!), 'utf8')).replace(/^title: .*$/m, 'title: An edited title'));
    await copyFile(path.join(content, corpus[1]!), path.join(content, 'sub/renamed.md'));
    await rm(path.join(content, corpus[1]!));
    await rm(path.join(content, corpus[2]!));
    await writeFile(path.join(content, 'sub/collide.md'), withFront('Slug two', '[CAFÉ, Menu]'));
    r = await syndic(['build', '--content', content, '--out', out, '--cache-dir', cache]);
    expect(r.code, r.stderr).toBe(0);
    expect(fromCache(r)).toBe(22); // all but the four new or changed files
    expect(r.stdout).toMatch(/[1-9]\d* removed/);

    // The same content, cold: a fresh cache and an empty output folder.
    const cold = path.join(tmp, 'cold-out');
    const c = await syndic(['build', '--content', content, '--out', cold, '--cache-dir', path.join(tmp, 'cold-cache')]);
    expect(c.code, c.stderr).toBe(0);
    expect(parsed(c)).toBe(26);
    const inc = await files(out);
    expectSameFiles(inc, await files(cold));
    expect([...inc.keys()].some((f) => f.startsWith('categories/café-'))).toBe(true);

    // And the Store engine (buildSite over every entry), with the same settings.
    const reference = path.join(tmp, 'store-out');
    const settings = await loadSettings(ROOT);
    await build({ content: new FsStore(content), contentPrefix: '', out: new FsStore(reference), outPrefix: '', settings, log: () => {} });
    expectSameFiles(inc, await files(reference));
  });

  it('a settings change invalidates the cache: every article is parsed again and the output follows', async () => {
    const content = await corpusFolder('set', 5);
    const out = path.join(tmp, 'set-out');
    const cache = path.join(tmp, 'set-cache');
    const args = (url: string) => ['build', '--content', content, '--out', out, '--cache-dir', cache, '--site-url', url];
    expect(parsed(await syndic(args('https://a.example')))).toBe(5);
    expect(parsed(await syndic(args('https://a.example')))).toBe(0);
    const r = await syndic(args('https://b.example'));
    expect(parsed(r)).toBe(5);
    const all = await files(out);
    for (const [f, body] of all) if (/\.(xml|json|html|opml)$/.test(f)) expect(body.toString(), f).not.toContain('https://a.example');
    expect((await readFile(path.join(out, 'rss.xml'), 'utf8'))).toContain('https://b.example/articles/');
  });

  it('a new version of Syndic (another code fingerprint) invalidates the cache', async () => {
    const content = await corpusFolder('ver', 4);
    const settings = await loadSettings(ROOT);
    const run = async (fingerprint: string) => {
      const b = new FolderBuilder({ contentDir: content, outDir: path.join(tmp, 'ver-out'), cacheDir: path.join(tmp, 'ver-cache'), settings, fingerprint, workers: 0 });
      try {
        return await b.build();
      } finally {
        await b.close();
      }
    };
    expect((await run('syndic 1.0.0')).processed).toBe(4);
    expect((await run('syndic 1.0.0')).processed).toBe(0);
    const upgraded = await run('syndic 1.1.0');
    expect(upgraded.processed).toBe(4);
    expect(upgraded.written).toEqual([]); // same code in fact: every byte equal, nothing rewritten
  });

  it('an article without a date keeps the time Syndic first saw it: touching every file changes no date (issue 12)', async () => {
    const content = path.join(tmp, 'mtime');
    await mkdir(path.join(content, 'sub'), { recursive: true });
    const file = path.join(content, 'undated.md');
    await writeFile(file, '---\ntitle: No date here\ncategories: [X]\n---\n<p>body</p>\n');
    await writeFile(path.join(content, 'sub/dated.md'), withFront('Dated', '[X]'));
    const first = new Date('2021-02-03T04:05:06Z');
    await utimes(file, first, first);
    const out = path.join(tmp, 'mtime-out');
    const cache = path.join(tmp, 'mtime-cache');
    const args = ['build', '--content', content, '--out', out, '--cache-dir', cache];
    let r = await syndic(args);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('using the first time Syndic saw it, 2021-02-03T04:05:06.000Z');
    // The summary names the article without a readable date.
    expect(r.stdout).toMatch(/1 article without a readable date \(dated by when Syndic first saw them: undated\.md\)/);
    const feed = await readFile(path.join(out, 'feed.json'), 'utf8');
    expect(feed).toContain('"date_published": "2021-02-03T04:05:06.000Z"');
    const before = await files(out);

    // Every file touched (as a copy or a checkout does): no date moves, nothing is written.
    const second = new Date('2022-03-04T05:06:07Z');
    for (const f of [file, path.join(content, 'sub/dated.md')]) await utimes(f, second, second);
    r = await syndic(args);
    expect(r.code, r.stderr).toBe(0);
    expect(written(r)).toBe(0);
    expect(r.stderr).not.toContain('2022-03-04T05:06:07');
    expectSameFiles(await files(out), before);

    // Edited bytes: parsed again, still dated by its first sight.
    await writeFile(file, '---\ntitle: No date here, edited\ncategories: [X]\n---\n<p>body</p>\n');
    await utimes(file, second, second);
    r = await syndic(args);
    expect(parsed(r)).toBe(1);
    expect(await readFile(path.join(out, 'feed.json'), 'utf8')).toContain('"date_published": "2021-02-03T04:05:06.000Z"');

    // A settings change discards the cache's records but not the first-seen times.
    r = await syndic([...args, '--set', 'title=Another title']);
    expect(r.code, r.stderr).toBe(0);
    expect(parsed(r)).toBe(2);
    expect(await readFile(path.join(out, 'feed.json'), 'utf8')).toContain('"date_published": "2021-02-03T04:05:06.000Z"');

    // Deleting the cache folder forgets them (documented): the file's mtime is the first sight again.
    await rm(cache, { recursive: true, force: true });
    r = await syndic([...args, '--set', 'title=Another title']);
    expect(r.code, r.stderr).toBe(0);
    expect(await readFile(path.join(out, 'feed.json'), 'utf8')).toContain('"date_published": "2022-03-04T05:06:07.000Z"');
  });

  it('the state journal: a line cut short, a stale base or a crash before the manifest is written never gives wrong output', async () => {
    const content = await corpusFolder('journal', 6);
    const out = path.join(tmp, 'journal-out');
    const cache = path.join(tmp, 'journal-cache');
    const args = ['build', '--content', content, '--out', out, '--cache-dir', cache];
    const build = async () => {
      const r = await syndic(args);
      expect(r.code, r.stderr).toBe(0);
      return r;
    };
    const cold = async (name: string) => {
      const o = path.join(tmp, `journal-cold-${name}`);
      const r = await syndic(['build', '--content', content, '--out', o, '--cache-dir', path.join(tmp, `journal-cold-cache-${name}`)]);
      expect(r.code, r.stderr).toBe(0);
      return files(o);
    };
    const stateOf = async () => path.join(cache, (await readdir(cache)).find((f) => /^state-.*\.json$/.test(f))!);
    await build();
    const state = await stateOf();
    const journal = `${state}.journal`;
    const added = path.join(content, 'added.md');

    // An added article is appended to the journal, the state file stays as it was.
    const base = await readFile(state);
    await writeFile(added, withFront('Added', '[News, Today]', '2031-01-01 00:00:00'));
    expect(parsed(await build())).toBe(1);
    expect((await readFile(state)).equals(base)).toBe(true);
    expect((await readFile(journal, 'utf8')).split('\n').filter(Boolean)).toHaveLength(1);
    expect(parsed(await build())).toBe(0); // read back: nothing to parse
    expectSameFiles(await files(out), await cold('a'));

    // A crash in the middle of an append: the cut line is ignored, the build is still right.
    await writeFile(added, withFront('Added, edited', '[News, Later]', '2031-01-01 00:00:00'));
    await writeFile(journal, (await readFile(journal, 'utf8')) + '{"b":"');
    await build();
    expectSameFiles(await files(out), await cold('b'));
    expect(parsed(await build())).toBe(0);

    // A crash after the state was saved but before the manifest: the old manifest does not vouch for
    // what the crashed build wrote, even once the content is back to what the manifest describes.
    const manifest = path.join(out, '.syndic-manifest.json');
    const oldManifest = await readFile(manifest);
    await writeFile(added, withFront('Added again', '[Elsewhere]', '2032-01-01 00:00:00'));
    await build();
    await writeFile(manifest, oldManifest);
    await writeFile(added, withFront('Added, edited', '[News, Later]', '2031-01-01 00:00:00'));
    await build();
    // (The files only the crashed build made stay: the manifest that would let Syndic remove them was never written.)
    const orphansLeft = async () => {
      const now = await files(out);
      for (const f of now.keys()) if (f.startsWith('categories/elsewhere/')) now.delete(f);
      return now;
    };
    expectSameFiles(await orphansLeft(), await cold('b'));

    // A journal from another base (a crash between a new state file and the old journal's removal): ignored.
    const lines = await readFile(journal, 'utf8');
    await rm(added);
    await build();
    await writeFile(journal, lines.replace(/"b":"[0-9a-f]+"/g, '"b":"0000000000000000"') + (await readFile(journal, 'utf8')));
    await build();
    expectSameFiles(await orphansLeft(), await cold('c'));
    expect(parsed(await build())).toBe(0);
  });

  it('a large site goes through the worker threads and still matches the Store engine', async () => {
    // More articles than the engine processes in its own thread (INLINE_MAX = 200).
    const content = path.join(tmp, 'many');
    const all = (await readdir(CORPUS_DIR)).filter((f) => f.endsWith('.md')).sort();
    for (let copy = 0; copy < 3; copy++) await cp(CORPUS_DIR, path.join(content, `c${copy}`), { recursive: true, filter: (src) => !src.endsWith('README.md') });
    const out = path.join(tmp, 'many-out');
    const r = await syndic(['build', '--content', content, '--out', out, '--cache-dir', path.join(tmp, 'many-cache')]);
    expect(r.code, r.stderr).toBe(0);
    expect(parsed(r)).toBeGreaterThan(200);
    expect(parsed(r)).toBe((await readdir(path.join(content, 'c0'))).filter((f) => f.endsWith('.md')).length * 3);
    expect(all.length).toBeGreaterThan(0);
    const reference = path.join(tmp, 'many-store');
    const settings = await loadSettings(ROOT);
    await build({ content: new FsStore(content), contentPrefix: '', out: new FsStore(reference), outPrefix: '', settings, log: () => {} });
    expectSameFiles(await files(out), await files(reference));
  });

  it('a category file that cannot be written stops a large build with its path, whichever thread renders it', async () => {
    // The nodes of a large build are rendered by the workers and this thread together: a folder
    // that cannot be made (a file named `categories` is in the way) fails each of them the same way.
    const content = path.join(tmp, 'many-blocked');
    for (let copy = 0; copy < 3; copy++) await cp(CORPUS_DIR, path.join(content, `c${copy}`), { recursive: true, filter: (src) => !src.endsWith('README.md') });
    const out = path.join(tmp, 'many-blocked-out');
    await mkdir(out, { recursive: true });
    await writeFile(path.join(out, 'categories'), 'not a folder');
    const r = await syndic(['build', '--content', content, '--out', out, '--cache-dir', path.join(tmp, 'many-blocked-cache')]);
    expect(r.code, r.stderr).toBe(3);
    // (A slow build prints progress lines first.)
    const lines = r.stderr.split('\n').filter((l) => l && !l.startsWith('progress: '));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^error: cannot write \S*categories\/\S+ \(E[A-Z]+\), check the output folder's permissions and free space$/);
    expect(await readFile(path.join(out, 'categories'), 'utf8')).toBe('not a folder');
  });
});

// The local build with the feed options of issue 12 (tag feeds, a permalink pattern, per-article
// permalink:, feed: false), through the real bin: the same bytes as the Store engine's build()
// with the same settings, valid feeds, and incremental rebuilds that follow a moved permalink, an
// article leaving the feeds and two articles claiming one page, removing the pages left behind.
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build } from '../../src/build/publish.js';
import { loadSettings } from '../../src/cli/config.js';
import { FsStore } from '../../src/store/fs-store.js';
import { ROOT, runSyndic, type CliRun } from '../helpers/run-cli.js';
import { CORPUS_DIR, disposeAtomValidator, validateAtom, validateJsonFeed, w3cProblems } from '../helpers/feeds.js';

let tmp: string;
const syndic = (args: string[]) => runSyndic(args, { SYNDIC_LOG_JSON: '' });
const OPTIONS = { tagFeeds: true, permalink: ':year/:month/:day/:title/' };
const SET = ['--set', 'tagFeeds=true', '--set', `permalink=${OPTIONS.permalink}`];

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

const written = (r: CliRun) => Number(/: (\d+) files written/.exec(r.stdout)?.[1] ?? NaN);
const article = (title: string, front: string) => `---\ntitle: ${title}\ndate: 2023-03-04 05:06:07\n${front}\n---\n<p>${title} body</p>\n`;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'syndic-options-'));
});

afterAll(async () => {
  disposeAtomValidator();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe('build with tag feeds and permalinks', () => {
  it('equals the Store engine, validates, and follows moved pages, unlisted articles and shared permalinks', async () => {
    const content = path.join(tmp, 'content');
    const out = path.join(tmp, 'out');
    const cache = path.join(tmp, 'cache');
    await mkdir(path.join(content, 'hand'), { recursive: true });
    for (const f of (await readdir(CORPUS_DIR)).filter((f) => f.endsWith('.md') && f !== 'README.md')) await copyFile(path.join(CORPUS_DIR, f), path.join(content, f));
    await writeFile(path.join(content, 'hand/tagged.md'), article('Tagged', 'categories: [Hand, Made]\ntags: [Rust, JavaScript, javascript]'));
    await writeFile(path.join(content, 'hand/also-tagged.md'), article('Also tagged', 'categories: [Hand]\ntags: [Rust]'));
    await writeFile(path.join(content, 'hand/unlisted.md'), article('Unlisted', 'categories: [Only here]\ntags: [Secret]\nfeed: false'));
    await writeFile(path.join(content, 'hand/moved.md'), article('Moved', 'categories: [Hand]\npermalink: old/moved-post/'));

    const run = () => syndic(['build', '--content', content, '--out', out, '--cache-dir', cache, ...SET]);
    const settings = await loadSettings(ROOT, OPTIONS);
    let n = 0;
    const compare = async () => {
      const reference = path.join(tmp, `store-${n++}`);
      await build({ content: new FsStore(content), contentPrefix: '', out: new FsStore(reference), outPrefix: '', settings, log: () => {} });
      const got = await files(out);
      expectSameFiles(got, await files(reference));
      return got;
    };

    let r = await run();
    expect(r.code, r.stderr).toBe(0);
    let got = await compare();
    expect(got.has('old/moved-post/index.html')).toBe(true);
    expect(got.has('2023/03/04/hand/tagged/index.html')).toBe(true);
    expect([...got.keys()].some((f) => f.startsWith('articles/'))).toBe(false);
    expect([...got.keys()].filter((f) => /^tags\/[^/]+\/rss\.xml$/.test(f)).length).toBe(3); // rust, javascript-<hash> twice
    expect(got.has('2023/03/04/hand/unlisted/index.html')).toBe(true);
    expect(got.get('rss.xml')!.toString()).not.toContain('Unlisted');
    expect([...got.keys()].some((f) => f.includes('only-here'))).toBe(false);

    // Every feed valid.
    const urlOf = (p: string) => `${settings.siteUrl}/${p.split('/').map(encodeURIComponent).join('/')}`;
    let feeds = 0;
    for (const [p, body] of got) {
      const text = body.toString();
      if (p.endsWith('rss.xml')) expect(w3cProblems(text, { format: 'rss', location: urlOf(p) }), p).toEqual([]);
      else if (p.endsWith('atom.xml')) {
        expect(w3cProblems(text, { format: 'atom', location: urlOf(p) }), p).toEqual([]);
        expect(validateAtom(text), p).toEqual([]);
      } else if (p.endsWith('feed.json')) expect(validateJsonFeed(text), p).toEqual([]);
      else continue;
      feeds++;
    }
    expect(feeds).toBeGreaterThan(30);

    // Unchanged: nothing written.
    r = await run();
    expect(r.code, r.stderr).toBe(0);
    expect(written(r)).toBe(0);

    // A moved permalink, an article leaving the feeds, a second article claiming a page, a tag dropped.
    await writeFile(path.join(content, 'hand/moved.md'), article('Moved', 'categories: [Hand]\npermalink: new/place.html'));
    await writeFile(path.join(content, 'hand/also-tagged.md'), article('Also tagged', 'categories: [Hand]\ntags: [Rust]\nfeed: false'));
    await writeFile(path.join(content, 'hand/claim.md'), article('Claim', 'categories: [Hand]\ndate: 2024-01-01 00:00:00\npermalink: 2023/03/04/hand/tagged/').replace('date: 2023-03-04 05:06:07\n', ''));
    await writeFile(path.join(content, 'hand/tagged.md'), article('Tagged', 'categories: [Hand, Made]\ntags: [JavaScript, javascript]'));
    r = await run();
    expect(r.code, r.stderr).toBe(0);
    got = await compare();
    expect(existsSync(path.join(out, 'old/moved-post/index.html'))).toBe(false);
    expect(got.has('new/place.html')).toBe(true);
    expect(got.get('2023/03/04/hand/tagged/index.html')!.toString()).toContain('Claim body');
    expect(got.has('tags/rust/rss.xml')).toBe(false);

    // The claim goes: the older article has its page again.
    await rm(path.join(content, 'hand/claim.md'));
    r = await run();
    expect(r.code, r.stderr).toBe(0);
    got = await compare();
    expect(got.get('2023/03/04/hand/tagged/index.html')!.toString()).toContain('Tagged body');
    r = await run();
    expect(written(r)).toBe(0);
  });
});

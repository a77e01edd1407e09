// Core features through the S3 engine: permalink pages (`articlePagePathOf(entry)`), tag feeds and
// `feed: false` articles; article assets (an image an article links relatively) copied and removed. After uploads, an edit whose new date moves the page, and a delete, the
// incremental result equals a fresh rebuild (state and public/) and `buildSite` of the same articles.
import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSettings } from '../../src/cli/config.js';
import type { Settings } from '../../src/core/settings.js';
import { processArticle } from '../../src/core/pipeline.js';
import { buildSite } from '../../src/core/site.js';
import type { Entry } from '../../src/core/entry.js';
import { idOfKey } from '../../src/lambda/verdict.js';
import { rebuild } from '../../src/lambda/rebuild.js';
import { errorKey, recordKey } from '../../src/lambda/state.js';
import { handle } from '../../src/lambda/handler.js';
import { silentLogger } from '../../src/log.js';
import { etagOf } from '../../src/store/etag.js';
import type { Store } from '../../src/store/store.js';
import { ROOT, runSyndic } from '../helpers/run-cli.js';
import { startS3Server, type TestS3Server } from '../helpers/s3-server.js';
import { bucketState, builtFiles, diffStates, lagging, runner, s3Event, settingsFor } from './harness.js';

let s3: TestS3Server;
beforeAll(async () => {
  s3 = await startS3Server();
});
afterAll(async () => {
  await s3?.stop();
});

const settings = settingsFor({ feedLimit: 3, tagFeeds: true, permalink: ':year/:month/:day/:title/' });

const md = (o: { title: string; date: string; categories?: string[]; tags?: string[]; feed?: false }) =>
  `---\ntitle: ${o.title}\ndate: ${o.date}\n${o.categories ? `categories:\n${o.categories.map((c) => ` - ${c}`).join('\n')}\n` : ''}${
    o.tags ? `tags:\n${o.tags.map((t) => ` - ${t}`).join('\n')}\n` : ''
  }${o.feed === false ? 'feed: false\n' : ''}---\n\n${o.title} body\n`;

/** public/ as `buildSite` makes it from the bucket's articles (dateless ones at their firstSeen). */
async function expectedPublic(store: Store, s: Settings = settings): Promise<Map<string, string>> {
  const entries: Entry[] = [];
  for (const o of await store.list('content/')) {
    const id = idOfKey(o.key);
    if (!id) continue;
    const rec = JSON.parse(Buffer.from((await store.get(recordKey(id)))!.body).toString()) as { firstSeen: string };
    const p = processArticle({ id, file: o.key, bytes: (await store.get(o.key))!.body, uploadedAt: new Date(rec.firstSeen) }, s);
    if (p.kind === 'entry') entries.push(p.entry);
  }
  return new Map(buildSite(entries, s).map((f) => [`public/${f.path}`, etagOf(f.body)]));
}

async function expectConverged(store: Store, s: Settings = settings) {
  const before = await bucketState(store);
  expect(lagging(before)).toEqual([]);
  expect(new Map([...before.public].sort())).toEqual(new Map([...(await expectedPublic(store, s))].sort()));
  const r = await rebuild({ store, settings: s, log: silentLogger });
  expect({ written: r.written, deleted: r.deleted }).toEqual({ written: [], deleted: [] });
  expect(diffStates(await bucketState(store, before), before)).toEqual([]);
  return before;
}

describe('permalinks, tag feeds and feed: false through the S3 engine', () => {
  it('upload, edit moving the page by date, delete: equal to a fresh rebuild and to buildSite', { timeout: 300_000 }, async () => {
    const store = await s3.createBucket('permalinks');
    const run = runner(store, 'permalinks', settings);
    await run.upload('content/alpha.md', md({ title: 'Alpha', date: '2024-03-01T10:00:00Z', categories: ['Tech'], tags: ['rust', 'web'] }));
    await run.upload('content/beta.md', md({ title: 'Beta', date: '2024-03-02T10:00:00Z', categories: ['Tech', 'Go'], tags: ['go'] }));
    await run.upload('content/gamma.md', md({ title: 'Gamma', date: '2024-02-05T10:00:00Z', tags: ['rust'] }));
    let pub = await expectConverged(store);
    expect(pub.public.has('public/2024/03/01/alpha/index.html')).toBe(true);
    expect(pub.public.has('public/tags/rust/feed.json')).toBe(true);
    expect([...pub.public.keys()].filter((k) => k.startsWith('public/articles/'))).toEqual([]);

    // The edit moves Alpha to another day (and drops a tag): the old page and the tag's feeds go.
    await run.upload('content/alpha.md', md({ title: 'Alpha', date: '2024-01-20T10:00:00Z', categories: ['Tech'], tags: ['rust'] }));
    pub = await expectConverged(store);
    expect(pub.public.has('public/2024/03/01/alpha/index.html')).toBe(false);
    expect(pub.public.has('public/2024/01/20/alpha/index.html')).toBe(true);
    expect(pub.public.has('public/tags/web/feed.json')).toBe(false);

    await run.remove('content/beta.md');
    pub = await expectConverged(store);
    expect(pub.public.has('public/2024/03/02/beta/index.html')).toBe(false);
    expect(pub.public.has('public/tags/go/feed.json')).toBe(false);
    const rec = JSON.parse(Buffer.from((await store.get(recordKey('alpha')))!.body).toString()) as { oldPages?: string[]; leaving: unknown[] };
    expect(rec.oldPages).toBeUndefined();
    expect(rec.leaving).toEqual([]);
  });

  it('a feed: false article has its page and is in no feed, no listing, no node', { timeout: 300_000 }, async () => {
    const store = await s3.createBucket('unlisted');
    const run = runner(store, 'unlisted', settings);
    await run.upload('content/listed.md', md({ title: 'Listed', date: '2024-03-01T10:00:00Z', categories: ['Tech'], tags: ['rust'] }));
    await run.upload('content/hidden.md', md({ title: 'Hidden', date: '2024-03-05T10:00:00Z', categories: ['Secret'], tags: ['rust'], feed: false }));
    const pub = await expectConverged(store);
    expect(pub.public.has('public/2024/03/05/hidden/index.html')).toBe(true);
    expect(pub.public.has('public/categories/secret/feed.json')).toBe(false);
    const site = Buffer.from((await store.get('public/feed.json'))!.body).toString();
    expect(site).not.toContain('Hidden');
    // Made listed by an edit, then unlisted again.
    await run.upload('content/hidden.md', md({ title: 'Hidden', date: '2024-03-05T10:00:00Z', categories: ['Secret'], tags: ['rust'] }));
    expect((await expectConverged(store)).public.has('public/categories/secret/feed.json')).toBe(true);
    await run.upload('content/hidden.md', md({ title: 'Hidden', date: '2024-03-05T10:00:00Z', categories: ['Secret'], tags: ['rust'], feed: false }));
    expect((await expectConverged(store)).public.has('public/categories/secret/feed.json')).toBe(false);
  });

  it('an image an article links is copied to its public key with its Content-Type, removed when deleted, the same in the rebuild', { timeout: 300_000 }, async () => {
    const plain = settingsFor({ feedLimit: 3 });
    const store = await s3.createBucket('assets');
    const run = runner(store, 'assets', plain);
    const png = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');
    const post = `---\ntitle: Post\ndate: 2024-03-01T10:00:00Z\n---\n\n![pic](img/pic.png)\n`;
    const pub = 'public/articles/post/img/pic.png';
    const contentTypeOf = async (key: string) => (await fetch(`${s3.endpoint}/assets/${key}`)).headers.get('content-type');
    // The article first (its image not there yet), then the image.
    await run.upload('content/post.md', post);
    expect(await store.head(pub)).toBeNull();
    await run.upload('content/img/pic.png', png as unknown as string);
    expect(Buffer.from((await store.get(pub))!.body).equals(png)).toBe(true);
    expect(await contentTypeOf(pub)).toBe('image/png');
    let r = await rebuild({ store, settings: plain, log: silentLogger });
    expect({ written: r.written, deleted: r.deleted }).toEqual({ written: [], deleted: [] });
    // The image deleted: its copy goes; uploaded again: back.
    await run.remove('content/img/pic.png');
    expect(await store.head(pub)).toBeNull();
    await run.upload('content/img/pic.png', png as unknown as string);
    expect(await store.head(pub)).not.toBeNull();
    // From scratch, the rebuild copies it too.
    await store.delete(pub);
    r = await rebuild({ store, settings: plain, log: silentLogger });
    expect(r.written).toContain(pub);
    expect(await contentTypeOf(pub)).toBe('image/png');
    // The article no longer links it: the copy goes (the source stays private under content/).
    await run.upload('content/post.md', post.replace('![pic](img/pic.png)', 'no image'));
    expect(await store.head(pub)).toBeNull();
    r = await rebuild({ store, settings: plain, log: silentLogger });
    expect({ written: r.written, deleted: r.deleted }).toEqual({ written: [], deleted: [] });
  });
});

describe('two articles whose permalinks name one page', () => {
  // The settings `syndic build` reads from the repository (feedLimit 3), so its output compares byte for byte.
  let cli: Settings;
  let tmp: string;
  beforeAll(async () => {
    cli = await loadSettings(ROOT, { feedLimit: 3 });
    tmp = await mkdtemp(path.join(os.tmpdir(), 'syndic-contested-'));
  });
  afterAll(async () => {
    await rm(tmp, { recursive: true, force: true });
  });
  const post = (title: string, date: string, permalink?: string) => `---\ntitle: ${title}\ndate: ${date}\n${permalink ? `permalink: ${permalink}\n` : ''}categories:\n - Tech\n---\n\n${title} body\n`;
  const readError = async (store: Store, key: string) => {
    const o = await store.get(errorKey(key));
    return o ? (JSON.parse(Buffer.from(o.body).toString()) as { reason: string }).reason : null;
  };

  /** `syndic build` (the real bin) of the bucket's articles: its files by ETag, as the bucket's public/. */
  async function cliBuild(store: Store, name: string): Promise<Map<string, string>> {
    const content = path.join(tmp, name, 'content');
    const out = path.join(tmp, name, 'out');
    await mkdir(content, { recursive: true });
    for (const o of await store.list('content/')) {
      const file = path.join(content, o.key.slice('content/'.length));
      await writeFile(file, (await store.get(o.key))!.body);
      await utimes(file, o.lastModified, o.lastModified);
    }
    const built = await runSyndic(['build', '--content', content, '--out', out, '--cache-dir', path.join(tmp, name, 'cache'), '--feed-limit', '3'], { SYNDIC_LOG_JSON: '' });
    expect(built.code, built.stderr).toBe(0);
    return builtFiles(out);
  }

  it('the newer has it whatever the upload order, the other gets an error record naming both; a delete hands it over', { timeout: 300_000 }, async () => {
    const older = ['content/older.md', post('Older', '2024-03-01T10:00:00Z', '/posts/same/')] as const;
    const newer = ['content/newer.md', post('Newer', '2024-03-02T10:00:00Z', '/posts/same/')] as const;
    const results: Map<string, string>[] = [];
    const stores: Store[] = [];
    for (const [name, order] of [['contested-ab', [older, newer]], ['contested-ba', [newer, older]]] as const) {
      const store = await s3.createBucket(name);
      stores.push(store);
      const run = runner(store, name, cli);
      for (const [k, body] of order) await run.upload(k, body);
      const state = await expectConverged(store, cli);
      const page = Buffer.from((await store.get('public/posts/same/index.html'))!.body).toString();
      expect(page).toContain('Newer body');
      expect(await readError(store, 'content/older.md')).toMatch(/page conflict: content\/older\.md and content\/newer\.md both have the page posts\/same\/index\.html; content\/newer\.md is newer/);
      expect(await readError(store, 'content/newer.md')).toBeNull();
      // Both stay in the feeds, as in buildSite.
      const feed = Buffer.from((await store.get('public/feed.json'))!.body).toString();
      expect(feed).toContain('Older');
      expect(feed).toContain('Newer');
      expect(new Map([...state.public].sort())).toEqual(await cliBuild(store, name));
      results.push(new Map([...state.public].sort()));
    }
    expect(results[0]).toEqual(results[1]);

    // The newer one deleted: the older has the page, and no error record.
    const store = stores[0]!;
    const run = runner(store, 'contested-ab', cli);
    await run.remove('content/newer.md');
    await expectConverged(store, cli);
    expect(Buffer.from((await store.get('public/posts/same/index.html'))!.body).toString()).toContain('Older body');
    expect(await readError(store, 'content/older.md')).toBeNull();
  });

  it('four articles claiming one page, each delivered twice, all at once, twice over: the newest has it, as a rebuild', { timeout: 300_000 }, async () => {
    const store = await s3.createBucket('contested-burst');
    const keys = ['content/hot/a.md', 'content/hot/b.md', 'content/hot/c.md', 'content/home.md'];
    await store.put('content/home.md', post('Home', '2024-03-01T10:00:00Z'));
    for (const [i, k] of keys.slice(0, 3).entries()) await store.put(k, post(`Hot ${i}`, `2024-03-0${2 + i}T10:00:00Z`, '/articles/home/'));
    for (let round = 0; round < 2; round++) {
      const deliveries = [...keys, ...[...keys].reverse()];
      const results = await Promise.allSettled(deliveries.map((k) => handle(s3Event('contested-burst', [k]), { storeFor: () => store, settings: cli, log: silentLogger })));
      expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
      await expectConverged(store, cli);
      const owner = round === 0 ? 'Hot 2' : 'Home';
      expect(Buffer.from((await store.get('public/articles/home/index.html'))!.body).toString()).toContain(`${owner} body`);
      for (const k of keys) expect(await readError(store, k)).toSatisfy((e: string | null) => (k === (round === 0 ? 'content/hot/c.md' : 'content/home.md') ? e === null : /page conflict/.test(e ?? '')));
      // Round 2: home.md becomes the newest.
      await store.put('content/home.md', post('Home', '2024-04-01T10:00:00Z'));
    }
  });

  it("a permalink naming another article's default page: the newer has it, an edit of the date hands it over, in both paths", { timeout: 300_000 }, async () => {
    const store = await s3.createBucket('contested-default');
    const run = runner(store, 'contested-default', cli);
    await run.upload('content/home.md', post('Home', '2024-03-01T10:00:00Z'));
    await run.upload('content/squat.md', post('Squat', '2024-03-05T10:00:00Z', '/articles/home/'));
    await expectConverged(store, cli);
    expect(Buffer.from((await store.get('public/articles/home/index.html'))!.body).toString()).toContain('Squat body');
    expect(await readError(store, 'content/home.md')).toMatch(/page conflict: content\/home\.md and content\/squat\.md/);
    // The squatter made older by an edit: the page goes back, the error record moves.
    await run.upload('content/squat.md', post('Squat', '2024-02-01T10:00:00Z', '/articles/home/'));
    await expectConverged(store, cli);
    expect(Buffer.from((await store.get('public/articles/home/index.html'))!.body).toString()).toContain('Home body');
    expect(await readError(store, 'content/home.md')).toBeNull();
    expect(await readError(store, 'content/squat.md')).toMatch(/page conflict: content\/squat\.md and content\/home\.md/);
    expect(new Map([...(await bucketState(store)).public].sort())).toEqual(await cliBuild(store, 'contested-default'));
    // The default page's own article deleted: the squatter has it.
    await run.remove('content/home.md');
    await expectConverged(store, cli);
    expect(Buffer.from((await store.get('public/articles/home/index.html'))!.body).toString()).toContain('Squat body');
    expect(await readError(store, 'content/squat.md')).toBeNull();

    // A fresh bucket with the same objects, rebuilt only: the same public files.
    const fresh = await s3.createBucket('contested-default-fresh');
    for (const o of await store.list('content/')) await fresh.put(o.key, Buffer.from((await store.get(o.key))!.body).toString());
    await rebuild({ store: fresh, settings: cli, log: silentLogger });
    expect(new Map([...(await bucketState(fresh)).public].sort())).toEqual(new Map([...(await bucketState(store)).public].sort()));
  });
});

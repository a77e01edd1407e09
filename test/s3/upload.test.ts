// Upload, edit, rename, delete and category changes through the Lambda handler against a real local S3 server.
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { slugify } from '../../src/core/categories.js';
import { startS3Server, type TestS3Server } from '../helpers/s3-server.js';
import { article, jsonFeed, runner, settingsFor, snapshot, titles } from './harness.js';

let s3: TestS3Server;
beforeAll(async () => {
  s3 = await startS3Server();
});
afterAll(async () => {
  await s3?.stop();
});

const settings = settingsFor();

async function freshBucket(name: string) {
  const store = await s3.createBucket(name);
  return { store, run: runner(store, name, settings) };
}

describe('one article at a time', () => {
  it('publishes an upload into the site feed and every category level, and nothing from state/', async () => {
    const { store, run } = await freshBucket('upload');
    const res = await run.upload('content/2024/hello.md', article({ title: 'Hello', date: '2024-03-01T08:00:00Z', categories: ['Tech', 'Web', 'CSS'] }));
    expect(res.action === 'sync' && res.outcomes[0]!.status).toBe('published');
    expect(titles(await jsonFeed(store))).toEqual(['Hello']);
    for (const dir of ['tech/', 'tech/web/', 'tech/web/css/']) expect(titles(await jsonFeed(store, `categories/${dir}`))).toEqual(['Hello']);
    const pub = await snapshot(store);
    expect([...pub.keys()].some((k) => k.includes('state'))).toBe(false);
    const rss = pub.get('rss.xml')!;
    expect(rss).toContain('https://feeds.example.com/articles/2024/hello/');
    // Content-Type and Cache-Control come from the renderer.
    const head = await s3.client.send(new (await import('@aws-sdk/client-s3')).HeadObjectCommand({ Bucket: 'upload', Key: 'public/rss.xml' }));
    expect(head.ContentType).toMatch(/^application\/rss\+xml/);
    expect(head.CacheControl).toMatch(/max-age/);
  });

  it('updates the entry when the article is edited (corpus edits v1 → v2)', async () => {
    const { store, run } = await freshBucket('edit');
    // v2 moves the article's date from 2021-09-06 09:06:51 to 2021-09-10 01:51:57.
    const v1 = await readFile('/work/shared/corpus/edits/bilibili-01.v1.md', 'utf8');
    const v2 = await readFile('/work/shared/corpus/edits/bilibili-01.v2.md', 'utf8');
    await run.upload('content/bilibili-01.md', v1);
    const before = (await jsonFeed(store))!.items;
    await run.upload('content/bilibili-01.md', v2);
    const after = (await jsonFeed(store))!.items;
    expect(after).toHaveLength(1);
    expect(before[0]!.date_published).toMatch(/^2021-09-06/);
    expect(after[0]!.date_published).toMatch(/^2021-09-10/);
    // Same as a full rebuild of the edited bucket.
    const r = await run.rebuild();
    expect(r.written).toEqual([]);
    expect(r.deleted).toEqual([]);
  });

  it('moves a renamed article (delete + create) and removes a deleted one everywhere', async () => {
    const { store, run } = await freshBucket('rename');
    const body = article({ title: 'Moving', date: '2024-03-01T08:00:00Z', categories: ['News'] });
    await run.upload('content/a.md', body);
    await run.upload('content/b.md', body);
    await run.remove('content/a.md');
    const feed = await jsonFeed(store);
    expect(feed!.items.map((i) => i.url)).toEqual(['https://feeds.example.com/articles/b/']);
    expect((await jsonFeed(store, 'categories/news/'))!.items).toHaveLength(1);
    await run.remove('content/b.md');
    expect(titles(await jsonFeed(store))).toEqual([]);
    // The empty category's feeds are gone; the site feed stays (empty), as `syndic build` does.
    expect(await jsonFeed(store, 'categories/news/')).toBeNull();
    expect((await run.rebuild()).written).toEqual([]);
  });

  it('takes an article out of its old categories when its categories change', async () => {
    const { store, run } = await freshBucket('recat');
    await run.upload('content/x.md', article({ title: 'Other', date: '2024-01-01T00:00:00Z', categories: ['Sport'] }));
    await run.upload('content/c.md', article({ title: 'Cat', date: '2024-03-01T08:00:00Z', categories: ['Sport', 'Football'] }));
    await run.upload('content/c.md', article({ title: 'Cat', date: '2024-03-01T08:00:00Z', categories: ['Finance'] }));
    expect(titles(await jsonFeed(store, 'categories/sport/'))).toEqual(['Other']);
    expect(await jsonFeed(store, 'categories/sport/football/')).toBeNull();
    expect(titles(await jsonFeed(store, 'categories/finance/'))).toEqual(['Cat']);
    expect(titles(await jsonFeed(store))).toEqual(['Cat', 'Other']);
    const rec = JSON.parse(Buffer.from((await store.get('state/articles/c.json'))!.body).toString());
    expect(rec.leaving).toEqual([]);
    expect((await run.rebuild()).written).toEqual([]);
  });

  it('handles a key with spaces and Chinese characters, URL-encoded with + in the event', async () => {
    const { store, run } = await freshBucket('unicode');
    const key = 'content/新浪财经/景俊海：压实主体责任 2.md';
    const res = await run.upload(key, article({ title: '景俊海：压实主体责任', date: '2024-03-01T08:00:00Z', categories: ['金融', '新浪财经'] }));
    expect(res.action === 'sync' && res.outcomes[0]!.key).toBe(key);
    const feed = await jsonFeed(store, `categories/${slugify('金融')}/${slugify('新浪财经')}/`);
    expect(feed!.items[0]!.url).toBe(`https://feeds.example.com/articles/${encodeURIComponent('新浪财经')}/${encodeURIComponent('景俊海：压实主体责任 2')}/`);
  });

  it('moves a category whose slug starts to collide with a new sibling, and moves it back', async () => {
    const { store, run } = await freshBucket('collide');
    await run.upload('content/one.md', article({ title: 'One', date: '2024-01-01T00:00:00Z', categories: ['Top', 'A b'] }));
    expect(titles(await jsonFeed(store, 'categories/top/a-b/'))).toEqual(['One']);
    // 'A-B' slugifies like 'A b': both get hash suffixes, whatever the upload order.
    await run.upload('content/two.md', article({ title: 'Two', date: '2024-01-02T00:00:00Z', categories: ['Top', 'A-B'] }));
    expect(await jsonFeed(store, 'categories/top/a-b/')).toBeNull();
    const dirs = [...(await snapshot(store)).keys()].filter((k) => k.startsWith('categories/top/a-b-') && k.endsWith('feed.json'));
    expect(dirs).toHaveLength(2);
    expect((await run.rebuild()).written).toEqual([]);
    await run.remove('content/two.md');
    expect(titles(await jsonFeed(store, 'categories/top/a-b/'))).toEqual(['One']);
    expect((await run.rebuild()).written).toEqual([]);
  });

  it('ignores keys outside content/ and files that are not articles', async () => {
    const { store, run } = await freshBucket('ignore');
    await store.put('content/image.png', 'x');
    await store.put('other/a.md', article({ title: 'No', date: '2024-01-01T00:00:00Z' }));
    const res = await run.event('content/image.png', 'other/a.md', 'public/rss.xml');
    expect(res.action === 'sync' && res.outcomes.map((o) => o.status)).toEqual(['ignored', 'ignored', 'ignored']);
    expect(await snapshot(store)).toEqual(new Map());
  });

  it('gives the same result for duplicated and reordered events', async () => {
    const { store, run } = await freshBucket('dupes');
    const keys = ['content/d1.md', 'content/d2.md', 'content/d3.md'];
    for (const [i, k] of keys.entries()) await store.put(k, article({ title: `D${i}`, date: `2024-03-0${i + 1}T00:00:00Z`, categories: ['A'] }));
    await run.event(...keys);
    const first = await snapshot(store);
    // A late ObjectCreated for a deleted key, then everything again in reverse, twice.
    await store.delete('content/d2.md');
    await run.event('content/d2.md'); // the deletion's own event
    const afterDelete = await snapshot(store);
    await run.event(...[...keys].reverse(), ...keys);
    expect(await snapshot(store)).toEqual(afterDelete);
    expect(titles(await jsonFeed(store))).toEqual(['D2', 'D0']);
    expect(first.get('feed.json')).not.toEqual(afterDelete.get('feed.json'));
    expect((await run.rebuild()).written).toEqual([]);
  });
});

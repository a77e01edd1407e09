// Every input gets a verdict and none poisons the others, the same in the incremental path and the
// rebuild: keys whose derived keys would pass S3's 1,024 bytes, categories too deep for a key,
// duplicate ids (`x.md` and `x.html`), oversized objects (refused from their size, never
// downloaded), and articles without a date (the first time they were seen, kept).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handle } from '../../src/lambda/handler.js';
import { rebuild } from '../../src/lambda/rebuild.js';
import { errorKey, recordKey } from '../../src/lambda/state.js';
import { silentLogger } from '../../src/log.js';
import type { Store } from '../../src/store/store.js';
import { FaultStore } from '../helpers/fault-store.js';
import { startS3Server, type TestS3Server } from '../helpers/s3-server.js';
import { article, bucketState, diffStates, jsonFeed, lagging, s3Event, settingsFor, titles } from './harness.js';
import type { Settings } from '../../src/core/settings.js';

let s3: TestS3Server;
beforeAll(async () => {
  s3 = await startS3Server();
});
afterAll(async () => {
  await s3?.stop();
});

const settings = settingsFor({ feedLimit: 5 });
const day = (d: number) => `2024-05-${String(d).padStart(2, '0')}T00:00:00Z`;

function events(store: Store, bucket: string, s: Settings = settings) {
  return {
    put: async (key: string, body: string) => {
      await store.put(key, body);
      return handle(s3Event(bucket, [key]), { storeFor: () => store, settings: s, log: silentLogger });
    },
    del: async (key: string) => {
      await store.delete(key);
      return handle(s3Event(bucket, [key], 'ObjectRemoved:Delete'), { storeFor: () => store, settings: s, log: silentLogger });
    },
  };
}

const readError = async (store: Store, key: string) => {
  const o = await store.get(errorKey(key));
  return o ? (JSON.parse(Buffer.from(o.body).toString()) as { key: string; reason: string }) : null;
};

/** The bucket is what a full rebuild makes of it: nothing to write, the state the same. */
async function settled(store: Store, s: Settings = settings) {
  const before = await bucketState(store);
  expect(lagging(before)).toEqual([]);
  const r = await rebuild({ store, settings: s, log: silentLogger });
  expect({ written: r.written, deleted: r.deleted }).toEqual({ written: [], deleted: [] });
  expect(diffStates(await bucketState(store, before), before)).toEqual([]);
}

describe('keys too long for S3', () => {
  it('rejects a key whose page key would pass 1,024 bytes, and a category path too deep, without blocking the others', async () => {
    const bucket = 'long';
    const store = await s3.createBucket(bucket);
    const long = `content/${Array.from({ length: 5 }, () => '长'.repeat(66) + 'x').join('/')}.md`; // 1,008 bytes; its page key 1,024+
    expect(Buffer.byteLength(long)).toBeLessThanOrEqual(1024);
    const deep = Array.from({ length: 8 }, (_, i) => `${'深'.repeat(55)}${i}`);
    await store.put(long, article({ title: 'Long', date: day(1), categories: ['A'] }));
    await store.put('content/deep.md', article({ title: 'Deep', date: day(2), categories: deep }));
    await store.put('content/fine.md', article({ title: 'Fine', date: day(3), categories: ['A'] }));
    const res = await handle(s3Event(bucket, [long, 'content/deep.md', 'content/fine.md']), { storeFor: () => store, settings, log: silentLogger });
    expect(res.action === 'sync' && res.outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected', 'published']);
    expect((await readError(store, long))!.reason).toMatch(/key too long: .* over S3's limit of 1024 bytes/);
    expect((await readError(store, 'content/deep.md'))!.reason).toMatch(/category path too long/);
    expect(errorKey(long).length).toBeLessThan(64);
    expect(titles(await jsonFeed(store))).toEqual(['Fine']);
    await settled(store);
    // Deleted: the error record goes too.
    await events(store, bucket).del(long);
    expect(await readError(store, long)).toBeNull();
    await settled(store);
  });

  it('rejects an article whose permalink page or asset copy would pass 1,024 bytes, the same in the rebuild', async () => {
    const seg = 'p'.repeat(200);
    const permalink = `/${Array.from({ length: 5 }, () => seg).join('/')}xyz/`; // its page key: public/ (7) + 1,007 + /index.html (11) = 1,025 bytes
    const asset = `${Array.from({ length: 5 }, () => seg).join('/')}.png`; // content/ + 1,008 bytes; its copy under public/articles/img/ (20 bytes): 1,028
    const files: [string, string][] = [
      ['content/perma.md', `---\ntitle: Perma\ndate: ${day(4)}\npermalink: ${permalink}\n---\n\nbody\n`],
      ['content/img.md', `---\ntitle: Img\ndate: ${day(5)}\n---\n\n![pic](${asset})\n`],
      ['content/fine.md', article({ title: 'Fine', date: day(6), categories: ['A'] })],
    ];
    expect(Buffer.byteLength(`content/${asset}`)).toBeLessThanOrEqual(1024);
    const reasons = async (store: Store) => Promise.all(files.map(async ([k]) => (await readError(store, k))?.reason ?? null));

    const store = await s3.createBucket('long-public');
    for (const [k, body] of files) await store.put(k, body);
    const res = await handle(s3Event('long-public', files.map(([k]) => k)), { storeFor: () => store, settings, log: silentLogger });
    expect(res.action === 'sync' && res.outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected', 'published']);
    const incremental = await reasons(store);
    expect(incremental[0]).toMatch(/key too long: the article's page "public\/p+.*" would be 1025 bytes, over S3's limit of 1024 bytes; shorten its permalink/);
    expect(incremental[1]).toMatch(/key too long: the article's copy of the asset it links .* would be 1028 bytes, over S3's limit of 1024 bytes/);
    expect(incremental[2]).toBeNull();
    expect([...(await bucketState(store)).public.keys()].filter((k) => k.includes('ppp'))).toEqual([]);
    expect(titles(await jsonFeed(store))).toEqual(['Fine']);
    await settled(store);

    // A fresh bucket with the same objects, rebuilt only: the same verdicts.
    const fresh = await s3.createBucket('long-public-rebuild');
    for (const [k, body] of files) await fresh.put(k, body);
    await rebuild({ store: fresh, settings, log: silentLogger });
    expect(await reasons(fresh)).toEqual(incremental);
    expect(new Map([...(await bucketState(fresh)).public].sort())).toEqual(new Map([...(await bucketState(store)).public].sort()));
  });
});

describe('duplicate ids', () => {
  it('publishes the first extension in order (.md before .html), records the other, promotes it when the winner goes', async () => {
    for (const order of [['md', 'html'], ['html', 'md']] as const) {
      const bucket = `dup-${order[0]}`;
      const store = await s3.createBucket(bucket);
      const ev = events(store, bucket);
      for (const ext of order) await ev.put(`content/dup/x.${ext}`, article({ title: `X ${ext}`, date: day(4), categories: ['Dup'] }));
      expect(titles(await jsonFeed(store))).toEqual(['X md']);
      expect((await readError(store, 'content/dup/x.html'))!.reason).toMatch(/duplicate id "dup\/x": content\/dup\/x\.md has the same id/);
      expect(await readError(store, 'content/dup/x.md')).toBeNull();
      await settled(store);
      // A third key of the same id, upper case: .md still ranks it first, then by key (X.MD < x.md).
      await ev.put('content/dup/x.MD', article({ title: 'X MD', date: day(5), categories: ['Dup'] }));
      expect(titles(await jsonFeed(store))).toEqual(['X MD']);
      expect((await readError(store, 'content/dup/x.md'))!.reason).toMatch(/content\/dup\/x\.MD/);
      await settled(store);
      await ev.del('content/dup/x.MD');
      await ev.del('content/dup/x.md'); // the winner goes: x.html is promoted
      expect(titles(await jsonFeed(store))).toEqual(['X html']);
      expect(await readError(store, 'content/dup/x.html')).toBeNull();
      expect(await readError(store, 'content/dup/x.md')).toBeNull();
      await settled(store);
      await ev.put('content/dup/x.md', article({ title: 'X md', date: day(4), categories: ['Dup'] }));
      await ev.del('content/dup/x.html'); // the loser goes: its record too
      expect(await readError(store, 'content/dup/x.html')).toBeNull();
      expect(titles(await jsonFeed(store))).toEqual(['X md']);
      await settled(store);
    }
  });
});

describe('an article without a date', () => {
  it('keeps the time it was first seen across identical and changed re-uploads and rebuilds', async () => {
    const bucket = 'dateless';
    const store = await s3.createBucket(bucket);
    const ev = events(store, bucket);
    const body = '---\ntitle: No date\ndate: Invalid Date\ncategories: [Misc]\n---\n\nbody\n';
    await ev.put('content/nodate.md', body);
    // Make "first seen" long ago, as if uploaded in 2020: a rebuild must take it from the record.
    const rec = JSON.parse(Buffer.from((await store.get(recordKey('nodate')))!.body).toString()) as Record<string, unknown>;
    await store.put(recordKey('nodate'), JSON.stringify({ ...rec, firstSeen: '2020-01-01T00:00:00.000Z' }));
    await rebuild({ store, settings, log: silentLogger });
    const date = async () => (await jsonFeed(store))!.items[0]!.date_published;
    expect(await date()).toBe('2020-01-01T00:00:00.000Z');
    // The same bytes again (a new LastModified): nothing changes, and a rebuild agrees.
    const counted = new FaultStore(store);
    await store.put('content/nodate.md', body);
    await handle(s3Event(bucket, ['content/nodate.md']), { storeFor: () => counted, settings, log: silentLogger });
    expect(counted.requests.filter((r) => r.op === 'PUT' && r.key.startsWith('public/'))).toEqual([]);
    await settled(store);
    // Other bytes, still no date: the first-seen time stays.
    await ev.put('content/nodate.md', body.replace('body', 'other body'));
    expect(await date()).toBe('2020-01-01T00:00:00.000Z');
    await settled(store);
  });
});

describe('an oversized object', () => {
  it('is rejected from its size, never downloaded, in the incremental path and in the rebuild', async () => {
    const bucket = 'big';
    const store = await s3.createBucket(bucket);
    const small = settingsFor({ feedLimit: 5, maxArticleBytes: 4096 });
    const big = article({ title: 'Big', date: day(6), body: 'x'.repeat(12 * 1024) });
    await store.put('content/big.md', big);
    const counted = new FaultStore(store);
    const res = await handle(s3Event(bucket, ['content/big.md']), { storeFor: () => counted, settings: small, log: silentLogger });
    expect(res.action === 'sync' && res.outcomes[0]!.status).toBe('rejected');
    expect((await readError(store, 'content/big.md'))!.reason).toMatch(/over the limit of 4096 bytes/);
    expect(counted.requests.filter((r) => r.key === 'content/big.md' && r.op === 'GET')).toEqual([]);
    expect(counted.bytesIn).toBeLessThan(4096);
    const rebuilt = new FaultStore(store);
    const r = await rebuild({ store: rebuilt, settings: small, log: silentLogger });
    expect(r.rejected).toBe(1);
    expect(rebuilt.requests.filter((q) => q.key === 'content/big.md' && q.op === 'GET')).toEqual([]);
    await settled(store, small);
  });
});

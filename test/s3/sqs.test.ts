// An SQS batch (S3 notifications as message bodies) applied by ONE invocation: every node's state
// and files written once for the whole batch, terminal verdicts recorded and acknowledged, and only
// the message whose key hit a retriable failure reported in batchItemFailures.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handle } from '../../src/lambda/handler.js';
import { rebuild } from '../../src/lambda/rebuild.js';
import { encodeEventKey } from '../../src/lambda/s3-events.js';
import { desiredKey, errorKey, observedKey, partitionKey } from '../../src/lambda/state.js';
import { silentLogger } from '../../src/log.js';
import type { Store } from '../../src/store/store.js';
import { FaultStore } from '../helpers/fault-store.js';
import { startS3Server, type TestS3Server } from '../helpers/s3-server.js';
import { article, bucketState, diffStates, jsonFeed, lagging, settingsFor, titles } from './harness.js';

let s3: TestS3Server;
beforeAll(async () => {
  s3 = await startS3Server();
});
afterAll(async () => {
  await s3?.stop();
});

const settings = settingsFor({ feedLimit: 5 });
const CAT = ['Tech', 'Web', 'CSS'];
const day = (d: number) => `2024-04-${String(d).padStart(2, '0')}T00:00:00Z`;

let n = 0;
const message = (bucket: string, keys: string[], eventName = 'ObjectCreated:Put') => ({
  eventSource: 'aws:sqs' as const,
  messageId: `m${++n}`,
  body: JSON.stringify({ Records: keys.map((key) => ({ eventName, s3: { bucket: { name: bucket }, object: { key: encodeEventKey(key) } } })) }),
});

/** A store whose reads of one key fail like an S3 outage would: a retriable failure for that key only. */
class FlakyKey extends FaultStore {
  constructor(inner: Store, readonly poison: string) {
    super(inner);
  }
  override getCapped(key: string, max: number) {
    if (key === this.poison) return Promise.reject(new Error(`InternalError: We encountered an internal error reading ${key}`));
    return super.getCapped(key, max);
  }
}

describe('an SQS batch', () => {
  it('is applied in one invocation, each node written once; the poison message alone is retried', async () => {
    const bucket = 'sqs';
    const store = await s3.createBucket(bucket);
    for (let i = 1; i <= 6; i++) await store.put(`content/old${i}.md`, article({ title: `Old ${i}`, date: day(i), categories: CAT }));
    await rebuild({ store, settings, log: silentLogger });

    const uploads = Array.from({ length: 6 }, (_, i) => `content/new${i}.md`);
    for (const [i, k] of uploads.entries()) await store.put(k, article({ title: `New ${i}`, date: day(10 + i), categories: CAT }));
    await store.delete('content/old5.md');
    await store.delete('content/old6.md');
    await store.put('content/broken.md', '---\ntitle: [unclosed\n---\nbody\n');
    const long = `content/${Array.from({ length: 5 }, () => 'l'.repeat(200)).join('/')}.md`; // 1,015 bytes: its page key would be 1,031
    await store.put(long, article({ title: 'Long', date: day(3), categories: CAT }));
    await store.put('content/dup/x.md', article({ title: 'X md', date: day(4), categories: CAT }));
    await store.put('content/dup/x.html', article({ title: 'X html', date: day(4), categories: CAT }));
    await store.put('content/poison.md', article({ title: 'Poison', date: day(20), categories: CAT }));

    const poison = message(bucket, ['content/poison.md']);
    const records = [
      message(bucket, uploads.slice(0, 3)),
      message(bucket, uploads.slice(3)),
      message(bucket, ['content/old5.md', 'content/old6.md'], 'ObjectRemoved:Delete'),
      poison,
      message(bucket, ['content/broken.md']),
      message(bucket, [long]),
      message(bucket, ['content/dup/x.html', 'content/dup/x.md']),
      { eventSource: 'aws:sqs' as const, messageId: 'not-json', body: '{oops' },
      { eventSource: 'aws:sqs' as const, messageId: 'test-event', body: JSON.stringify({ Service: 'Amazon S3', Event: 's3:TestEvent', Bucket: bucket }) },
    ];
    const flaky = new FlakyKey(store, 'content/poison.md');
    const res = await handle({ Records: records }, { storeFor: () => flaky, settings, log: silentLogger });
    expect(res.action === 'sync' && res.batchItemFailures).toEqual([{ itemIdentifier: poison.messageId }]);

    // Each node of the batch: its partition, desired and observed state and each file written once.
    const puts = new Map<string, number>();
    for (const r of flaky.requests) if (r.op === 'PUT' && r.result === 'ok') puts.set(r.key, (puts.get(r.key) ?? 0) + 1);
    const nodes = [[], ['Tech'], ['Tech', 'Web'], CAT];
    for (const p of nodes) {
      expect(puts.get(desiredKey(p)), JSON.stringify(p)).toBe(1);
      expect(puts.get(observedKey(p)), JSON.stringify(p)).toBe(1);
      expect(puts.get(partitionKey(p, '2024-04')), JSON.stringify(p)).toBe(1);
    }
    const publicPuts = [...puts].filter(([k]) => k.startsWith('public/') && !k.startsWith('public/articles/'));
    expect(publicPuts.filter(([, c]) => c > 1)).toEqual([]);
    console.log(`SQS batch of ${records.length} messages (${flaky.count} requests): ${publicPuts.length} node files written once each`);

    // Terminal verdicts: recorded, acknowledged.
    const err = async (k: string) => JSON.parse(Buffer.from((await store.get(errorKey(k)))!.body).toString()) as { reason: string };
    expect((await err('content/broken.md')).reason).toMatch(/YAML/);
    expect((await err(long)).reason).toMatch(/key too long/);
    expect((await err('content/dup/x.html')).reason).toMatch(/duplicate id "dup\/x": content\/dup\/x.md/);
    expect(await store.get(errorKey('content/dup/x.md'))).toBeNull();
    expect(titles(await jsonFeed(store, 'categories/tech/web/css/'))).toEqual(['New 5', 'New 4', 'New 3', 'New 2', 'New 1']);
    expect(titles(await jsonFeed(store))).not.toContain('Poison');

    // The poison message comes back and goes through; then the bucket is what a rebuild makes.
    const again = await handle({ Records: [poison] }, { storeFor: () => store, settings, log: silentLogger });
    expect(again.action === 'sync' && again.batchItemFailures).toEqual([]);
    expect(titles(await jsonFeed(store))![0]).toBe('Poison');
    const incremental = await bucketState(store);
    expect(lagging(incremental)).toEqual([]);
    const r = await rebuild({ store, settings, log: silentLogger });
    expect({ written: r.written, deleted: r.deleted }).toEqual({ written: [], deleted: [] });
    expect(diffStates(await bucketState(store, incremental), incremental)).toEqual([]);
  });

  it('of large articles is split by their sizes into batches run one after the other, with the same result', async () => {
    const bucket = 'sqs-sized';
    const store = await s3.createBucket(bucket);
    const keys = Array.from({ length: 7 }, (_, i) => `content/big${i}.md`);
    const bodies = keys.map((_, i) => article({ title: `Big ${i}`, date: day(1 + i), categories: i % 2 ? CAT : ['News'], body: 'x'.repeat(900) }));
    for (const [i, k] of keys.entries()) await store.put(k, bodies[i]!);
    // Sizes as S3 puts them in the notification; a budget of 2,500 bytes takes two or three articles per batch.
    const sized = keys.map((k, i) => ({
      eventSource: 'aws:sqs' as const,
      messageId: `sized${i}`,
      body: JSON.stringify({ Records: [{ eventName: 'ObjectCreated:Put', s3: { bucket: { name: bucket }, object: { key: encodeEventKey(k), size: Buffer.byteLength(bodies[i]!) } } }] }),
    }));
    const counted = new FaultStore(store);
    const res = await handle({ Records: sized }, { storeFor: () => counted, settings, log: silentLogger, batchBytes: 2500 });
    expect(res.action === 'sync' && res.batchItemFailures).toEqual([]);
    const markers = counted.requests.filter((r) => r.op === 'PUT' && r.key.startsWith('state/pending/')).length;
    // Each article is 950 to 1,000 bytes: two per batch, so four batches (one intent marker each).
    expect(bodies.map((b) => Buffer.byteLength(b)).every((n) => n > 2500 / 3 && n <= 2500 / 2)).toBe(true);
    expect(markers).toBe(4);
    expect(titles(await jsonFeed(store, 'categories/news/'))).toEqual(['Big 6', 'Big 4', 'Big 2', 'Big 0']);
    const incremental = await bucketState(store);
    expect(lagging(incremental)).toEqual([]);
    const r = await rebuild({ store, settings, log: silentLogger });
    expect({ written: r.written, deleted: r.deleted }).toEqual({ written: [], deleted: [] });
    expect(diffStates(await bucketState(store, incremental), incremental)).toEqual([]);
    // Without sizes (or within the budget) it is one batch.
    const once = new FaultStore(store);
    await handle({ Records: keys.map((k) => message(bucket, [k])) }, { storeFor: () => once, settings, log: silentLogger, batchBytes: 2500 });
    expect(once.requests.filter((r) => r.op === 'PUT' && r.key.startsWith('state/pending/')).length).toBe(1);
  });
});

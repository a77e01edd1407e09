// A burst as S3 delivers it at its worst: 60 uploads, every event delivered twice (forward and
// reverse order), all 120 invocations at once against the local S3 server. None may give up, and
// the result must be what a full rebuild makes. Reports the 412 answers and requests per delivery.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handle } from '../../src/lambda/handler.js';
import { rebuild } from '../../src/lambda/rebuild.js';
import { silentLogger } from '../../src/log.js';
import { mapLimit } from '../../src/lambda/nodes.js';
import { FaultStore } from '../helpers/fault-store.js';
import { startS3Server, type TestS3Server } from '../helpers/s3-server.js';
import { article, bucketState, diffStates, lagging, s3Event, settingsFor } from './harness.js';

let s3: TestS3Server;
beforeAll(async () => {
  s3 = await startS3Server();
});
afterAll(async () => {
  await s3?.stop();
});

const CATS = [
  ['Burst', 'Hot', 'One'],
  ['Burst', 'Hot', 'Two'],
  ['Burst', 'Cold'],
];

describe('a burst of 120 concurrent deliveries', () => {
  it('60 uploads, each delivered twice, forward and reverse: no give-ups, equal to a rebuild', { timeout: 600_000 }, async () => {
    const store = await s3.createBucket('burst120');
    const settings = settingsFor({ feedLimit: 10 });
    const keys = Array.from({ length: 60 }, (_, i) => `content/burst/p${String(i).padStart(2, '0')}.md`);
    await mapLimit(keys, 16, (k, i) =>
      store.put(k, article({ title: `P${i}`, date: new Date(Date.UTC(2024, 1 + (i % 3), 1 + (i % 27), i % 24)).toISOString(), categories: CATS[i % CATS.length]! })),
    );
    const deliveries = [...keys, ...[...keys].reverse()];
    const stores = deliveries.map(() => new FaultStore(store));
    const results = await Promise.allSettled(
      deliveries.map((k, i) => handle(s3Event('burst120', [k]), { storeFor: () => stores[i]!, settings, log: silentLogger })),
    );
    const gaveUp = results.filter((r) => r.status === 'rejected');
    const requests = stores.reduce((a, s) => a + s.count, 0);
    const p412 = stores.reduce((a, s) => a + s.preconditionFailed, 0);
    const most = Math.max(...stores.map((s) => s.count));
    console.log(
      `burst: 120 deliveries, ${gaveUp.length} gave up, ${p412} answers 412, ${requests} requests (${(requests / 120).toFixed(1)} per delivery, at most ${most})`,
    );
    const hot = new Map<string, number>();
    for (const s of stores) for (const q of s.requests) if (q.result === '412') hot.set(q.key, (hot.get(q.key) ?? 0) + 1);
    const kinds = new Map<string, number>();
    for (const s of stores)
      for (const q of s.requests) {
        const k = `${q.op} ${q.key.replace(/^(state\/[a-z]+\/)[0-9a-f]+\/.*/, '$1<h>/<m>').replace(/^(state\/[a-z]+\/).*/, '$1*').replace(/^public\/.*/, 'public/*')}`;
        kinds.set(k, (kinds.get(k) ?? 0) + 1);
      }
    console.log(`requests by kind: ${[...kinds].sort((a, b) => b[1] - a[1]).map(([k, c]) => `${k} ${c}`).join(', ')}`);
    console.log(`412s by key: ${[...hot].sort((a, b) => b[1] - a[1]).slice(0, 8).map(([k, c]) => `${k} ${c}`).join(', ')}`);
    expect([...new Set(gaveUp.map((r) => String((r as PromiseRejectedResult).reason?.message).slice(0, 200)))]).toEqual([]);

    const incremental = await bucketState(store);
    expect(lagging(incremental)).toEqual([]);
    expect([...incremental.state.keys()].filter((k) => k.startsWith('state/pending/'))).toEqual([]);
    const r = await rebuild({ store, settings, log: silentLogger });
    expect(r.written).toEqual([]);
    expect(r.deleted).toEqual([]);
    expect(diffStates(await bucketState(store, incremental), incremental)).toEqual([]);
    const site = JSON.parse(Buffer.from((await store.get('public/feed.json'))!.body).toString()) as { items: unknown[] };
    expect(site.items).toHaveLength(10);
  });
});

// 50 uploads into the same category, processed by 50 concurrent handler invocations: no lost updates.
// The local server enforces If-Match / If-None-Match like S3 (test/helpers/s3-server.ts); run with
// SYNDIC_TEST_NO_CONDITIONAL=1 to watch this test fail without them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startS3Server, type TestS3Server } from '../helpers/s3-server.js';
import { article, jsonFeed, runner, settingsFor, snapshot } from './harness.js';

let s3: TestS3Server;
beforeAll(async () => {
  s3 = await startS3Server({ conditional: !process.env.SYNDIC_TEST_NO_CONDITIONAL });
});
afterAll(async () => {
  await s3?.stop();
});

describe('concurrent invocations', () => {
  it('publishes every one of 50 concurrently processed uploads in the site and category feeds', { timeout: 600_000 }, async () => {
    const store = await s3.createBucket('burst');
    const run = runner(store, 'burst', settingsFor({ feedLimit: 60 }));
    const keys = Array.from({ length: 50 }, (_, i) => `content/burst/p${String(i).padStart(2, '0')}.md`);
    await Promise.all(
      keys.map((k, i) =>
        store.put(k, article({ title: `P${i}`, date: `2024-02-${String((i % 28) + 1).padStart(2, '0')}T${String(i % 24).padStart(2, '0')}:00:00Z`, categories: ['Burst', i % 2 ? 'Odd' : 'Even'] })),
      ),
    );
    await Promise.all(keys.map((k) => run.event(k)));
    const expected = keys.map((_, i) => `P${i}`).sort();
    expect((await jsonFeed(store))!.items.map((i) => i.title).sort()).toEqual(expected);
    expect((await jsonFeed(store, 'categories/burst/'))!.items.map((i) => i.title).sort()).toEqual(expected);
    expect((await jsonFeed(store, 'categories/burst/odd/'))!.items).toHaveLength(25);
    expect((await jsonFeed(store, 'categories/burst/even/'))!.items).toHaveLength(25);
    // And byte for byte what a full rebuild makes.
    const incremental = await snapshot(store);
    const r = await run.rebuild();
    expect(r.written).toEqual([]);
    expect(r.deleted).toEqual([]);
    expect(await snapshot(store)).toEqual(incremental);
  });
});

// A slug move whose moved render finds the node not renderable (a top entry at another version: an
// edit of a member died after writing its record, before its partitions, and a delete then refilled
// the top with the member's old version). The mover's render returns without rendering; the edit's
// retry renders the node later, but as an ordinary render, which checks member pages only when
// `pages` was recorded before. A node made by uploads never recorded `pages`: the other members'
// pages must still be redone at the new slugs (nodes.ts renderNode, `moved`), as a rebuild makes them.
// Sequential, parallel 1, the crash placed by key (test/helpers/fault-store.ts): deterministic.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handle } from '../../src/lambda/handler.js';
import { rebuild } from '../../src/lambda/rebuild.js';
import { observedKey, readJson, type NodeObserved } from '../../src/lambda/state.js';
import { silentLogger } from '../../src/log.js';
import type { Store } from '../../src/store/store.js';
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

const settings = settingsFor({ feedLimit: 3 });
const RUST = ['Tech', 'Rust'];
const r = (i: number, title = `R${i}`) => article({ title, date: `2024-0${5 - i}-10T00:00:00Z`, categories: RUST });

/**
 * Tech › Rust with r1 (newest) … r4 (oldest), its top r1, r2, r3; made by a rebuild (`pages`
 * recorded) or by an upload, as in an import (never checked: no `pages`). Then r4 is edited and its
 * invocation dies at its first partition write (its record is written), and r1 is deleted: Rust's top
 * refills with r4 at the version its partition names, not its record's: not renderable.
 */
async function unrenderable(bucket: string, madeBy: 'rebuild' | 'upload') {
  const store = await s3.createBucket(bucket);
  const invoke = (s: Store, keys: string[], eventName?: string) => handle(s3Event(bucket, keys, eventName), { storeFor: () => s, settings, log: silentLogger, parallel: 1 });
  await store.put('content/t0.md', article({ title: 'T0', date: '2023-06-01T00:00:00Z', categories: ['Tech'] }));
  if (madeBy === 'rebuild') for (let i = 1; i <= 4; i++) await store.put(`content/r${i}.md`, r(i));
  await rebuild({ store, settings, log: silentLogger });
  if (madeBy === 'upload') {
    for (let i = 1; i <= 4; i++) await store.put(`content/r${i}.md`, r(i));
    await invoke(store, [1, 2, 3, 4].map((i) => `content/r${i}.md`));
  }
  expect((await readJson<NodeObserved>(store, observedKey(RUST))).value?.pages).toEqual(madeBy === 'rebuild' ? '["tech","rust"]' : undefined);

  await store.put('content/r4.md', r(4, 'R4 edited'));
    const dying = new FaultStore(store);
    dying.before = async (_i, op, key) => {
      if (op === 'PUT' && key.startsWith('state/nodes/')) dying.dead = true;
    };
  await expect(invoke(dying, ['content/r4.md'])).rejects.toThrow();
  expect(dying.requests.some((q) => q.op === 'PUT' && q.key === 'state/articles/r4.json' && q.result === 'ok')).toBe(true);
  await store.delete('content/r1.md');
  await invoke(store, ['content/r1.md'], 'ObjectRemoved:Delete');
  return {
    store,
    invoke,
    /** A sibling 'RUST' comes (collides with 'Rust': Rust's slug moves, rendered as moved) or goes (moves back). */
    sibling: async (comes: boolean) => {
      if (comes) await store.put('content/rr.md', article({ title: 'RR', date: '2023-07-01T00:00:00Z', categories: ['Tech', 'RUST'] }));
      else await store.delete('content/rr.md');
      await invoke(store, ['content/rr.md'], comes ? undefined : 'ObjectRemoved:Delete');
    },
    /** The edit's retry: fills the top and renders Rust (an ordinary render of a node it folded); then the bucket must equal a rebuild. */
    async finish() {
      await invoke(store, ['content/r4.md']);
      const got = await bucketState(store);
      expect(lagging(got)).toEqual([]);
      const res = await rebuild({ store, settings, log: silentLogger });
      expect(diffStates(await bucketState(store, got), got)).toEqual([]);
      // r2's and r3's pages link Rust at its current slug, as the rebuild writes them.
      expect(res.written).toEqual([]);
    },
  };
}

describe('a moved render that finds its node not renderable', () => {
  it('still has the members’ pages redone at the new slugs (a node never checked)', { timeout: 120_000 }, async () => {
    const b = await unrenderable('moved-unrenderable', 'upload');
    await b.sibling(true);
    await b.finish();
  });

  it('and records where: moved and moved back before the top is filled, the pages follow (a node checked by a rebuild)', { timeout: 120_000 }, async () => {
    const b = await unrenderable('moved-back-unrenderable', 'rebuild');
    await b.sibling(true);
    await b.sibling(false);
    await b.finish();
  });
});

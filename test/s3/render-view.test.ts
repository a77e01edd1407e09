// A node rendered by two invocations with different trees: the one holding the older tree (the one it
// wrote before another invocation wrote newer counts and rendered first) must not replace the newer
// view. Found by the bulk-import bench (bench/bulk-import.ts): a parent page kept its children's old
// counts. Reproduced here deterministically by handing renderNode the older tree at attempt 0.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newEffects, renderNode } from '../../src/lambda/nodes.js';
import { rebuild } from '../../src/lambda/rebuild.js';
import { readJson, TREE_KEY, type TreeState } from '../../src/lambda/state.js';
import { silentLogger } from '../../src/log.js';
import { startS3Server, type TestS3Server } from '../helpers/s3-server.js';
import { article, bucketState, runner, settingsFor } from './harness.js';

let s3: TestS3Server;
beforeAll(async () => {
  s3 = await startS3Server();
});
afterAll(async () => {
  await s3?.stop();
});

describe('rendering a node with an older tree than its last render', () => {
  it('keeps the newer view: the parent page shows the newest child counts, as a rebuild does', { timeout: 120_000 }, async () => {
    const settings = settingsFor({ feedLimit: 5 });
    const store = await s3.createBucket('render-view');
    const run = runner(store, 'render-view', settings);
    await run.upload('content/a.md', article({ title: 'A', date: '2024-03-01T00:00:00Z', categories: ['Parent', 'Child'] }));
    const older = (await readJson<TreeState>(store, TREE_KEY)).value!;
    await run.upload('content/b.md', article({ title: 'B', date: '2024-03-02T00:00:00Z', categories: ['Parent', 'Child'] }));
    const before = await bucketState(store);

    // The late invocation: attempt 0 gets the tree it wrote before B's; later attempts read it.
    const ctx = { store, settings, log: silentLogger, parallel: 4, effects: newEffects() };
    const tree = async (attempt: number) => (attempt === 0 ? older : (await readJson<TreeState>(store, TREE_KEY)).value!);
    await renderNode(ctx, ['Parent'], null, tree, { checkMemberPages: async () => {} });
    expect([...ctx.effects.written]).toEqual([]);
    expect((await bucketState(store)).public).toEqual(before.public);

    const r = await rebuild({ store, settings, log: silentLogger });
    expect({ written: r.written, deleted: r.deleted }).toEqual({ written: [], deleted: [] });
  });
});

// A rebuild while uploads, edits and deletes keep coming: none of them is lost, no deleted article
// comes back, and the end state is what a fresh rebuild makes. The 30 changes are interleaved with
// the rebuild's steps deterministically (before the epoch opens, before the listing, mid-map, as the
// reduce starts, while it writes node states, just before its last look at raced keys, just before it closes) (a store wrapper pauses the rebuild at chosen requests and
// runs a few changes, each with its own invocation), and separately all at once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handle } from '../../src/lambda/handler.js';
import { rebuild } from '../../src/lambda/rebuild.js';
import { recordKey } from '../../src/lambda/state.js';
import { silentLogger } from '../../src/log.js';
import type { Store } from '../../src/store/store.js';
import { FaultStore, type Op } from '../helpers/fault-store.js';
import { startS3Server, type TestS3Server } from '../helpers/s3-server.js';
import { article, bucketState, diffStates, jsonFeed, lagging, s3Event, settingsFor } from './harness.js';

let s3: TestS3Server;
beforeAll(async () => {
  s3 = await startS3Server();
});
afterAll(async () => {
  await s3?.stop();
});

const settings = settingsFor({ feedLimit: 4 });
const CATS = [['Tech', 'Web', 'CSS'], ['Tech', 'Go'], ['News'], ['Tech', 'Web']];
const day = (i: number) => new Date(Date.UTC(2024, 0, 1) + i * 86400_000).toISOString();

interface Change {
  key: string;
  /** null: deleted */
  title: string | null;
  apply: (s: Store) => Promise<unknown>;
}

function changes(): Change[] {
  const out: Change[] = [];
  for (let i = 0; i < 10; i++) {
    const key = `content/up${i}.md`;
    const title = `Up ${i}`;
    out.push({ key, title, apply: (s) => s.put(key, article({ title, date: day(40 + i), categories: CATS[i % 4]! })) });
  }
  for (let i = 0; i < 10; i++) {
    const key = `content/s${i}.md`;
    const title = `S${i} edited`;
    // Edits move some articles to other categories and other months.
    out.push({ key, title, apply: (s) => s.put(key, article({ title, date: day(i * 7), categories: CATS[(i + 1) % 4]! })) });
  }
  for (let i = 10; i < 20; i++) {
    const key = `content/s${i}.md`;
    out.push({ key, title: null, apply: (s) => s.delete(key) });
  }
  // Interleave kinds so every gate sees uploads, edits and deletes.
  return Array.from({ length: 30 }, (_, i) => out[(i % 3) * 10 + Math.floor(i / 3)]!);
}

async function seeded(name: string) {
  const store = await s3.createBucket(name);
  for (let i = 0; i < 20; i++) await store.put(`content/s${i}.md`, article({ title: `S${i}`, date: day(i * 3), categories: CATS[i % 4]! }));
  await rebuild({ store, settings, log: silentLogger });
  return store;
}

const deliver = (store: Store, bucket: string, c: Change) =>
  c.apply(store).then(() => handle(s3Event(bucket, [c.key], c.title ? 'ObjectCreated:Put' : 'ObjectRemoved:Delete'), { storeFor: () => store, settings, log: silentLogger }));

/** Every change is in place: latest titles published with their pages, deleted ones gone everywhere. */
async function checkNoneLost(store: Store, all: Change[]) {
  const site = (await jsonFeed(store))!;
  const problems: string[] = [];
  const allTitles = new Set<string>();
  for (const dir of ['', 'categories/tech/', 'categories/tech/web/', 'categories/tech/web/css/', 'categories/tech/go/', 'categories/news/']) {
    for (const i of (await jsonFeed(store, dir))?.items ?? []) allTitles.add(i.title);
  }
  for (const c of all) {
    const id = c.key.slice('content/'.length, -3);
    const page = await store.get(`public/articles/${id}/index.html`);
    const rec = await store.get(recordKey(id));
    const status = rec ? (JSON.parse(Buffer.from(rec.body).toString()) as { status: string; entry?: { title: string } }) : null;
    if (c.title) {
      if (!page || !Buffer.from(page.body).toString().includes(c.title)) problems.push(`lost: ${c.key} (page)`);
      if (status?.status !== 'published' || status.entry?.title !== c.title) problems.push(`lost: ${c.key} (record)`);
    } else {
      if (page) problems.push(`resurrected: ${c.key} (page)`);
      if (status && status.status !== 'deleted') problems.push(`resurrected: ${c.key} (record)`);
      if (allTitles.has(`S${id.slice(1)}`)) problems.push(`resurrected: ${c.key} (in a feed)`);
    }
  }
  expect(site.items.length).toBe(4);
  return problems;
}

async function equalsFreshRebuild(store: Store) {
  const before = await bucketState(store);
  expect(lagging(before)).toEqual([]);
  const r = await rebuild({ store, settings, log: silentLogger });
  expect({ written: r.written, deleted: r.deleted }).toEqual({ written: [], deleted: [] });
  expect(diffStates(await bucketState(store, before), before)).toEqual([]);
}

describe('a rebuild racing 30 uploads, edits and deletes', () => {
  it('interleaved at seven points of the rebuild: 0 lost, 0 resurrected, equal to a fresh rebuild', { timeout: 600_000 }, async () => {
    const bucket = 'race-gated';
    const store = await seeded(bucket);
    const todo = changes();
    const all = [...todo];
    const gated = new FaultStore(store);
    let listedContent = 0;
    let nodeWrites = 0;
    let racedLists = 0;
    let epochWrites = 0;
    const gates: ((op: Op, key: string, i: number) => boolean)[] = [
      (_op, _key, i) => i === 0, // before the epoch opens
      (op, key) => op === 'LIST' && key === 'content/' && ++listedContent === 1, // epoch open, listing not yet made
      (op, key) => op === 'GET' && key === 'state/articles/s5.json', // in the middle of the map
      (op, key) => op === 'LIST' && key.includes('/batches/'), // the reduce starts
      (op, key) => op === 'PUT' && key.startsWith('state/nodes/') && ++nodeWrites === 3, // while it writes node states
      (op, key) => op === 'LIST' && key === 'state/rebuild/raced/' && ++racedLists === 2, // its last look at raced keys
      (op, key) => op === 'PUT' && key === 'state/rebuild/epoch.json' && ++epochWrites === 2, // after that look, before it closes
    ];
    const sizes = [4, 4, 4, 4, 4, 5, 5];
    const fired = new Set<number>();
    gated.before = async (i, op, key) => {
      const g = gates.findIndex((p, n) => !fired.has(n) && p(op, key, i));
      if (g < 0) return;
      fired.add(g);
      for (const c of todo.splice(0, sizes[g]!)) await deliver(store, bucket, c);
    };
    const res = await handle({ action: 'rebuild', bucket }, { storeFor: () => gated, settings, log: silentLogger });
    expect(res.action).toBe('rebuild');
    expect([...fired].sort()).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(todo).toEqual([]);
    console.log(`gated race: ${res.action === 'rebuild' ? res.result.raced : '?'} keys re-reconciled by the reduce`);
    expect(await checkNoneLost(store, all)).toEqual([]);
    await equalsFreshRebuild(store);
  });

  it('all at once: 0 lost, 0 resurrected, equal to a fresh rebuild', { timeout: 600_000 }, async () => {
    const bucket = 'race-free';
    const store = await seeded(bucket);
    const all = changes();
    await Promise.all([rebuild({ store, settings, log: silentLogger }), ...all.map((c) => deliver(store, bucket, c))]);
    expect(await checkNoneLost(store, all)).toEqual([]);
    await equalsFreshRebuild(store);
  });
});

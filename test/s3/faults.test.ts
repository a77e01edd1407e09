// Fault injection around the real handler (test/helpers/fault-store.ts): an upload, an edit, a
// delete, a move and an upload whose permalink takes another article's page, each killed at every request index of its invocation (the request lost before
// it lands, or landed with its answer lost), then (a) retried as Lambda retries (and sometimes the
// retry dies too), or (b) not retried but repaired by `reconcile` alone. Every outcome must equal
// the fault-free run, which must equal a full rebuild: public/ byte for byte, the state normalized.
//
// Crash points are grouped by the bucket they leave (see below); each group gets one recovery,
// alternating, so every index and mode of every scenario is covered by both recoveries across
// neighbouring groups; SYNDIC_FAULT_SWEEP=full runs both recoveries for every group.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handle } from '../../src/lambda/handler.js';
import { silentLogger } from '../../src/log.js';
import type { Store } from '../../src/store/store.js';
import { FaultStore, InjectedFault, type FaultMode } from '../helpers/fault-store.js';
import { startS3Server, type TestS3Server } from '../helpers/s3-server.js';
import { article, bucketState, diffStates, lagging, s3Event, settingsFor } from './harness.js';
import { rebuild } from '../../src/lambda/rebuild.js';
import { prng } from '../../bench/generate.js';

let s3: TestS3Server;
beforeAll(async () => {
  s3 = await startS3Server();
});
afterAll(async () => {
  await s3?.stop();
});

const settings = settingsFor({ feedLimit: 3 });
const CSS = ['Tech', 'Web', 'CSS'];
const BASE: [string, string][] = [
  ['content/a1.md', article({ title: 'A1', date: '2024-01-05T00:00:00Z', categories: CSS })],
  ['content/a2.md', article({ title: 'A2', date: '2024-01-20T00:00:00Z', categories: CSS })],
  ['content/a3.md', article({ title: 'A3', date: '2024-02-03T00:00:00Z', categories: CSS })],
  ['content/a4.md', article({ title: 'A4', date: '2024-02-10T00:00:00Z', categories: CSS })],
  ['content/a5.md', article({ title: 'A5', date: '2024-02-20T00:00:00Z', categories: CSS })],
  ['content/g1.md', article({ title: 'G1', date: '2024-02-12T00:00:00Z', categories: ['Tech', 'Go'] })],
  ['content/n1.md', article({ title: 'N1', date: '2023-12-24T00:00:00Z', categories: ['News'] })],
];

interface Scenario {
  name: string;
  key: string;
  /** All the keys of the event when it names more than `key` (a batch). */
  keys?: string[];
  /** Keys put once and never restored (an error record's time is its object's LastModified). */
  keep?: string[];
  /** Crash points sampled (seeded) unless SYNDIC_FAULT_SWEEP=full; default all. */
  sample?: number;
  /** The object change the event reports. */
  change: (store: Store) => Promise<unknown>;
  /** Members below which a node takes new members in its WHOLE partition (state.ts; default WHOLE_LIMIT). */
  wholeLimit?: number;
  /** Uploads applied incrementally (one batch, fault-free) after the base's rebuild, before the snapshot. */
  prepare?: [string, string][];
}

// Four articles each for News (1 member) and a new category Art, in one batch, as one SQS batch of an
// import: with a WHOLE_LIMIT of 3 the first go to their node's WHOLE partition, the others to months.
const CROSS = [
  ...['2024-03-04', '2023-10-02', '2024-01-15', '2023-12-01'].map((d, i): [string, string] => [`content/c${i + 1}.md`, article({ title: `C${i + 1}`, date: `${d}T00:00:00Z`, categories: ['News'] })]),
  ...['2024-02-29', '2023-09-09', '2024-03-03', '2022-05-05'].map((d, i): [string, string] => [`content/d${i + 1}.md`, article({ title: `D${i + 1}`, date: `${d}T00:00:00Z`, categories: ['Art', 'Paint'] })]),
];

const SCENARIOS: Scenario[] = [
  { name: 'upload', key: 'content/new.md', change: (s) => s.put('content/new.md', article({ title: 'New', date: '2024-03-01T00:00:00Z', categories: CSS })) },
  // The newest article becomes the oldest: it leaves the top of four feeds, which refill from January.
  { name: 'edit', key: 'content/a5.md', change: (s) => s.put('content/a5.md', article({ title: 'A5 edited', date: '2023-11-01T00:00:00Z', categories: CSS })) },
  { name: 'delete', key: 'content/a4.md', change: (s) => s.delete('content/a4.md') },
  // Re-uploaded with other categories: leaves Web and CSS, joins Go.
  { name: 'move', key: 'content/a5.md', change: (s) => s.put('content/a5.md', article({ title: 'A5', date: '2024-02-20T00:00:00Z', categories: ['Tech', 'Go'] })) },
  // A newer article whose permalink names a4's page: it takes the page, a4's key gets an error record (claims.ts).
  {
    name: 'contest',
    key: 'content/squat.md',
    change: (s) => s.put('content/squat.md', `---\ntitle: Squat\ndate: 2024-02-15T00:00:00Z\npermalink: /articles/a4/\ncategories:\n - Tech\n---\n\nSquat body\n`),
  },
  // One SQS batch of 9 ids (ranges.ts: their records, content keys, record guards and page claims
  // are listed by range, not asked per id): five new articles over three months and two categories,
  // an edit leaving the top, a delete, and a duplicate id (a1.html loses to a1.md).
  {
    name: 'batch',
    key: 'content/b1.md',
    keys: ['content/b1.md', 'content/b2.md', 'content/b3.md', 'content/b4.md', 'content/b5.md', 'content/a5.md', 'content/a4.md', 'content/a1.html', 'content/b6.md'],
    sample: 40,
    keep: ['content/a1.html'],
    change: async (s) => {
      for (const [i, d] of ['2024-03-01', '2024-01-11', '2024-02-28', '2023-12-30', '2024-03-02'].entries())
        await s.put(`content/b${i + 1}.md`, article({ title: `B${i + 1}`, date: `${d}T00:00:00Z`, categories: i % 2 ? ['Tech', 'Go'] : CSS }));
      await s.put('content/b6.md', article({ title: 'B6', date: '2024-02-21T00:00:00Z', categories: ['News'] }));
      await s.put('content/a5.md', article({ title: 'A5 edited', date: '2023-11-01T00:00:00Z', categories: CSS }));
      await s.delete('content/a4.md');
      if (!(await s.head('content/a1.html'))) await s.put('content/a1.html', '<html><head><title>A1 html</title></head><body>dup</body></html>');
    },
  },
  // A batch that takes nodes across WHOLE_LIMIT (3 here): News and the new Art and Art › Paint get
  // their first members in their WHOLE partition and the rest in months, in one invocation.
  {
    name: 'cross',
    key: CROSS[0]![0],
    keys: CROSS.map(([k]) => k),
    sample: 40,
    wholeLimit: 3,
    change: async (s) => {
      for (const [k, body] of CROSS) await s.put(k, body);
    },
  },
  // The way back: members leave WHOLE partitions (prepared incrementally: c1, c2 in News's, d1, d2,
  // d3 in Art's and Paint's, the others in months). Deleting the newest of each node refills its top
  // from its WHOLE partition and months; c2 moves to Art (4 members: its month there), d2 gets an
  // older date (stays in its WHOLE partitions), d4 (in months) goes.
  {
    name: 'leave-whole',
    key: 'content/c1.md',
    keys: ['content/c1.md', 'content/c2.md', 'content/d1.md', 'content/d2.md', 'content/d4.md'],
    wholeLimit: 3,
    prepare: CROSS,
    change: async (s) => {
      await s.delete('content/c1.md');
      await s.put('content/c2.md', article({ title: 'C2 moved', date: '2023-10-02T00:00:00Z', categories: ['Art'] }));
      await s.delete('content/d1.md');
      await s.put('content/d2.md', article({ title: 'D2 older', date: '2021-01-01T00:00:00Z', categories: ['Art', 'Paint'] }));
      await s.delete('content/d4.md');
    },
  },
  // A new sibling whose slug collides with Tech › Rust's ('rust'): both get suffixes, so Rust's folder
  // moves and r1's page (which links it) is redone by this invocation, a mover (nodes.ts renderNode,
  // `moved`). Rust was made by an upload (prepared): its pages were never checked, as in an import.
  {
    name: 'collide',
    key: 'content/rr.md',
    prepare: [['content/r1.md', article({ title: 'R1', date: '2024-01-06T00:00:00Z', categories: ['Tech', 'Rust'] })]],
    change: (s) => s.put('content/rr.md', article({ title: 'RR', date: '2024-01-07T00:00:00Z', categories: ['Tech', 'RUST'] })),
  },
  // A refill that must read a WHOLE partition before an older month (prepared: News has c1 and c2
  // in its WHOLE partition, c3 and c4 and n1 in months; its top is c3, c4, c1). Deleting c3 moves
  // c2 (WHOLE, not read by the delete) up, ahead of n1 (December's partition).
  {
    name: 'refill-whole',
    key: 'content/c3.md',
    wholeLimit: 3,
    prepare: [
      ['content/c1.md', article({ title: 'C1', date: '2024-01-10T00:00:00Z', categories: ['News'] })],
      ['content/c2.md', article({ title: 'C2', date: '2023-12-30T00:00:00Z', categories: ['News'] })],
      ['content/c3.md', article({ title: 'C3', date: '2024-03-04T00:00:00Z', categories: ['News'] })],
      ['content/c4.md', article({ title: 'C4', date: '2024-02-20T00:00:00Z', categories: ['News'] })],
    ],
    change: (s) => s.delete('content/c3.md'),
  },
];

type Recovery = 'retry' | 'reconcile';

/** A bucket whose objects can be put back to a snapshot by rewriting only the keys a run touched. */
async function restorable(name: string, sc: Scenario) {
  const store = await s3.createBucket(name);
  for (const [k, body] of BASE) await store.put(k, body);
  await rebuild({ store, settings, log: silentLogger });
  if (sc.prepare) {
    for (const [k, body] of sc.prepare) await store.put(k, body);
    await invoke(store, name, sc.prepare.map(([k]) => k), sc.wholeLimit);
  }
  const snapshot = new Map<string, Uint8Array>();
  for (const o of await store.list('')) snapshot.set(o.key, (await store.get(o.key))!.body);
  const dirty = new Set<string>();
  const stores: FaultStore[] = [];
  return {
    store,
    dirty,
    /** A store for one invocation, optionally with a fault; what it writes is restored later. */
    wrap(fault?: { at: number; mode: FaultMode }) {
      const f = new FaultStore(store, fault);
      stores.push(f);
      return f;
    },
    async restore() {
      for (const f of stores.splice(0)) for (const k of f.touched) dirty.add(k);
      await Promise.all([...dirty].map((k) => (snapshot.has(k) ? store.put(k, snapshot.get(k)!) : store.delete(k))));
      dirty.clear();
    },
  };
}

const invoke = (store: Store, bucket: string, key: string | string[], wholeLimit?: number) =>
  handle(s3Event(bucket, Array.isArray(key) ? key : [key]), { storeFor: () => store, settings, log: silentLogger, parallel: 1, ...(wholeLimit !== undefined ? { wholeLimit } : {}) });
const reconcileWith = (store: Store, bucket: string) =>
  handle({ action: 'reconcile', bucket }, { storeFor: () => store, settings, log: silentLogger, parallel: 1, markerAgeMs: 0 });

describe('an invocation killed at any request', () => {
  for (const [si, sc] of SCENARIOS.entries()) {
    it(`${sc.name}: retried, or reconciled, it converges to the rebuild`, { timeout: 900_000 }, async () => {
      const bucket = `fault-${sc.name}`;
      const b = await restorable(bucket, sc);
      // The fault-free run: its result must be what a full rebuild makes of the same bucket.
      await sc.change(b.store);
      for (const k of sc.keys ?? [sc.key]) if (!sc.keep?.includes(k)) b.dirty.add(k);
      const clean = b.wrap();
      await invoke(clean, bucket, sc.keys ?? sc.key, sc.wholeLimit);
      const n = clean.count;
      // A batch lists its records, their guards and its pages' claims by range (ranges.ts), not per id.
      if (sc.keys && sc.keys.length >= 8) {
        const count = (op: string, prefix: string) => clean.requests.filter((q) => q.op === op && q.key.startsWith(prefix)).length;
        expect(count('LIST', 'state/articles/')).toBeGreaterThanOrEqual(3);
        expect(count('LIST', 'state/pages/')).toBeGreaterThanOrEqual(1);
        expect(count('HEAD', 'state/articles/')).toBeLessThan(3);
        expect(count('HEAD', 'state/pages/')).toBeLessThan(3);
      }
      const expected = await bucketState(b.store);
      expect(lagging(expected)).toEqual([]);
      // Members in WHOLE partitions and in months, side by side (what these scenarios are about).
      if (sc.wholeLimit) {
        const held = (re: RegExp) => [...expected.state].filter(([k, e]) => re.test(k) && (e.raw?.items as unknown[] | undefined)?.length).length;
        expect(held(/^state\/nodes\/[0-9a-f]+\/all\.json$/)).toBeGreaterThanOrEqual(1);
        expect(held(/^state\/nodes\/[0-9a-f]+\/\d{4}-\d{2}\.json$/)).toBeGreaterThanOrEqual(2);
      }
      expect([...expected.state.keys()].filter((k) => k.startsWith('state/pending/'))).toEqual([]);
      const r = await rebuild({ store: b.wrap(), settings, log: silentLogger });
      expect(diffStates(await bucketState(b.store, expected), expected)).toEqual([]);
      expect(r.written).toEqual([]);

      // Crash points that leave the same bucket are one run: a read lost or answered, or a write
      // lost, leave what the writes before it did; a write answered-then-lost leaves it done too.
      // So "the first w writes landed" for w = 0..W covers every (request index, mode).
      const writes = clean.requests.flatMap((q, i) => (q.op === 'PUT' || q.op === 'DELETE' ? [i] : []));
      const states = writes.map((i) => ({ at: i, mode: 'lost' as FaultMode }));
      states.push({ at: writes[writes.length - 1]!, mode: 'answer-lost' });
      const full = process.env.SYNDIC_FAULT_SWEEP === 'full';
      const rand = prng(1000 + si);
      const failures: string[] = [];
      let runs = 0;
      let shifted = 0;
      // A batch has many crash points: a seeded sample of them (plus the first and last) unless full.
      const sampled = sc.sample && !full && states.length > sc.sample ? new Set([0, states.length - 1, ...Array.from({ length: sc.sample }, () => Math.floor(rand() * states.length))]) : null;
      for (const [w, { at: i, mode }] of states.entries()) {
        if (sampled && !sampled.has(w)) continue;
        const recoveries: Recovery[] = full ? ['retry', 'reconcile'] : [(w + si) % 2 ? 'reconcile' : 'retry'];
        for (const recovery of recoveries) {
          runs++;
          await b.restore();
          await sc.change(b.store);
          for (const k of sc.keys ?? [sc.key]) if (!sc.keep?.includes(k)) b.dirty.add(k);
          const crashed = b.wrap({ at: i, mode });
          const died = await invoke(crashed, bucket, sc.keys ?? sc.key, sc.wholeLimit).then(
            () => false,
            () => true,
          );
          // The order of requests is fixed (parallel 1); only an SDK-level retry on a loaded machine
          // can shift it, which still tests a crash point, just another one: count it, do not fail.
          if (!died || crashed.requests[i]?.op !== clean.requests[i]!.op) shifted++;
          if (recovery === 'retry') {
            // Lambda retries an asynchronous invocation twice; now and then the first retry dies too.
            let retries = 0;
            if (rand() < 0.25) {
              const again = b.wrap({ at: Math.floor(rand() * n), mode: rand() < 0.5 ? 'lost' : 'answer-lost' });
              retries++;
              await invoke(again, bucket, sc.keys ?? sc.key, sc.wholeLimit).catch((e: unknown) => {
                if (!(e instanceof InjectedFault) && !/InjectedFault|dead|landed|lost/.test(String(e))) throw e;
              });
            }
            await invoke(b.wrap(), bucket, sc.keys ?? sc.key, sc.wholeLimit);
            expect(retries).toBeLessThanOrEqual(1);
          } else {
            const res = await reconcileWith(b.wrap(), bucket);
            if (res.action === 'reconcile' && res.result.failed) failures.push(`${sc.name} @${i}: reconcile failed ${res.result.failed} keys`);
            if (res.action === 'reconcile' && res.result.markers === 0) {
              // Died before its intent marker landed: it changed nothing, so there is nothing to
              // reconcile; the event itself comes again (SQS redelivery, Lambda's retry). (Or the
              // marker's DELETE landed, the last write: everything was done.)
              if (w !== 0 && w !== states.length - 1) failures.push(`${sc.name} @${i}: no intent marker left to reconcile`);
              await invoke(b.wrap(), bucket, sc.keys ?? sc.key, sc.wholeLimit);
            }
          }
          const got = await bucketState(b.store, expected);
          const diff = diffStates(got, expected);
          if (recovery === 'reconcile') {
            const pending = [...got.state.keys()].filter((k) => k.startsWith('state/pending/'));
            if (pending.length) diff.push(`markers left: ${pending.join(', ')}`);
          }
          const lag = lagging(got);
          if (diff.length || lag.length) failures.push(`${sc.name} @${i} ${mode} + ${recovery} (${crashed.requests[i]?.op} ${crashed.requests[i]?.key}):\n  ${[...diff, ...lag].join('\n  ')}`);
        }
      }
      console.log(
        `${sc.name}: ${n} requests (${writes.length} writes) in the fault-free invocation; ${runs} faulty runs covering ${sampled ? `a seeded sample of the ${2 * n}` : `all ${2 * n}`} (index, mode) crash points; ${failures.length} diverged` +
          (shifted ? `; ${shifted} runs saw another request order (SDK retries under load)` : ''),
      );
      expect(failures).toEqual([]);
    });
  }
});

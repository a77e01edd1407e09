// A batch of content keys (one S3 event, or a whole SQS batch) → the state and public files they
// change, and no others. Level-triggered: an event only names a key; the objects decide. Every
// invocation re-checks everything its articles touch (record, partitions, node states, tree, files,
// pages, error records), so a retry, a duplicate or a late event repairs whatever an earlier one
// left half done, and writes nothing when all is in place. The argument is in docs/lambda.md.
import { randomUUID } from 'node:crypto';
import { isAssetPath } from '../core/assets.js';
import { syncAssetKey, syncRecordAssets } from './assets.js';
import { nodeKey, slugify, type NodePath } from '../core/categories.js';
import { articlePagePath, CONTENT_PREFIX, PUBLIC_PREFIX } from '../core/layout.js';
import type { Settings } from '../core/settings.js';
import { renderArticleFiles, type NodeSummary } from '../core/site.js';
import type { Logger } from '../log.js';
import { etagOf } from '../store/etag.js';
import type { ObjectInfo, Store } from '../store/store.js';
import {
  countOf,
  emptyPartition,
  foldNode,
  mapLimit,
  newEffects,
  PARALLEL,
  partitionsOf,
  renderNode,
  withItem,
  type EngineCtx,
  type Effects,
} from './nodes.js';
import {
  Conflict,
  EPOCH_KEY,
  emptyTree,
  encodeJson,
  errorKey,
  PENDING_STATE,
  partitionKey,
  putJson,
  putJsonIf,
  racedKey,
  readJson,
  recordKey,
  retryOnConflict,
  sameJson,
  TREE_KEY,
  updateJson,
  WHOLE,
  WHOLE_LIMIT,
  type ArticleRecord,
  type ArticleStatus,
  type Epoch,
  type ErrorRecord,
  type NodeDesired,
  type Partition,
  type PendingMarker,
  type Placement,
  type TreeState,
  type Versioned,
} from './state.js';
import { listRange } from './ranges.js';
import { articleView, mergeCounts, treeSummaries } from './tree.js';
import { byFeedOrder, claimOf, claimsKey, contenders, contendersVersion, pageLostError, registered, type Contenders, type PageClaims } from './claims.js';
import {
  deletedRecord,
  duplicateError,
  idOfKey,
  keyTooLong,
  placementKey,
  pageOf,
  placementsOf,
  rankKeys,
  recordError,
  recordFrom,
  recordIsCurrent,
  tooLongError,
} from './verdict.js';

export interface ArticleOutcome {
  key: string;
  id: string | null;
  /** 'failed': a retriable failure (the key must be delivered again); everything else is a verdict. */
  status: ArticleStatus | 'ignored' | 'failed';
  /** Whether the article's record changed (false for a duplicate or stale event). */
  changed: boolean;
  error?: string;
  /** What the whole invocation wrote and deleted under public/. */
  written: string[];
  deleted: string[];
  /** Public paths of feeds whose bytes changed: what WebSub announces. */
  changedFeeds: string[];
}

export interface BatchOptions {
  parallel?: number;
  /** Placements a rebuild wrote for these ids: to be made to agree with their records (rebuild.ts). */
  alsoLeaving?: ReadonlyMap<string, Placement[]>;
  /** An id for this invocation's intent marker (default: random). */
  invocation?: string;
  /** Ids from which a batch lists their range instead of asking per id (ranges.ts; default RANGE_MIN). */
  rangeMin?: number;
  /** Members below which a node takes new members in its WHOLE partition (default WHOLE_LIMIT; tests lower it). */
  wholeLimit?: number;
}

export interface BatchResult {
  outcomes: ArticleOutcome[];
  effects: Effects;
}

interface IdState {
  id: string;
  eventKeys: string[];
  rec: ArticleRecord | null;
  etag: string | null;
  listed: ObjectInfo[];
  changed: boolean;
  /** No record existed at all (not even a tombstone): no error record or page of this id can exist. */
  fresh: boolean;
  previousKey: string | null;
}

const describe = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** Per invocation: who claims each page it settled (claims.ts), for the error records of the losers. */
const settled = new WeakMap<EngineCtx, Map<string, Contenders>>();
const pagesOf = (ctx: EngineCtx) => settled.get(ctx) ?? settled.set(ctx, new Map()).get(ctx)!;

async function headEtag(store: Store, key: string): Promise<string | null> {
  return (await store.head(key))?.etag ?? null;
}

/** Makes an object hold exactly `body` (null: not exist), writing only when it does not. Returns whether it wrote. */
async function ensureObject(store: Store, key: string, body: string | null): Promise<boolean> {
  const etag = await headEtag(store, key);
  if (body === null) {
    if (etag === null) return false;
    await store.delete(key);
    return true;
  }
  if (etag === etagOf(body)) return false;
  await store.put(key, body, { contentType: 'application/json' });
  return true;
}

/**
 * The current ETag of each id's record (null: none): one LIST of their range for a batch of many
 * (ranges.ts), else a HEAD each. Either answer is the record as it was after the call began.
 */
async function recordEtags(ctx: EngineCtx, ids: readonly string[]): Promise<(string | null)[]> {
  const keys = ids.map(recordKey);
  const listed = await listRange(ctx.store, keys, ctx.rangeMin);
  if (!listed) return mapLimit(keys, ctx.parallel, (k) => headEtag(ctx.store, k));
  return keys.map((k) => listed.get(k)!.find((o) => o.key === k)?.etag ?? null);
}

/** What step 1 of a batch of many ids read for all of them at once, in syncRecord's order: each record, then the keys of its id. */
interface Prefetched {
  cur: Versioned<ArticleRecord>;
  /** Absent when the range of content keys was too long to list: syncRecord lists the id. */
  listed?: ObjectInfo[];
}

/**
 * Step 1's first reads for a batch of many ids: one LIST of their records' range says which exist
 * (only those are read), then one LIST of their content keys' range (after every record read, as
 * syncRecord reads the record before the keys). null for a small batch, a long range, or any
 * error (syncRecord then reads per id).
 */
async function prefetchRecords(ctx: EngineCtx, states: readonly IdState[]): Promise<Map<string, Prefetched> | null> {
  const { store } = ctx;
  try {
    const recs = await listRange(store, states.map((s) => recordKey(s.id)), ctx.rangeMin);
    if (!recs) return null;
    const out = new Map<string, Prefetched>();
    await mapLimit(states, ctx.parallel, async (s) => {
      const k = recordKey(s.id);
      out.set(s.id, { cur: recs.get(k)!.some((o) => o.key === k) ? await readJson<ArticleRecord>(store, k) : { value: null, etag: null } });
    });
    const keys = await listRange(store, states.map((s) => `${CONTENT_PREFIX}${s.id}.`), ctx.rangeMin);
    if (keys) for (const s of states) out.get(s.id)!.listed = keys.get(`${CONTENT_PREFIX}${s.id}.`)!.filter((o) => idOfKey(o.key) === s.id);
    return out;
  } catch {
    return null;
  }
}

/** The keys of one id as they are now (one LIST of `content/<id>.`). */
async function keysOfId(store: Store, id: string): Promise<ObjectInfo[]> {
  return (await store.list(`${CONTENT_PREFIX}${id}.`)).filter((o) => idOfKey(o.key) === id);
}

/**
 * Brings state and public files in line with the current objects of `keys`. Safe to run any number
 * of times, in any order, concurrently with runs for other keys (or the same keys), and after a run
 * that died at any request.
 */
export async function processBatch(store: Store, keys: readonly string[], settings: Settings, log: Logger, opts: BatchOptions = {}): Promise<BatchResult> {
  const ctx: EngineCtx = { store, settings, log, parallel: opts.parallel ?? PARALLEL, effects: newEffects(), ...(opts.rangeMin ? { rangeMin: opts.rangeMin } : {}) };
  const outcomes = new Map<string, ArticleOutcome>();
  const ids = new Map<string, IdState>();
  const failed = new Map<string, string>();
  const verdict = (key: string, id: string | null, status: ArticleOutcome['status'], changed = false, error?: string) =>
    outcomes.set(key, { key, id, status, changed, ...(error ? { error } : {}), written: [], deleted: [], changedFeeds: [] });

  const unique = [...new Set(keys)];
  const tooLong: { key: string; id: string; reason: string }[] = [];
  const assets: string[] = [];
  for (const key of unique) {
    const id = idOfKey(key);
    if (id === null && key.startsWith(CONTENT_PREFIX) && isAssetPath(key.slice(CONTENT_PREFIX.length))) {
      assets.push(key);
      continue;
    }
    if (id === null) {
      log('debug', 'not an article; ignored', { key });
      verdict(key, null, 'ignored');
      continue;
    }
    const long = keyTooLong(id);
    if (long) {
      tooLong.push({ key, id, reason: long });
      continue;
    }
    const s = ids.get(id) ?? { id, eventKeys: [], rec: null, etag: null, listed: [], changed: false, fresh: false, previousKey: null };
    s.eventKeys.push(key);
    ids.set(id, s);
  }
  if (ids.size === 0 && tooLong.length === 0 && assets.length === 0) return finish();

  // 0. The intent marker, before any change: reconcile redoes these keys if this invocation dies.
  const markerKey = `${PENDING_STATE}${opts.invocation ?? randomUUID()}.json`;
  const content = unique.filter((k) => idOfKey(k) !== null || assets.includes(k));
  await putJson<PendingMarker>(store, markerKey, { keys: content });
  // A rebuild in progress re-reconciles, at its end, every key registered here (rebuild.ts).
  const epoch = (await readJson<Epoch>(store, EPOCH_KEY)).value;
  // The tree as it is now: which nodes are small (recordFrom's `small`), and step 4's first read.
  const tree0 = ids.size ? await readJson<TreeState>(store, TREE_KEY) : null;
  if (epoch?.open) await mapLimit(content, ctx.parallel, (k) => putJson(store, racedKey(k), { key: k }));

  // Keys that can never be published: a verdict and an error record each, nothing else.
  await mapLimit(tooLong, ctx.parallel, async ({ key, id, reason }) => {
    try {
      const info = await store.head(key);
      await ensureObject(store, errorKey(key), info ? encodeJson(tooLongError(id, info, reason)) : null);
      if (info) log('error', 'article rejected', { key, reason });
      verdict(key, id, info ? 'rejected' : 'deleted');
    } catch (e) {
      verdict(key, id, 'failed', false, describe(e));
    }
  });

  // Assets (not articles): copied to where the articles that link them say, or removed.
  await mapLimit(assets, ctx.parallel, async (key) => {
    try {
      await syncAssetKey(store, key, ctx.effects);
      verdict(key, null, 'ignored');
    } catch (e) {
      verdict(key, null, 'failed', false, describe(e));
    }
  });
  if (ids.size === 0 && tooLong.length === 0) return done();

  // 1. Records: from the winning key of each id as it is now. Read the record, then the objects,
  //    then write conditionally: a writer that read an older object loses its write.
  const pre = await prefetchRecords(ctx, [...ids.values()]);
  const small = smallNodes(tree0?.value ?? null, opts.wholeLimit ?? WHOLE_LIMIT);
  await mapLimit([...ids.values()], ctx.parallel, async (s) => {
    try {
      await syncRecord(ctx, s, opts.alsoLeaving?.get(s.id) ?? [], pre?.get(s.id), small);
    } catch (e) {
      failed.set(s.id, describe(e));
    }
  });
  const live = () => [...ids.values()].filter((s) => !failed.has(s.id));
  if (!live().length) return done();

  // 1b. Page claims agree with the records (a permalink can name a page another article has too).
  await mapLimit(live(), ctx.parallel, async (s) => {
    try {
      await syncClaims(ctx, s);
    } catch (e) {
      failed.set(s.id, describe(e));
    }
  });

  // 2. Partitions agree with the records; 3. nodes fold them; 4. the tree takes the nodes' counts.
  const touched = new Map<string, NodePath>([[nodeKey([]), []]]);
  const partitions = new Map<string, Map<string, Versioned<Partition>>>();
  try {
    await syncPartitions(ctx, live(), partitions);
  } catch (e) {
    for (const s of live()) failed.set(s.id, describe(e));
  }
  for (const s of live()) for (const p of [...placementsOf(s.rec), ...(s.rec?.leaving ?? [])]) touched.set(nodeKey(p.path), p.path);
  const records = new Map(live().map((s) => [s.id, s.rec]));
  const folded = new Map<string, Versioned<NodeDesired>>();
  const failNode = (path: NodePath, e: unknown) => {
    for (const s of live())
      if ([...placementsOf(s.rec), ...(s.rec?.leaving ?? [])].some((p) => nodeKey(p.path) === nodeKey(path)) || path.length === 0) failed.set(s.id, describe(e));
  };
  await mapLimit([...touched.values()], ctx.parallel, async (path) => {
    try {
      const parts = partitions.get(nodeKey(path)) ?? new Map();
      partitions.set(nodeKey(path), parts);
      folded.set(nodeKey(path), await foldNode(ctx, { path, partitions: parts, records }));
    } catch (e) {
      failNode(path, e);
    }
  });
  let tree: TreeState = emptyTree();
  try {
    const counts = [...folded.values()].filter((d) => d.value).map((d) => ({ path: d.value!.path, count: countOf(d.value!), rev: d.value!.rev }));
    tree = (await updateJson<TreeState>(store, TREE_KEY, (t) => mergeCounts(t ?? emptyTree(), counts), tree0 ?? undefined)).value ?? emptyTree();
  } catch (e) {
    for (const s of live()) failed.set(s.id, describe(e));
  }

  // 5. Files of every folded node, and of nodes whose slugs our nodes may have moved.
  if (live().length || ids.size === 0) {
    const batchIds = new Set(ids.keys());
    const readTree = async () => (tree = (await readJson<TreeState>(store, TREE_KEY)).value ?? emptyTree());
    const treeFor = async (attempt: number) => (attempt === 0 ? tree : readTree());
    const hooks = { checkMemberPages: (path: NodePath, d: NodeDesired, t: TreeState) => checkMemberPages(ctx, path, d, t, batchIds, partitions) };
    const moved = movedBy(tree, [...touched.values()]);
    const movedKeys = new Set(moved.map(nodeKey));
    const render = [...touched.values(), ...moved];
    const seen = new Set<string>();
    const deletedDirs = new Set<string>();
    await mapLimit(render, ctx.parallel, async (path) => {
      if (seen.has(nodeKey(path))) return;
      seen.add(nodeKey(path));
      try {
        for (const d of await renderNode(ctx, path, folded.get(nodeKey(path)) ?? null, treeFor, hooks, movedKeys.has(nodeKey(path)))) deletedDirs.add(d);
      } catch (e) {
        failNode(path, e);
      }
    });
    if (deletedDirs.size) {
      // A folder we emptied may belong to another node in a newer tree: that node checks its files.
      const summaries = treeSummaries(await readTree());
      const claim = summaries.filter((s) => deletedDirs.has(s.slugs.length ? `categories/${s.slugs.join('/')}/` : ''));
      await mapLimit(claim, ctx.parallel, async (s) => {
        try {
          await renderNode(ctx, s.path, null, readTree, hooks, true);
        } catch (e) {
          failNode(s.path, e);
        }
      });
    }

    // 6. Each article's page, checked after writing against its record and its nodes' slugs; then
    //    the error records of other articles whose page this batch settled (a newer one has it).
    try {
      await syncPages(ctx, live(), tree);
      await syncPageErrors(ctx, batchIds);
    } catch (e) {
      for (const s of live()) failed.set(s.id, describe(e));
    }
  }

  // 7. Error records of every key of each id; 8. placements left are clean now: forget them.
  await mapLimit(live(), ctx.parallel, async (s) => {
    try {
      await syncErrors(ctx, s);
      if (s.rec && (s.rec.leaving.length || s.rec.oldPages?.length) && s.etag) {
        try {
          const { oldPages: _done, ...rest } = s.rec;
          const r = await putJsonIf(store, recordKey(s.id), { ...rest, leaving: [] }, s.etag);
          s.rec = r.value;
          s.etag = r.etag;
        } catch (e) {
          if (!(e instanceof Error && e.name === 'PreconditionFailed')) throw e; // a newer record keeps its own
        }
      }
    } catch (e) {
      failed.set(s.id, describe(e));
    }
  });

  return done();

  async function done(): Promise<BatchResult> {
    for (const s of ids.values()) {
    const status = failed.has(s.id) ? 'failed' : (s.rec?.status ?? 'deleted');
    for (const key of s.eventKeys) {
      const loser = s.listed.length > 1 && s.rec?.key !== key && s.listed.some((o) => o.key === key);
      verdict(key, s.id, loser && status !== 'failed' ? 'rejected' : status, s.changed, failed.get(s.id));
    }
    if (failed.has(s.id)) log('error', 'article failed (retried)', { id: s.id, keys: s.eventKeys, error: failed.get(s.id) });
    else if (s.rec?.status === 'rejected' && s.rec.error)
      log('error', 'article rejected', { key: s.rec.key, reason: s.rec.error.reason, ...(s.rec.error.line ? { line: s.rec.error.line } : {}) });
    else log('info', `article ${s.rec?.status ?? 'deleted'}`, { key: s.rec?.key ?? s.eventKeys[0], id: s.id, changed: s.changed, written: ctx.effects.written.size, deleted: ctx.effects.deleted.size });
    }
    // Done: the marker goes (kept when a key failed, for reconcile and the redelivery).
    if (![...outcomes.values()].some((o) => o.status === 'failed')) await store.delete(markerKey);
    return finish();
  }

  function finish(): BatchResult {
    const written = [...ctx.effects.written].sort();
    const deleted = [...ctx.effects.deleted].sort();
    const changedFeeds = [...ctx.effects.changedFeeds].sort();
    return {
      outcomes: keys.map((k) => ({ ...outcomes.get(k)!, written, deleted, changedFeeds })),
      effects: ctx.effects,
    };
  }
}

/**
 * recordFrom's `small` for one batch: whether a node had fewer than `limit` members in the tree
 * read at step 0 plus the new members this batch placed in it so far (each answer counts one).
 * Only an estimate (others may be adding members too): it bounds a WHOLE partition to about
 * `limit` members per concurrent invocation; correctness never depends on it.
 */
function smallNodes(tree: TreeState | null, limit: number): (path: NodePath) => boolean {
  const counts = new Map((tree?.nodes ?? []).map((n) => [nodeKey(n.path), n.count]));
  return (path) => {
    const k = nodeKey(path);
    const n = counts.get(k) ?? 0;
    counts.set(k, n + 1);
    return n < limit;
  };
}

/** Step 1 for one id: its record made from its winning key now (or a tombstone). */
async function syncRecord(ctx: EngineCtx, s: IdState, alsoLeaving: readonly Placement[], pre?: Prefetched, small?: (path: NodePath) => boolean): Promise<void> {
  const { store, settings, log } = ctx;
  await retryOnConflict(recordKey(s.id), async (attempt) => {
    // Attempt 0 of a batch of many: the record and then the keys as prefetchRecords read them (same order).
    const cur = attempt === 0 && pre ? pre.cur : await readJson<ArticleRecord>(store, recordKey(s.id));
    const listed = attempt === 0 && pre?.listed ? pre.listed : await keysOfId(store, s.id);
    const winner = rankKeys(listed)[0];
    let next: ArticleRecord | null;
    if (!winner) next = deletedRecord(s.id, cur.value);
    else if (recordIsCurrent(cur.value, winner)) next = cur.value;
    else {
      const obj = winner.size > settings.maxArticleBytes ? { ...winner, tooLarge: true as const } : await store.getCapped(winner.key, settings.maxArticleBytes);
      if (!obj) throw new Conflict(`${winner.key} went away while being read`);
      next = recordFrom(s.id, obj, 'tooLarge' in obj ? null : obj.body, cur.value, settings, log, small);
    }
    if (alsoLeaving.length) {
      const base = next ?? { id: s.id, key: null, etag: null, status: 'deleted' as const, nodes: [], leaving: [] };
      const keep = new Set(placementsOf(base).map(placementKey));
      const leaving = new Map(base.leaving.map((p) => [placementKey(p), p]));
      for (const p of alsoLeaving) if (!keep.has(placementKey(p))) leaving.set(placementKey(p), p);
      next = { ...base, leaving: [...leaving.values()] };
    }
    s.listed = listed;
    s.previousKey = cur.value?.key ?? null;
    s.fresh = cur.value === null;
    if (next === null || (cur.value && sameJson(next, cur.value))) {
      s.rec = cur.value;
      s.etag = cur.etag;
      return;
    }
    const w = await putJsonIf(store, recordKey(s.id), next, cur.etag);
    s.rec = next;
    s.etag = w.etag;
    s.changed = true;
  });
}

/**
 * Step 2: every partition an id is placed in lists it at its record's version; every partition it
 * is leaving does not. Per round: read the partitions, then check that the records are still the
 * ones held (HEAD), then write each partition conditionally. A record that changed after that
 * check is newer: its own invocation (which lists our placements in its `leaving`) cleans up.
 */
async function syncPartitions(ctx: EngineCtx, states: IdState[], partitions: Map<string, Map<string, Versioned<Partition>>>): Promise<void> {
  const { store } = ctx;
  const settled = new Set<string>();
  await retryOnConflict('partitions', async (attempt) => {
    if (attempt > 0) ctx.contended = true;
    const work = new Map<string, { path: NodePath; month: string; ids: IdState[] }>();
    for (const s of states) {
      for (const p of [...placementsOf(s.rec), ...(s.rec?.leaving ?? [])]) {
        const k = partitionKey(p.path, p.month);
        const w = work.get(k) ?? { path: p.path, month: p.month, ids: [] };
        if (!w.ids.includes(s)) w.ids.push(s);
        work.set(k, w);
      }
    }
    const todo = [...work].filter(([k]) => !settled.has(k));
    if (!todo.length) return;
    const read = await mapLimit(todo, ctx.parallel, ([k]) => readJson<Partition>(store, k));
    // The records must still be the ones we hold, after the partitions were read.
    const involved = [...new Set(todo.flatMap(([, w]) => w.ids))];
    const heads = await recordEtags(ctx, involved.map((s) => s.id));
    const moved = involved.filter((s, i) => heads[i] !== s.etag);
    if (moved.length) {
      await mapLimit(moved, ctx.parallel, async (s) => {
        const r = await readJson<ArticleRecord>(store, recordKey(s.id));
        s.rec = r.value;
        s.etag = r.etag;
      });
      throw new Conflict('a record changed while its partitions were read');
    }
    let lost = false;
    await mapLimit(todo, ctx.parallel, async ([k, w], i) => {
      const cur = read[i]!;
      let items = (cur.value ?? emptyPartition(w.path, w.month)).items;
      for (const s of w.ids) {
        const placed = placementsOf(s.rec).some((p) => partitionKey(p.path, p.month) === k);
        items = withItem(items, s.id, placed ? { id: s.id, date: s.rec!.entry!.date, v: s.rec!.v!, ...(w.month === WHOLE ? { p: WHOLE } : {}) } : null);
      }
      const base = cur.value ?? emptyPartition(w.path, w.month);
      let result: Versioned<Partition> = cur;
      if (!sameJson(items, base.items)) {
        try {
          result = await putJsonIf(store, k, { ...base, rev: base.rev + 1, items }, cur.etag);
        } catch (e) {
          if (e instanceof Error && e.name === 'PreconditionFailed') {
            lost = true;
            return;
          }
          throw e;
        }
      }
      settled.add(k);
      const byNode = partitions.get(nodeKey(w.path)) ?? new Map<string, Versioned<Partition>>();
      byNode.set(w.month, result);
      partitions.set(nodeKey(w.path), byNode);
    });
    if (lost) throw new Conflict('a partition changed while it was written');
  });
}

/** Live nodes whose slugs a change of `paths` can move: siblings with the same slug base, and their descendants. */
export function movedBy(tree: TreeState, paths: readonly NodePath[]): NodePath[] {
  const live = treeSummaries(tree).map((s) => s.path);
  const all = tree.nodes.map((n) => n.path);
  const out = new Map<string, NodePath>();
  for (const p of paths) {
    if (p.length === 0) continue;
    const parent = nodeKey(p.slice(0, -1));
    const base = slugify(p[p.length - 1]!);
    for (const s of all) {
      if (s.length !== p.length || nodeKey(s.slice(0, -1)) !== parent || nodeKey(s) === nodeKey(p) || slugify(s[s.length - 1]!) !== base) continue;
      for (const d of live) if (d.length >= s.length && s.every((x, i) => d[i] === x)) out.set(nodeKey(d), d);
    }
  }
  return [...out.values()];
}

/** One article's page made to match its record now, checked after writing (the record read again). */
async function verifyPage(ctx: EngineCtx, id: string, summaries: readonly NodeSummary[]): Promise<void> {
  const { store } = ctx;
  await retryOnConflict(articlePagePath(id), async () => {
    const r = await readJson<ArticleRecord>(store, recordKey(id));
    await writePage(ctx, id, r.value, r.etag, summaries, false, false);
    if ((await headEtag(store, recordKey(id))) !== r.etag) throw new Conflict(`${id}: record changed`);
  });
}

/** `changed`: the record was just replaced by this invocation, so the page's bytes change: no need to look first. */
async function writePage(ctx: EngineCtx, id: string, rec: ArticleRecord | null, etag: string | null, summaries: readonly NodeSummary[], changed = false, own = true): Promise<void> {
  const settle = await writePageFiles(ctx, rec, summaries, changed, own);
  await finishPage(ctx, id, rec, etag, summaries, settle, null);
}

/**
 * The first half of writePage: the record's page files and asset copies. Returns whether the page's
 * claims must be settled next (after each write of the page, which may have replaced a newer
 * claimant's, or once for an article of the batch: its error record says whether it has its page).
 */
async function writePageFiles(ctx: EngineCtx, rec: ArticleRecord | null, summaries: readonly NodeSummary[], changed: boolean, own: boolean): Promise<boolean> {
  const { store } = ctx;
  const page = pageOf(rec);
  if (!(rec?.status === 'published' && rec.entry)) return false;
  let wrote = false;
  for (const f of renderArticleFiles(rec.entry, summaries, ctx.settings)) {
    const key = PUBLIC_PREFIX + f.path;
    // A record this invocation replaced changes its page: written without looking first.
    if (!(changed && f.path === page) && (await headEtag(store, key)) === etagOf(f.body)) continue;
    await store.put(key, f.body, { contentType: f.contentType, cacheControl: f.cacheControl });
    ctx.effects.written.add(key);
    wrote = true;
  }
  await syncRecordAssets(store, rec, ctx.effects);
  return wrote || (own && !pagesOf(ctx).has(page!));
}

/**
 * The second half of writePage, after its files: the page's claims settled (when `settle`), then the
 * pages earlier versions had deleted or handed over. `claimed`: the claims objects a batch listed
 * after writing all its pages (null: HEAD the one needed).
 */
async function finishPage(
  ctx: EngineCtx,
  id: string,
  rec: ArticleRecord | null,
  etag: string | null,
  summaries: readonly NodeSummary[],
  settle: boolean,
  claimed: ReadonlySet<string> | null,
): Promise<void> {
  const { store } = ctx;
  // Where the record publishes its page (a permalink may have moved it), and where earlier versions did.
  const page = pageOf(rec);
  const gone = new Set([...(rec?.oldPages ?? []), ...(page ? [] : [articlePagePath(id)])]);
  if (page) gone.delete(page);
  const held = new Map([[id, { value: rec, etag }]]);
  if (settle && rec?.status === 'published' && rec.entry) await settlePage(ctx, page!, rec, held, summaries, claimed);
  await mapLimit([...gone], ctx.parallel, async (p) => {
    const key = PUBLIC_PREFIX + p;
    // A page another article claims too goes to it, not away (asset copies are never claimed).
    const c = /\.html?$/i.test(p) ? await contenders(store, p, held) : null;
    if (c?.list.length) {
      pagesOf(ctx).set(p, { ...c, handedOver: true });
      await writeOwnerPage(ctx, c, summaries);
    } else {
      if ((await headEtag(store, key)) === null) return;
      await store.delete(key);
      ctx.effects.deleted.add(key);
    }
    if (c && (await contendersVersion(store, p, held)) !== c.version) throw new Conflict(`page ${p}: its claims changed`);
  });
}

/**
 * After writing a record's page: if another article claims the page too (claims.ts) and is newer,
 * its page goes there instead. Its own default page with no claims object is the record's alone.
 */
async function settlePage(
  ctx: EngineCtx,
  page: string,
  rec: ArticleRecord,
  held: Map<string, Versioned<ArticleRecord>>,
  summaries: readonly NodeSummary[],
  claimed: ReadonlySet<string> | null = null,
): Promise<void> {
  const { store } = ctx;
  const unclaimed = async () => (claimed ? !claimed.has(claimsKey(page)) : (await store.head(claimsKey(page))) === null);
  if (page === articlePagePath(rec.id) && (await unclaimed())) {
    pagesOf(ctx).set(page, { page, list: [claimOf(rec)], claims: null, etag: null, version: `null ${held.get(rec.id)?.etag ?? null}` });
    return;
  }
  const c = await contenders(store, page, held);
  pagesOf(ctx).set(page, c);
  if (!c.list.length || c.list[0]!.id === rec.id) return;
  await writeOwnerPage(ctx, c, summaries);
  if ((await contendersVersion(store, page, held)) !== c.version) throw new Conflict(`page ${page}: its claims changed`);
}

/** The page of the first claimant whose record still publishes it there (a stale claim is its own invocation's to remove). */
async function writeOwnerPage(ctx: EngineCtx, c: Contenders, summaries: readonly NodeSummary[]): Promise<void> {
  const { store } = ctx;
  for (const owner of c.list) {
    const r = (await readJson<ArticleRecord>(store, recordKey(owner.id))).value;
    if (!r || pageOf(r) !== c.page || !r.entry) continue;
    for (const f of renderArticleFiles(r.entry, summaries, ctx.settings)) {
      const key = PUBLIC_PREFIX + f.path;
      if ((await headEtag(store, key)) === etagOf(f.body)) continue;
      await store.put(key, f.body, { contentType: f.contentType, cacheControl: f.cacheControl });
      ctx.effects.written.add(key);
    }
    return;
  }
}

/**
 * Step 1b for one id: registered under state/pages/ at its page when a permalink moved it there, and
 * under no page it left (its oldPages). Written conditionally; after a write the record must still be
 * the one held (else the newer one is done again).
 */
async function syncClaims(ctx: EngineCtx, s: IdState): Promise<void> {
  const { store } = ctx;
  await retryOnConflict(`claims of ${s.id}`, async (attempt) => {
    if (attempt > 0) {
      const r = await readJson<ArticleRecord>(store, recordKey(s.id));
      s.rec = r.value;
      s.etag = r.etag;
    }
    const mine = registered(s.rec) ? pageOf(s.rec)! : null;
    const left = (s.rec?.oldPages ?? []).filter((p) => p !== mine && /\.html?$/i.test(p));
    const wrote = await mapLimit([...(mine ? [mine] : []), ...left], ctx.parallel, async (p) => {
      const cur = await readJson<PageClaims>(store, claimsKey(p));
      const others = (cur.value?.claims ?? []).filter((x) => x.id !== s.id);
      const next = p === mine ? [...others, claimOf(s.rec!)].sort(byFeedOrder) : others;
      if (cur.value ? sameJson(next, cur.value.claims) : next.length === 0) return false;
      await putJsonIf<PageClaims>(store, claimsKey(p), { page: p, claims: next }, cur.etag);
      return true;
    });
    if (wrote.some(Boolean) && (await headEtag(store, recordKey(s.id))) !== s.etag) throw new Conflict(`${s.id}: record changed`);
  });
}

/** The error records of the other claimants of every page this invocation settled: the owner none, the others a page conflict. */
async function syncPageErrors(ctx: EngineCtx, batchIds: ReadonlySet<string>): Promise<void> {
  const { store } = ctx;
  // Pages with several claimants, or handed over by a claimant that left: the others' error records.
  const pages = [...pagesOf(ctx)].filter(([, c]) => (c.list.length > 1 || c.handedOver) && c.list.some((x) => !batchIds.has(x.id)));
  await mapLimit(pages, ctx.parallel, ([page, first]) =>
    retryOnConflict(`errors of page ${page}`, async (attempt) => {
      const c = attempt === 0 ? first : await contenders(store, page);
      const owner = c.list[0];
      const others = c.list.filter((x) => !batchIds.has(x.id));
      const wrote = await mapLimit(others, ctx.parallel, (x) => ensureObject(store, errorKey(x.key), x === owner || !owner ? null : encodeJson(pageLostError(page, x, owner))));
      if (wrote.some(Boolean) && (await contendersVersion(store, page)) !== c.version) throw new Conflict(`page ${page}: its claims changed`);
    }),
  );
}

/** The pages of a node's members when its slugs moved (rare: a sibling with a colliding name came or went). */
async function checkMemberPages(
  ctx: EngineCtx,
  path: NodePath,
  d: NodeDesired,
  tree: TreeState,
  skip: ReadonlySet<string>,
  partitions: Map<string, Map<string, Versioned<Partition>>>,
): Promise<void> {
  const summaries = treeSummaries(tree);
  const held = partitions.get(nodeKey(path));
  const months = partitionsOf(d);
  const lists = await mapLimit(months, ctx.parallel, async (m) => {
    const p = held?.get(m);
    if (p?.value && p.value.rev >= d.parts[m]!.rev) return p.value.items;
    return (await readJson<Partition>(ctx.store, partitionKey(path, m))).value?.items ?? [];
  });
  const members = [...new Set(lists.flat().map((i) => i.id))].filter((id) => !skip.has(id));
  await mapLimit(members, ctx.parallel, (id) => verifyPage(ctx, id, summaries));
}

/**
 * Step 6: the pages of the batch's articles. After writing: every record read again (HEAD) and the
 * tree read again; a page whose record or whose nodes' slugs changed meanwhile is done again.
 */
async function syncPages(ctx: EngineCtx, states: IdState[], first: TreeState): Promise<void> {
  const { store } = ctx;
  let tree = first;
  const views = new Map<string, string>();
  let todo = states;
  await retryOnConflict('pages', async (attempt) => {
    if (attempt > 0) tree = (await readJson<TreeState>(store, TREE_KEY)).value ?? emptyTree();
    const summaries = treeSummaries(tree);
    // A redo looks first: the page may already be right.
    const settle = await mapLimit(todo, ctx.parallel, (s) => writePageFiles(ctx, s.rec, summaries, attempt === 0 && s.changed, true));
    // After every page is written: which of their default pages have a claims object (one LIST for a
    // batch of many, ranges.ts; else a HEAD each in settlePage).
    const defaults = todo.filter((s, i) => settle[i] && pageOf(s.rec) === articlePagePath(s.id)).map((s) => claimsKey(articlePagePath(s.id)));
    const listed = await listRange(store, defaults, ctx.rangeMin);
    const claimed = listed ? new Set([...listed.values()].flat().map((o) => o.key)) : null;
    await mapLimit(todo, ctx.parallel, async (s, i) => {
      await finishPage(ctx, s.id, s.rec, s.etag, summaries, settle[i]!, claimed);
      views.set(s.id, articleView(summaries, s.rec?.nodes ?? []));
    });
    const heads = await recordEtags(ctx, todo.map((s) => s.id));
    const again = new Set<IdState>();
    await mapLimit(todo, ctx.parallel, async (s, i) => {
      if (heads[i] === s.etag) return;
      const r = await readJson<ArticleRecord>(store, recordKey(s.id));
      const before = s.rec;
      s.rec = r.value;
      s.etag = r.etag;
      if (before?.status !== r.value?.status || before?.v !== r.value?.v || !sameJson(before?.nodes, r.value?.nodes)) again.add(s);
    });
    const now = treeSummaries((tree = (await readJson<TreeState>(store, TREE_KEY)).value ?? emptyTree()));
    for (const s of todo) if (s.rec?.status === 'published' && articleView(now, s.rec.nodes) !== views.get(s.id)) again.add(s);
    todo = [...again];
    if (todo.length) throw new Conflict('pages changed while written');
  });
}

/** Step 7: one error record per key of the id that is not published (a rejection or a duplicate), none for the others. */
async function syncErrors(ctx: EngineCtx, s: IdState): Promise<void> {
  const { store } = ctx;
  let listed = s.listed;
  let rec = s.rec;
  await retryOnConflict(`errors of ${s.id}`, async (attempt) => {
    if (attempt > 0) {
      listed = await keysOfId(store, s.id);
      rec = (await readJson<ArticleRecord>(store, recordKey(s.id))).value;
    }
    const ranked = rankKeys(listed);
    const winner = ranked[0];
    const want = new Map<string, ErrorRecord | null>();
    for (const k of [...s.eventKeys, ...(s.previousKey ? [s.previousKey] : [])]) want.set(k, null);
    // Its page, if another article claims it too and is newer: a page conflict on its key.
    const page = pageOf(rec);
    if (page && attempt > 0 && pagesOf(ctx).has(page)) pagesOf(ctx).set(page, await contenders(store, page));
    const claim = page ? pagesOf(ctx).get(page) : undefined;
    const owner = claim?.list[0];
    const lost = rec && page && owner && owner.id !== rec.id ? pageLostError(page, claimOf(rec), owner) : null;
    if (winner) {
      const own = rec && rec.key === winner.key && rec.etag === winner.etag ? (recordError(rec) ?? lost) : null;
      want.set(winner.key, own);
      for (const loser of ranked.slice(1)) want.set(loser.key, duplicateError(s.id, loser, winner.key));
    }
    // A brand-new id (no record before) has no error records to remove.
    const check = attempt === 0 && s.fresh ? [...want].filter(([, err]) => err) : [...want];
    const wrote = await mapLimit(check, ctx.parallel, ([k, err]) => ensureObject(store, errorKey(k), err ? encodeJson(err) : null));
    if (!wrote.some(Boolean)) return;
    // Its page's claimants may have changed since they were read (a newer one writing this very error record).
    if (claim && (await contendersVersion(store, page!)) !== claim.version) throw new Conflict(`page ${page}: its claims changed`);
    // Written: make sure the keys did not change meanwhile (else a stale verdict could be the last word).
    const now = await keysOfId(store, s.id);
    if (!sameJson(now.map((o) => [o.key, o.etag]), listed.map((o) => [o.key, o.etag]))) throw new Conflict(`keys of ${s.id} changed`);
  });
}


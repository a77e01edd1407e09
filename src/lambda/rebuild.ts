// Full rebuild of a bucket from content/ as a map/reduce (docs/lambda.md, "Rebuild"): `rebuildStart`
// opens an epoch, `rebuildMap` does the per-article work for a batch of listed keys (record, page,
// error records) and writes what the feeds need under state/rebuild/, `rebuildReduce` merges that into
// partitions, node states, the tree, feeds, pages and OPML, deletes orphans, re-reconciles every key
// an upload registered while the epoch was open, and closes it. Step Functions runs the three as
// separate invocations (a Distributed Map over the listing); `rebuild` runs the very same steps in
// one process, so both give the same bytes.
import { nodeKey, type NodePath } from '../core/categories.js';
import type { Entry } from '../core/entry.js';
import { articlePagePath, CONTENT_PREFIX, PUBLIC_PREFIX } from '../core/layout.js';
import type { Settings } from '../core/settings.js';
import { renderArticleFiles } from '../core/site.js';
import type { Logger } from '../log.js';
import { etagOf } from '../store/etag.js';
import type { ObjectInfo, Store } from '../store/store.js';
import { syncRecordAssets } from './assets.js';
import { processBatch } from './incremental.js';
import { countOf, GENERATED, isFeedPath, mapLimit, nodeFiles, viewHash } from './nodes.js';
import {
  ARTICLES_STATE,
  desiredKey,
  encodeJson,
  EPOCH_KEY,
  ERRORS_STATE,
  errorKey,
  hashOf,
  monthOf,
  NODES_STATE,
  observedKey,
  partitionKey,
  putJson,
  putJsonIf,
  RACED_STATE,
  readJson,
  REBUILD_STATE,
  recordKey,
  retryOnConflict,
  sameJson,
  TREE_KEY,
  updateJson,
  type ArticleRecord,
  type Epoch,
  type ErrorRecord,
  type Item,
  type NodeDesired,
  type NodeObserved,
  type Partition,
  type Placement,
  type TopItem,
  type TreeNode,
  type TreeState,
} from './state.js';
import { articleView, treeSummaries } from './tree.js';
import { duplicateError, idOfKey, keyTooLong, pageOf, rankKeys, recordError, recordFrom, tooLongError } from './verdict.js';
import { byFeedOrder, claimsKey, pageLostError, PAGES_STATE, type Claim, type PageClaims } from './claims.js';

const PARALLEL = 16;

/** An item of the listing, as a Step Functions Distributed Map ItemReader gives it (ListObjectsV2). */
export interface ListedItem {
  Key: string;
  Etag?: string;
  ETag?: string;
  Size?: number;
  /** Step Functions' S3 ItemReader gives seconds since the epoch (a number); a listing of ours an ISO string or a Date. */
  LastModified?: string | number | Date;
}

/** The LastModified of a listed item: a number is seconds since the epoch (the ItemReader's shape). */
export function listedTime(v: ListedItem['LastModified']): Date {
  if (v === undefined || v === null) return new Date(0);
  if (typeof v === 'number') return new Date(v * 1000);
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? new Date(0) : d;
}

/** What a map batch leaves for the reduce, per article (state/rebuild/<n>/batches/<hash>.json). */
interface MapOutput {
  id: string;
  key: string;
  status: ArticleRecord['status'];
  /** Published only. */
  date?: string;
  v?: string;
  nodes?: NodePath[];
  /** Hash of the slugs the page was rendered with (the reduce re-renders pages whose slugs moved). */
  view?: string;
  /** The record still lists placements to leave or old pages: the reduce clears them once the partitions are rewritten and orphans deleted. */
  leaving?: boolean;
  /** Published only: the page's path under public/ when a permalink moved it from articles/<id>/. */
  page?: string;
  /** Published only: the record's firstSeen (the time of a page-conflict error record). */
  seen?: string;
  /** Public files earlier versions had (the record's oldPages): deleted by the reduce unless planned. */
  gone?: string[];
}

interface BatchFile {
  /** Every article key of the batch (the reduce checks that the whole listing was mapped). */
  keys: string[];
  articles: MapOutput[];
  /** Error records this batch wrote (content keys). */
  errors: string[];
}

export interface MapSummary {
  articles: number;
  published: number;
  drafts: number;
  rejected: number;
}

export interface ReduceSummary {
  nodes: number;
  published: number;
  written: string[];
  deleted: string[];
  unchanged: number;
  stateWritten: number;
  stateDeleted: number;
  raced: number;
  changedFeeds: string[];
}

export interface RebuildResult extends MapSummary {
  stateWritten: number;
  stateDeleted: number;
  written: string[];
  deleted: string[];
  unchanged: number;
  /** Public paths of feeds whose bytes changed (for WebSub). */
  changedFeeds: string[];
  raced: number;
}

/** In-process shortcuts of the single-invocation rebuild; they change how much is read, never what is written. */
interface Shared {
  entries: Map<string, { v: string; entry: Entry }>;
  pages: Map<string, string>;
  /** Claims objects (state/pages/) at the start: their pages are written by the reduce. */
  claimed?: Set<string>;
  written: Set<string>;
}

const epochDir = (n: number) => `${REBUILD_STATE}${n}/`;
const startKey = (n: number) => `${epochDir(n)}start.json`;
const batchesDir = (n: number) => `${epochDir(n)}batches/`;

/** Opens a new epoch: from now on, every invocation registers the keys it processes (incremental.ts). */
export async function rebuildStart(store: Store): Promise<{ epoch: number }> {
  const e = await updateJson<Epoch>(store, EPOCH_KEY, (cur) => ({ n: (cur?.n ?? 0) + 1, open: true }));
  const n = e.value!.n;
  // The nodes known now: the map renders pages with their slugs (the reduce fixes those that move).
  const tree = (await readJson<TreeState>(store, TREE_KEY)).value;
  await putJson(store, startKey(n), { paths: tree ? treeSummaries(tree).map((s) => s.path) : [] });
  return { epoch: n };
}

const infoOf = (i: ListedItem): ObjectInfo => ({
  key: i.Key,
  etag: i.ETag ?? i.Etag ?? '',
  size: i.Size ?? -1,
  lastModified: listedTime(i.LastModified),
});

/**
 * One batch of the listing: per article its record (conditional write, the same rules as an
 * upload), its page (with the slugs known at the start) and the error records of its keys; then
 * one output object for the reduce. Idempotent: a retried batch finds everything in place.
 */
export async function rebuildMap(
  store: Store,
  settings: Settings,
  log: Logger,
  epoch: number,
  items: readonly ListedItem[],
  opts: { parallel?: number; shared?: Shared; onArticle?: () => void } = {},
): Promise<MapSummary> {
  const parallel = opts.parallel ?? PARALLEL;
  const summary: MapSummary = { articles: 0, published: 0, drafts: 0, rejected: 0 };
  if (!items.length) return summary;
  const start = (await readJson<{ paths: NodePath[] }>(store, startKey(epoch))).value;
  if (!start) throw new Error(`rebuild epoch ${epoch} has no start object: run rebuild-start first`);
  const all = items.map(infoOf);
  const first = all[0]!.key;
  const last = all[all.length - 1]!.key;
  const byId = new Map<string, ObjectInfo[]>();
  for (const o of all) {
    const id = idOfKey(o.key);
    if (id === null) continue;
    byId.set(id, [...(byId.get(id) ?? []), o]);
  }
  const out: BatchFile = { keys: [...byId.values()].flat().map((o) => o.key).sort(), articles: [], errors: [] };
  const errors: [string, ErrorRecord | null][] = [];
  await mapLimit([...byId], parallel, async ([id, mine]) => {
    summary.articles += mine.length;
    for (let i = 0; i < mine.length; i++) opts.onArticle?.();
    const long = keyTooLong(id);
    if (long) {
      for (const o of mine) errors.push([o.key, tooLongError(id, o, long)]);
      summary.rejected += mine.length;
      return;
    }
    // Keys of one id are contiguous in the listing; only at a batch edge can some be in a neighbour batch.
    const prefix = `${CONTENT_PREFIX}${id}.`;
    const listed = first.startsWith(prefix) || last.startsWith(prefix) ? (await store.list(prefix)).filter((o) => idOfKey(o.key) === id) : mine;
    const ranked = rankKeys(listed);
    const winner = ranked[0];
    for (const loser of ranked.slice(1)) if (mine.some((o) => o.key === loser.key)) {
      errors.push([loser.key, duplicateError(id, loser, winner!.key)]);
      summary.rejected++;
    }
    if (!winner || !mine.some((o) => o.key === winner.key)) return;
    const rec = await mapRecord(store, settings, log, id, winner);
    if (!rec) return; // gone since the listing: the delete's own invocation registered it
    errors.push([winner.key, recordError(rec)]);
    if (rec.status === 'rejected') summary.rejected++;
    else if (rec.status === 'draft') summary.drafts++;
    else if (rec.status === 'published') summary.published++;
    const nodes = rec.status === 'published' ? rec.nodes : [];
    const paths = new Map([...start.paths, ...nodes].map((p) => [nodeKey(p), p]));
    const summaries = treeSummaries({ rev: 0, nodes: [...paths.values()].map((path) => ({ path, count: 1, rev: 0 })) });
    const leaving = rec.leaving.length || rec.oldPages?.length ? { leaving: true, ...(rec.oldPages?.length ? { gone: rec.oldPages } : {}) } : {};
    if (rec.status === 'published' && rec.entry) {
      opts.shared?.entries.set(id, { v: rec.v!, entry: rec.entry });
      // A page other articles claim too (claims.ts) is written by the reduce, for the newest of them.
      const ownPage = pageOf(rec)!;
      const claimed = opts.shared?.claimed ? opts.shared.claimed.has(claimsKey(ownPage)) : (await store.head(claimsKey(ownPage))) !== null;
      if (!claimed) for (const f of renderArticleFiles(rec.entry, summaries, settings)) {
        const page = PUBLIC_PREFIX + f.path;
        const current = opts.shared ? (opts.shared.pages.get(page) ?? null) : ((await store.head(page))?.etag ?? null);
        if (current === etagOf(f.body)) continue;
        await store.put(PUBLIC_PREFIX + f.path, f.body, { contentType: f.contentType, cacheControl: f.cacheControl });
        opts.shared?.written.add(PUBLIC_PREFIX + f.path);
      }
      await syncRecordAssets(store, rec, { written: opts.shared?.written ?? new Set(), deleted: new Set() });
      out.articles.push({
        id,
        key: winner.key,
        status: rec.status,
        date: rec.entry.date,
        v: rec.v!,
        nodes,
        view: hashOf(articleView(summaries, nodes)),
        ...leaving,
        ...(rec.entry.page ? { page: rec.entry.page } : {}),
        ...(rec.firstSeen ? { seen: rec.firstSeen } : {}),
      });
    } else {
      out.articles.push({ id, key: winner.key, status: rec.status, ...leaving });
    }
  });
  await mapLimit(errors, parallel, async ([key, err]) => {
    const ek = errorKey(key);
    const body = err ? encodeJson(err) : null;
    const etag = (await store.head(ek))?.etag ?? null;
    if (body === null) {
      if (etag !== null) await store.delete(ek);
    } else if (etag !== etagOf(body)) await store.put(ek, body, { contentType: 'application/json' });
  });
  out.errors = errors.filter(([, e]) => e).map(([k]) => k).sort();
  out.articles.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  await putJson(store, `${batchesDir(epoch)}${hashOf(`${first}\n${last}`, 24)}.json`, out);
  return summary;
}

/**
 * The record of an article as its winning object says, written conditionally (as an upload does).
 * Always made again from the bytes: a rebuild is how changed settings reach every entry.
 */
async function mapRecord(store: Store, settings: Settings, log: Logger, id: string, winner: ObjectInfo): Promise<ArticleRecord | null> {
  return retryOnConflict(recordKey(id), async () => {
    const cur = await readJson<ArticleRecord>(store, recordKey(id));
    const obj = winner.size > settings.maxArticleBytes ? { ...winner, tooLarge: true as const } : await store.getCapped(winner.key, settings.maxArticleBytes);
    if (!obj) return null;
    const next = recordFrom(id, obj, 'tooLarge' in obj ? null : obj.body, cur.value, settings, log);
    if (cur.value && sameJson(next, cur.value)) return next;
    await putJsonIf(store, recordKey(id), next, cur.etag);
    return next;
  });
}

/**
 * Merges the batches' outputs into the state and the public files, deletes orphans, re-reconciles
 * the keys uploads registered meanwhile (through the incremental path: the last word on a raced
 * key is always the level-triggered one), then closes the epoch.
 */
export async function rebuildReduce(
  store: Store,
  settings: Settings,
  log: Logger,
  epoch: number,
  opts: { parallel?: number; shared?: Shared; onProgress?: (phase: string, done: number, total: number) => void } = {},
): Promise<ReduceSummary> {
  const parallel = opts.parallel ?? PARALLEL;
  const e = (await readJson<Epoch>(store, EPOCH_KEY)).value;
  if (!e || e.n !== epoch) throw new Error(`rebuild epoch ${epoch} is not the current one (${e ? e.n : 'none'}): start a new rebuild`);
  const summary: ReduceSummary = { nodes: 0, published: 0, written: [], deleted: [], unchanged: 0, stateWritten: 0, stateDeleted: 0, raced: 0, changedFeeds: [] };
  const racedAtStart = await racedKeys(store);
  const racedIds = new Set(racedAtStart.map(({ key }) => idOfKey(key)).filter((id): id is string => id !== null));
  const racedContent = new Set(racedAtStart.map(({ key }) => key));

  // 1. The batches' outputs. The archive-sized listings are made at once, here: at a million
  //    articles each of content/, state/ and public/ is ~1,000 LIST pages one after the other. The
  //    reduce writes nothing under state/ or public/ before it uses them, so they show what a later
  //    listing would (uploads racing the reduce are re-reconciled in step 7 either way).
  const [batchList, contentList, state, pub] = await Promise.all([store.list(batchesDir(epoch)), store.list(CONTENT_PREFIX), store.list('state/'), store.list(PUBLIC_PREFIX)]);
  const batchKeys = batchList.map((o) => o.key);
  const files = await mapLimit(batchKeys, parallel, async (k) => (await readJson<BatchFile>(store, k)).value ?? { keys: [], articles: [], errors: [] });
  // Never unpublish what was not mapped: every article key of content/ older than the epoch must be
  // in some batch (newer keys are uploads its own invocations handle, registered as raced).
  const opened = (await store.head(EPOCH_KEY))?.lastModified ?? new Date(0);
  const mapped = new Set(files.flatMap((f) => f.keys));
  const unmapped = contentList.filter(
    // Same second as the epoch's opening counts as older (S3 times are whole seconds): refusing is safe, unpublishing is not.
    (o) => idOfKey(o.key) !== null && !mapped.has(o.key) && !racedContent.has(o.key) && Math.floor(o.lastModified.getTime() / 1000) <= Math.floor(opened.getTime() / 1000),
  );
  if (unmapped.length)
    throw new Error(`rebuild: ${unmapped.length} article keys were not mapped in epoch ${epoch} (first: ${unmapped[0]!.key}); run their map batches again or start a new rebuild`);
  const articles = new Map<string, MapOutput>();
  for (const f of files) for (const a of f.articles) articles.set(a.id, a);
  const errorKeys = new Set(files.flatMap((f) => f.errors).map(errorKey));
  const published = [...articles.values()].filter((a) => a.status === 'published');
  summary.published = published.length;

  // 2. Memberships: node → month → items (feed order).
  const members = new Map<string, { path: NodePath; months: Map<string, Item[]> }>();
  const placedBy = new Map<string, Placement[]>();
  for (const a of published) {
    const month = monthOf(a.date!);
    placedBy.set(a.id, a.nodes!.map((path) => ({ path, month })));
    for (const path of a.nodes!) {
      const m = members.get(nodeKey(path)) ?? { path, months: new Map() };
      members.set(nodeKey(path), m);
      m.months.set(month, [...(m.months.get(month) ?? []), { id: a.id, date: a.date!, v: a.v! }]);
    }
  }
  if (!members.has(nodeKey([]))) members.set(nodeKey([]), { path: [], months: new Map() });
  for (const m of members.values()) for (const items of m.months.values()) items.sort((a, b) => (a.date < b.date ? 1 : a.date > b.date ? -1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0));

  // 3. Partitions and node states: rewritten where they differ (rev + 1, so in-flight conditional
  //    writes of raced uploads fail and re-read); emptied, never deleted (revs must keep growing).
  const existing = new Map(state.map((o) => [o.key, o.etag]));
  const known = new Map<string, NodePath>([...members].map(([k, m]) => [k, m.path]));
  const desiredOld = state.filter((o) => o.key.startsWith(NODES_STATE) && /^[0-9a-f]{16}\.json$/.test(o.key.slice(NODES_STATE.length)));
  const olds = await mapLimit(desiredOld, parallel, (o) => readJson<NodeDesired>(store, o.key));
  for (const d of olds) if (d.value) known.set(nodeKey(d.value.path), d.value.path);
  const oldDesired = new Map(olds.filter((d) => d.value).map((d) => [nodeKey(d.value!.path), d.value!]));
  const desired = new Map<string, NodeDesired>();
  const write = async (key: string, value: unknown) => {
    await putJson(store, key, value);
    summary.stateWritten++;
  };
  const entryOf = async (i: Item): Promise<Entry | undefined> => {
    const s = opts.shared?.entries.get(i.id);
    if (s && s.v === i.v) return s.entry;
    const r = (await readJson<ArticleRecord>(store, recordKey(i.id))).value;
    return r && r.status === 'published' && r.v === i.v ? r.entry : undefined;
  };
  await mapLimit([...known.values()], parallel, async (path) => {
    const m = members.get(nodeKey(path));
    const prefix = `${NODES_STATE}${desiredKey(path).slice(NODES_STATE.length, -'.json'.length)}/`;
    const monthsOld = state.filter((o) => o.key.startsWith(prefix)).map((o) => o.key.slice(prefix.length, -'.json'.length));
    const months = new Set([...(m?.months.keys() ?? []), ...monthsOld]);
    const parts: NodeDesired['parts'] = {};
    const all: Item[] = [];
    await mapLimit([...months], parallel, async (month) => {
      const items = m?.months.get(month) ?? [];
      all.push(...items);
      const pk = partitionKey(path, month);
      // Conditional, rev above whatever is there at the write: a rev always names one content (an
      // unconditional write could give a raced upload's partition rev to other items).
      const rev = await retryOnConflict(pk, async (attempt) => {
        const cur = existing.has(pk) || attempt > 0 ? await readJson<Partition>(store, pk) : { value: null, etag: null };
        if (cur.value && sameJson(cur.value.items, items)) return cur.value.rev;
        if (!cur.value && !items.length) return null;
        const next = (cur.value?.rev ?? 0) + 1;
        await putJsonIf(store, pk, { path, month, rev: next, items } satisfies Partition, cur.etag);
        summary.stateWritten++;
        return next;
      });
      // An emptied partition stays in `parts` (n 0, its new rev): a raced fold still holding it at an
      // older rev then reads it again instead of folding its old items back in (nodes.ts foldNode).
      if (rev !== null) parts[month] = { n: items.length, rev };
    });
    all.sort((a, b) => (a.date < b.date ? 1 : a.date > b.date ? -1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const top: TopItem[] = await mapLimit(all.slice(0, settings.feedLimit), parallel, async (i) => {
      const entry = await entryOf(i);
      return entry ? { ...i, entry } : { ...i };
    });
    const sortedParts = Object.fromEntries(Object.entries(parts).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    // Conditional, with a rev above the one there at the write (not the one read at the start):
    // renders take `rendered.rev >= desired.rev` as "these files are this content", so a rev must
    // never name two contents (a raced fold's rev reused by this write left its files stale).
    const dk = desiredKey(path);
    const next = await retryOnConflict(dk, async (attempt) => {
      const cur = oldDesired.has(nodeKey(path)) || attempt > 0 ? await readJson<NodeDesired>(store, dk) : { value: null, etag: null };
      const old = cur.value;
      const n: NodeDesired = { path, rev: old?.rev ?? 0, limit: settings.feedLimit, parts: sortedParts, top };
      if (old && sameJson({ ...old, parts: sortByKey(old.parts) }, n)) return n;
      n.rev++;
      await putJsonIf(store, dk, n, cur.etag);
      summary.stateWritten++;
      return n;
    });
    desired.set(nodeKey(path), next);
  });
  summary.nodes = [...desired.values()].filter((d) => countOf(d) > 0).length;

  // 4. The tree: every node's count with its node state's rev.
  const tree: TreeState = {
    rev: 0,
    nodes: [...desired.values()]
      .map((d): TreeNode => ({ path: d.path, count: countOf(d), rev: d.rev }))
      .sort((a, b) => (nodeKey(a.path) < nodeKey(b.path) ? -1 : nodeKey(a.path) > nodeKey(b.path) ? 1 : 0)),
  };
  // Merged conditionally: a node whose desired rev moved past ours since (a raced fold) keeps its count.
  const merged = await updateJson<TreeState>(store, TREE_KEY, (cur) => {
    const byKey = new Map((cur?.nodes ?? []).map((n) => [nodeKey(n.path), n]));
    for (const n of tree.nodes) {
      const c = byKey.get(nodeKey(n.path));
      if (!c || c.rev <= n.rev) byKey.set(nodeKey(n.path), n);
    }
    const nodes = [...byKey.values()].sort((a, b) => (nodeKey(a.path) < nodeKey(b.path) ? -1 : nodeKey(a.path) > nodeKey(b.path) ? 1 : 0));
    return cur && sameJson(cur.nodes, nodes) ? null : { rev: (cur?.rev ?? 0) + 1, nodes };
  });
  if (merged.wrote) summary.stateWritten++;
  const summaries = treeSummaries(merged.value ?? tree);

  // 5. Node files (then their observed state), pages whose slugs moved since the map, orphans.
  const actual = new Map(pub.map((o) => [o.key.slice(PUBLIC_PREFIX.length), o.etag]));
  const planned = new Set<string>();
  const written = new Set<string>(opts.shared?.written ?? []);
  const changedFeeds = new Set<string>();
  let done = 0;
  await mapLimit([...desired.values()], parallel, async (d) => {
    const nodeFilesNow = d.top.every((t) => t.entry) ? nodeFiles(d, summaries, settings) : null;
    if (!nodeFilesNow) return; // an entry changed under us: a raced key, re-reconciled below
    for (const f of nodeFilesNow) {
      planned.add(f.path);
      if (actual.get(f.path) === etagOf(f.body)) {
        summary.unchanged++;
        continue;
      }
      await store.put(PUBLIC_PREFIX + f.path, f.body, { contentType: f.contentType, cacheControl: f.cacheControl });
      written.add(PUBLIC_PREFIX + f.path);
      if (isFeedPath(f.path)) changedFeeds.add(f.path);
    }
    const slugs = summaries.find((s) => nodeKey(s.path) === nodeKey(d.path))?.slugs;
    const observed: NodeObserved = {
      path: d.path,
      rev: d.rev,
      view: viewHash(summaries, d.path),
      files: Object.fromEntries(nodeFilesNow.map((f) => [f.path, etagOf(f.body)])),
      ...(slugs && d.path.length ? { pages: JSON.stringify(slugs) } : {}),
      tree: (merged.value ?? tree).rev,
    };
    const ok = observedKey(d.path);
    if (!existing.has(ok) || !sameJson((await readJson<NodeObserved>(store, ok)).value, observed)) await write(ok, observed);
    opts.onProgress?.('feeds', ++done, desired.size);
  });
  const moved = published.filter((a) => hashOf(articleView(summaries, a.nodes!)) !== a.view);
  await mapLimit(moved, parallel, async (a) => {
    const r = (await readJson<ArticleRecord>(store, recordKey(a.id))).value;
    if (!r || r.status !== 'published' || !r.entry) return;
    for (const f of renderArticleFiles(r.entry, summaries, settings)) {
      await store.put(PUBLIC_PREFIX + f.path, f.body, { contentType: f.contentType, cacheControl: f.cacheControl });
      written.add(PUBLIC_PREFIX + f.path);
    }
  });
  // Pages claimed by a permalink (claims.ts): the newest claimant in feed order has the page, the
  // others' keys an error record naming both; state/pages/ lists the claims, as uploads leave it.
  const claimsByPage = new Map<string, Claim[]>();
  for (const a of published) {
    const page = a.page ?? articlePagePath(a.id);
    claimsByPage.set(page, [...(claimsByPage.get(page) ?? []), { id: a.id, key: a.key, date: a.date!, seen: a.seen ?? a.date! }]);
  }
  const plannedClaims = new Map<string, PageClaims>();
  await mapLimit([...claimsByPage], parallel, async ([page, list]) => {
    list.sort(byFeedOrder);
    const reg = list.filter((c) => page !== articlePagePath(c.id));
    if (!reg.length) return;
    plannedClaims.set(claimsKey(page), { page, claims: reg });
    const owner = list[0]!;
    const r = (await readJson<ArticleRecord>(store, recordKey(owner.id))).value;
    if (r && r.entry && pageOf(r) === page)
      for (const f of renderArticleFiles(r.entry, summaries, settings)) {
        if ((await store.head(PUBLIC_PREFIX + f.path))?.etag === etagOf(f.body)) continue;
        await store.put(PUBLIC_PREFIX + f.path, f.body, { contentType: f.contentType, cacheControl: f.cacheControl });
        written.add(PUBLIC_PREFIX + f.path);
      }
    for (const loser of list.slice(1)) {
      const ek = errorKey(loser.key);
      errorKeys.add(ek);
      const body = encodeJson(pageLostError(page, loser, owner));
      if ((await store.head(ek))?.etag !== etagOf(body)) await store.put(ek, body, { contentType: 'application/json' });
    }
  });
  await mapLimit([...plannedClaims], parallel, async ([k, v]) => {
    if (existing.get(k) === etagOf(encodeJson(v))) return;
    await putJson(store, k, v);
    summary.stateWritten++;
  });
  for (const a of published) planned.add(a.page ?? articlePagePath(a.id));
  // Raced ids' pages are left to step 7 (their records say where they are now).
  const racedRecords = await mapLimit([...racedIds], parallel, async (id) => (await readJson<ArticleRecord>(store, recordKey(id))).value);
  const racedPages = new Set([...racedIds].map(articlePagePath));
  for (const r of racedRecords) if (pageOf(r)) racedPages.add(pageOf(r)!);
  const gone = new Set([...articles.values()].filter((a) => !racedIds.has(a.id)).flatMap((a) => a.gone ?? []));
  const orphans = [...actual.keys()].filter((p) => !planned.has(p) && (GENERATED.test(p) || gone.has(p)) && !racedPages.has(p));
  await mapLimit(orphans, parallel, async (p) => {
    await store.delete(PUBLIC_PREFIX + p);
    summary.deleted.push(PUBLIC_PREFIX + p);
  });
  summary.unchanged = [...planned].filter((p) => !written.has(PUBLIC_PREFIX + p)).length;

  // 6. State orphans: records and error records no batch produced (raced keys' are left to step 7);
  //    records that still list placements to leave: the partitions were just rewritten.
  const staleState = state
    .map((o) => o.key)
    .filter((k) => {
      if (k.startsWith(ARTICLES_STATE)) {
        const id = k.slice(ARTICLES_STATE.length, -'.json'.length);
        return !articles.has(id) && !racedIds.has(id);
      }
      if (k.startsWith(ERRORS_STATE)) return !errorKeys.has(k) && ![...racedContent].some((c) => errorKey(c) === k);
      if (k.startsWith(PAGES_STATE)) return !plannedClaims.has(k);
      return false;
    });
  await mapLimit(staleState, parallel, async (k) => {
    await store.delete(k);
    summary.stateDeleted++;
  });
  await mapLimit([...articles.values()].filter((a) => a.leaving && !racedIds.has(a.id)), parallel, async (a) => {
    try {
      await updateJson<ArticleRecord>(store, recordKey(a.id), (r) => {
        if (!r || (!r.leaving.length && !r.oldPages?.length)) return null;
        const { oldPages: _deleted, ...rest } = r;
        return { ...rest, leaving: [] };
      });
    } catch (err) {
      log('warn', 'rebuild: could not clear a record', { id: a.id, error: (err as Error).message });
    }
  });

  // 7. Keys uploads registered while the epoch was open: the incremental path has the last word.
  //    What this rebuild placed for them is handed over as placements to leave unless still true.
  const raced = await racedKeys(store);
  summary.raced = raced.length;
  if (raced.length) {
    const alsoLeaving = new Map<string, Placement[]>();
    for (const { key } of raced) {
      const id = idOfKey(key);
      if (id && placedBy.has(id)) alsoLeaving.set(id, placedBy.get(id)!);
    }
    const res = await processBatch(store, raced.map((r) => r.key), settings, log, { alsoLeaving });
    const failed = res.outcomes.filter((o) => o.status === 'failed');
    if (failed.length) throw new Error(`rebuild: ${failed.length} raced keys could not be reconciled (${failed[0]!.key}: ${failed[0]!.error}); run the reduce again`);
    for (const f of res.effects.written) written.add(f);
    for (const f of res.effects.deleted) summary.deleted.push(f);
    for (const f of res.effects.changedFeeds) changedFeeds.add(f);
    await mapLimit(raced, parallel, (r) => store.delete(r.marker));
  }

  // 8. Close the epoch (if no newer rebuild took over) and remove its scratch objects.
  await retryOnConflict(EPOCH_KEY, async () => {
    const cur = await readJson<Epoch>(store, EPOCH_KEY);
    if (cur.value?.n === epoch && cur.value.open) await putJsonIf(store, EPOCH_KEY, { n: epoch, open: false }, cur.etag);
  });
  // Scratch objects of this epoch and of any older one that never finished.
  const scratch = (await store.list(REBUILD_STATE)).filter((o) => {
    const m = /^state\/rebuild\/(\d+)\//.exec(o.key);
    return m && Number(m[1]) <= epoch;
  });
  await mapLimit(scratch, parallel, (o) => store.delete(o.key));

  summary.written = [...written].sort();
  summary.deleted.sort();
  summary.changedFeeds = [...changedFeeds].sort();
  return summary;
}

const sortByKey = <T>(o: Record<string, T>) => Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

async function racedKeys(store: Store): Promise<{ marker: string; key: string }[]> {
  const markers = await store.list(RACED_STATE);
  const out = await mapLimit(markers, PARALLEL, async (m) => ({ marker: m.key, key: (await readJson<{ key: string }>(store, m.key)).value?.key ?? '' }));
  return out.filter((r) => r.key);
}

/** Listing items of content/ the way the ItemReader gives them. */
async function listItems(store: Store): Promise<ListedItem[]> {
  return (await store.list(CONTENT_PREFIX)).map((o) => ({ Key: o.key, ETag: o.etag, Size: o.size, LastModified: o.lastModified }));
}

/** Articles per map batch of the single-invocation rebuild. */
export const MAP_BATCH = 200;

/**
 * The single-invocation rebuild: literally start → map over the listing in batches → reduce, in
 * this process. The fast path for small archives and local use; Step Functions runs the same steps.
 */
export async function rebuild(opts: {
  store: Store;
  settings: Settings;
  log: Logger;
  onProgress?: (phase: string, done: number, total: number) => void;
  batchSize?: number;
}): Promise<RebuildResult> {
  const { store, settings, log } = opts;
  const { epoch } = await rebuildStart(store);
  const items = await listItems(store);
  const shared: Shared = { entries: new Map(), pages: new Map(), written: new Set(), claimed: new Set((await store.list(PAGES_STATE)).map((o) => o.key)) };
  // Article pages are under articles/ unless a permalink moved them: every public file is a candidate.
  for (const o of await store.list(PUBLIC_PREFIX)) shared.pages.set(o.key, o.etag);
  const size = opts.batchSize ?? MAP_BATCH;
  const total = items.filter((i) => idOfKey(i.Key) !== null).length;
  let done = 0;
  const sum: MapSummary = { articles: 0, published: 0, drafts: 0, rejected: 0 };
  const batches: ListedItem[][] = [];
  for (let i = 0; i < items.length; i += size) batches.push(items.slice(i, i + size));
  if (total === 0) opts.onProgress?.('read', 0, 0);
  await mapLimit(batches, 2, async (b) => {
    const s = await rebuildMap(store, settings, log, epoch, b, { shared, onArticle: () => opts.onProgress?.('read', ++done, total) });
    sum.articles += s.articles;
    sum.published += s.published;
    sum.drafts += s.drafts;
    sum.rejected += s.rejected;
  });
  const r = await rebuildReduce(store, settings, log, epoch, { shared, ...(opts.onProgress ? { onProgress: opts.onProgress } : {}) });
  return {
    ...sum,
    stateWritten: r.stateWritten,
    stateDeleted: r.stateDeleted,
    written: r.written,
    deleted: r.deleted,
    unchanged: r.unchanged,
    changedFeeds: r.changedFeeds,
    raced: r.raced,
  };
}

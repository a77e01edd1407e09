// The per-node half of the engine (docs/lambda.md): month partitions made to agree with article
// records, partitions folded into a node's desired state (counts + the newest feedLimit entries),
// and a node's files rendered from its desired state, recorded as observed only after they are written.
import { nodeDir, nodeKey, type NodePath } from '../core/categories.js';
import { compareEntries, type Entry } from '../core/entry.js';
import { PUBLIC_PREFIX, FEED_FILES } from '../core/layout.js';
import type { Settings } from '../core/settings.js';
import { renderNodeFiles, renderSiteFiles, type NodeSummary, type OutFile } from '../core/site.js';
import { mapLimit } from '../build/publish.js';
import type { Logger } from '../log.js';
import { etagOf } from '../store/etag.js';
import type { ObjectInfo, Store } from '../store/store.js';
import {
  desiredKey,
  emptyDesired,
  hashOf,
  observedKey,
  partitionKey,
  putJsonIf,
  readJson,
  recordKey,
  retryOnConflict,
  sameJson,
  type ArticleRecord,
  type Item,
  type NodeDesired,
  type NodeObserved,
  type Partition,
  type TopItem,
  type TreeState,
  type Versioned,
  WHOLE,
} from './state.js';
import { nodeView, slugsOf, treeSummaries } from './tree.js';

export const PARALLEL = 8;

/** The one bounded-parallel map (src/build/publish.ts), re-exported for the engine's modules. */
export { mapLimit };

const FEED_NAMES = new Set<string>(Object.values(FEED_FILES));
export const isFeedPath = (p: string) => FEED_NAMES.has(p.slice(p.lastIndexOf('/') + 1));
/** Files the engine generates (the same set `syncFiles` owns): anything else in a folder is left alone. */
export const GENERATED = /(^|\/)(rss\.xml|atom\.xml|feed\.json|index\.html|feeds\.opml|[\w-]+\.xsl)$/;

/** What one invocation did to the public files (for its result and WebSub). */
export interface Effects {
  written: Set<string>;
  deleted: Set<string>;
  changedFeeds: Set<string>;
}

export const newEffects = (): Effects => ({ written: new Set(), deleted: new Set(), changedFeeds: new Set() });

export interface EngineCtx {
  store: Store;
  settings: Settings;
  log: Logger;
  parallel: number;
  effects: Effects;
  /** Ids from which a batch lists their range instead of asking per id (ranges.ts, RANGE_MIN). */
  rangeMin?: number;
  /** Set once a conditional write of this invocation lost a race: others are folding the same nodes now. */
  contended?: boolean;
}

// ---------------------------------------------------------------- partitions

/** Feed order of items (the same as compareEntries): newest first, ties by id. */
export const compareItems = (a: Item, b: Item) => compareEntries(a, b);

/** The items with `id` removed, and added as `item` if given, in feed order. */
export function withItem(items: readonly Item[], id: string, item: Item | null): Item[] {
  const out = items.filter((i) => i.id !== id);
  if (item) {
    let lo = 0;
    let hi = out.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (compareItems(out[mid]!, item) < 0) lo = mid + 1;
      else hi = mid;
    }
    out.splice(lo, 0, item);
  }
  return out;
}

export const emptyPartition = (path: NodePath, month: string): Partition => ({ path, month, rev: 0, items: [] });

// ---------------------------------------------------------------- fold (desired state)

/** When a partition's members begin: a month's first instant; the WHOLE partition may hold members of any date. */
const partTime = (m: string) => (m === WHOLE ? Infinity : Date.parse(`${m}-01T00:00:00Z`));
const monthOfItem = (i: Item) => i.date.slice(0, i.date.indexOf('T') - 3);
/** The partition that lists an item: the one it names (WHOLE), else its month. */
export const partOfItem = (i: Item) => i.p ?? monthOfItem(i);

/**
 * The newest `limit` members of a node after folding `known` partitions (read in full) into `d`,
 * or the month that must be read first. `d.top` holds every member newer than its last item L (or
 * every member at all when it is not full); a month with more members than `d.top` shows holds
 * only members older than L. So a candidate is certain once it is newer than L or newer than every
 * such month: the newest certain candidates are the top, or the newest such month is read next.
 */
export function planTop(
  d: NodeDesired,
  known: ReadonlyMap<string, Partition>,
  limit: number,
): { top: Item[]; parts: NodeDesired['parts'] } | { need: string } {
  const parts: NodeDesired['parts'] = { ...d.parts };
  for (const [m, p] of known) if (!parts[m] || p.rev >= parts[m]!.rev) parts[m] = { n: p.items.length, rev: p.rev };
  const cands: Item[] = d.top.filter((t) => !known.has(partOfItem(t))).map(({ id, date, v, p }) => ({ id, date, v, ...(p ? { p } : {}) }));
  for (const p of known.values()) cands.push(...p.items);
  cands.sort(compareItems);
  const full = d.top.length >= d.limit && d.limit > 0;
  const last = full ? d.top[d.top.length - 1]! : null;
  // Months not read whose members are not all in d.top: they hold members older than `last`.
  const shown = new Map<string, number>();
  for (const t of d.top) shown.set(partOfItem(t), (shown.get(partOfItem(t)) ?? 0) + 1);
  const hidden = last
    ? Object.entries(d.parts)
        .filter(([m, c]) => !known.has(m) && c.n > (shown.get(m) ?? 0))
        .map(([m]) => m)
        .sort((a, b) => partTime(b) - partTime(a) || (a < b ? -1 : a > b ? 1 : 0))
    : [];
  const newestHidden = hidden.length ? partTime(hidden[0]!) : -Infinity;
  const top: Item[] = [];
  for (const c of cands) {
    if (top.length >= limit) break;
    const certain = !last || compareItems(c, last) <= 0 || partTime(monthOfItem(c)) > newestHidden;
    if (!certain) break;
    top.push(c);
  }
  if (top.length < limit && hidden.length) return { need: hidden[0]! };
  return { top, parts };
}

export interface FoldInput {
  path: NodePath;
  /** The latest known partitions of this node that this invocation wrote or read, by month. */
  partitions: Map<string, Versioned<Partition>>;
  /** Records this invocation holds (their entries fill the top when their version matches). */
  records: ReadonlyMap<string, ArticleRecord | null>;
}

/**
 * Folds partitions into the node's desired state in one short conditional write: the reads a
 * refill needs (older partitions, records of entries moving up) happen before the node state is
 * read again, never between that read and the write.
 */
export async function foldNode(ctx: EngineCtx, input: FoldInput): Promise<Versioned<NodeDesired>> {
  const { store, settings } = ctx;
  const key = desiredKey(input.path);
  const fetched = new Map<string, Entry | null>();
  return retryOnConflict(key, async (attempt) => {
    if (attempt > 0) ctx.contended = true;
    for (;;) {
      const cur = await readJson<NodeDesired>(store, key);
      const d = cur.value ?? emptyDesired(input.path, settings.feedLimit);
      // A partition this invocation holds at an older rev than the node has folded: read it again.
      const stale = [...input.partitions].filter(([m, p]) => d.parts[m] && (p.value?.rev ?? 0) < d.parts[m]!.rev);
      if (stale.length) {
        await mapLimit(stale, ctx.parallel, async ([m]) => input.partitions.set(m, await readJson<Partition>(store, partitionKey(input.path, m))));
        continue;
      }
      const known = new Map([...input.partitions].map(([m, p]) => [m, p.value ?? emptyPartition(input.path, m)]));
      const plan = planTop(d, known, settings.feedLimit);
      if ('need' in plan) {
        input.partitions.set(plan.need, await readJson<Partition>(store, partitionKey(input.path, plan.need)));
        continue;
      }
      const entryOf = (i: Item): Entry | undefined => {
        const t = d.top.find((x) => x.id === i.id && x.v === i.v && x.entry);
        if (t) return t.entry;
        const r = input.records.get(i.id);
        if (r && r.status === 'published' && r.v === i.v) return r.entry;
        return fetched.get(`${i.id} ${i.v}`) ?? undefined;
      };
      const missing = plan.top.filter((i) => !entryOf(i) && !fetched.has(`${i.id} ${i.v}`));
      if (missing.length) {
        // Refill: entries moving up come from their records, only at the version the partition names.
        await mapLimit(missing, ctx.parallel, async (i) => {
          const r = (await readJson<ArticleRecord>(store, recordKey(i.id))).value;
          fetched.set(`${i.id} ${i.v}`, r && r.status === 'published' && r.v === i.v ? r.entry! : null);
        });
        continue;
      }
      const top: TopItem[] = plan.top.map((i) => {
        const entry = entryOf(i);
        return entry ? { ...i, entry } : { ...i };
      });
      const next: NodeDesired = { path: input.path, rev: d.rev, limit: settings.feedLimit, parts: plan.parts, top };
      if (cur.value && sameJson(next, d)) return cur;
      return putJsonIf(store, key, { ...next, rev: d.rev + 1 }, cur.etag);
    }
  });
}

export const countOf = (d: NodeDesired) => Object.values(d.parts).reduce((a, p) => a + p.n, 0);
export const renderable = (d: NodeDesired) => d.top.every((t) => t.entry);

// ---------------------------------------------------------------- render (observed state)

export const viewHash = (summaries: readonly NodeSummary[], path: NodePath) => hashOf(nodeView(summaries, path));

/** Every file of a node given its desired state and the tree; none when it has no members (the site always has its files). */
export function nodeFiles(d: NodeDesired, summaries: readonly NodeSummary[], settings: Settings): OutFile[] {
  const slugs = slugsOf(summaries, d.path);
  if (!slugs) return [];
  const files = renderNodeFiles({ path: d.path, slugs, entries: d.top.map((t) => t.entry!), count: countOf(d) }, summaries, settings);
  return d.path.length === 0 ? [...files, ...renderSiteFiles(summaries, settings)] : files;
}

const dirOf = (p: string) => p.slice(0, p.lastIndexOf('/') + 1);

export interface RenderHooks {
  /** Re-renders the pages of a node's members whose slugs moved (incremental.ts). */
  checkMemberPages(path: NodePath, d: NodeDesired, tree: TreeState): Promise<void>;
}

/**
 * Brings one node's files to its desired state and records that as observed, in this order: read
 * the observed state; the desired state (the caller's own fold, or read); the tree; list the node's
 * folder(s); write the files whose bytes differ from what is really there and delete those no longer
 * planned; then a conditional write of the observed state. Any conflict starts over from a fresh
 * read, so a file write of ours is always followed by our own successful write of an observed state
 * that includes it, or by a re-render that rewrites it (docs/lambda.md, "Why it converges").
 * Returns the folders it deleted files from (another node may claim them in a newer tree).
 */
export async function renderNode(
  ctx: EngineCtx,
  path: NodePath,
  mine: Versioned<NodeDesired> | null,
  /** The tree to render with: attempt 0 may use the one this invocation just wrote; later attempts read it again. */
  tree: (attempt: number) => Promise<TreeState>,
  hooks: RenderHooks,
  /**
   * This invocation may have moved the node's slugs (a sibling with the same slug base came or
   * went, `movedBy`): its members' pages are checked unless recorded as checked at these slugs.
   * Other renders check them only when they were recorded as checked at other slugs: a node never
   * checked has `pages` absent, and every slug move is followed by a moved render (docs/lambda.md).
   */
  moved = false,
): Promise<Set<string>> {
  const { store, settings } = ctx;
  const okey = observedKey(path);
  const deletedDirs = new Set<string>();
  await retryOnConflict(okey, async (attempt) => {
    const o = await readJson<NodeObserved>(store, okey);
    // Under contention our own fold is likely behind already: render the newest desired state, so
    // that one render covers the folds of the others too.
    let d = attempt === 0 && mine?.value && !ctx.contended ? mine.value : null;
    if (!d || (o.value && o.value.rev > d.rev)) d = (await readJson<NodeDesired>(store, desiredKey(path))).value ?? emptyDesired(path, settings.feedLimit);
    let t = await tree(attempt);
    let summaries = treeSummaries(t);
    let view = viewHash(summaries, path);
    // Attempt 0 may hold a tree older than the one the observed state was rendered from (another
    // invocation wrote counts after ours and rendered first): then read it again, after the observed
    // state, so a render never replaces a newer view with an older one.
    if (attempt === 0 && o.value && o.value.view !== view && (o.value.tree === undefined || o.value.tree > t.rev)) {
      t = await tree(1);
      summaries = treeSummaries(t);
      view = viewHash(summaries, path);
    }
    const slugs = slugsOf(summaries, path);
    // The slugs at which every member's page was checked (pages link their category nodes, never the site).
    const pages = slugs && path.length ? JSON.stringify(slugs) : undefined;
    const recorded = o.value?.files ?? {};
    // Whether this render checks the members' pages (see `moved`), and the `pages` it records.
    const check = !!slugs && pages !== o.value?.pages && (moved || o.value?.pages !== undefined);
    const pagesAfter = check || o.value?.pages === pages ? pages : undefined;
    const covered = !!o.value && o.value.rev >= d.rev && o.value.view === view && (o.value.pages === pagesAfter || !pages);
    if (!covered && !renderable(d)) {
      // An entry is at another version: its article's invocation renders this node, but as an
      // ordinary render, which checks the members' pages only if `pages` was recorded: the check a
      // moved render owes is made now, and recorded (the files and their rev stay as they were), so
      // that `pages` never names slugs the pages were checked at before this check moved them.
      if (check) {
        await hooks.checkMemberPages(path, d, t);
        if (o.value) await putJsonIf(store, okey, { ...o.value, pages: pages! }, o.etag);
      }
      return;
    }
    const planned = covered ? null : nodeFiles(d, summaries, settings);
    const plannedPaths = planned ? planned.map((f) => f.path) : Object.keys(recorded);
    const dirs = [...new Set([...Object.keys(recorded), ...plannedPaths].map(dirOf))];
    const listed = (await mapLimit(dirs, ctx.parallel, (dir) => store.listDir(PUBLIC_PREFIX + dir))).flat();
    const actual = new Map(listed.map((i: ObjectInfo) => [i.key.slice(PUBLIC_PREFIX.length), i.etag]));
    // Files in our folders that we generate but did not record (a render that died before recording).
    const strays = [...actual.keys()].filter((p) => !(p in recorded) && GENERATED.test(p) && !plannedPaths.includes(p));
    if (covered && strays.length === 0 && Object.entries(recorded).every(([p, e]) => actual.get(p) === e)) return;
    const files = planned ?? nodeFiles(d, summaries, settings);
    if (!renderable(d)) return;
    const next = Object.fromEntries(files.map((f) => [f.path, etagOf(f.body)]));
    // Never delete in a folder that another live node of this tree owns (its slug moved there).
    const owned = new Set(summaries.filter((s) => nodeKey(s.path) !== nodeKey(path)).map((s) => nodeDir(s.slugs)));
    const remove = [...new Set([...Object.keys(recorded), ...strays])].filter((p) => !(p in next) && actual.has(p) && !owned.has(dirOf(p)));
    // Paths not recorded yet are recorded first (as unknown), so that a render that dies after
    // writing them leaves them known: a later render deletes them if they are no longer planned.
    let etag = o.etag;
    const fresh = Object.keys(next).filter((p) => !(p in recorded));
    if (fresh.length) {
      const pre: NodeObserved = {
        path,
        rev: o.value?.rev ?? -1,
        view: o.value?.view ?? '',
        files: { ...recorded, ...Object.fromEntries(fresh.map((p) => [p, ''])) },
        ...(o.value?.pages !== undefined ? { pages: o.value.pages } : {}),
        ...(o.value?.tree !== undefined ? { tree: o.value.tree } : {}),
      };
      etag = (await putJsonIf(store, okey, pre, o.etag)).etag;
    }
    const write = files.filter((f) => actual.get(f.path) !== next[f.path]);
    await mapLimit(write, ctx.parallel, async (f) => {
      await store.put(PUBLIC_PREFIX + f.path, f.body, { contentType: f.contentType, cacheControl: f.cacheControl });
      ctx.effects.written.add(PUBLIC_PREFIX + f.path);
      if (isFeedPath(f.path) && recorded[f.path] !== next[f.path]) ctx.effects.changedFeeds.add(f.path);
    });
    await mapLimit(remove, ctx.parallel, async (p) => {
      await store.delete(PUBLIC_PREFIX + p);
      ctx.effects.deleted.add(PUBLIC_PREFIX + p);
      deletedDirs.add(dirOf(p));
    });
    if (check) await hooks.checkMemberPages(path, d, t);
    // The same view as recorded: the newer of the two trees gives it too.
    const treeRev = o.value?.view === view && o.value.tree !== undefined ? Math.max(t.rev, o.value.tree) : t.rev;
    const observed: NodeObserved = { path, rev: d.rev, view, files: next, ...(pagesAfter !== undefined ? { pages: pagesAfter } : {}), tree: treeRev };
    await putJsonIf(store, okey, observed, etag);
  });
  return deletedDirs;
}

export const partitionsOf = (d: NodeDesired) => Object.entries(d.parts).filter(([, p]) => p.n > 0).map(([m]) => m);

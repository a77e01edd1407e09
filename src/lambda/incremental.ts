// One upload (or deletion) of `content/<id>.<ext>` → the state and public files it changes, and no
// others. Level-triggered: the event only names the key; the object's current state decides.
//
// Race safety (see the README, "Concurrency: conditional writes"): every shared state object is changed by conditional writes
// (If-Match / If-None-Match). Every path that writes a node's files does so in one order: the node's
// index (with the hashes of the files about to be written) → the tree, carrying the index's new rev
// → the files. Each invocation ends by reading the tree once after its last write: a node whose rev
// or view of the tree (tree.ts `nodeView`) is no longer the one it rendered is synced again, the same
// way. If a stale write were the last one, its writer's final read would have shown a newer rev,
// because the newer rev's writer put it into the tree before writing its own files.
import { entryNodes, nodeKey, type NodePath } from '../core/categories.js';
import { compareEntries, type Entry } from '../core/entry.js';
import { articleIdFromPath, articlePagePath, CONTENT_PREFIX, FEED_FILES, PUBLIC_PREFIX } from '../core/layout.js';
import { processArticle } from '../core/pipeline.js';
import type { Settings } from '../core/settings.js';
import { renderArticleFiles, renderNodeFiles, renderSiteFiles, type NodeSummary, type OutFile } from '../core/site.js';
import type { Logger } from '../log.js';
import { mapLimit, oversizeError } from '../build/publish.js';
import {
  backoff,
  emptyIndex,
  emptyTree,
  encodeJson,
  errorKey,
  nodeIndexKey,
  putJsonIf,
  readJson,
  recordKey,
  TREE_KEY,
  updateJson,
  type ArticleRecord,
  type ArticleStatus,
  type ErrorRecord,
  type IndexItem,
  type NodeIndex,
  type TreeNode,
  type TreeState,
  type Versioned,
} from './state.js';
import { articleView, mergeCounts, movedNodes, nodeView, slugsOf, treeSummaries } from './tree.js';
import { etagOf } from '../store/etag.js';
import { PreconditionFailed, type ObjectInfo, type Store, type StoredObject } from '../store/store.js';

export interface ArticleOutcome {
  key: string;
  id: string | null;
  status: ArticleStatus | 'ignored';
  /** Whether the article's record changed (false for a duplicate or stale event). */
  changed: boolean;
  written: string[];
  deleted: string[];
  /** Public paths of feeds whose bytes changed: what WebSub announces. */
  changedFeeds: string[];
  passes: number;
}

const MAX_PASSES = 50;
const MAX_ATTEMPTS = 60;
const PARALLEL = 4;

const sameJson = (a: unknown, b: unknown) => encodeJson(a) === encodeJson(b);
const FEED_NAMES = new Set<string>(Object.values(FEED_FILES));
export const isFeedPath = (p: string) => FEED_NAMES.has(p.slice(p.lastIndexOf('/') + 1));

function uniqueNodes(paths: readonly NodePath[]): NodePath[] {
  return [...new Map(paths.map((p) => [nodeKey(p), p])).values()];
}

/** HEAD where the store has it (S3), else GET. */
async function infoOf(store: Store, key: string): Promise<ObjectInfo | null> {
  const withHead = store as Store & { head?: (key: string) => Promise<ObjectInfo | null> };
  return withHead.head ? withHead.head(key) : store.get(key);
}

/** What the article's record should say, given its object now (null: deleted). */
export function recordFor(id: string, key: string, obj: StoredObject | null, cur: ArticleRecord | null, settings: Settings, log: Logger): ArticleRecord {
  const wasIn = cur ? [...cur.nodes, ...cur.leaving] : [];
  const leavingOf = (nodes: NodePath[]) => {
    const keep = new Set(nodes.map(nodeKey));
    return uniqueNodes(wasIn.filter((p) => !keep.has(nodeKey(p))));
  };
  if (!obj) return { id, key, etag: null, status: 'deleted', nodes: [], leaving: leavingOf([]) };
  if (cur && cur.etag === obj.etag && cur.key === key) return cur; // same bytes: nothing to redo
  const processed = oversizeError(key, obj.size, settings)
    ? { kind: 'rejected' as const, error: oversizeError(key, obj.size, settings)! }
    : processArticle({ id, file: key, bytes: obj.body, uploadedAt: obj.lastModified }, settings);
  if (processed.kind !== 'rejected') for (const w of processed.warnings) log('warn', w, { key });
  if (processed.kind === 'entry') {
    const nodes = entryNodes(processed.entry);
    return { id, key, etag: obj.etag, status: 'published', entry: processed.entry, nodes, leaving: leavingOf(nodes) };
  }
  if (processed.kind === 'draft') return { id, key, etag: obj.etag, status: 'draft', nodes: [], leaving: leavingOf([]) };
  const { reason, line } = processed.error;
  return {
    id,
    key,
    etag: obj.etag,
    status: 'rejected',
    nodes: [],
    leaving: leavingOf([]),
    error: { reason, ...(line ? { line } : {}), time: obj.lastModified.toISOString() },
  };
}

/** Index position of an item in feed order (binary search). */
function insertAt(items: readonly IndexItem[], item: IndexItem): number {
  let lo = 0;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (compareEntries(items[mid]!, item) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The index with `id` a member (with `entry`) or not, and `top` refilled to the newest feedLimit:
 * entries that move up into the top come from their article records.
 */
export async function withMembership(
  idx: NodeIndex,
  id: string,
  entry: Entry | undefined,
  feedLimit: number,
  loadEntry: (id: string) => Promise<Entry | undefined>,
): Promise<NodeIndex | null> {
  const items = idx.items.filter((i) => i.id !== id);
  if (entry) items.splice(insertAt(items, { id, date: entry.date }), 0, { id, date: entry.date });
  const known = new Map(idx.top.filter((e) => e.id !== id).map((e) => [e.id, e]));
  if (entry) known.set(id, entry);
  const top: Entry[] = [];
  for (const item of items.slice(0, feedLimit)) {
    const e = known.get(item.id) ?? (await loadEntry(item.id));
    // A record that no longer has this entry is being changed by its own invocation, which will fix this index.
    if (e && e.date === item.date) top.push(e);
  }
  const next: NodeIndex = { path: idx.path, rev: idx.rev, items, top, published: idx.published };
  if (sameJson(next, idx)) return null;
  return { ...next, rev: idx.rev + 1 };
}

interface PassState {
  store: Store;
  settings: Settings;
  /**
   * Public key → ETag of what this invocation last wrote there ('' = deleted). Our write may have
   * landed after a newer one, so a redo rewrites any of these whose bytes differ from the new render.
   */
  dirty: Map<string, string>;
  written: Set<string>;
  deleted: Set<string>;
  changedFeeds: Set<string>;
  /** Node key → what its files were last rendered from (checked against the tree at the end). */
  rendered: Map<string, Rendered>;
}

async function writeFiles(ps: PassState, files: readonly OutFile[], remove: readonly string[], before: Record<string, string>): Promise<void> {
  await mapLimit(files, PARALLEL, async (f) => {
    const key = PUBLIC_PREFIX + f.path;
    await ps.store.put(key, f.body, { contentType: f.contentType, cacheControl: f.cacheControl });
    ps.dirty.set(key, etagOf(f.body));
    ps.written.add(key);
    if (isFeedPath(f.path) && before[f.path] !== etagOf(f.body)) ps.changedFeeds.add(f.path);
  });
  await mapLimit(remove, PARALLEL, async (p) => {
    const key = PUBLIC_PREFIX + p;
    await ps.store.delete(key);
    ps.dirty.set(key, '');
    ps.deleted.add(key);
  });
}

/** Files to write and to delete so that the public files match `files`, given the last confirmed hashes. */
function plan(ps: PassState, files: readonly OutFile[], published: Record<string, string>) {
  const next = Object.fromEntries(files.map((f) => [f.path, etagOf(f.body)]));
  const mayBeStale = (f: OutFile) => ps.dirty.has(PUBLIC_PREFIX + f.path) && ps.dirty.get(PUBLIC_PREFIX + f.path) !== next[f.path];
  const write = files.filter((f) => published[f.path] !== next[f.path] || mayBeStale(f));
  const remove = Object.keys(published).filter((p) => !(p in next));
  return { next, write, remove, idle: write.length === 0 && remove.length === 0 && sameJson(Object.keys(next).sort(), Object.keys(published).sort()) };
}

/**
 * What this invocation last rendered a node's files from: the index `rev` (null: the membership was
 * stored alone, nothing rendered yet) and the node's view of the tree (tree.ts `nodeView`). The final
 * check compares both with the tree; a node whose rev or view moved on is synced again.
 */
interface Rendered {
  path: NodePath;
  rev: number | null;
  view: string;
}

/** One node's index, written (if it changed) and ready for its files to follow the tree update. */
interface Prepared {
  path: NodePath;
  index: Versioned<NodeIndex>;
  write: OutFile[];
  remove: string[];
  before: Record<string, string>;
  rendered: Rendered;
}

/**
 * One node, first half: applies `change` (membership) to its index, renders its files from the
 * result, and stores index and file hashes in one conditional write. The files are written only
 * after the tree has taken the new rev (syncNodes): see the header comment.
 */
async function prepareNode(
  ps: PassState,
  path: NodePath,
  summaries: readonly NodeSummary[],
  change?: (idx: NodeIndex) => Promise<NodeIndex | null>,
): Promise<Prepared> {
  const key = nodeIndexKey(path);
  const view = nodeView(summaries, path);
  for (let attempt = 0; ; attempt++) {
    const cur = await readJson<NodeIndex>(ps.store, key);
    const base = cur.value ?? emptyIndex(path);
    const changed = change ? await change(base) : null;
    const content = changed ?? base;
    const nothing = { path, write: [], remove: [], before: base.published };
    if (changed && attempt > 0) {
      // Contended: others are writing this index right now. Store the membership alone (a short
      // read-write window) and leave the rendering to the final check, when the burst has settled.
      try {
        return { ...nothing, index: await putJsonIf(ps.store, key, changed, cur.etag), rendered: { path, rev: null, view } };
      } catch (e) {
        if (!(e instanceof PreconditionFailed) || attempt > MAX_ATTEMPTS) throw e;
        await backoff(attempt);
        continue;
      }
    }
    const slugs = slugsOf(summaries, path);
    // A node with no members has no files (the site always has its feeds, empty or not).
    const files = slugs
      ? renderNodeFiles({ path, slugs, entries: content.top, count: content.items.length }, summaries, ps.settings)
      : [];
    const p = plan(ps, files, base.published);
    if ((!changed && p.idle) || (!cur.value && !changed && files.length === 0))
      return { ...nothing, index: cur, rendered: { path, rev: base.rev, view } };
    let index: Versioned<NodeIndex> = cur;
    if (changed || !sameJson(p.next, base.published)) {
      try {
        index = await putJsonIf(ps.store, key, { ...content, rev: changed ? content.rev : base.rev + 1, published: p.next }, cur.etag);
      } catch (e) {
        if (!(e instanceof PreconditionFailed) || attempt > MAX_ATTEMPTS) throw e;
        await backoff(attempt);
        continue;
      }
    }
    return { path, index, write: p.write, remove: p.remove, before: base.published, rendered: { path, rev: index.value?.rev ?? 0, view } };
  }
}

/**
 * Nodes, in the order that makes the final check sound: every index (conditional) → the tree with
 * their new revs (conditional) → only then their files. Returns the indexes and the tree before and
 * after its update (for nodes whose slugs moved).
 */
async function syncNodes(
  ps: PassState,
  paths: readonly NodePath[],
  summaries: readonly NodeSummary[],
  change?: (path: NodePath, idx: NodeIndex) => Promise<NodeIndex | null>,
  tree?: Versioned<TreeState>,
): Promise<{ indexes: Versioned<NodeIndex>[]; before: NodeSummary[]; after: NodeSummary[] }> {
  const prepared = await mapLimit(paths, PARALLEL, (path) => prepareNode(ps, path, summaries, change && ((idx) => change(path, idx))));
  const counts = prepared.map(({ path, index: r }) => ({ path, count: r.value?.items.length ?? 0, rev: r.value?.rev ?? 0 }));
  const t = await syncTree(ps, counts, tree);
  await mapLimit(prepared, PARALLEL, (p) => writeFiles(ps, p.write, p.remove, p.before));
  for (const p of prepared) ps.rendered.set(nodeKey(p.path), p.rendered);
  return { indexes: prepared.map((p) => p.index), before: t.before, after: treeSummaries(t.tree.value ?? emptyTree()) };
}

/**
 * Nodes whose slugs our tree update moved (a sibling with a colliding name came or went), except
 * `mine`: their files and their articles' pages are rendered again at the new place.
 */
async function syncMoved(ps: PassState, before: readonly NodeSummary[], after: NodeSummary[], mine: ReadonlySet<string>): Promise<void> {
  const moved = movedNodes(before, after).filter((p) => !mine.has(nodeKey(p)));
  if (!moved.length) return;
  const { indexes } = await syncNodes(ps, moved, after);
  for (const idx of indexes) {
    await mapLimit(idx.value?.items ?? [], PARALLEL, async (item) => {
      // Another invocation may be unpublishing this article right now: render from its record, then
      // make sure the record did not change meanwhile (else our page could outlive its deletion).
      for (let tries = 0; tries < 5; tries++) {
        const r = await readJson<ArticleRecord>(ps.store, recordKey(item.id));
        if (r.value?.status === 'published' && r.value.entry) await renderArticle(ps, r.value.entry, after, false);
        else await writeFiles(ps, [], [articlePagePath(item.id)], {});
        if (((await infoOf(ps.store, recordKey(item.id)))?.etag ?? null) === r.etag) break;
      }
    });
  }
}

/** The tree: merges node counts and renders the site-wide files from the result, the same way. */
async function syncTree(ps: PassState, counts: readonly TreeNode[], first?: Versioned<TreeState>): Promise<{ before: NodeSummary[]; tree: Versioned<TreeState>; did: boolean }> {
  for (let attempt = 0; ; attempt++) {
    const cur = attempt === 0 && first ? first : await readJson<TreeState>(ps.store, TREE_KEY);
    const base = cur.value ?? emptyTree();
    const merged = mergeCounts(base, counts);
    const content = merged ?? base;
    const p = plan(ps, renderSiteFiles(treeSummaries(content), ps.settings), base.published);
    const before = treeSummaries(base);
    if (!merged && p.idle) return { before, tree: cur, did: false };
    let tree: Versioned<TreeState> = cur;
    if (merged || !sameJson(p.next, base.published)) {
      try {
        tree = await putJsonIf(ps.store, TREE_KEY, { ...content, rev: base.rev + 1, published: p.next }, cur.etag);
      } catch (e) {
        if (!(e instanceof PreconditionFailed) || attempt > MAX_ATTEMPTS) throw e;
        await backoff(attempt);
        continue;
      }
    }
    await writeFiles(ps, p.write, p.remove, base.published);
    return { before, tree, did: true };
  }
}

/**
 * An article's own files. Right after this invocation changed the record they are written outright;
 * otherwise (a duplicate event, a retry) compared with what is there (HEAD), so a retry after a
 * crash still repairs them.
 */
async function renderArticle(ps: PassState, entry: Entry, summaries: readonly NodeSummary[], fresh: boolean): Promise<void> {
  const files = renderArticleFiles(entry, summaries, ps.settings);
  const stale = await mapLimit(files, PARALLEL, async (f) => {
    const key = PUBLIC_PREFIX + f.path;
    return fresh || (ps.dirty.has(key) && ps.dirty.get(key) !== etagOf(f.body)) || (await infoOf(ps.store, key))?.etag !== etagOf(f.body);
  });
  await writeFiles(ps, files.filter((_, i) => stale[i]), [], {});
}

/** The tree with these nodes' counts moved by `delta` (what this upload will make of them). */
function predictCounts(tree: TreeState, nodes: readonly NodePath[], delta: (p: NodePath) => number): TreeState {
  const byKey = new Map(tree.nodes.map((n) => [nodeKey(n.path), n]));
  for (const p of nodes) {
    const cur = byKey.get(nodeKey(p));
    byKey.set(nodeKey(p), { path: p, count: Math.max(0, (cur?.count ?? 0) + delta(p)), rev: cur?.rev ?? 0 });
  }
  return { ...tree, nodes: [...byKey.values()] };
}

async function loadEntryFrom(store: Store, id: string): Promise<Entry | undefined> {
  const r = await readJson<ArticleRecord>(store, recordKey(id));
  return r.value?.status === 'published' ? r.value.entry : undefined;
}

/**
 * Brings state and public files in line with the current object at `key`. Safe to call any number
 * of times, in any order, concurrently with calls for other keys (or the same key).
 */
export async function syncArticle(store: Store, key: string, settings: Settings, log: Logger): Promise<ArticleOutcome> {
  const id = key.startsWith(CONTENT_PREFIX) ? articleIdFromPath(key.slice(CONTENT_PREFIX.length)) : null;
  const ps: PassState = { store, settings, dirty: new Map(), written: new Set(), deleted: new Set(), changedFeeds: new Set(), rendered: new Map() };
  if (id === null) {
    log('debug', 'not an article; ignored', { key });
    return { key, id, status: 'ignored', changed: false, written: [], deleted: [], changedFeeds: [], passes: 0 };
  }
  let changed = false;
  const touched: NodePath[] = [];
  let wroteError = false;
  for (let pass = 1; ; pass++) {
    // 1. The article's record, from the object as it is now. The object is read inside the
    //    conditional update, so a writer that lost the race re-reads the newer upload.
    let previous: ArticleRecord | null = null;
    const rec = await updateJson<ArticleRecord>(store, recordKey(id), async (cur) => {
      previous = cur;
      const obj = await store.get(key);
      if (!obj && !cur) return null; // never seen, already gone: no tombstone needed
      const next = recordFor(id, key, obj, cur, settings, log);
      return sameJson(next, cur) ? null : next;
    });
    const record: ArticleRecord = rec.value ?? { id, key, etag: null, status: 'deleted', nodes: [], leaving: [] };
    let recordEtag = rec.etag;
    changed ||= rec.wrote;

    // 2. Membership in every node it is in or has left, rendered with the tree as it will be after
    //    this upload (predicted from the record; step 4 re-renders if the real tree differs).
    // The site node always: even a bucket whose only article is a draft has (empty) site feeds, as `syndic build` makes.
    // And every node an earlier pass of ours touched: a pass redone because the record changed under
    // it may have written a stale membership there.
    const affected = uniqueNodes([[], ...record.nodes, ...record.leaving, ...touched]);
    touched.push(...affected);
    const member = new Set(record.status === 'published' ? record.nodes.map(nodeKey) : []);
    let summaries: NodeSummary[] = [];
    const mine = new Set(affected.map(nodeKey));
    let afterTree: { before: NodeSummary[]; after: NodeSummary[] } | null = null;
    if (affected.length) {
      const tree0v = await readJson<TreeState>(store, TREE_KEY);
      const tree0 = tree0v.value ?? emptyTree();
      // Where the indexes had it before: the previous record's nodes if we just replaced it, else (a
      // duplicate or a retry) the indexes already agree with the record.
      const prev = previous as ArticleRecord | null;
      const wasMember = new Set(rec.wrote ? (prev?.status === 'published' ? prev.nodes.map(nodeKey) : []) : [...member]);
      summaries = treeSummaries(predictCounts(tree0, affected, (p) => (member.has(nodeKey(p)) ? 1 : 0) - (wasMember.has(nodeKey(p)) ? 1 : 0)));
      // 3. Indexes, then their counts (with their revs) into the tree and the site-wide files, then the nodes' files.
      afterTree = await syncNodes(
        ps,
        affected,
        summaries,
        (path, idx) => withMembership(idx, id, member.has(nodeKey(path)) ? record.entry : undefined, settings.feedLimit, (other) => loadEntryFrom(store, other)),
        tree0v,
      );
    }

    // 5. The article's own files (and those of articles in moved nodes: their pages name the slugs).
    if (record.status === 'published' && record.entry) await renderArticle(ps, record.entry, summaries, rec.wrote);
    else await writeFiles(ps, [], [articlePagePath(id)], {});
    if (afterTree) await syncMoved(ps, afterTree.before, afterTree.after, mine);

    // 6. The error record follows the article's status.
    if (record.status === 'rejected' && record.error) {
      const err: ErrorRecord = { id, key, ...record.error };
      await store.put(errorKey(id), encodeJson(err), { contentType: 'application/json' });
      wroteError = true;
    } else if ((previous as ArticleRecord | null)?.status === 'rejected' || wroteError) {
      await store.delete(errorKey(id));
    }

    // 7. The old nodes are clean now: forget them (conditionally: a newer record keeps its own).
    let redo = false;
    if (record.leaving.length) {
      try {
        recordEtag = (await putJsonIf(store, recordKey(id), { ...record, leaving: [] }, recordEtag)).etag;
      } catch (e) {
        if (!(e instanceof PreconditionFailed)) throw e;
        redo = true;
      }
    }

    // 8. Verify, with the tree alone: every node we rendered must still be at the index rev we
    //    rendered from, seen through the same view of the tree. Any index writer updates the tree
    //    before writing its files, so if the tree still shows our rev after our last write, no newer
    //    rendering can have been overtaken by ours. Otherwise sync those nodes again (same order:
    //    index, tree, files, rewriting what we wrote with other bytes) and look again.
    for (let round = 0; !redo; round++) {
      if (round >= MAX_PASSES) throw new Error(`${key}: state kept changing; giving up (the invocation is retried)`);
      const now = await readJson<TreeState>(store, TREE_KEY);
      const latest = treeSummaries(now.value ?? emptyTree());
      const revs = new Map((now.value ?? emptyTree()).nodes.map((n) => [nodeKey(n.path), n.rev]));
      const stale = [...ps.rendered.values()]
        .filter((r) => r.rev === null || r.rev !== (revs.get(nodeKey(r.path)) ?? 0) || r.view !== nodeView(latest, r.path))
        .map((r) => r.path);
      let did = stale.length > 0;
      if (stale.length) {
        const t = await syncNodes(ps, stale, latest, undefined, now);
        await syncMoved(ps, t.before, t.after, mine);
      } else did = (await syncTree(ps, [], now)).did;
      if (record.status === 'published' && record.entry && articleView(latest, record.nodes) !== articleView(summaries, record.nodes))
        await renderArticle(ps, record.entry, latest, false);
      summaries = latest;
      if (!did) break;
      await backoff(Math.min(round, 6));
    }
    // Last, after every write of ours: a newer record (same key, newer upload) means what we wrote for
    // this article may be stale: a full pass again.
    if (!redo) redo = ((await infoOf(store, recordKey(id)))?.etag ?? null) !== recordEtag;
    if (!redo) {
      // One structured line per article outcome.
      if (record.status === 'rejected' && record.error) {
        log('error', 'article rejected', { key, reason: record.error.reason, ...(record.error.line ? { line: record.error.line } : {}) });
      } else {
        log('info', `article ${record.status}`, { key, id, changed, written: ps.written.size, deleted: ps.deleted.size, passes: pass });
      }
      return {
        key,
        id,
        status: record.status,
        changed,
        written: [...ps.written].sort(),
        deleted: [...ps.deleted].sort(),
        changedFeeds: [...ps.changedFeeds].sort(),
        passes: pass,
      };
    }
    if (pass >= MAX_PASSES) throw new Error(`${key}: state kept changing during ${MAX_PASSES} passes; giving up (the invocation is retried)`);
    await backoff(Math.min(pass, 6));
  }
}

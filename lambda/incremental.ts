// One upload (or deletion) of `content/<id>.<ext>` → the state and public files it changes, and no
// others. Level-triggered: the event only names the key; the object's current state decides.
//
// Race safety (see docs/lambda.md): every shared state object is changed by conditional writes
// (If-Match / If-None-Match), and a node's `published` hashes are confirmed by a conditional write
// *after* its files are written. Whoever confirms last rendered the newest index; a writer whose
// confirmation fails, or whose record or tree changed under it, redoes its pass and rewrites every
// file it wrote, so a stale write can never be the last one.
import { nodeKey, nodesOf, type NodePath } from './core/categories.js';
import { compareEntries, type Entry } from './core/entry.js';
import { articleIdFromPath, articlePagePath, CONTENT_PREFIX, FEED_FILES, PUBLIC_PREFIX } from './core/layout.js';
import { processArticle } from './core/pipeline.js';
import type { Settings } from './core/settings.js';
import { renderArticleFiles, renderNodeFiles, renderSiteFiles, type NodeSummary, type OutFile } from './core/site.js';
import type { Logger } from './log.js';
import { mapLimit, oversizeError } from './publish.js';
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
  type TreeState,
  type Versioned,
} from './state.js';
import { mergeCounts, movedNodes, slugsOf, treeSummaries } from './tree.js';
import { etagOf } from './store/etag.js';
import { PreconditionFailed, type ObjectInfo, type Store, type StoredObject } from './store/store.js';

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
    const nodes = nodesOf(processed.entry.categories);
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
  /** Public keys this invocation wrote or deleted: rewritten on a redo, whatever the hashes say. */
  dirty: Set<string>;
  written: Set<string>;
  deleted: Set<string>;
  changedFeeds: Set<string>;
}

async function writeFiles(ps: PassState, files: readonly OutFile[], remove: readonly string[], before: Record<string, string>): Promise<void> {
  await mapLimit(files, PARALLEL, async (f) => {
    const key = PUBLIC_PREFIX + f.path;
    await ps.store.put(key, f.body, { contentType: f.contentType, cacheControl: f.cacheControl });
    ps.dirty.add(key);
    ps.written.add(key);
    if (isFeedPath(f.path) && before[f.path] !== etagOf(f.body)) ps.changedFeeds.add(f.path);
  });
  await mapLimit(remove, PARALLEL, async (p) => {
    const key = PUBLIC_PREFIX + p;
    await ps.store.delete(key);
    ps.dirty.add(key);
    ps.deleted.add(key);
  });
}

/** Files to write and to delete so that the public files match `files`, given the last confirmed hashes. */
function plan(ps: PassState, files: readonly OutFile[], published: Record<string, string>) {
  const next = Object.fromEntries(files.map((f) => [f.path, etagOf(f.body)]));
  const write = files.filter((f) => published[f.path] !== next[f.path] || ps.dirty.has(PUBLIC_PREFIX + f.path));
  const remove = Object.keys(published).filter((p) => !(p in next));
  return { next, write, remove, idle: write.length === 0 && remove.length === 0 && sameJson(Object.keys(next).sort(), Object.keys(published).sort()) };
}

/**
 * Renders one node from its index and writes what changed, then confirms the new hashes with a
 * conditional write; if the index changed meanwhile, starts over from the newer index.
 */
async function renderNode(ps: PassState, path: NodePath, summaries: readonly NodeSummary[], first?: Versioned<NodeIndex>): Promise<void> {
  const key = nodeIndexKey(path);
  for (let attempt = 0; ; attempt++) {
    const cur = attempt === 0 && first ? first : await readJson<NodeIndex>(ps.store, key);
    const idx = cur.value;
    const slugs = slugsOf(summaries, path);
    // A node with no members has no files (the site always has its feeds, empty or not).
    const files = slugs
      ? renderNodeFiles({ path, slugs, entries: idx?.top ?? [], count: idx?.items.length ?? 0 }, summaries, ps.settings)
      : [];
    const published = idx?.published ?? {};
    const p = plan(ps, files, published);
    if (p.idle || (!idx && files.length === 0)) return;
    await writeFiles(ps, p.write, p.remove, published);
    const base = idx ?? emptyIndex(path);
    try {
      await putJsonIf(ps.store, key, { ...base, rev: base.rev + 1, published: p.next }, cur.etag);
      return;
    } catch (e) {
      if (!(e instanceof PreconditionFailed) || attempt > 40) throw e;
      await backoff(attempt);
    }
  }
}

/** The same for the site-wide files, whose hashes live in the tree. */
async function renderSite(ps: PassState, summaries: readonly NodeSummary[], first: Versioned<TreeState>): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const cur = attempt === 0 ? first : await readJson<TreeState>(ps.store, TREE_KEY);
    const tree = cur.value ?? emptyTree();
    const files = renderSiteFiles(summaries, ps.settings);
    const p = plan(ps, files, tree.published);
    if (p.idle) return;
    await writeFiles(ps, p.write, p.remove, tree.published);
    try {
      await putJsonIf(ps.store, TREE_KEY, { ...tree, rev: tree.rev + 1, published: p.next }, cur.etag);
      return;
    } catch (e) {
      if (!(e instanceof PreconditionFailed) || attempt > 40) throw e;
      await backoff(attempt);
    }
  }
}

/** An article's own files: compared with what is there (HEAD), so a retry after a crash repairs them. */
async function renderArticle(ps: PassState, entry: Entry, summaries: readonly NodeSummary[]): Promise<void> {
  const files = renderArticleFiles(entry, summaries, ps.settings);
  const stale = await mapLimit(files, PARALLEL, async (f) => {
    const key = PUBLIC_PREFIX + f.path;
    return ps.dirty.has(key) || (await infoOf(ps.store, key))?.etag !== etagOf(f.body);
  });
  await writeFiles(ps, files.filter((_, i) => stale[i]), [], {});
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
  const ps: PassState = { store, settings, dirty: new Set(), written: new Set(), deleted: new Set(), changedFeeds: new Set() };
  if (id === null) {
    log('debug', 'not an article; ignored', { key });
    return { key, id, status: 'ignored', changed: false, written: [], deleted: [], changedFeeds: [], passes: 0 };
  }
  let changed = false;
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

    // 2. Membership in every node it is in or has left.
    const affected = uniqueNodes([...record.nodes, ...record.leaving]);
    const member = new Set(record.status === 'published' ? record.nodes.map(nodeKey) : []);
    const indexes = await mapLimit(affected, PARALLEL, (path) =>
      updateJson<NodeIndex>(store, nodeIndexKey(path), (cur) =>
        withMembership(cur ?? emptyIndex(path), id, member.has(nodeKey(path)) ? record.entry : undefined, settings.feedLimit, (other) =>
          loadEntryFrom(store, other),
        ),
      ),
    );

    // 3. Counts into the tree; nodes whose slugs that moved are re-rendered too.
    let summaries: NodeSummary[] = [];
    let moved: NodePath[] = [];
    if (affected.length) {
      let before: NodeSummary[] = [];
      const counts = indexes.map((r, i) => ({ path: affected[i]!, count: r.value?.items.length ?? 0, rev: r.value?.rev ?? 0 }));
      const tree = await updateJson<TreeState>(store, TREE_KEY, (cur) => {
        before = treeSummaries(cur ?? emptyTree());
        return mergeCounts(cur ?? emptyTree(), counts);
      });
      summaries = treeSummaries(tree.value ?? emptyTree());
      const mine = new Set(affected.map(nodeKey));
      moved = movedNodes(before, summaries).filter((p) => !mine.has(nodeKey(p)));

      // 4. Files of every touched node, then the site-wide files.
      await mapLimit([...affected, ...moved], PARALLEL, (path, i) => renderNode(ps, path, summaries, i < affected.length ? indexes[i] : undefined));
      await renderSite(ps, summaries, tree);
    }

    // 5. The article's own files (and those of articles in moved nodes: their pages name the slugs).
    if (record.status === 'published' && record.entry) await renderArticle(ps, record.entry, summaries);
    else await writeFiles(ps, [], [articlePagePath(id)], {});
    for (const path of moved) {
      const idx = await readJson<NodeIndex>(store, nodeIndexKey(path));
      await mapLimit(idx.value?.items ?? [], PARALLEL, async (item) => {
        const e = await loadEntryFrom(store, item.id);
        if (e) await renderArticle(ps, e, summaries);
      });
    }

    // 6. The error record follows the article's status.
    if (record.status === 'rejected' && record.error) {
      const err: ErrorRecord = { id, key, ...record.error };
      await store.put(errorKey(id), encodeJson(err), { contentType: 'application/json' });
    } else if ((previous as ArticleRecord | null)?.status === 'rejected') {
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

    // 8. Verify: if the record or the tree changed while we rendered, our files may be stale: again.
    if (!redo) redo = ((await infoOf(store, recordKey(id)))?.etag ?? null) !== recordEtag;
    if (!redo && affected.length) {
      const now = await readJson<TreeState>(store, TREE_KEY);
      redo = !sameJson(treeSummaries(now.value ?? emptyTree()), summaries);
    }
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

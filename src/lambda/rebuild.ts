// Full rebuild of a bucket from content/: the operator's way to recover from anything, to apply
// changed settings, and the reference the incremental engine must converge to (same public files
// as `syndic build`, since both are buildSite over all entries).
import { entryNodes, nodeKey } from '../core/categories.js';
import { compareEntries, type Entry } from '../core/entry.js';
import { CONTENT_PREFIX, PUBLIC_PREFIX } from '../core/layout.js';
import type { Settings } from '../core/settings.js';
import { buildSite, renderNodeFiles, renderSiteFiles, siteNodes, summarize } from '../core/site.js';
import { isFeedPath } from './incremental.js';
import type { Logger } from '../log.js';
import { mapLimit, readArticles, syncFiles, type ReadArticle } from '../build/publish.js';
import {
  ARTICLES_STATE,
  encodeJson,
  ERRORS_STATE,
  errorKey,
  nodeIndexKey,
  NODES_STATE,
  readJson,
  recordKey,
  TREE_KEY,
  type ArticleRecord,
  type ErrorRecord,
  type NodeIndex,
  type TreeState,
} from './state.js';
import { etagOf } from '../store/etag.js';
import type { Store } from '../store/store.js';

export interface RebuildResult {
  articles: number;
  published: number;
  drafts: number;
  rejected: number;
  stateWritten: number;
  stateDeleted: number;
  written: string[];
  deleted: string[];
  unchanged: number;
  /** Public paths of feeds whose bytes changed (for WebSub). */
  changedFeeds: string[];
}

export async function rebuild(opts: {
  store: Store;
  settings: Settings;
  log: Logger;
  onProgress?: (phase: string, done: number, total: number) => void;
}): Promise<RebuildResult> {
  const { store, settings, log } = opts;
  const read: ReadArticle[] = [];
  const result = await readArticles(store, CONTENT_PREFIX, settings, log, (d, t) => opts.onProgress?.('read', d, t), (a) => read.push(a));
  read.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const entries = result.entries;
  const nodes = siteNodes(entries, settings);
  const tree = summarize(nodes);

  // The state an incremental update would have left.
  const members = new Map<string, Entry[]>();
  for (const e of entries)
    for (const p of entryNodes(e)) {
      const list = members.get(nodeKey(p));
      if (list) list.push(e);
      else members.set(nodeKey(p), [e]);
    }
  const state = new Map<string, string>();
  for (const a of read) {
    const r = a.result;
    const base = { id: a.id, key: a.info.key, etag: a.info.etag };
    let rec: ArticleRecord;
    if (r.kind === 'entry') rec = { ...base, status: 'published', entry: r.entry, nodes: entryNodes(r.entry), leaving: [] };
    else if (r.kind === 'draft') rec = { ...base, status: 'draft', nodes: [], leaving: [] };
    else {
      const error = { reason: r.error.reason, ...(r.error.line ? { line: r.error.line } : {}), time: a.info.lastModified.toISOString() };
      rec = { ...base, status: 'rejected', nodes: [], leaving: [], error };
      const err: ErrorRecord = { id: a.id, key: a.info.key, ...error };
      state.set(errorKey(a.id), encodeJson(err));
    }
    state.set(recordKey(a.id), encodeJson(rec));
  }
  // Keep each index's rev increasing, so the tree's counts stay ordered if an upload runs meanwhile.
  const oldRevs = await mapLimit(nodes, 16, async (n) => (await readJson<NodeIndex>(store, nodeIndexKey(n.path))).value?.rev ?? 0);
  const revs = new Map(nodes.map((n, i) => [nodeKey(n.path), oldRevs[i]! + 1]));
  for (const n of nodes) {
    const files = renderNodeFiles(n, tree, settings);
    const idx: NodeIndex = {
      path: n.path,
      rev: revs.get(nodeKey(n.path))!,
      items: [...(members.get(nodeKey(n.path)) ?? [])].sort(compareEntries).map((e) => ({ id: e.id, date: e.date })),
      top: n.entries,
      published: Object.fromEntries(files.map((f) => [f.path, etagOf(f.body)])),
    };
    state.set(nodeIndexKey(n.path), encodeJson(idx));
  }
  const oldTree = (await readJson<TreeState>(store, TREE_KEY)).value;
  const treeState: TreeState = {
    rev: (oldTree?.rev ?? 0) + 1,
    nodes: nodes
      .map((n) => ({ path: n.path, count: n.count, rev: revs.get(nodeKey(n.path))! }))
      .sort((a, b) => (nodeKey(a.path) < nodeKey(b.path) ? -1 : nodeKey(a.path) > nodeKey(b.path) ? 1 : 0)),
    published: Object.fromEntries(renderSiteFiles(tree, settings).map((f) => [f.path, etagOf(f.body)])),
  };

  // State first, then the public files made from it.
  const existing = new Map((await store.list('state/')).map((o) => [o.key, o.etag]));
  const toWrite = [...state].filter(([k, body]) => existing.get(k) !== etagOf(body));
  let done = 0;
  await mapLimit(toWrite, 16, async ([k, body]) => {
    await store.put(k, body, { contentType: 'application/json' });
    opts.onProgress?.('state', ++done, toWrite.length);
  });
  // The tree is always rewritten: its counts' revs follow the indexes' new revs.
  await store.put(TREE_KEY, encodeJson(treeState), { contentType: 'application/json' });
  const stale = [...existing.keys()].filter(
    (k) => !state.has(k) && k !== TREE_KEY && (k.startsWith(ARTICLES_STATE) || k.startsWith(NODES_STATE) || k.startsWith(ERRORS_STATE)),
  );
  await mapLimit(stale, 16, (k) => store.delete(k));

  const files = buildSite(entries, settings);
  const sync = await syncFiles(store, PUBLIC_PREFIX, files);
  const strip = (k: string) => k.slice(PUBLIC_PREFIX.length);
  return {
    articles: read.length,
    published: entries.length,
    drafts: result.drafts.length,
    rejected: result.rejected.length,
    stateWritten: toWrite.length + 1,
    stateDeleted: stale.length,
    written: sync.written,
    deleted: sync.deleted,
    unchanged: sync.unchanged,
    changedFeeds: sync.written.map(strip).filter(isFeedPath),
  };
}

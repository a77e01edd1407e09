// A worker thread of the local build: runs article tasks in batches sent by the pool (pool.ts).
// It sends an entry back only if it may be among some node's newest: an entry that this worker has
// already seen feedLimit newer ones beside, in every node it belongs to, can be in no feed (the
// build's tops are drawn from the same articles), so it stays here and is never copied.
import { serialize } from 'node:v8';
import { parentPort, workerData } from 'node:worker_threads';
import { entryNodes, nodeKey } from '../core/categories.js';
import { compareEntries, type Entry } from '../core/entry.js';
import type { NodeSummary } from '../core/site.js';
import { nodeInput } from './slugs.js';
import { runArticleTask, type ArticleResult, type ArticleTask, type TaskContext } from './article-task.js';
import { NodeWriteError, runNodeTask, type NodeFileResult, type NodeTask } from './node-task.js';

const ctx = workerData as TaskContext;
const dirs = new Set<string>();
const k = ctx.settings.feedLimit;
let tops = new Map<string, Pick<Entry, 'date' | 'id'>[]>();

// The keys of the nodes an entry is in depend on its category list (and tags), which thousands share.
const nodeKeysOf = new Map<string, string[]>();

/** Records the entry in this worker's tops; false when every node it is in already has k newer ones. */
function mayBeListed(e: Entry): boolean {
  let listed = false;
  const input = nodeInput(e);
  const inputKey = JSON.stringify(input);
  let keys = nodeKeysOf.get(inputKey);
  if (!keys) nodeKeysOf.set(inputKey, (keys = entryNodes(input).map(nodeKey)));
  for (const key of keys) {
    let top = tops.get(key);
    if (!top) tops.set(key, (top = []));
    if (top.length === k && compareEntries(e, top[k - 1]!) >= 0) continue;
    let i = top.length;
    while (i > 0 && compareEntries(e, top[i - 1]!) < 0) i--;
    top.splice(i, 0, { date: e.date, id: e.id });
    if (top.length > k) top.pop();
    listed = true;
  }
  return listed;
}

type Message = { batch: number; reset: boolean; tasks: ArticleTask[] } | { nodes: NodeTask[]; tree: NodeSummary[] };

parentPort!.on('message', (msg: Message) => {
  if ('nodes' in msg) {
    // A build's last step: some of its nodes' feeds and pages. An error ends the build.
    dirs.clear(); // (folders may have gone since the worker made them)
    let nodes: NodeFileResult[][] | undefined;
    let error: { message: string; io: boolean } | undefined;
    try {
      nodes = msg.nodes.map((t) => runNodeTask(t, msg.tree, ctx, dirs));
    } catch (e) {
      error = { message: (e as Error).message, io: e instanceof NodeWriteError };
    }
    parentPort!.postMessage(error === undefined ? { nodes } : { error });
    return;
  }
  if (msg.reset) {
    // A new build: what an earlier one saw may have changed (and the folders it made may be gone).
    tops = new Map();
    dirs.clear();
  }
  // Each result is serialized as soon as it is made, and the batch's bytes go in one message: kept
  // as objects until the batch ended, results (whole entries) outlived the young generation and were
  // copied, then promoted, by its collections (and a message per result costs more than that).
  const results = msg.tasks.map((t) => {
    let result: ArticleResult;
    try {
      result = runArticleTask(t, ctx, dirs);
      if (result.entry && !t.wantEntry && !mayBeListed(result.entry)) result.entry = undefined;
    } catch (e) {
      result = { rel: t.rel, same: false, stat: { size: 0, mtimeMs: 0, ino: 0, readAt: 0, hash: '', firstSeen: t.firstSeen ?? 0 }, ioError: `${t.rel}: ${(e as Error).message}` };
    }
    return serialize(result);
  });
  // Their memory goes to the main thread (no copy).
  parentPort!.postMessage({ batch: msg.batch, results }, results.map((b) => b.buffer as ArrayBuffer));
});

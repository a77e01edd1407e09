// A worker thread of the local build: runs article tasks in batches sent by the pool (pool.ts).
import { parentPort, workerData } from 'node:worker_threads';
import { runArticleTask, type ArticleTask, type TaskContext } from './article-task.js';

const ctx = workerData as TaskContext;
const dirs = new Set<string>();

parentPort!.on('message', (msg: { batch: number; tasks: ArticleTask[] }) => {
  const results = msg.tasks.map((t) => {
    try {
      return runArticleTask(t, ctx, dirs);
    } catch (e) {
      return { rel: t.rel, same: false, stat: { size: 0, mtimeMs: 0, ino: 0, readAt: 0, hash: '', firstSeen: t.firstSeen ?? 0 }, ioError: `${t.rel}: ${(e as Error).message}` };
    }
  });
  parentPort!.postMessage({ batch: msg.batch, results });
});

// Worker threads for the local build: articles go out in small batches, each worker keeping two in
// flight so none idles between messages. The worker script sits beside this module with the same
// extension: `.ts` under tsx (the worker registers tsx before loading it), `.js` once compiled.
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { ArticleResult, ArticleTask, TaskContext } from './article-task.js';

const BATCH = 24;
const IN_FLIGHT = 2;

function spawn(ctx: TaskContext): Worker {
  const ext = path.extname(fileURLToPath(import.meta.url));
  const script = new URL(`./worker${ext}`, import.meta.url);
  if (ext !== '.ts') return new Worker(script, { workerData: ctx });
  // TypeScript sources: load tsx's loader in the worker first (resolved from here, not from the cwd).
  const tsx = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(script.href)}); })`;
  return new Worker(boot, { eval: true, workerData: ctx });
}

export class WorkerPool {
  private readonly workers: Worker[];
  private busy = false;

  constructor(ctx: TaskContext, size = Math.max(1, os.availableParallelism())) {
    this.workers = Array.from({ length: size }, () => spawn(ctx));
    // An idle pool must not keep the process alive.
    for (const w of this.workers) w.unref();
  }

  get size(): number {
    return this.workers.length;
  }

  /** Runs every task, calling `onResult` as results arrive (in no particular order). */
  run(tasks: readonly ArticleTask[], onResult: (r: ArticleResult) => void): Promise<void> {
    if (this.busy) throw new Error('WorkerPool.run: already running');
    if (!tasks.length) return Promise.resolve();
    this.busy = true;
    return new Promise<void>((resolve, reject) => {
      let next = 0;
      let pending = 0;
      let failed = false;
      const cleanups: (() => void)[] = [];
      const finish = (err?: Error) => {
        for (const c of cleanups) c();
        this.busy = false;
        for (const w of this.workers) w.unref();
        if (err) reject(err);
        else resolve();
      };
      const send = (w: Worker) => {
        if (next >= tasks.length) return false;
        const batch = tasks.slice(next, next + BATCH);
        next += batch.length;
        pending++;
        w.postMessage({ batch: next, tasks: batch });
        return true;
      };
      for (const w of this.workers) {
        w.ref();
        const onMessage = (msg: { results: ArticleResult[] }) => {
          if (failed) return;
          pending--;
          try {
            for (const r of msg.results) onResult(r);
          } catch (e) {
            failed = true;
            return finish(e as Error);
          }
          send(w);
          if (pending === 0 && next >= tasks.length) finish();
        };
        const onError = (e: Error) => {
          if (failed) return;
          failed = true;
          finish(e);
        };
        const onExit = (code: number) => onError(new Error(`build worker exited with code ${code}`));
        w.on('message', onMessage);
        w.on('error', onError);
        w.on('exit', onExit);
        cleanups.push(() => {
          w.off('message', onMessage);
          w.off('error', onError);
          w.off('exit', onExit);
        });
        for (let i = 0; i < IN_FLIGHT; i++) send(w);
      }
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

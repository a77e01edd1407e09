// Worker threads for the local build: articles go out in small batches, each worker keeping two in
// flight so none idles between messages. The worker script sits beside this module with the same
// extension. Compiled (`.js` in dist/, `.mjs` in the bundle the checkout's bin runs), it is loaded as
// is. From TypeScript sources (`.ts`: tests that import src/ through tsx or vitest), it is bundled
// once per code version with esbuild into node_modules/.cache/syndic: a worker
// that loaded tsx would run its own loader thread and transform every module again (about 60 MB
// and a few hundred ms per worker); if esbuild is missing, the worker loads tsx instead.
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker, type ResourceLimits } from 'node:worker_threads';
import type { ArticleResult, ArticleTask, TaskContext } from './article-task.js';

const BATCH = 24;
const IN_FLIGHT = 2;
// A small young generation keeps each worker's heap near its live data (the default lets it grow
// to tens of MB per thread between scavenges); measured: 60 MB less peak RSS for two workers than
// the default. 16 MB was tried (fewer scavenges in a profile) and measured against 8 MB, alternating,
// on the 10,000-article bench: the same CPU time (15.2-15.5 against 15.3-16.4 s user) for 282-289
// against 270-275 MB peak RSS, too close to the 300 MB target.
const LIMITS: ResourceLimits = { maxYoungGenerationSizeMb: 8 };

type Script = { url: URL } | { boot: string };

async function workerScript(fingerprint: string): Promise<Script> {
  const self = fileURLToPath(import.meta.url);
  const ext = path.extname(self);
  const source = new URL(`./worker${ext}`, import.meta.url);
  if (ext !== '.ts') return { url: source };
  try {
    const esbuild = await import('esbuild');
    const dir = path.resolve(path.dirname(self), '../../node_modules/.cache/syndic');
    const file = path.join(dir, `worker-${fingerprint.slice(0, 16)}-${esbuild.version}.mjs`);
    if (!existsSync(file)) {
      mkdirSync(dir, { recursive: true });
      const tmp = `${file}.${process.pid}.tmp`;
      await esbuild.build({ entryPoints: [fileURLToPath(source)], bundle: true, platform: 'node', format: 'esm', packages: 'external', outfile: tmp, logLevel: 'silent' });
      renameSync(tmp, file);
    }
    return { url: pathToFileURL(file) };
  } catch {
    const tsx = import.meta.resolve('tsx/esm/api');
    return { boot: `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(source.href)}); })` };
  }
}

function spawn(script: Script, ctx: TaskContext): Worker {
  if ('url' in script) return new Worker(script.url, { workerData: ctx, resourceLimits: LIMITS });
  return new Worker(script.boot, { eval: true, workerData: ctx, resourceLimits: LIMITS });
}

export class WorkerPool {
  private readonly workers: Worker[];
  private busy = false;

  private constructor(workers: Worker[]) {
    this.workers = workers;
    // An idle pool must not keep the process alive.
    for (const w of this.workers) w.unref();
  }

  /** `fingerprint` names the code version (state.ts), for the bundle made from TypeScript sources. */
  static async start(ctx: TaskContext, fingerprint: string, size = Math.max(1, os.availableParallelism())): Promise<WorkerPool> {
    const script = await workerScript(fingerprint);
    return new WorkerPool(Array.from({ length: size }, () => spawn(script, ctx)));
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
      const started = new Set<Worker>();
      const send = (w: Worker) => {
        if (next >= tasks.length) return false;
        const batch = tasks.slice(next, next + BATCH);
        next += batch.length;
        pending++;
        // The first batch of a run tells the worker to forget what earlier runs saw.
        w.postMessage({ batch: next, reset: !started.has(w), tasks: batch });
        started.add(w);
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

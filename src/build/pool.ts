// Worker threads for the local build: articles go out in small batches, each worker keeping two in
// flight so none idles between messages. The worker script sits beside this module with the same
// extension. Compiled (`.js` in dist/, `.mjs` in the bundle the checkout's bin runs), it is loaded as
// is. From TypeScript sources (`.ts`: tests that import src/ through tsx or vitest), it is bundled
// once per code version with esbuild into node_modules/.cache/syndic: a worker
// that loaded tsx would run its own loader thread and transform every module again (about 60 MB
// and a few hundred ms per worker); if esbuild is missing, the worker loads tsx instead.
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import os from 'node:os';
import { deserialize } from 'node:v8';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker, type ResourceLimits } from 'node:worker_threads';
import type { ArticleResult, ArticleTask, TaskContext } from './article-task.js';
import type { NodeFileResult, NodeTask } from './node-task.js';
import type { NodeSummary } from '../core/site.js';

const BATCH = 24;
const IN_FLIGHT = 2;
// A small young generation keeps each worker's heap near its live data (the default lets it grow
// to tens of MB per thread between scavenges); measured: 60 MB less peak RSS for two workers than
// the default. 16 MB was tried (fewer scavenges in a profile) and measured against 8 MB, alternating,
// on the 10,000-article bench: the same CPU time (15.2-15.5 against 15.3-16.4 s user) for 282-289
// against 270-275 MB peak RSS, too close to the 300 MB target. Since results leave the worker
// serialized (worker.ts), 12 MB was measured against 8 MB again: the same CPU (9.55-10.14 against
// 9.73-9.87 s user, 3 alternating runs each).
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

/** Listens to a worker's messages and failures (an error, or its end); returns what stops listening. */
function listen<M>(w: Worker, onMessage: (msg: M) => void, onError: (e: Error) => void): () => void {
  const onExit = (code: number) => onError(new Error(`build worker exited with code ${code}`));
  w.on('message', onMessage);
  w.on('error', onError);
  w.on('exit', onExit);
  return () => {
    w.off('message', onMessage);
    w.off('error', onError);
    w.off('exit', onExit);
  };
}

export class WorkerPool {
  private readonly workers: Worker[];
  private busy = false;

  private closing = false;
  /** A worker that failed or ended while no run was listening (a pool started early): runs reject with it. */
  private failure: Error | undefined;

  /** What stops listening for each worker's failures outside runs. */
  private readonly watching = new Map<Worker, () => void>();

  private constructor(workers: Worker[]) {
    this.workers = workers;
    for (const w of this.workers) {
      // An idle pool must not keep the process alive.
      w.unref();
      this.watching.set(w, listen(w, () => {}, (e) => (this.failure ??= e)));
    }
  }

  /** `fingerprint` names the code version (state.ts), for the bundle made from TypeScript sources. */
  static async start(ctx: TaskContext, fingerprint: string, size = Math.max(1, os.availableParallelism())): Promise<WorkerPool> {
    const script = await workerScript(fingerprint);
    return new WorkerPool(Array.from({ length: size }, () => spawn(script, ctx)));
  }

  /**
   * The pool started now, without a turn of the event loop, when the worker script is compiled (the
   * bundle, dist/): a build can start its workers in the middle of listing the content, so that they
   * load while it lists. Null from TypeScript sources (start() bundles the script first).
   */
  static startNow(ctx: TaskContext, size = Math.max(1, os.availableParallelism())): WorkerPool | null {
    const source = new URL(`./worker${path.extname(fileURLToPath(import.meta.url))}`, import.meta.url);
    if (source.pathname.endsWith('.ts')) return null;
    return new WorkerPool(Array.from({ length: size }, () => spawn({ url: source }, ctx)));
  }

  get size(): number {
    return this.workers.length;
  }

  /** Runs every task, calling `onResult` as results arrive (in no particular order). */
  run(tasks: readonly ArticleTask[], onResult: (r: ArticleResult) => void): Promise<void> {
    if (this.busy) throw new Error('WorkerPool.run: already running');
    if (!tasks.length) return Promise.resolve();
    if (this.failure) return Promise.reject(this.failure);
    this.busy = true;
    return new Promise<void>((resolve, reject) => {
      // Each worker takes its batches from its own contiguous run of the tasks (they come in path
      // order, so one thread makes the pages of one folder: two threads creating entries in one folder
      // contend for its lock in the kernel); a worker whose run is done takes the back half of the
      // largest run left.
      const n = tasks.length;
      const lanes = this.workers.map((_, i) => ({ next: Math.floor((i * n) / this.workers.length), end: Math.floor(((i + 1) * n) / this.workers.length) }));
      let left = n;
      let pending = 0;
      let failed = false;
      const cleanups: (() => void)[] = [];
      const finish = (err?: Error) => {
        for (const c of cleanups) c();
        this.busy = false;
        if (!this.closing) for (const w of this.workers) w.unref();
        if (err) reject(err);
        else resolve();
      };
      const started = new Set<Worker>();
      const send = (w: Worker, i: number) => {
        if (left === 0) return false;
        let lane = lanes[i]!;
        if (lane.next >= lane.end) {
          const from = lanes.reduce((a, b) => (b.end - b.next > a.end - a.next ? b : a));
          const mid = from.next + Math.floor((from.end - from.next) / 2);
          lanes[i] = lane = { next: mid, end: from.end };
          from.end = mid;
        }
        const batch = tasks.slice(lane.next, Math.min(lane.next + BATCH, lane.end));
        lane.next += batch.length;
        left -= batch.length;
        pending++;
        // The first batch of a run tells the worker to forget what earlier runs saw.
        w.postMessage({ batch: lane.next, reset: !started.has(w), tasks: batch });
        started.add(w);
        return true;
      };
      this.workers.forEach((w, wi) => {
        w.ref();
        // A batch's results, each serialized by the worker (v8.serialize) as soon as it was made.
        const onMessage = (msg: { results: Uint8Array[] }) => {
          if (failed) return;
          pending--;
          try {
            for (const r of msg.results) onResult(deserialize(r) as ArticleResult);
          } catch (e) {
            failed = true;
            return finish(e as Error);
          }
          send(w, wi);
          if (pending === 0 && left === 0) finish();
        };
        const onError = (e: Error) => {
          if (failed) return;
          failed = true;
          finish(e);
        };
        cleanups.push(listen(w, onMessage, onError));
        for (let i = 0; i < IN_FLIGHT; i++) send(w, wi);
      });
    });
  }

  /**
   * Renders and writes nodes' files on the workers, `groups[i]` on worker i (a group may be empty).
   * Resolves with each group's results in task order; rejects on the first error (`io`: a write failed).
   */
  renderNodes(groups: readonly NodeTask[][], tree: readonly NodeSummary[]): Promise<NodeFileResult[][][]> {
    if (this.busy) throw new Error('WorkerPool.renderNodes: already running');
    if (this.failure) return Promise.reject(this.failure);
    this.busy = true;
    const cleanups: (() => void)[] = [];
    const done = () => {
      for (const c of cleanups) c();
      this.busy = false;
      if (!this.closing) for (const w of this.workers) w.unref();
    };
    const runs = groups.map(
      (group, i) =>
        new Promise<NodeFileResult[][]>((resolve, reject) => {
          const w = this.workers[i];
          if (!w || !group.length) return resolve([]);
          w.ref();
          const onMessage = (msg: { nodes?: NodeFileResult[][]; error?: { message: string; io: boolean } }) =>
            msg.error ? reject(Object.assign(new Error(msg.error.message), { io: msg.error.io })) : resolve(msg.nodes!);
          cleanups.push(listen(w, onMessage, reject));
          w.postMessage({ nodes: group, tree });
        }),
    );
    return Promise.all(runs).finally(done);
  }

  async close(): Promise<void> {
    // Referenced until they are gone (a run that ends meanwhile does not unreference them).
    this.closing = true;
    await Promise.all(this.workers.map((w) => (w.ref(), w.terminate())));
  }

  /** Ends the workers past the first `size` (their memory goes back); the others stay. */
  async shrink(size: number): Promise<void> {
    if (this.busy) throw new Error('WorkerPool.shrink: a run is going on');
    const gone = this.workers.splice(Math.max(1, size));
    for (const w of gone) this.watching.get(w)?.();
    await Promise.all(gone.map((w) => (w.ref(), w.terminate())));
  }
}

// Starts the local S3 server (scripts/s3rver-process.ts) in a child process and talks to it over IPC.
// Used by `npm run dev`, the tests (test/helpers/s3-server.ts) and the benchmarks.
import { fork } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

export interface LocalS3 {
  /** `http://127.0.0.1:PORT` */
  endpoint: string;
  port: number;
  /** Subscribes to s3rver's S3-style event notifications (ObjectCreated:*, ObjectRemoved:*). */
  onEvent(fn: (event: S3EventLike) => void): void;
  stop(): Promise<void>;
}

/** s3rver's notification: like S3's, except that the key is not URL-encoded. */
export interface S3EventLike {
  Records: { eventName: string; s3: { bucket: { name: string }; object: { key: string; eTag?: string } } }[];
}

const SCRIPT = fileURLToPath(new URL('./s3rver-process.ts', import.meta.url));
const TSX_LOADER = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

export async function startLocalS3(options: {
  directory: string;
  port?: number;
  buckets?: string[];
  /** false: leave out the If-Match / If-None-Match emulation (to show what it prevents). */
  conditional?: boolean;
}): Promise<LocalS3> {
  const child = fork(SCRIPT, [JSON.stringify(options)], {
    execArgv: ['--openssl-legacy-provider', '--import', TSX_LOADER],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const listeners: ((e: S3EventLike) => void)[] = [];
  const port = await new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`local S3 server exited with ${code}`)));
    child.on('message', (msg: { type: string; port?: number; event?: S3EventLike }) => {
      if (msg.type === 'ready') resolve(msg.port!);
      else if (msg.type === 'event') for (const fn of listeners) fn(msg.event!);
    });
  });
  child.removeAllListeners('exit');
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    onEvent: (fn) => void listeners.push(fn),
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        child.send({ type: 'stop' });
      }),
  };
}

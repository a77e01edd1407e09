// The local S3 server (s3rver 3.7.1) in its own process, so that it can run with
// --openssl-legacy-provider (its ListObjectsV2 continuation tokens use DES, which Node 20's OpenSSL 3
// refuses otherwise) whatever flags the parent runs with. Started by scripts/local-s3.ts over IPC.
//
// s3rver ignores If-Match / If-None-Match on PutObject; the middleware below adds them exactly as S3
// does (412 PreconditionFailed, 404 NoSuchKey for If-Match on a missing key), and serializes every
// request per key so that a check and its write are atomic and a GET never sees half a PUT, as on S3.
import { createRequire } from 'node:module';
import type { Readable } from 'node:stream';

const require = createRequire(import.meta.url);
// eslint-disable-next-line @typescript-eslint/no-require-imports
const S3rver = require('s3rver') as new (options: Record<string, unknown>) => S3rverApp;

interface KoaContext {
  method: string;
  path: string;
  querystring: string;
  headers: Record<string, string | string[] | undefined>;
  status: number;
  body: unknown;
  type: string;
  req: Readable;
  app: S3rverApp;
}
type Middleware = (ctx: KoaContext, next: () => Promise<void>) => Promise<void>;
interface S3rverApp {
  middleware: Middleware[];
  store: { getMetadata(bucket: string, key: string): Promise<Record<string, string>> };
  run(): Promise<{ port: number; address: string }>;
  close(): Promise<void>;
  on(event: 'event', fn: (e: unknown) => void): void;
}

const opts = JSON.parse(process.argv[2] ?? '{}') as { port?: number; directory: string; buckets?: string[]; conditional?: boolean };

/** Per-key FIFO lock: the next holder starts when the previous one finishes. */
const tails = new Map<string, Promise<void>>();
async function withLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
  const prev = tails.get(key) ?? Promise.resolve();
  let release!: () => void;
  const mine = new Promise<void>((r) => (release = r));
  const tail = prev.then(() => mine);
  tails.set(key, tail);
  await prev;
  try {
    return await fn();
  } finally {
    release();
    if (tails.get(key) === tail) tails.delete(key);
  }
}

const unquote = (s: string) => s.trim().replace(/^W\//, '').replace(/^"|"$/g, '');

async function currentEtag(app: S3rverApp, bucket: string, key: string): Promise<string | null> {
  try {
    const md = await app.store.getMetadata(bucket, key);
    return unquote(JSON.parse(md.etag ?? '""') as string);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

function s3Error(ctx: KoaContext, status: number, code: string, message: string) {
  ctx.req.resume(); // drain the unread body
  ctx.status = status;
  ctx.type = 'application/xml';
  ctx.body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message></Error>`;
}

async function buffer(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.from(c as Buffer));
  return Buffer.concat(chunks);
}

// PutObject, not a sub-resource (`?tagging`, `?acl`, `?uploadId=`); the SDK adds `x-id=PutObject`.
const isPlainObjectRequest = (qs: string) => [...new URLSearchParams(qs).keys()].every((k) => k === 'x-id');

const conditionalWrites: Middleware = async (ctx, next) => {
  const m = /^\/([^/]+)\/(.+)$/.exec(ctx.path);
  if (!m) return next();
  const [, bucket, rawKey] = m as unknown as [string, string, string];
  const key = decodeURIComponent(rawKey);
  await withLock(`${bucket}/${key}`, async () => {
    const ifMatch = ctx.headers['if-match'];
    const ifNoneMatch = ctx.headers['if-none-match'];
    if (opts.conditional !== false && ctx.method === 'PUT' && isPlainObjectRequest(ctx.querystring) && (ifMatch || ifNoneMatch)) {
      const etag = await currentEtag(ctx.app, bucket, key);
      if (typeof ifNoneMatch === 'string' && ifNoneMatch.trim() === '*' && etag !== null)
        return s3Error(ctx, 412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold');
      if (typeof ifMatch === 'string') {
        if (etag === null) return s3Error(ctx, 404, 'NoSuchKey', 'The specified key does not exist.');
        if (unquote(ifMatch) !== etag) return s3Error(ctx, 412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold');
      }
    }
    await next();
    // s3rver streams the file after the middleware returns; read it under the lock so a concurrent
    // PUT (which truncates the file in place) cannot cut it short.
    if (ctx.method === 'GET' && ctx.body && typeof (ctx.body as Readable).pipe === 'function') ctx.body = await buffer(ctx.body as Readable);
  });
};

const server = new S3rver({
  address: '127.0.0.1',
  port: opts.port ?? 0,
  directory: opts.directory,
  silent: true,
  allowMismatchedSignatures: true,
  vhostBuckets: false,
  configureBuckets: (opts.buckets ?? []).map((name) => ({ name })),
});
server.middleware.unshift(conditionalWrites);
server.on('event', (e) => process.send?.({ type: 'event', event: e }));
const addr = await server.run();
process.send?.({ type: 'ready', port: addr.port });
process.on('message', (msg: { type?: string }) => {
  if (msg?.type === 'stop') void server.close().finally(() => process.exit(0));
});
process.on('disconnect', () => process.exit(0));

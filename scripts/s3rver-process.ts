// The local S3 server (s3rver 3.7.1) in its own process, so that it can run with
// --openssl-legacy-provider (its ListObjectsV2 continuation tokens use DES, which Node 20's OpenSSL 3
// refuses otherwise) whatever flags the parent runs with. Started by scripts/local-s3.ts over IPC.
//
// Two things make it behave like S3 where s3rver does not:
// - its object storage is replaced by AtomicFilesystemStore (scripts/s3rver-store.ts): a PUT is
//   answered only once committed, readers see whole versions only, keys up to 1,024 bytes, listing
//   in UTF-8 order with correct paging;
// - the middleware below refuses keys over 1,024 UTF-8 bytes (400 KeyTooLongError), adds
//   If-Match / If-None-Match on PutObject as S3 answers them (412 PreconditionFailed; 404 NoSuchKey
//   for If-Match on a missing key), and serializes writes per key so that a check and its write are
//   atomic: of two writers with the same If-Match, exactly one wins.
import { createRequire } from 'node:module';
import type { Readable } from 'node:stream';
import { AtomicFilesystemStore } from './s3rver-store.js';

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
  context: { store: unknown };
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

function s3Error(ctx: KoaContext, status: number, code: string, message: string, extra = '') {
  ctx.req.resume(); // drain the unread body
  ctx.status = status;
  ctx.type = 'application/xml';
  ctx.body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message>${extra}</Error>`;
}

/** S3's limit on an object key, in UTF-8 bytes. */
const MAX_KEY_BYTES = 1024;

// PutObject, not a sub-resource (`?tagging`, `?acl`, `?uploadId=`); the SDK adds `x-id=PutObject`.
const isPlainObjectRequest = (qs: string) => [...new URLSearchParams(qs).keys()].every((k) => k === 'x-id');

const s3Semantics: Middleware = async (ctx, next) => {
  const m = /^\/([^/]+)\/(.+)$/.exec(ctx.path);
  if (!m) return next();
  const [, bucket, rawKey] = m as unknown as [string, string, string];
  const key = decodeURIComponent(rawKey);
  const writes = ctx.method === 'PUT' || ctx.method === 'POST';
  const keyBytes = Buffer.byteLength(key, 'utf8');
  if (writes && keyBytes > MAX_KEY_BYTES)
    return s3Error(ctx, 400, 'KeyTooLongError', 'Your key is too long', `<Size>${keyBytes}</Size><MaxSizeAllowed>${MAX_KEY_BYTES}</MaxSizeAllowed>`);
  // Reads need no lock: the store serves whole committed versions only.
  if (ctx.method === 'GET' || ctx.method === 'HEAD') return next();
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
    // The store resolves a PUT only once it is committed, and s3rver answers after that.
    await next();
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
server.store = server.context.store = new AtomicFilesystemStore(opts.directory) as unknown as S3rverApp['store'];
server.middleware.unshift(s3Semantics);
server.on('event', (e) => process.send?.({ type: 'event', event: e }));
const addr = await server.run();
process.send?.({ type: 'ready', port: addr.port });
process.on('message', (msg: { type?: string }) => {
  if (msg?.type === 'stop') void server.close().finally(() => process.exit(0));
});
process.on('disconnect', () => process.exit(0));

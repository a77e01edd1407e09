// `npm run dev`: the whole pipeline on this machine. A local S3 server (s3rver, 127.0.0.1:4569) with
// bucket `syndic-dev`, seeded on start with the articles of ./content (same paths below content/);
// its event notifications drive the real Lambda handler; the bucket's public/ prefix is mirrored to a
// folder and served on http://127.0.0.1:8080 with CloudFront's headers. Settings: syndic.config.json
// and SYNDIC_* variables, as for the CLI (siteUrl is the local server's).
import { mkdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../src/cli/config.js';
import { articleIdFromPath, CONTENT_PREFIX, PUBLIC_PREFIX } from '../src/core/layout.js';
import { resolveSettings, type Settings } from '../src/core/settings.js';
import { handle } from '../src/lambda/handler.js';
import type { Logger } from '../src/log.js';
import { mapLimit } from '../src/build/publish.js';
import { encodeEventKey } from '../src/lambda/s3-events.js';
import { createServer, listen } from '../src/cli/serve.js';
import { FsStore } from '../src/store/fs-store.js';
import { createS3Client, S3Store } from '../src/store/s3-store.js';
import type { Store } from '../src/store/store.js';
import { startLocalS3 } from './local-s3.js';

export const DEV_BUCKET = 'syndic-dev';

/** Makes `folder` hold exactly the objects under `prefix` of `store` (by ETag: only changes are copied). */
export async function mirror(store: Store, prefix: string, folder: FsStore): Promise<{ copied: number; removed: number }> {
  const remote = await store.list(prefix);
  const local = new Map((await folder.list('')).map((o) => [o.key, o.etag]));
  const wanted = new Set<string>();
  let copied = 0;
  await mapLimit(remote, 16, async (o) => {
    const rel = o.key.slice(prefix.length);
    wanted.add(rel);
    if (local.get(rel) === o.etag) return;
    const obj = await store.get(o.key);
    if (obj) {
      await folder.put(rel, obj.body);
      copied++;
    }
  });
  const stale = [...local.keys()].filter((k) => !wanted.has(k));
  await mapLimit(stale, 16, (k) => folder.delete(k));
  return { copied, removed: stale.length };
}

/**
 * Puts every article of `folder` under content/ of `store`, keeping its path, when the bucket does
 * not already hold the same bytes. Nothing is deleted: the bucket may hold articles uploaded earlier.
 */
export async function seed(store: Store, folder: FsStore): Promise<number> {
  const remote = new Map((await store.list(CONTENT_PREFIX)).map((o) => [o.key, o.etag]));
  const local = (await folder.list('')).filter((o) => articleIdFromPath(o.key) !== null && remote.get(CONTENT_PREFIX + o.key) !== o.etag);
  await mapLimit(local, 8, async (o) => {
    const obj = await folder.get(o.key);
    if (obj) await store.put(CONTENT_PREFIX + o.key, obj.body, { contentType: 'text/markdown; charset=utf-8' });
  });
  return local.length;
}

const devLogger: Logger = (level, msg, fields) => {
  if (level === 'debug') return;
  const where = fields?.key ? ` ${String(fields.key)}` : '';
  const extra = fields?.reason ? `: ${String(fields.reason)}${fields.line ? ` (line ${String(fields.line)})` : ''}` : '';
  (level === 'info' ? console.log : console.error)(`[${level}] ${msg}${where}${extra}`);
};

export interface DevOptions {
  settings?: Settings;
  /** Default 4569; 0 picks a free port. */
  s3Port?: number;
  /** Default 8080; 0 picks a free port. */
  httpPort?: number;
  /** Articles folder seeded into the bucket on start (default ./content; skipped when missing). */
  content?: string;
  /** Where the S3 data and the mirrored site live (default <tmp>/syndic-dev). */
  dir?: string;
}

export async function startDev(opts: DevOptions = {}) {
  const s3Port = opts.s3Port ?? 4569;
  const httpPort = opts.httpPort ?? 8080;
  const base = opts.dir ?? path.join(os.tmpdir(), 'syndic-dev');
  const folder = path.join(base, 'public');
  await rm(folder, { recursive: true, force: true });
  await mkdir(path.join(base, 's3'), { recursive: true });
  await mkdir(folder, { recursive: true });
  const server = createServer(folder);
  const site = await listen(server, httpPort, '127.0.0.1');
  const configured = opts.settings ?? (await loadConfig(process.cwd(), { env: process.env })).settings;
  const settings = resolveSettings(configured as unknown as Record<string, unknown>, { siteUrl: site });

  const s3 = await startLocalS3({ directory: path.join(base, 's3'), port: s3Port, buckets: [DEV_BUCKET] });
  const store = new S3Store(createS3Client({ endpoint: s3.endpoint }), DEV_BUCKET);
  const out = new FsStore(folder);
  // Before listening to events: the rebuild below publishes the seeded articles in one go.
  const contentDir = path.resolve(opts.content ?? 'content');
  const seeded = await seed(store, new FsStore(contentDir));

  // One handler run at a time, like a Lambda function with reserved concurrency 1 (the engine is safe
  // under concurrency too; this just keeps the log readable).
  let queue = Promise.resolve();
  const run = (event: unknown) =>
    (queue = queue
      .then(async () => {
        await handle(event, { storeFor: () => store, settings, log: devLogger });
        await mirror(store, PUBLIC_PREFIX, out);
      })
      .catch((e: unknown) => console.error(`[error] ${(e as Error).message}`)));

  s3.onEvent((event) => {
    // s3rver reports every write, including the handler's own under public/ and state/: only content/ matters,
    // and its keys come unencoded: encode them as S3 does, so the handler decodes them as in AWS.
    const records = event.Records.filter((r) => r.s3.object.key.startsWith('content/')).map((r) => ({
      ...r,
      s3: { ...r.s3, object: { ...r.s3.object, key: encodeEventKey(r.s3.object.key) } },
    }));
    if (records.length) void run({ Records: records });
  });
  await run({ action: 'rebuild', bucket: DEV_BUCKET }); // whatever the bucket already holds

  console.log(`
Local S3 server: ${s3.endpoint} (bucket ${DEV_BUCKET}, data in ${path.join(base, 's3')})
Seeded:          ${seeded} new or changed articles from ${contentDir}
Site:            ${site}/  (feeds: ${site}/rss.xml ${site}/atom.xml ${site}/feed.json)

Upload an article (the handler runs on each S3 event):
  aws --endpoint-url ${s3.endpoint} s3 cp post.md s3://${DEV_BUCKET}/content/
  npx syndic upload content/2024/post.md --endpoint ${s3.endpoint} --bucket ${DEV_BUCKET}   (key content/2024/post.md)
Delete one:
  aws --endpoint-url ${s3.endpoint} s3 rm s3://${DEV_BUCKET}/content/post.md
(the aws CLI needs any credentials, e.g. AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER)
Press Ctrl+C to stop.`);

  const stop = async () => {
    await queue;
    server.close();
    await s3.stop();
  };
  return { endpoint: s3.endpoint, site, store, seeded, stop, idle: () => queue };
}

const invoked = process.argv[1] ? path.resolve(process.argv[1]) : '';
if (invoked === fileURLToPath(import.meta.url)) {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'; // as the CLI does (src/cli/cli.ts)
  const dev = await startDev();
  const quit = () => void dev.stop().then(() => process.exit(0));
  process.on('SIGINT', quit);
  process.on('SIGTERM', quit);
}

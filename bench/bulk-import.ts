// Bulk import (issue 9, "bursts are cheap"): 2,000 articles uploaded at once to an empty bucket, as
// `aws s3 sync` of an existing site does, on the local S3 server (s3rver in its own process), their
// notifications delivered as the deployed SQS event source mapping delivers them (infra/publisher.ts
// EVENT_SOURCE: batches of up to 1,000 messages, at most 2 invocations at a time, ReportBatchItemFailures,
// a message received up to 3 times) to the real handler (src/lambda/handler.ts, as bench/upload.ts).
// A counting proxy in front of the server counts the handler's requests by kind and answers by status.
// Then the same articles in a second bucket get a fresh full rebuild; public/ must be byte-identical.
//
//   npx tsx bench/bulk-import.ts [articles]      alone (default 2,000)
//   npm run bench -- --only bulk                 as a section of the bench
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CONTENT_PREFIX } from '../src/core/layout.js';
import { resolveSettings, settingsFromEnv } from '../src/core/settings.js';
import { mapLimit } from '../src/build/publish.js';
import type { SqsRecord } from '../src/lambda/handler.js';
import { encodeEventKey } from '../src/lambda/s3-events.js';
import { silentLogger } from '../src/log.js';
import { createS3Client, S3Store } from '../src/store/s3-store.js';
import { startCountingProxy, type Counts } from './count-proxy.js';
import { DATA_DIR, generate } from './generate.js';

export const BULK_ARTICLES = 2000;
/** `aws s3 sync`'s default max_concurrent_requests. */
const SYNC_CONCURRENCY = 10;

export interface BulkResult {
  articles: number;
  batchSize: number;
  maxConcurrency: number;
  maxBatchingWindowS: number;
  maxReceiveCount: number;
  /** Seconds the 2,000 PUTs took (not counted in the requests below). */
  uploadS: number;
  /** From the first invocation until the queue was empty. */
  wallS: number;
  /** Peak RSS of this process while the invocations ran (sampled every 50 ms): an upper bound for one invocation's (it also holds the 2,000 bodies and the counting proxy). */
  peakRssMb: number;
  invocations: number;
  /** Invocations that threw (Lambda would retry the whole batch). */
  failedInvocations: number;
  /** Messages reported in batchItemFailures (redelivered). */
  itemFailures: number;
  /** Messages that would have gone to the dead-letter queue (received maxReceiveCount times, still failing). */
  deadLetters: number;
  requests: Counts;
  perArticle: number;
  statuses: Record<number, number>;
  p412: number;
  bytes: { read: number; written: number };
  /** Requests by kind and class of key (`PUT state/nodes/<node>/<month>`, `PUT public/*`...), most first. */
  byClass: [string, number][];
  publicFiles: number;
  rebuildPublicFiles: number;
  /** public/ keys whose bytes differ from the fresh rebuild's (or exist on one side only). */
  differences: string[];
}

export async function benchBulkImport(log: (msg: string) => void, articles = BULK_ARTICLES): Promise<BulkResult> {
  const { startLocalS3 } = await import('../scripts/local-s3.js');
  // Loaded here, not at the top: `npm run bench` imports this file for every section (infra/ loads aws-cdk-lib).
  const { handle } = await import('../src/lambda/handler.js');
  const { EVENT_SOURCE } = await import('../infra/publisher.js');
  const settings = resolveSettings(settingsFromEnv(process.env));
  const folder = path.join(DATA_DIR, `bulk-${articles}`);
  const rels = await generate(articles, folder);
  const serverDir = await mkdtemp(path.join(os.tmpdir(), 'syndic-bench-bulk-'));
  const server = await startLocalS3({ directory: serverDir });
  const proxy = await startCountingProxy(server.endpoint);
  const direct = createS3Client({ endpoint: server.endpoint, region: 'us-east-1' });
  const viaProxy = createS3Client({ endpoint: proxy.endpoint, region: 'us-east-1' });
  const bucket = 'bulk';
  const fresh = 'bulk-rebuild';
  try {
    for (const b of [bucket, fresh]) await direct.send(new CreateBucketCommand({ Bucket: b }));
    const store = new S3Store(direct, bucket);
    const keys = rels.map((r) => CONTENT_PREFIX + r.split(path.sep).join('/'));
    const bodies = new Map<string, Buffer>();
    await mapLimit(keys, 32, async (k, i) => void bodies.set(k, await readFile(path.join(folder, rels[i]!))));

    // 1. The sync: 2,000 PUTs, 10 at a time; S3 queues one notification (one SQS message) per object.
    const t0 = performance.now();
    await mapLimit(keys, SYNC_CONCURRENCY, (k) => store.put(k, bodies.get(k)!, { contentType: 'text/markdown; charset=utf-8' }));
    const uploadS = (performance.now() - t0) / 1000;
    log(`bulk: ${articles} articles uploaded in ${uploadS.toFixed(1)} s`);

    // 2. The event source mapping: the messages are all queued before the poller's first batch (the
    //    sync outpaces a 5 s window), so every batch is full; at most maxConcurrency invocations at a time.
    interface Message { record: SqsRecord; receives: number }
    const queue: Message[] = keys.map((key, i) => ({
      receives: 0,
      record: {
        eventSource: 'aws:sqs',
        messageId: `m${i}`,
        body: JSON.stringify({ Records: [{ eventSource: 'aws:s3', eventName: 'ObjectCreated:Put', s3: { bucket: { name: bucket }, object: { key: encodeEventKey(key), size: bodies.get(key)!.length } } }] }),
      },
    }));
    const handlerStore = new S3Store(viaProxy, bucket);
    let invocations = 0;
    let failedInvocations = 0;
    let itemFailures = 0;
    let deadLetters = 0;
    const requeue = (msgs: Message[]) => {
      for (const m of msgs) {
        if (m.receives >= EVENT_SOURCE.maxReceiveCount) deadLetters++;
        else queue.push(m);
      }
    };
    proxy.reset();
    let peakRss = process.memoryUsage().rss;
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);
    const t1 = performance.now();
    const poller = async () => {
      while (queue.length) {
        const batch = queue.splice(0, EVENT_SOURCE.batchSize);
        for (const m of batch) m.receives++;
        invocations++;
        try {
          const res = await handle({ Records: batch.map((m) => m.record) }, { storeFor: () => handlerStore, settings, log: silentLogger });
          const failures = new Set(res.action === 'sync' ? (res.batchItemFailures ?? []).map((f) => f.itemIdentifier) : []);
          itemFailures += failures.size;
          requeue(batch.filter((m) => failures.has(m.record.messageId)));
        } catch (e) {
          failedInvocations++;
          log(`bulk: an invocation failed: ${(e as Error).message.slice(0, 200)}`);
          requeue(batch);
        }
      }
    };
    await Promise.all(Array.from({ length: EVENT_SOURCE.maxConcurrency }, poller)).finally(() => clearInterval(sampler));
    const wallS = (performance.now() - t1) / 1000;
    const peakRssMb = Math.max(peakRss, process.memoryUsage().rss) / 2 ** 20;
    const requests = { ...proxy.counts };
    const statuses = { ...proxy.statuses };
    const bytes = { read: proxy.bytes.received, written: proxy.bytes.sent };
    const classes = new Map<string, number>();
    for (const q of proxy.requests) {
      const c = q
        .replace(/^(\w+) \/[^/]+\//, '$1 ')
        .replace(/^(\w+ state\/nodes\/)[0-9a-f]+\/.*/, '$1<node>/<month>')
        .replace(/^(\w+ state\/[a-z]+\/)(?!<node>).*/, '$1*')
        .replace(/^(\w+ (public|content)\/).*/, '$1*');
      classes.set(c, (classes.get(c) ?? 0) + 1);
    }
    log(`bulk: ${invocations} invocations in ${wallS.toFixed(1)} s, ${requests.total} requests (${(requests.total / articles).toFixed(2)} per article), ${statuses[412] ?? 0} answers 412`);

    // 3. A fresh full rebuild of the same articles in another bucket (the handler's rebuild action).
    const freshStore = new S3Store(direct, fresh);
    await mapLimit(keys, SYNC_CONCURRENCY, (k) => freshStore.put(k, bodies.get(k)!, { contentType: 'text/markdown; charset=utf-8' }));
    const rb = await handle({ action: 'rebuild', bucket: fresh }, { storeFor: () => freshStore, settings, log: silentLogger });
    if (rb.action !== 'rebuild') throw new Error('the rebuild did not run');
    const a = new Map((await store.list('public/')).map((o) => [o.key, o.etag]));
    const b = new Map((await freshStore.list('public/')).map((o) => [o.key, o.etag]));
    const differences: string[] = [];
    await rm(path.join(DATA_DIR, 'bulk-differences'), { recursive: true, force: true });
    await mapLimit([...new Set([...a.keys(), ...b.keys()])].sort(), 16, async (k) => {
      if (!a.has(k) || !b.has(k)) return void differences.push(`${k}: ${a.has(k) ? 'only in the import' : 'only in the rebuild'}`);
      const [x, y] = await Promise.all([store.get(k), freshStore.get(k)]);
      if (x && y && Buffer.from(x.body).equals(Buffer.from(y.body))) return;
      differences.push(`${k}: bytes differ`);
      // Both versions kept for a look: bench/data/bulk-differences/{import,rebuild}/<key>.
      for (const [side, obj] of [['import', x], ['rebuild', y]] as const) {
        const file = path.join(DATA_DIR, 'bulk-differences', side, k);
        await mkdir(path.dirname(file), { recursive: true });
        await writeFile(file, obj ? Buffer.from(obj.body) : '');
      }
    });
    log(`bulk: public/ ${a.size} files, fresh rebuild ${b.size}, ${differences.length} differences`);
    return {
      articles,
      batchSize: EVENT_SOURCE.batchSize,
      maxConcurrency: EVENT_SOURCE.maxConcurrency,
      maxBatchingWindowS: EVENT_SOURCE.maxBatchingWindow.toSeconds(),
      maxReceiveCount: EVENT_SOURCE.maxReceiveCount,
      uploadS,
      wallS,
      peakRssMb,
      invocations,
      failedInvocations,
      itemFailures,
      deadLetters,
      requests,
      perArticle: requests.total / articles,
      statuses,
      p412: statuses[412] ?? 0,
      bytes,
      byClass: [...classes].sort((x, y) => y[1] - x[1]),
      publicFiles: a.size,
      rebuildPublicFiles: b.size,
      differences: differences.sort(),
    };
  } finally {
    direct.destroy();
    viaProxy.destroy();
    await proxy.stop();
    await server.stop();
    await rm(serverDir, { recursive: true, force: true });
    await rm(folder, { recursive: true, force: true });
  }
}

/** The result as Markdown lines (bench/run.ts appends them to bench/results.md). */
export function bulkLines(r: BulkResult): string[] {
  const q = r.requests;
  const statuses = Object.entries(r.statuses).sort(([x], [y]) => Number(x) - Number(y)).map(([s, c]) => `${s}: ${c.toLocaleString('en-US')}`).join(', ');
  return [
    '',
    `Bulk import: ${r.articles.toLocaleString('en-US')} articles uploaded at once to an empty bucket (as \`aws s3 sync\`, ${SYNC_CONCURRENCY} PUTs at a time, ${r.uploadS.toFixed(1)} s), their notifications delivered as the deployed SQS event source mapping does (batches of ${r.batchSize}, at most ${r.maxConcurrency} invocations at a time, ReportBatchItemFailures, ${r.maxReceiveCount} receives) to the real handler, against the local S3 server; requests counted by the proxy (the uploads not included).`,
    '',
    '| Invocations | Failed invocations | batchItemFailures | Dead letters | Requests | Per article | GET | PUT | LIST | DELETE | HEAD | 412 answers | Read (MiB) | Written (MiB) | Wall time (s) | Peak RSS (MB) | Differences from a fresh rebuild |',
    '|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|',
    `| ${r.invocations} | ${r.failedInvocations} | ${r.itemFailures} | ${r.deadLetters} | ${q.total.toLocaleString('en-US')} | ${r.perArticle.toFixed(2)} | ${q.GET} | ${q.PUT} | ${q.LIST} | ${q.DELETE} | ${q.HEAD} | ${r.p412} | ${(r.bytes.read / 2 ** 20).toFixed(1)} | ${(r.bytes.written / 2 ** 20).toFixed(1)} | ${r.wallS.toFixed(1)} | ${r.peakRssMb.toFixed(0)} | ${r.differences.length} of ${r.publicFiles.toLocaleString('en-US')} files |`,
    '',
    `Answers by status: ${statuses}. Requests by key: ${r.byClass.map(([c, n]) => `${c} ${n.toLocaleString('en-US')}`).join(', ')}.${r.differences.length ? ` First differences: ${r.differences.slice(0, 5).join('; ')}.` : ''}`,
  ];
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const n = process.argv[2] ? Number(process.argv[2]) : BULK_ARTICLES;
  const r = await benchBulkImport((m) => console.error(`[bench] ${m}`), n);
  console.log(bulkLines(r).join('\n'));
}

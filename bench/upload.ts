// Incremental upload cost: the real handler (src/lambda/handler.ts) given S3 events against a local S3
// server (s3rver, in its own process) that holds N articles. A counting proxy between the handler's
// S3 client and the server counts every request by kind, and the body bytes each way, per upload.
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CONTENT_PREFIX } from '../src/core/layout.js';
import { resolveSettings, settingsFromEnv, type Settings } from '../src/core/settings.js';
import { silentLogger } from '../src/log.js';
import { mapLimit } from '../src/build/publish.js';
import { rebuild } from '../src/lambda/rebuild.js';
import { encodeEventKey } from '../src/lambda/s3-events.js';
import { FsStore } from '../src/store/fs-store.js';
import { createS3Client, S3Store } from '../src/store/s3-store.js';
import { categoryPaths, DATA_DIR, generate, GENERATED_UNTIL, makeArticle, readCorpus } from './generate.js';
import { startCountingProxy, zeroCounts, type Counts, KINDS } from './count-proxy.js';
import { median, percentile, ROOT, summary, type Summary } from './stats.js';

export interface UploadResult {
  uploads: number;
  warmup: number;
  categoryNodes: number;
  budget: number;
  byN: {
    n: number;
    seedObjects: number;
    seedS: number;
    latencyMs: Summary;
    p95Ms: number;
    requests: Counts;
    perUpload: Counts[];
    lastUpload: string[];
    /** Body bytes per upload (medians): read = answers' bodies, written = requests' bodies. */
    bytes: { read: number; written: number; total: number };
    perUploadBytes: { read: number; written: number }[];
  }[];
  countsFlat: boolean;
  latencyRatio: number;
  /** Median bytes (read + written) per upload at the largest N over those at BYTES_FROM (the 1,000 vs 10,000). */
  bytesRatio: number;
  /** Whether that ratio is within 10% of 1. */
  bytesFlat: boolean;
}

const SIZES = [100, 1000, 10000];
const UPLOADS = 20;
/** The N whose bytes the largest N's are compared with (issue 9: "at 1,000 and 10,000 articles"). */
const BYTES_FROM = 1000;
const WARMUP = 2;
/** The generator index of the uploaded articles: above every N, so their bytes do not depend on N. */
const UPLOAD_INDEX = 100_000;

/** Throws (and the runner skips this part) unless the real handler and the local S3 server exist. */
async function checkReady(): Promise<void> {
  const handler = await readFile(path.join(ROOT, 'src/lambda/handler.ts'), 'utf8');
  if (/Placeholder until the S3 event handler lands/.test(handler)) throw new Error('src/lambda/handler.ts is still the placeholder that only logs');
  if (!existsSync(path.join(ROOT, 'scripts/local-s3.ts'))) throw new Error('scripts/local-s3.ts (the local S3 server) does not exist yet');
}

// The local server's on-disk layout is written directly (scripts/s3rver-store.ts seedObject). Seeding a
// bucket through the layout takes seconds; through the server, 10,000 articles took minutes.
const CONTENT_TYPE: Record<string, string> = {
  '.md': 'text/markdown; charset=utf-8', '.json': 'application/json', '.xml': 'application/xml; charset=utf-8',
  '.html': 'text/html; charset=utf-8', '.opml': 'text/x-opml; charset=utf-8', '.xsl': 'text/xsl; charset=utf-8',
};

/**
 * A bucket holding N articles as the handler would have left it: the generated articles under
 * content/, then the engine's own rebuild() (the code behind the handler's rebuild action) over a
 * local folder, and the folder moved into the server's directory as bucket `bucket`.
 */
async function seedBucket(n: number, serverDir: string, bucket: string, settings: Settings): Promise<{ objects: number; seconds: number }> {
  const start = performance.now();
  const folder = path.join(DATA_DIR, `s3-seed-${n}`);
  await generate(n, path.join(folder, CONTENT_PREFIX));
  await rebuild({ store: new FsStore(folder), settings, log: silentLogger });
  const keys = (await new FsStore(folder).list('')).map((o) => o.key);
  const { seedObject } = await import('../scripts/s3rver-store.js');
  await mapLimit(keys, 32, async (key) => {
    await seedObject(serverDir, bucket, key, await readFile(path.join(folder, key)), CONTENT_TYPE[path.extname(key)] ?? 'binary/octet-stream');
  });
  await rm(folder, { recursive: true, force: true });
  return { objects: keys.length, seconds: (performance.now() - start) / 1000 };
}

export async function benchUpload(log: (msg: string) => void): Promise<UploadResult> {
  await checkReady();
  // The helper test/helpers/s3-server.ts wraps this same server but keeps its directory private.
  const { startLocalS3 } = await import('../scripts/local-s3.js');
  const serverDir = await mkdtemp(path.join(os.tmpdir(), 'syndic-bench-s3-'));
  // The handler reads its settings from SYNDIC_* variables, as in Lambda; the seed must use the same.
  const settings = resolveSettings(settingsFromEnv(process.env));
  const corpus = await readCorpus();
  const paths = categoryPaths(corpus);
  const seeds: Record<number, { objects: number; seconds: number }> = {};
  for (const n of SIZES) {
    seeds[n] = await seedBucket(n, serverDir, `bench-${n}`, settings);
    log(`upload: bucket with ${n} articles seeded (${seeds[n]!.objects} objects) in ${seeds[n]!.seconds.toFixed(1)} s`);
  }
  const server = await startLocalS3({ directory: serverDir });
  const proxy = await startCountingProxy(server.endpoint);
  const direct = createS3Client({ endpoint: server.endpoint, region: 'us-east-1' });
  // The handler builds its own S3 client from the environment, as in Lambda: point it at the proxy.
  process.env.AWS_ENDPOINT_URL_S3 = proxy.endpoint;
  process.env.AWS_REGION ??= 'us-east-1';
  const { handle } = await import('../src/lambda/handler.js');
  const byN: UploadResult['byN'] = [];
  try {
    for (const n of SIZES) {
      const bucket = `bench-${n}`;
      const store = new S3Store(direct, bucket);
      // Uploads alternate: a new article, then an edit of it (same categories, changed body). Each is
      // newer than every seeded article, so it enters the feeds of all its nodes: the same work at every N.
      const latencies: number[] = [];
      const perUpload: Counts[] = [];
      const perUploadBytes: { read: number; written: number }[] = [];
      let lastUpload: string[] = [];
      for (let u = 0; u < WARMUP + UPLOADS; u++) {
        const k = Math.floor(u / 2);
        // The same bytes at every N (the body and title come from the index): only the key is new.
        const base = makeArticle(UPLOAD_INDEX + k, corpus, paths, 2, { categories: paths[0]!, date: new Date(GENERATED_UNTIL.getTime() + k * 3600_000) });
        const key = `${CONTENT_PREFIX}uploads/${String(n + k).padStart(5, '0')}.md`;
        const bytes = u % 2 === 0 ? base.bytes : Buffer.concat([base.bytes, Buffer.from(`\n\n<p>Edited, version ${u}.</p>\n`)]);
        await store.put(key, bytes, { contentType: CONTENT_TYPE['.md'] });
        const event = { Records: [{ eventSource: 'aws:s3', eventName: 'ObjectCreated:Put', s3: { bucket: { name: bucket }, object: { key: encodeEventKey(key), size: bytes.length } } }] };
        proxy.reset();
        const start = performance.now();
        const result = await handle(event, { log: silentLogger });
        const ms = performance.now() - start;
        if (result.action !== 'sync' || result.outcomes[0]?.status === 'ignored') throw new Error(`upload was not applied: ${JSON.stringify(result).slice(0, 300)}`);
        if (u < WARMUP) continue; // the first invocations warm up the JIT and the connection pool
        latencies.push(ms);
        perUpload.push({ ...proxy.counts });
        perUploadBytes.push({ read: proxy.bytes.received, written: proxy.bytes.sent });
        lastUpload = [...proxy.requests].sort();
      }
      const requests = zeroCounts();
      for (const k of [...KINDS, 'total'] as const) requests[k] = median(perUpload.map((c) => c[k]));
      const bytes = {
        read: median(perUploadBytes.map((b) => b.read)),
        written: median(perUploadBytes.map((b) => b.written)),
        total: median(perUploadBytes.map((b) => b.read + b.written)),
      };
      byN.push({ n, seedObjects: seeds[n]!.objects, seedS: seeds[n]!.seconds, latencyMs: summary(latencies), p95Ms: percentile(latencies, 95), requests, perUpload, lastUpload, bytes, perUploadBytes });
      log(`upload at ${n}: median ${median(latencies).toFixed(0)} ms, p95 ${percentile(latencies, 95).toFixed(0)} ms, ${requests.total} requests (GET ${requests.GET}, PUT ${requests.PUT}, LIST ${requests.LIST}, DELETE ${requests.DELETE}, HEAD ${requests.HEAD}), ${bytes.total} bytes (read ${bytes.read}, written ${bytes.written})`);
    }
  } finally {
    direct.destroy();
    await proxy.stop();
    await server.stop();
    await rm(serverDir, { recursive: true, force: true });
  }
  // Every upload is filed under one three-level path: 3 category nodes.
  const categoryNodes = 3;
  const first = byN[0]!;
  const last = byN[byN.length - 1]!;
  const same = (a: Counts, b: Counts) => [...KINDS, 'total'].every((k) => a[k as keyof Counts] === b[k as keyof Counts]);
  return {
    uploads: UPLOADS,
    warmup: WARMUP,
    categoryNodes,
    // The engine's bound for one upload (docs/lambda.md, asserted exactly in test/s3/request-count.test.ts).
    budget: 14 + 11 * (categoryNodes + 1),
    byN,
    // Not only the medians: every upload at the largest N must cost what the same upload costs at the smallest.
    countsFlat: last.perUpload.every((c, i) => same(c, first.perUpload[i]!)),
    latencyRatio: last.latencyMs.median / first.latencyMs.median,
    bytesRatio: last.bytes.total / bytesFrom(byN).bytes.total,
    bytesFlat: Math.abs(last.bytes.total / bytesFrom(byN).bytes.total - 1) <= 0.1,
  };
}

const bytesFrom = (byN: UploadResult['byN']) => byN.find((x) => x.n === BYTES_FROM) ?? byN[0]!;

/** The bytes per upload at each N, as Markdown lines for the results (bench/run.ts). */
export function uploadBytesLines(u: UploadResult): string[] {
  const kb = (b: number) => (b / 1024).toFixed(1);
  const first = bytesFrom(u.byN);
  const last = u.byN[u.byN.length - 1]!;
  return [
    '',
    'Body bytes per upload (median; read = answers from S3, written = request bodies to S3), counted by the same proxy:',
    '',
    '| N | Read (KiB) | Written (KiB) | Total (KiB) |',
    '|--:|--:|--:|--:|',
    ...u.byN.map((x) => `| ${x.n.toLocaleString('en-US')} | ${kb(x.bytes.read)} | ${kb(x.bytes.written)} | ${kb(x.bytes.total)} |`),
    '',
    `Bytes at the largest N (${last.n.toLocaleString('en-US')}) within 10% of those at ${first.n.toLocaleString('en-US')}: ${u.bytesFlat ? 'yes' : '**no**'} (ratio ${u.bytesRatio.toFixed(3)}).`,
  ];
}

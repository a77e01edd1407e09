// The rebuild's reduce step alone, measured: N generated articles (bench/generate.ts) in the local S3
// server, mapped in batches of 200 (rebuildMap, as the Distributed Map's children do), then one
// rebuildReduce timed, with its S3 requests counted by kind (bench/count-proxy.ts) and the process's
// peak memory. The per-article reduce cost sizes the reduce function (docs/deploy.md).
//
//   node --expose-gc --import tsx bench/reduce.ts [N ...]   (default 2000 10000), one line of JSON per N
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { startLocalS3 } from '../scripts/local-s3.js';
import { resolveSettings } from '../src/core/settings.js';
import { mapLimit } from '../src/lambda/nodes.js';
import { MAP_BATCH, rebuildMap, rebuildReduce, rebuildStart, type ListedItem } from '../src/lambda/rebuild.js';
import { silentLogger } from '../src/log.js';
import { createS3Client, S3Store } from '../src/store/s3-store.js';
import { startCountingProxy } from './count-proxy.js';
import { categoryPaths, makeArticle, readCorpus } from './generate.js';

async function measure(n: number): Promise<Record<string, unknown>> {
  const directory = await mkdtemp(path.join(os.tmpdir(), 'syndic-reduce-'));
  const s3 = await startLocalS3({ directory });
  const proxy = await startCountingProxy(s3.endpoint);
  const client = createS3Client({ endpoint: proxy.endpoint, region: 'us-east-1' });
  const bucket = 'reduce';
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  const store = new S3Store(client, bucket);
  const settings = resolveSettings({ siteUrl: 'https://feeds.example.com' });
  try {
    const corpus = await readCorpus();
    const paths = categoryPaths(corpus);
    const t0 = Date.now();
    await mapLimit(Array.from({ length: n }, (_, i) => i), 16, async (i) => {
      const a = makeArticle(i, corpus, paths);
      await store.put(`content/${a.path}`, a.bytes);
    });
    const uploadS = (Date.now() - t0) / 1000;
    const { epoch } = await rebuildStart(store);
    const items: ListedItem[] = (await store.list('content/')).map((o) => ({ Key: o.key, ETag: o.etag, Size: o.size, LastModified: Math.floor(o.lastModified.getTime() / 1000) }));
    const batches: ListedItem[][] = [];
    for (let i = 0; i < items.length; i += MAP_BATCH) batches.push(items.slice(i, i + MAP_BATCH));
    const t1 = Date.now();
    await mapLimit(batches, 2, (b) => rebuildMap(store, settings, silentLogger, epoch, b));
    const mapS = (Date.now() - t1) / 1000;
    global.gc?.();
    const rssBefore = process.memoryUsage().rss;
    let peak = rssBefore;
    // Live heap: after a full collection every 250 ms (needs node --expose-gc), so garbage not yet
    // collected does not count; RSS (above) includes it.
    let liveHeap = 0;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
    const gcSampler = global.gc
      ? setInterval(() => {
          global.gc!();
          liveHeap = Math.max(liveHeap, process.memoryUsage().heapUsed);
        }, 250)
      : undefined;
    proxy.reset();
    const cpu0 = process.cpuUsage();
    const t2 = Date.now();
    const r = await rebuildReduce(store, settings, silentLogger, epoch);
    const reduceS = (Date.now() - t2) / 1000;
    const cpu = process.cpuUsage(cpu0);
    clearInterval(sampler);
    clearInterval(gcSampler);
    const counts = { ...proxy.counts };
    return {
      articles: n,
      uploadS,
      mapS,
      reduceS,
      reduceCpuS: (cpu.user + cpu.system) / 1e6,
      reduceMsPerArticle: (reduceS * 1000) / n,
      reduceRequests: counts,
      reduceRequestsPerArticle: counts.total / n,
      reducePeakRssMB: Math.round(peak / 1e6),
      reduceRssGrowthMB: Math.round((peak - rssBefore) / 1e6),
      reducePeakLiveHeapMB: global.gc ? Math.round(liveHeap / 1e6) : null,
      published: r.published,
      nodes: r.nodes,
      written: r.written.length,
    };
  } finally {
    client.destroy();
    await proxy.stop();
    await s3.stop();
    await rm(directory, { recursive: true, force: true });
  }
}

const ns = process.argv.slice(2).map(Number).filter((x) => x > 0);
for (const n of ns.length ? ns : [2000, 10000]) console.log(JSON.stringify(await measure(n)));

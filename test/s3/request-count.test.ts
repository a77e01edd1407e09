// The cost of one upload does not grow with the number of articles already published: count the S3
// requests of the same upload into a bucket holding 20 articles and into one holding 2,000.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handle } from '../../src/lambda/handler.js';
import { silentLogger } from '../../src/log.js';
import { mapLimit } from '../../src/build/publish.js';
import { rebuild } from '../../src/lambda/rebuild.js';
import { createS3Client, S3Store } from '../../src/store/s3-store.js';
import { FaultStore } from '../helpers/fault-store.js';
import { startS3Server, type TestS3Server } from '../helpers/s3-server.js';
import { article, s3Event, settingsFor } from './harness.js';

let s3: TestS3Server;
beforeAll(async () => {
  s3 = await startS3Server();
});
afterAll(async () => {
  await s3?.stop();
});

const settings = settingsFor({ feedLimit: 20 });
const CATS = [['News', 'World'], ['News', 'Local'], ['Sport'], ['Tech', 'AI']];

async function seeded(name: string, n: number) {
  const store = await s3.createBucket(name);
  await mapLimit(Array.from({ length: n }, (_, i) => i), 32, (i) =>
    store.put(
      `content/seed/a${i}.md`,
      article({ title: `Seed ${i}`, date: new Date(Date.UTC(2023, 0, 1) + i * 3600_000).toISOString(), categories: CATS[i % CATS.length]! }),
    ),
  );
  await rebuild({ store, settings, log: silentLogger }); // the state an incremental history would have left
  return store;
}

/** Runs one upload through the handler with a client that counts every request by command. */
async function countedUpload(bucket: string) {
  const client = createS3Client({ endpoint: s3.endpoint });
  const counts: Record<string, number> = {};
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const name = (context as { commandName?: string }).commandName ?? '?';
      counts[name] = (counts[name] ?? 0) + 1;
      return next(args);
    },
    { step: 'initialize', name: 'countRequests' },
  );
  const store = new FaultStore(new S3Store(client, bucket));
  const key = 'content/new/latest.md';
  await s3.store.client.send(
    new (await import('@aws-sdk/client-s3')).PutObjectCommand({
      Bucket: bucket,
      Key: key,
      Body: article({ title: 'Latest', date: '2024-06-01T00:00:00Z', categories: ['News', 'World'] }),
    }),
  );
  const res = await handle(s3Event(bucket, [key]), { storeFor: () => store, settings, log: silentLogger });
  client.destroy();
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  return { counts, total, res, bytes: { in: store.bytesIn, out: store.bytesOut } };
}

describe('request count of one upload', () => {
  it('is the same with 20 and with 2,000 articles in the bucket', { timeout: 600_000 }, async () => {
    await seeded('small', 20);
    const large = await seeded('large', 2000);
    expect((await large.list('content/')).length).toBe(2000); // LIST pagination past 1,000 keys works
    const a = await countedUpload('small');
    const b = await countedUpload('large');
    console.log(
      `one upload into News › World (3 nodes with the site): 20 articles → ${a.total} requests ${JSON.stringify(a.counts)}, ${a.bytes.in} bytes read, ${a.bytes.out} written; ` +
        `2,000 articles → ${b.total} requests ${JSON.stringify(b.counts)}, ${b.bytes.in} bytes read, ${b.bytes.out} written`,
    );
    expect(b.counts).toEqual(a.counts);
    // k = 2 category nodes + the site: 14 + 11 × (k + 1). Per node: GET + PUT of its month partition,
    // GET + PUT of its desired state, GET of its observed state, one LIST of its folder (the files as
    // they really are), PUTs of its 3 feeds and its page, PUT of its observed state. Per upload: the
    // intent marker (PUT, DELETE), the rebuild epoch (GET), the record (GET, LIST of content/<id>.,
    // GET of the object, PUT), the record re-checked before the partitions are written (HEAD), the
    // tree (GET, PUT), the article page (PUT: a new record, so no need to look first) checked after
    // writing against the record (HEAD) and the tree (GET), and whether a permalink of another article
    // claims the page (HEAD of its state/pages/ object, src/lambda/claims.ts). A new id has no error record to check.
    const k = 2;
    expect(a.total).toBe(14 + 11 * (k + 1));
  });
});

// A real S3-protocol server for tests and benchmarks: s3rver on 127.0.0.1 (free port) in a temp dir,
// with a bucket created, plus an SDK client and a Store pointed at it.
import { CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createS3Client, S3Store } from '../../src/store/s3-store.js';
import { startLocalS3, type S3EventLike } from '../../scripts/local-s3.js';

export interface TestS3Server {
  endpoint: string;
  bucket: string;
  client: S3Client;
  store: S3Store;
  /** Creates another bucket on the same server and returns its Store. */
  createBucket(name: string): Promise<S3Store>;
  onEvent(fn: (event: S3EventLike) => void): void;
  stop(): Promise<void>;
}

let counter = 0;

export async function startS3Server(options: { bucket?: string; conditional?: boolean } = {}): Promise<TestS3Server> {
  const directory = await mkdtemp(path.join(os.tmpdir(), 'syndic-s3-'));
  const server = await startLocalS3({ directory, conditional: options.conditional ?? true });
  const client = createS3Client({ endpoint: server.endpoint, region: 'us-east-1' });
  const createBucket = async (name: string) => {
    await client.send(new CreateBucketCommand({ Bucket: name }));
    return new S3Store(client, name);
  };
  const bucket = options.bucket ?? `test-${process.pid}-${++counter}`;
  const store = await createBucket(bucket);
  return {
    endpoint: server.endpoint,
    bucket,
    client,
    store,
    createBucket,
    onEvent: server.onEvent,
    stop: async () => {
      client.destroy();
      await server.stop();
      await rm(directory, { recursive: true, force: true });
    },
  };
}

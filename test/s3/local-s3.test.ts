// The local S3 server is faithful where the engine relies on S3: per-key atomic PUT (answered once
// committed; a GET never sees a partial body), conditional writes answered as S3 answers them, S3's
// 1,024-byte key limit, and ListObjectsV2 paging past 1,000 keys in S3's (UTF-8 byte) order. Talks
// to the server over HTTP with the AWS SDK, as the product does.
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3ServiceException, type PutObjectCommandInput } from '@aws-sdk/client-s3';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mapLimit } from '../../src/build/publish.js';
import { listRange } from '../../src/lambda/ranges.js';
import { startS3Server, type TestS3Server } from '../helpers/s3-server.js';
import { ROOT } from '../helpers/run-cli.js';

let s3: TestS3Server;
beforeAll(async () => {
  s3 = await startS3Server({ bucket: 'faithful' });
});
afterAll(async () => {
  await s3?.stop();
});

const md5 = (b: Uint8Array) => `"${createHash('md5').update(b).digest('hex')}"`;

async function put(input: Omit<PutObjectCommandInput, 'Bucket'>) {
  return s3.client.send(new PutObjectCommand({ Bucket: s3.bucket, ...input }));
}
async function get(key: string): Promise<{ body: Buffer; etag: string }> {
  const r = await s3.client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: key }));
  return { body: Buffer.from(await r.Body!.transformToByteArray()), etag: r.ETag! };
}
/** The HTTP status and S3 error code of a failed request, or 200. */
async function outcome(p: Promise<unknown>): Promise<{ status: number; code?: string }> {
  try {
    await p;
    return { status: 200 };
  } catch (e) {
    if (!(e instanceof S3ServiceException)) throw e;
    return { status: e.$metadata.httpStatusCode ?? 0, code: e.name };
  }
}

/** A body that arrives in many small chunks, so that the server is mid-write for many event-loop turns. */
function trickle(body: Buffer, chunk = 16 * 1024): Readable {
  let at = 0;
  return new Readable({
    read() {
      setImmediate(() => {
        if (at >= body.length) return void this.push(null);
        this.push(body.subarray(at, at + chunk));
        at += chunk;
      });
    },
  });
}

describe('conditional writes', () => {
  it('of two writers with the same If-Match, exactly one wins (50 rounds) and its body is what is stored', async () => {
    const key = 'state/race.json';
    let { ETag: etag } = await put({ Key: key, Body: 'v0' });
    for (let round = 1; round <= 50; round++) {
      const bodies = [`round ${round} writer a`, `round ${round} writer b`];
      const results = await Promise.all(bodies.map((b) => outcome(put({ Key: key, Body: b, IfMatch: etag }))));
      const winners = results.flatMap((r, i) => (r.status === 200 ? [i] : []));
      expect(winners, `round ${round}`).toHaveLength(1);
      const loser = results[1 - winners[0]!]!;
      expect(loser).toEqual({ status: 412, code: 'PreconditionFailed' });
      const stored = await get(key);
      expect(stored.body.toString()).toBe(bodies[winners[0]!]);
      etag = stored.etag;
    }
  });

  it('answers as S3 does: 404 NoSuchKey for If-Match on a missing key, 412 for a stale ETag or If-None-Match: * on an existing key', async () => {
    expect(await outcome(put({ Key: 'cond/missing', Body: 'x', IfMatch: '"0123456789abcdef0123456789abcdef"' }))).toEqual({ status: 404, code: 'NoSuchKey' });
    expect(await outcome(put({ Key: 'cond/new', Body: 'first', IfNoneMatch: '*' }))).toEqual({ status: 200 });
    expect(await outcome(put({ Key: 'cond/new', Body: 'second', IfNoneMatch: '*' }))).toEqual({ status: 412, code: 'PreconditionFailed' });
    expect(await outcome(put({ Key: 'cond/new', Body: 'third', IfMatch: md5(Buffer.from('not it')) }))).toEqual({ status: 412, code: 'PreconditionFailed' });
    expect((await get('cond/new')).body.toString()).toBe('first');
    expect(await outcome(put({ Key: 'cond/new', Body: 'fourth', IfMatch: md5(Buffer.from('first')) }))).toEqual({ status: 200 });
    expect((await get('cond/new')).body.toString()).toBe('fourth');
  });
});

describe('atomic PUT', () => {
  it('GETs and LISTs during a large streamed PUT see the old or the new version whole (bytes, size and ETag of one version); a GET right after the answer sees the new one', async () => {
    const key = 'public/big.json';
    const versions = [0, 1, 2, 3].map((v) => Buffer.alloc((3 + v) * 1024 * 1024, `{"version":${v}}`));
    const known = new Map(versions.map((b, v) => [md5(b), v]));
    await put({ Key: key, Body: versions[0] });
    let reads = 0;
    let lists = 0;
    for (let v = 1; v < versions.length; v++) {
      let done = false;
      const writing = put({ Key: key, Body: trickle(versions[v]!), ContentLength: versions[v]!.length }).finally(() => (done = true));
      const readers = [0, 1].map(async () => {
        while (!done) {
          const r = await get(key);
          reads++;
          // Whole bodies only: the bytes are one of the two versions, and the ETag is that version's.
          const seen = known.get(md5(r.body));
          expect(seen === v - 1 || seen === v).toBe(true);
          expect(r.etag).toBe(md5(r.body));
        }
      });
      const lister = (async () => {
        while (!done) {
          const r = await s3.client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: key }));
          lists++;
          const [o] = r.Contents ?? [];
          const seen = known.get(o!.ETag!);
          expect(seen === v - 1 || seen === v).toBe(true);
          expect(o!.Size).toBe(versions[seen!]!.length);
        }
      })();
      await Promise.all([writing, lister, ...readers]);
      expect((await get(key)).body.equals(versions[v]!)).toBe(true);
    }
    expect(reads).toBeGreaterThan(0);
    expect(lists).toBeGreaterThan(0);
  });

  it('back-to-back PUTs of one key, large then small, then a GET: the GET sees the small one whole (32 keys at once, 3 rounds)', async () => {
    // A PUT answered before its file is flushed lets the next PUT of the key (which s3rver's own
    // store truncates and rewrites in place) interleave with the tail of the previous one.
    let checked = 0;
    for (let round = 0; round < 3; round++) {
      await mapLimit(Array.from({ length: 32 }, (_, k) => k), 32, async (k) => {
        const large = JSON.stringify({ round, k, items: Array.from({ length: 4000 + k * 100 }, (_, j) => `item ${j}`) });
        const small = JSON.stringify({ round, k, small: true });
        await put({ Key: `state/doc-${k}.json`, Body: large });
        await put({ Key: `state/doc-${k}.json`, Body: small });
        expect((await get(`state/doc-${k}.json`)).body.toString()).toBe(small);
        checked++;
      });
    }
    expect(checked).toBe(96);
  });
});

describe('keys', () => {
  // 'content/' (8 bytes) + 338 × 文 (3 bytes each, one segment of 1,014 bytes) + 2 ASCII = 1,024 bytes.
  const longest = `content/${'文'.repeat(338)}ab`;
  it('accepts a 1,024-byte key (one long segment, multi-byte UTF-8) and refuses 1,025 bytes with 400 KeyTooLongError', async () => {
    expect(Buffer.byteLength(longest)).toBe(1024);
    expect(await outcome(put({ Key: longest, Body: 'max' }))).toEqual({ status: 200 });
    expect((await get(longest)).body.toString()).toBe('max');
    const listed = await s3.client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: 'content/文' }));
    expect(listed.Contents?.map((o) => o.Key)).toEqual([longest]);
    expect(await outcome(put({ Key: `${longest}c`, Body: 'too long' }))).toEqual({ status: 400, code: 'KeyTooLongError' });
    expect(await outcome(put({ Key: `content/${'文'.repeat(339)}`, Body: 'too long' }))).toEqual({ status: 400, code: 'KeyTooLongError' });
  });
});

describe('ListObjectsV2', () => {
  it('pages over 2,200 keys: pages of at most 1,000, every key once, in UTF-8 byte order', async () => {
    const bucket = 'listing';
    const store = await s3.createBucket(bucket);
    const keys: string[] = [];
    for (let i = 0; i < 2100; i++) keys.push(`content/${String(i % 7)}/${String(i).padStart(5, '0')}.md`);
    // Orders that differ between UTF-16 code units, directory walks and S3 (UTF-8 bytes):
    // 'a.b' < 'a/x' (0x2E < 0x2F), U+FF21 (EF BC A1) < U+1F600 (F0 9F 98 80), 中 < 😀.
    for (let i = 0; i < 25; i++) keys.push(`content/a.${i}`, `content/a/${i}`, `content/\uFF21${i}`, `content/😀${i}`);
    await mapLimit(keys, 16, (k) => store.put(k, k));
    const pages: string[][] = [];
    let token: string | undefined;
    do {
      const r = await s3.client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'content/', ContinuationToken: token }));
      pages.push((r.Contents ?? []).map((o) => o.Key!));
      expect(r.KeyCount).toBe(pages.at(-1)!.length);
      token = r.IsTruncated ? r.NextContinuationToken : undefined;
      if (r.IsTruncated) expect(token).toBeTruthy();
    } while (token);
    expect(pages.map((p) => p.length)).toEqual([1000, 1000, 200]);
    const listed = pages.flat();
    const byUtf8 = [...keys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    expect(listed).toEqual(byUtf8);
    // MaxKeys below 1,000 pages the same way.
    const small = await s3.client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'content/a', MaxKeys: 30 }));
    expect(small.Contents?.map((o) => o.Key)).toEqual(byUtf8.filter((k) => k.startsWith('content/a')).slice(0, 30));
    expect(small.IsTruncated).toBe(true);

    // listRange (src/lambda/ranges.ts) over listPage (StartAfter): what a LIST of each prefix alone says.
    const alone = async (ps: string[]) => new Map(await Promise.all(ps.map(async (p) => [p, await store.list(p)] as const)));
    const same = async (ps: string[]) => expect(await listRange(store, ps)).toEqual(await alone([...ps].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))));
    const ids = (is: number[]) => is.map((i) => `content/${i % 7}/${String(i).padStart(5, '0')}.`);
    await same(ids([0, 7, 14, 21, 28, 35, 42, 49, 700])); // one folder: one page
    await same(ids([0, 1, 2, 3, 4, 5, 6, 2099, 1000, 1500, 333, 334])); // 2,200 keys, 3 pages for 12 prefixes
    expect(await listRange(store, ids([0, 1, 2, 3, 4, 5, 6, 2099]))).toBeNull(); // 3 pages for 8: asks per prefix
    expect(await listRange(store, ids([0, 7, 14]))).toBeNull(); // too few
    expect(await listRange(store, ids([0, 7]), 2)).not.toBeNull();
    await same([...Array.from({ length: 5 }, (_, i) => `content/\uFF21${i}`), ...Array.from({ length: 5 }, (_, i) => `content/😀${i}`), 'content/a.1', 'content/a/1']);
    await same(['content/a.', 'content/a/', 'content/a', 'content/\uFF21', 'content/😀2', 'content/none', 'content/0/', 'content/6/02099.md', 'content/1/', 'content/3/00003', 'content/a.2', 'content/😀']);
  });
});

describe('the AWS SDK on Node < 22', () => {
  it('a CLI command that talks to S3 does not print the SDK NodeVersionSupportWarning', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'syndic-warn-'));
    try {
      const file = path.join(dir, 'hello.md');
      await writeFile(file, '---\ntitle: Hello\n---\nHi\n');
      const env = { ...process.env };
      // This worker has built S3 clients itself: make sure the child decides on its own.
      delete env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED;
      const run = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
        const child = spawn(process.execPath, [path.join(ROOT, 'bin/syndic.js'), 'upload', file, '--bucket', s3.bucket, '--endpoint', s3.endpoint], { cwd: ROOT, env });
        let stderr = '';
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        child.on('error', reject);
        child.on('close', (code) => resolve({ code, stderr }));
      });
      expect(run.stderr).not.toContain('NodeVersionSupportWarning');
      expect(run.code).toBe(0);
      expect((await get('content/hello.md')).body.toString()).toContain('title: Hello');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

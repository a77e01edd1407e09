// The object store behind the local S3 server: s3rver's FilesystemStore for buckets, bucket
// configuration and multipart parts, with every object operation replaced so that it behaves like S3.
//
// Why s3rver's own object storage is not faithful (s3rver 3.7.1, lib/stores/filesystem.js):
// - putObject truncates the object file in place and resolves when its hashing Transform finishes,
//   not when the file write stream does, and writes the body, its .md5 and its metadata as three
//   separate files: the PUT is answered before the bytes are on disk and a GET or LIST in between
//   sees a partial body or a body with another version's ETag.
// - keys map to paths, so one key segment over ~240 bytes fails with ENAMETOOLONG (S3 takes 1,024).
// - listObjects walks directories in readdir order (unsorted) and pages by "key > last key": past
//   1,000 keys a ListObjectsV2 page can skip or repeat keys.
//
// Here each object version is an immutable body file plus one small JSON record naming it; a PUT
// writes the body to a fresh file, waits for it to be fully written, then renames the record into
// place (the single commit point: rename is atomic), updates the in-memory index and only then
// returns, so s3rver answers the PUT once it is committed and every reader sees either the old
// version or the new one, whole. A reader that picked a version just replaced retries with the new
// one (the old body is unlinked after the commit; an open stream keeps reading it). Files are named
// by the key's SHA-256, so key length is bounded by S3's limit, not the filesystem's. Listing walks
// a sorted in-memory index in UTF-8 byte order, as S3 does. No fsync: a committed object survives
// the server process dying, not the machine (nothing here emulates a power cut).
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

const require = createRequire(import.meta.url);

interface S3ObjectLike {
  bucket: string;
  key: string;
  content: Readable | Buffer | null;
  metadata: Record<string, string>;
}
type S3ObjectCtor = new (bucket: string, key: string, content: Readable | Buffer | null, metadata: Record<string, unknown>) => S3ObjectLike & {
  range?: { start: number; end: number };
};
interface FilesystemStoreBase {
  rootDirectory: string;
  getBucketPath(bucket: string): string;
  getResourcePath(bucket: string, key: string | undefined, resource: string): string;
  deleteBucket(bucket: string): Promise<void>;
  reset(): void;
}
/* eslint-disable @typescript-eslint/no-require-imports */
const FilesystemStore = require('s3rver/lib/stores/filesystem') as new (root: string) => FilesystemStoreBase;
const S3Object = require('s3rver/lib/models/object') as S3ObjectCtor & { ALLOWED_METADATA: string[] };
/* eslint-enable @typescript-eslint/no-require-imports */

/** One committed object version, as stored in its record file and held in the index. */
interface ObjectRecord {
  key: string;
  /** The body file's name, in the same folder as the record. */
  body: string;
  md5: string;
  size: number;
  /** Milliseconds since the epoch. */
  mtime: number;
  /** content-type, cache-control, x-amz-meta-*, … (what s3rver keeps of the request headers). */
  metadata: Record<string, string>;
}

const OBJECTS = '._S3rver_objects';
const RECORD = '.record.json';
const TMP = '.tmp';

const enoent = () => Object.assign(new Error('no such object'), { code: 'ENOENT' });
const utf8 = (s: string) => Buffer.from(s, 'utf8');
/** S3 lists keys in UTF-8 binary order (= code point order, not JS's UTF-16 order). */
const compareKeys = (a: string, b: string) => Buffer.compare(utf8(a), utf8(b));
const nonce = () => `${Date.now().toString(36)}-${randomBytes(6).toString('hex')}`;

/** Where a key's record, bodies and subresources live: `<bucket>/._S3rver_objects/<h[0..2]>/<h>.*`, h = SHA-256 of the key. */
function objectLocation(bucketPath: string, key: string): { dir: string; id: string } {
  const id = createHash('sha256').update(key, 'utf8').digest('hex');
  return { dir: path.join(bucketPath, OBJECTS, id.slice(0, 2)), id };
}

/**
 * Writes an object straight into a bucket folder of a server that is NOT running (the benchmark
 * seeds 10,000-article buckets this way in seconds; through HTTP it takes minutes).
 */
export async function seedObject(directory: string, bucket: string, key: string, body: Buffer, contentType: string): Promise<void> {
  const { dir, id } = objectLocation(path.join(directory, bucket), key);
  await fs.mkdir(dir, { recursive: true });
  const name = `${id}.${nonce()}.body`;
  await fs.writeFile(path.join(dir, name), body);
  const rec: ObjectRecord = {
    key,
    body: name,
    md5: createHash('md5').update(body).digest('hex'),
    size: body.length,
    mtime: Date.now(),
    metadata: { 'content-type': contentType },
  };
  await fs.writeFile(path.join(dir, `${id}${RECORD}`), JSON.stringify(rec));
}

/** Sorted keys and their records, for one bucket. */
class BucketIndex {
  readonly records = new Map<string, ObjectRecord>();
  readonly keys: string[] = [];

  /** First position whose key is > `key` (strict) or >= `key`. */
  bound(key: string, strict: boolean): number {
    let lo = 0;
    let hi = this.keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const c = compareKeys(this.keys[mid]!, key);
      if (c < 0 || (strict && c === 0)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  set(rec: ObjectRecord) {
    if (!this.records.has(rec.key)) this.keys.splice(this.bound(rec.key, false), 0, rec.key);
    this.records.set(rec.key, rec);
  }

  delete(key: string) {
    if (!this.records.delete(key)) return;
    const i = this.bound(key, false);
    if (this.keys[i] === key) this.keys.splice(i, 1);
  }
}

export class AtomicFilesystemStore extends FilesystemStore {
  private readonly indexes = new Map<string, Promise<BucketIndex>>();

  // -- layout ------------------------------------------------------------------------------------
  private objectDir(bucket: string, key: string): { dir: string; id: string } {
    return objectLocation(this.getBucketPath(bucket), key);
  }

  /** Object subresources (tagging) live next to the object's record; bucket ones stay where s3rver puts them. */
  override getResourcePath(bucket: string, key: string | undefined, resource: string): string {
    if (!key) return super.getResourcePath(bucket, key, resource);
    const { dir, id } = this.objectDir(bucket, key);
    return path.join(dir, `${id}._S3rver_${resource}`);
  }

  // -- index ---------------------------------------------------------------------------------------
  private index(bucket: string): Promise<BucketIndex> {
    let p = this.indexes.get(bucket);
    if (!p) {
      p = this.loadIndex(bucket);
      this.indexes.set(bucket, p);
      p.catch(() => this.indexes.delete(bucket));
    }
    return p;
  }

  /** Reads every record of a bucket from disk (once per bucket per process: all writes go through here). */
  private async loadIndex(bucket: string): Promise<BucketIndex> {
    const index = new BucketIndex();
    const root = path.join(this.getBucketPath(bucket), OBJECTS);
    const shards = await fs.readdir(root).catch((e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? [] : Promise.reject(e)));
    const records: ObjectRecord[] = [];
    for (const shard of shards) {
      for (const name of await fs.readdir(path.join(root, shard))) {
        if (name.endsWith(RECORD)) records.push(JSON.parse(await fs.readFile(path.join(root, shard, name), 'utf8')) as ObjectRecord);
      }
    }
    records.sort((a, b) => compareKeys(a.key, b.key));
    for (const r of records) {
      index.records.set(r.key, r);
      index.keys.push(r.key);
    }
    return index;
  }

  private static metadataOf(rec: ObjectRecord): Record<string, string> {
    return {
      ...rec.metadata,
      etag: JSON.stringify(rec.md5),
      'last-modified': new Date(rec.mtime).toUTCString(),
      'content-length': String(rec.size),
    };
  }

  /** Writes the record file and makes it current: the commit point of a PUT or COPY. */
  private async commit(bucket: string, rec: ObjectRecord): Promise<void> {
    const { dir, id } = this.objectDir(bucket, rec.key);
    const index = await this.index(bucket);
    const previous = index.records.get(rec.key);
    const tmp = path.join(dir, `${id}.${nonce()}${TMP}`);
    await fs.writeFile(tmp, JSON.stringify(rec));
    await fs.rename(tmp, path.join(dir, `${id}${RECORD}`));
    index.set(rec);
    if (previous && previous.body !== rec.body) await fs.unlink(path.join(dir, previous.body)).catch(() => undefined);
  }

  // -- s3rver's store interface -------------------------------------------------------------------
  override reset(): void {
    this.indexes.clear();
    super.reset();
  }

  override async deleteBucket(bucket: string): Promise<void> {
    this.indexes.delete(bucket);
    await super.deleteBucket(bucket);
  }

  async getMetadata(bucket: string, key: string): Promise<Record<string, string>> {
    const rec = (await this.index(bucket)).records.get(key);
    if (!rec) throw enoent();
    return AtomicFilesystemStore.metadataOf(rec);
  }

  async existsObject(bucket: string, key: string): Promise<boolean> {
    return (await this.index(bucket)).records.has(key);
  }

  async getObject(bucket: string, key: string, options?: { start?: number; end?: number }) {
    const index = await this.index(bucket);
    let gone: ObjectRecord | undefined;
    for (;;) {
      const rec = index.records.get(key);
      if (!rec) return null;
      if (rec === gone) throw Object.assign(new Error(`body of ${bucket}/${key} is missing`), { code: 'EIO' });
      const metadata = AtomicFilesystemStore.metadataOf(rec);
      const lastByte = Math.max(0, rec.size - 1);
      const range = { start: options?.start ?? 0, end: Math.min(options?.end ?? Infinity, lastByte) };
      const ranged = options !== undefined && (options.start !== undefined || options.end !== undefined);
      if (range.start < 0 || range.end < range.start) {
        const object = new S3Object(bucket, key, null, metadata);
        if (ranged) object.range = range;
        return object;
      }
      const { dir } = this.objectDir(bucket, key);
      const stream = createReadStream(path.join(dir, rec.body), range);
      const opened = await new Promise<boolean>((resolve, reject) => {
        stream.once('open', () => resolve(true));
        stream.once('error', (e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? resolve(false) : reject(e)));
      });
      // The version we picked was replaced (and its body unlinked) before we opened it: take the new one.
      if (!opened) {
        gone = rec;
        continue;
      }
      const object = new S3Object(bucket, key, stream, metadata);
      if (ranged) object.range = range;
      return object;
    }
  }

  async putObject(object: S3ObjectLike): Promise<{ size: number; md5: string }> {
    const { dir, id } = this.objectDir(object.bucket, object.key);
    await fs.mkdir(dir, { recursive: true });
    const body = `${id}.${nonce()}.body`;
    const file = path.join(dir, body);
    const hash = createHash('md5');
    let size = 0;
    try {
      if (Buffer.isBuffer(object.content)) {
        hash.update(object.content);
        size = object.content.length;
        await fs.writeFile(file, object.content);
      } else if (object.content) {
        const count = new Transform({
          transform(chunk: Buffer, _enc, cb) {
            hash.update(chunk);
            size += chunk.length;
            cb(null, chunk);
          },
        });
        // Resolves once the file stream has flushed and closed, not when the request body ends; a
        // request cut short (fewer bytes than its Content-Length) rejects here and nothing is committed.
        await pipeline(object.content, count, createWriteStream(file, { flags: 'wx' }));
      } else {
        await fs.writeFile(file, '');
      }
      const md5 = hash.digest('hex');
      const metadata: Record<string, string> = {};
      for (const [k, v] of Object.entries(object.metadata))
        if (S3Object.ALLOWED_METADATA.includes(k) || k.startsWith('x-amz-meta-')) metadata[k] = v;
      await this.commit(object.bucket, { key: object.key, body, md5, size, mtime: Date.now(), metadata });
      return { size, md5 };
    } catch (e) {
      await fs.unlink(file).catch(() => undefined);
      throw e;
    }
  }

  async copyObject(
    srcBucket: string,
    srcKey: string,
    destBucket: string,
    destKey: string,
    replacementMetadata: Record<string, string> | null,
  ): Promise<Record<string, string>> {
    const src = (await this.index(srcBucket)).records.get(srcKey);
    if (!src) throw enoent();
    const from = this.objectDir(srcBucket, srcKey);
    const to = this.objectDir(destBucket, destKey);
    await fs.mkdir(to.dir, { recursive: true });
    const body = `${to.id}.${nonce()}.body`;
    try {
      await fs.copyFile(path.join(from.dir, src.body), path.join(to.dir, body));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      // The source was replaced while we copied: copy its new version.
      return this.copyObject(srcBucket, srcKey, destBucket, destKey, replacementMetadata);
    }
    let metadata = src.metadata;
    if (replacementMetadata) {
      metadata = {};
      for (const [k, v] of Object.entries(new S3Object(destBucket, destKey, null, replacementMetadata).metadata))
        if (S3Object.ALLOWED_METADATA.includes(k) || k.startsWith('x-amz-meta-')) metadata[k] = v;
    }
    await this.commit(destBucket, { key: destKey, body, md5: src.md5, size: src.size, mtime: Date.now(), metadata });
    return this.getMetadata(destBucket, destKey);
  }

  async deleteObject(bucket: string, key: string): Promise<void> {
    const index = await this.index(bucket);
    const rec = index.records.get(key);
    if (!rec) return;
    const { dir, id } = this.objectDir(bucket, key);
    await fs.unlink(path.join(dir, `${id}${RECORD}`)).catch((e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? undefined : Promise.reject(e)));
    if (index.records.get(key) === rec) index.delete(key);
    await fs.unlink(path.join(dir, rec.body)).catch(() => undefined);
    await fs.unlink(this.getResourcePath(bucket, key, 'tagging.xml')).catch(() => undefined);
  }

  /**
   * ListObjects(V2) over the sorted index. s3rver's controller counts only objects against maxKeys
   * and derives the continuation token from the last object returned, so a page stops after its
   * maxKeys-th object (common prefixes after it go to the next page); it is truncated when any key follows.
   */
  async listObjects(bucket: string, options: { delimiter?: string; startAfter?: string; prefix?: string; maxKeys?: number }) {
    const { delimiter = '', startAfter = '', prefix = '', maxKeys = Infinity } = options;
    const index = await this.index(bucket);
    const objects: S3ObjectLike[] = [];
    const commonPrefixes: string[] = [];
    let i = Math.max(index.bound(prefix, false), startAfter ? index.bound(startAfter, true) : 0);
    let isTruncated = false;
    for (; i < index.keys.length; i++) {
      const key = index.keys[i]!;
      if (!key.startsWith(prefix)) break;
      if (objects.length === maxKeys) {
        isTruncated = true;
        break;
      }
      if (delimiter) {
        const at = key.indexOf(delimiter, prefix.length);
        if (at !== -1) {
          const cp = key.slice(0, at + delimiter.length);
          if (commonPrefixes[commonPrefixes.length - 1] !== cp) commonPrefixes.push(cp);
          continue;
        }
      }
      objects.push(new S3Object(bucket, key, null, AtomicFilesystemStore.metadataOf(index.records.get(key)!)));
    }
    return { objects, commonPrefixes, isTruncated };
  }
}

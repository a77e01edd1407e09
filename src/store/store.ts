// The one seam for I/O: the engine reads and writes objects through this, whether they live in a
// local folder or in S3. Keys use `/` separators and never start with `/`.

export interface ObjectInfo {
  key: string;
  /** Quoted hex MD5 of the body, as S3 reports it for single-part uploads. */
  etag: string;
  size: number;
  lastModified: Date;
}

export interface StoredObject extends ObjectInfo {
  body: Uint8Array;
}

/** What `getCapped` returns for an object over the limit: its metadata, the body never downloaded. */
export interface TooLarge extends ObjectInfo {
  tooLarge: true;
}

export interface PutOptions {
  contentType?: string;
  cacheControl?: string;
  /** Write only if the current object has this ETag (optimistic concurrency). */
  ifMatch?: string;
  /** '*': write only if no object exists. */
  ifNoneMatch?: '*';
}

/** Thrown when a put's precondition does not hold: someone else wrote first; re-read and retry. */
export class PreconditionFailed extends Error {
  constructor(readonly key: string) {
    super(`precondition failed for ${key}`);
    this.name = 'PreconditionFailed';
  }
}

/** S3's key order (listings, StartAfter): UTF-8 bytes, not JavaScript's UTF-16 code units. */
export const compareKeys = (a: string, b: string): number => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

export interface Store {
  /** The object, or null when there is none. */
  get(key: string): Promise<StoredObject | null>;
  put(key: string, body: Uint8Array | string, options?: PutOptions): Promise<{ etag: string }>;
  /**
   * The object if its size (ContentLength, known before the body) is at most `maxBytes`; else its
   * metadata only, the body stream aborted unread. null when there is none.
   */
  getCapped(key: string, maxBytes: number): Promise<StoredObject | TooLarge | null>;
  /** The object's metadata without its body, or null. */
  head(key: string): Promise<ObjectInfo | null>;
  /** Every object whose key starts with the prefix, in key order. */
  list(prefix: string): Promise<ObjectInfo[]>;
  /** The objects directly under a folder prefix (ending in `/`), not in its subfolders (S3: Delimiter `/`). */
  listDir(prefix: string): Promise<ObjectInfo[]>;
  /**
   * One page (S3: one ListObjectsV2 request, at most 1,000 keys) of the objects whose keys start with
   * `prefix` and come after `startAfter` in UTF-8 byte order, in that order; `truncated` when more follow.
   */
  listPage(prefix: string, startAfter: string): Promise<{ items: ObjectInfo[]; truncated: boolean }>;
  /** Deleting a missing object is not an error. */
  delete(key: string): Promise<void>;
  /** A short name for logs: the folder or `s3://bucket`. */
  readonly name: string;
}

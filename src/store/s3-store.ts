// The Store over an S3 bucket: the Lambda function, `syndic rebuild|upload` and the local S3 server use it.
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { etagOf } from './etag.js';
import type { Readable } from 'node:stream';
import { PreconditionFailed, type ObjectInfo, type PutOptions, type Store, type StoredObject, type TooLarge } from './store.js';

export interface S3ClientOptions {
  /** A custom endpoint (the local S3 server); defaults to env AWS_ENDPOINT_URL_S3, else AWS. */
  endpoint?: string;
  region?: string;
}

/**
 * An S3 client with the SDK's standard retry (5 attempts, exponential backoff with jitter) for
 * throttling and 5xx; past that the error propagates and the invocation fails, so Lambda retries it.
 */
export function createS3Client(options: S3ClientOptions = {}): S3Client {
  // On Node < 22 the SDK prints a NodeVersionSupportWarning (releases after January 2027 need Node 22)
  // once per process, that is on every CLI command and test worker. The SDK's own switch turns off that
  // one warning (@aws-sdk/core emitWarningIfUnsupportedVersion reads it when a client is built); a value
  // the user set is kept. Other warnings still print. Lambda runs Node 24, where it is never emitted.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const endpoint = options.endpoint ?? process.env.AWS_ENDPOINT_URL_S3;
  const region = options.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1';
  const local = endpoint !== undefined && endpoint !== '';
  const hasEnvCredentials = !!process.env.AWS_ACCESS_KEY_ID && !!process.env.AWS_SECRET_ACCESS_KEY;
  return new S3Client({
    region,
    maxAttempts: 5,
    retryMode: 'standard',
    ...(local
      ? {
          endpoint,
          // A local server has no virtual-host DNS names: bucket in the path.
          forcePathStyle: true,
          // Checksum trailers (aws-chunked bodies) are newer than local S3 servers; AWS does not require them here.
          requestChecksumCalculation: 'WHEN_REQUIRED' as const,
          responseChecksumValidation: 'WHEN_REQUIRED' as const,
          ...(hasEnvCredentials ? {} : { credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } }),
        }
      : {}),
  });
}

function status(e: unknown): number | undefined {
  return e instanceof S3ServiceException ? e.$metadata?.httpStatusCode : (e as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
}

const isMissing = (e: unknown) => status(e) === 404 || (e as Error)?.name === 'NoSuchKey' || (e as Error)?.name === 'NotFound';
// 412: the precondition failed; 409 ConditionalRequestConflict: a concurrent conditional write won. Both mean "re-read and retry".
const isConflict = (e: unknown) => status(e) === 412 || status(e) === 409 || (e as Error)?.name === 'PreconditionFailed';

export class S3Store implements Store {
  readonly name: string;

  constructor(
    readonly client: S3Client,
    readonly bucket: string,
  ) {
    this.name = `s3://${bucket}`;
  }

  async get(key: string): Promise<StoredObject | null> {
    try {
      const r = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      const body = r.Body ? await r.Body.transformToByteArray() : new Uint8Array();
      return { key, body, etag: r.ETag ?? etagOf(body), size: body.length, lastModified: r.LastModified ?? new Date(0) };
    } catch (e) {
      if (isMissing(e)) return null;
      throw e;
    }
  }

  async getCapped(key: string, maxBytes: number): Promise<StoredObject | TooLarge | null> {
    try {
      const r = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      const info = { key, etag: r.ETag ?? '', size: r.ContentLength ?? 0, lastModified: r.LastModified ?? new Date(0) };
      if (r.ContentLength !== undefined && r.ContentLength > maxBytes) {
        // The headers said enough: abort the body stream instead of downloading it.
        (r.Body as Readable | undefined)?.destroy?.();
        return { ...info, tooLarge: true };
      }
      const body = r.Body ? await r.Body.transformToByteArray() : new Uint8Array();
      return { ...info, etag: r.ETag ?? etagOf(body), size: body.length, body };
    } catch (e) {
      if (isMissing(e)) return null;
      throw e;
    }
  }

  async head(key: string): Promise<ObjectInfo | null> {
    try {
      const r = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return { key, etag: r.ETag ?? '', size: r.ContentLength ?? 0, lastModified: r.LastModified ?? new Date(0) };
    } catch (e) {
      if (isMissing(e)) return null;
      throw e;
    }
  }

  async put(key: string, body: Uint8Array | string, options: PutOptions = {}): Promise<{ etag: string }> {
    const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    try {
      const r = await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: bytes,
          ContentLength: bytes.length,
          ...(options.contentType ? { ContentType: options.contentType } : {}),
          ...(options.cacheControl ? { CacheControl: options.cacheControl } : {}),
          ...(options.ifMatch !== undefined ? { IfMatch: options.ifMatch } : {}),
          ...(options.ifNoneMatch !== undefined ? { IfNoneMatch: options.ifNoneMatch } : {}),
        }),
      );
      return { etag: r.ETag ?? etagOf(bytes) };
    } catch (e) {
      // If-Match on a key that is gone answers 404 NoSuchKey: also "someone else wrote first".
      if (isConflict(e) || (options.ifMatch !== undefined && isMissing(e))) throw new PreconditionFailed(key);
      throw e;
    }
  }

  list(prefix: string): Promise<ObjectInfo[]> {
    return this.listing(prefix);
  }

  listDir(prefix: string): Promise<ObjectInfo[]> {
    return this.listing(prefix, '/');
  }

  listPage(prefix: string, startAfter: string): Promise<{ items: ObjectInfo[]; truncated: boolean }> {
    return this.page({ Prefix: prefix, ...(startAfter ? { StartAfter: startAfter } : {}) });
  }

  /** Every object under a prefix (only those directly in it with delimiter `/`), page after page, in key order. */
  private async listing(prefix: string, delimiter?: string): Promise<ObjectInfo[]> {
    const out: ObjectInfo[] = [];
    let token: string | undefined;
    do {
      const r = await this.page({ Prefix: prefix, ...(delimiter ? { Delimiter: delimiter } : {}), ...(token ? { ContinuationToken: token } : {}) });
      out.push(...r.items);
      token = r.next;
    } while (token);
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  /** One ListObjectsV2 request: its objects, whether more follow, and the token for them. */
  private async page(input: { Prefix: string; Delimiter?: string; ContinuationToken?: string; StartAfter?: string }): Promise<{ items: ObjectInfo[]; truncated: boolean; next?: string }> {
    const r = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, ...input }));
    const items: ObjectInfo[] = [];
    for (const o of r.Contents ?? []) {
      if (o.Key === undefined) continue;
      items.push({ key: o.Key, etag: o.ETag ?? '', size: o.Size ?? 0, lastModified: o.LastModified ?? new Date(0) });
    }
    const truncated = !!r.IsTruncated;
    return { items, truncated, ...(truncated && r.NextContinuationToken ? { next: r.NextContinuationToken } : {}) };
  }

  async delete(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
  }
}

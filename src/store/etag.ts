import { createHash } from 'node:crypto';

/** The ETag S3 gives a single-part upload: the quoted hex MD5 of the body. */
export function etagOf(body: Uint8Array | string): string {
  return `"${createHash('md5').update(body).digest('hex')}"`;
}

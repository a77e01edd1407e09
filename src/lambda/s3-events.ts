// S3 event notifications → the (bucket, key) pairs they name. Only the names are trusted: the engine
// reads the object's current state itself, because events come late, twice, or out of order.

export interface S3EventRecord {
  eventName?: string;
  s3?: { bucket?: { name?: string }; object?: { key?: string; size?: number } };
}

export interface ObjectRef {
  bucket: string;
  key: string;
  /** The object's size as the notification says (created objects only): a hint for splitting a batch, never trusted as the object's. */
  size?: number;
}

/** S3 URL-encodes keys in events, with `+` for a space (`content/a+b%E4%B8%AD.md` → `content/a b中.md`). */
export function decodeEventKey(key: string): string {
  return decodeURIComponent(key.replace(/\+/g, ' '));
}

/** Encodes a key the way S3 does in event notifications (used where a server, like s3rver, does not). */
export function encodeEventKey(key: string): string {
  return encodeURIComponent(key).replace(/%20/g, '+').replace(/%2F/g, '/');
}

export function isS3Event(event: unknown): event is { Records: S3EventRecord[] } {
  return typeof event === 'object' && event !== null && Array.isArray((event as { Records?: unknown }).Records);
}

/** The objects an event names, in delivery order; records that are not S3 object events are skipped. */
export function objectRefs(event: { Records: S3EventRecord[] }): ObjectRef[] {
  const out: ObjectRef[] = [];
  for (const r of event.Records) {
    const bucket = r.s3?.bucket?.name;
    const key = r.s3?.object?.key;
    if (!bucket || key === undefined) continue;
    let decoded: string;
    try {
      decoded = decodeEventKey(key);
    } catch {
      continue; // malformed percent-encoding: not a key we could have written
    }
    const size = r.s3?.object?.size;
    out.push({ bucket, key: decoded, ...(typeof size === 'number' && size >= 0 ? { size } : {}) });
  }
  return out;
}

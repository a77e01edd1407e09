// A Store wrapper around a real Store (the local S3 server's) that counts requests and bytes and can
// kill the invocation at request i: the request is lost before it lands, or it lands and its answer
// is lost. After the fault every request fails, as in a process that died. Also used by the bench.
import { PreconditionFailed, type ObjectInfo, type PutOptions, type Store, type StoredObject, type TooLarge } from '../../src/store/store.js';

export type FaultMode = 'lost' | 'answer-lost';

export interface Fault {
  /** 0-based index of the request that fails. */
  at: number;
  mode: FaultMode;
}

export class InjectedFault extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InjectedFault';
  }
}

export type Op = 'GET' | 'HEAD' | 'PUT' | 'LIST' | 'DELETE';

export interface RequestLog {
  op: Op;
  key: string;
  /** Bytes sent (PUT) or received (GET). */
  bytes: number;
  /** 'ok', '412', 'fault' (injected), 'dead' (after the fault). */
  result: string;
}

export class FaultStore implements Store {
  readonly name: string;
  requests: RequestLog[] = [];
  /** Keys this store wrote or deleted (landed), for restoring a bucket cheaply. */
  touched = new Set<string>();
  dead = false;
  /** Bytes received by reads (GET bodies) and sent by writes (PUT bodies). */
  bytesIn = 0;
  bytesOut = 0;
  preconditionFailed = 0;
  /** Only count: GETs whose body was downloaded (getCapped on an object over the limit does not). */
  bodiesRead = 0;

  /** Awaited before each request is sent (tests use it to interleave other work deterministically). */
  before?: (i: number, op: Op, key: string) => Promise<void>;

  constructor(
    readonly inner: Store,
    readonly fault?: Fault,
  ) {
    this.name = inner.name;
  }

  get count(): number {
    return this.requests.length;
  }

  private async req<T>(op: Op, key: string, write: boolean, run: () => Promise<T>, bytesOf: (r: T) => number = () => 0): Promise<T> {
    if (this.before) await this.before(this.requests.length, op, key);
    const i = this.requests.length;
    const entry: RequestLog = { op, key, bytes: 0, result: 'ok' };
    this.requests.push(entry);
    if (this.dead) {
      entry.result = 'dead';
      throw new InjectedFault(`request ${i} (${op} ${key}): the invocation is dead`);
    }
    const hit = this.fault && this.fault.at === i;
    if (hit && this.fault!.mode === 'lost') {
      this.dead = true;
      entry.result = 'fault';
      throw new InjectedFault(`request ${i} (${op} ${key}) lost before it landed`);
    }
    try {
      if (write) this.touched.add(key);
      const r = await run();
      entry.bytes = bytesOf(r);
      if (op === 'PUT') this.bytesOut += entry.bytes;
      else this.bytesIn += entry.bytes;
      if (hit) {
        this.dead = true;
        entry.result = 'fault';
        throw new InjectedFault(`request ${i} (${op} ${key}) landed; its answer was lost`);
      }
      return r;
    } catch (e) {
      if (e instanceof PreconditionFailed) {
        this.preconditionFailed++;
        entry.result = '412';
        if (hit) {
          this.dead = true;
          throw new InjectedFault(`request ${i} (${op} ${key}) answered 412; the answer was lost`);
        }
      }
      throw e;
    }
  }

  get(key: string): Promise<StoredObject | null> {
    return this.req('GET', key, false, () => this.inner.get(key), (r) => {
      if (r) this.bodiesRead++;
      return r?.body.length ?? 0;
    });
  }

  getCapped(key: string, maxBytes: number): Promise<StoredObject | TooLarge | null> {
    return this.req('GET', key, false, () => this.inner.getCapped(key, maxBytes), (r) => {
      if (r && 'body' in r) {
        this.bodiesRead++;
        return r.body.length;
      }
      return 0;
    });
  }

  head(key: string): Promise<ObjectInfo | null> {
    return this.req('HEAD', key, false, () => this.inner.head(key));
  }

  put(key: string, body: Uint8Array | string, options?: PutOptions): Promise<{ etag: string }> {
    const n = typeof body === 'string' ? Buffer.byteLength(body) : body.length;
    return this.req('PUT', key, true, () => this.inner.put(key, body, options), () => n);
  }

  list(prefix: string): Promise<ObjectInfo[]> {
    return this.req('LIST', prefix, false, () => this.inner.list(prefix));
  }

  listDir(prefix: string): Promise<ObjectInfo[]> {
    return this.req('LIST', prefix, false, () => this.inner.listDir(prefix));
  }

  listPage(prefix: string, startAfter: string): Promise<{ items: ObjectInfo[]; truncated: boolean }> {
    return this.req('LIST', prefix, false, () => this.inner.listPage(prefix, startAfter));
  }

  delete(key: string): Promise<void> {
    return this.req('DELETE', key, true, () => this.inner.delete(key));
  }

  /** Requests by operation, and the total. */
  counts(): Record<Op | 'total', number> {
    const out = { GET: 0, HEAD: 0, PUT: 0, LIST: 0, DELETE: 0, total: this.requests.length };
    for (const r of this.requests) out[r.op]++;
    return out;
  }
}

// An HTTP proxy in front of the local S3 server that counts requests by S3 operation kind, so the
// count covers whatever client the handler builds (no hook into its SDK needed). Also counts answers
// by HTTP status and body bytes each way.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export const KINDS = ['GET', 'PUT', 'LIST', 'DELETE', 'HEAD', 'POST'] as const;
export type Kind = (typeof KINDS)[number];
export type Counts = Record<Kind, number> & { total: number };

export const zeroCounts = (): Counts => ({ GET: 0, PUT: 0, LIST: 0, DELETE: 0, HEAD: 0, POST: 0, total: 0 });

/** Path-style requests: `/bucket` or `/bucket/` without a key is a bucket operation (a listing when GET). */
export function kindOf(method: string, url: string): Kind {
  const u = new URL(url, 'http://x');
  const segments = u.pathname.split('/').filter(Boolean);
  if (method === 'GET') return segments.length <= 1 || u.searchParams.has('list-type') ? 'LIST' : 'GET';
  return (KINDS as readonly string[]).includes(method) ? (method as Kind) : 'POST';
}

export interface CountingProxy {
  endpoint: string;
  counts: Counts;
  /** `KIND /bucket/key` of every request since the last reset, in arrival order. */
  requests: string[];
  /** Answers by HTTP status (412: a conditional write lost) since the last reset. */
  statuses: Record<number, number>;
  /** Body bytes since the last reset: `sent` in requests (what the client wrote), `received` in answers (what it read). */
  bytes: { sent: number; received: number };
  reset(): void;
  stop(): Promise<void>;
}

export async function startCountingProxy(target: string): Promise<CountingProxy> {
  const to = new URL(target);
  let counts = zeroCounts();
  let requests: string[] = [];
  let statuses: Record<number, number> = {};
  let bytes = { sent: 0, received: 0 };
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const server = http.createServer((req, res) => {
    const kind = kindOf(req.method ?? 'GET', req.url ?? '/');
    counts[kind]++;
    counts.total++;
    requests.push(`${kind} ${decodeURIComponent((req.url ?? '/').split('?')[0]!)}`);
    const upstream = http.request(
      { host: to.hostname, port: to.port, method: req.method, path: req.url, headers: { ...req.headers, host: to.host }, agent },
      (up) => {
        const status = up.statusCode ?? 502;
        statuses[status] = (statuses[status] ?? 0) + 1;
        up.on('data', (chunk: Buffer) => (bytes.received += chunk.length));
        res.writeHead(status, up.headers);
        up.pipe(res);
      },
    );
    upstream.on('error', (e) => {
      res.writeHead(502);
      res.end(String(e));
    });
    req.on('data', (chunk: Buffer) => (bytes.sent += chunk.length));
    req.pipe(upstream);
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    get counts() {
      return counts;
    },
    get requests() {
      return requests;
    },
    get statuses() {
      return statuses;
    },
    get bytes() {
      return bytes;
    },
    reset: () => {
      counts = zeroCounts();
      requests = [];
      statuses = {};
      bytes = { sent: 0, received: 0 };
    },
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      agent.destroy();
    },
  };
}

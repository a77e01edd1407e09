// Local static server for the public folder, sending what CloudFront would: our Content-Types and
// Cache-Control, S3-style ETags (quoted MD5 of the bytes), Last-Modified, and 304 answers to
// conditional GETs (with Cache-Control, so a reader's cache stays fresh after revalidating).
// Not sirv: it decodes paths with decodeURI, which leaves `%3F`, `%23`, `%2C`… encoded, so articles
// whose ids hold `?`, `#`, `,`, `+` or `&` were not found; its 304s carry no Cache-Control, and its
// ETags are size-mtime, unlike S3's. The folder is small and local: reading each file whole is fine.
import { readFile, stat } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { CONTENT_TYPES, LONG_CACHE, SHORT_CACHE } from './core/site.js';
import { etagOf } from './store/etag.js';

const TYPES: [RegExp, string][] = [
  [/(^|\/)rss\.xml$/, CONTENT_TYPES.rss],
  [/(^|\/)atom\.xml$/, CONTENT_TYPES.atom],
  [/(^|\/)feed\.json$/, CONTENT_TYPES.json],
  [/\.opml$/, CONTENT_TYPES.opml],
  [/\.xsl$/, CONTENT_TYPES.xsl],
  [/\.html?$/, CONTENT_TYPES.html],
  [/\.xml$/, 'application/xml; charset=utf-8'],
  [/\.json$/, 'application/json; charset=utf-8'],
  [/\.css$/, 'text/css; charset=utf-8'],
  [/\.txt$/, 'text/plain; charset=utf-8'],
  [/\.png$/, 'image/png'],
  [/\.jpe?g$/, 'image/jpeg'],
  [/\.gif$/, 'image/gif'],
  [/\.webp$/, 'image/webp'],
  [/\.svg$/, 'image/svg+xml'],
  [/\.ico$/, 'image/x-icon'],
];

/** The headers the engine stores with a public file, from its path relative to the public root. */
export function headersFor(relativePath: string): { contentType: string; cacheControl: string } {
  const p = relativePath.replace(/^\/+/, '');
  const lower = p.toLowerCase();
  const contentType = TYPES.find(([re]) => re.test(lower))?.[1] ?? 'application/octet-stream';
  // Article pages change only with their article; everything else lists many articles.
  return { contentType, cacheControl: p.startsWith('articles/') && lower.endsWith('.html') ? LONG_CACHE : SHORT_CACHE };
}

/** The file a URL path names, relative to the root: each segment percent-decoded; null if it cannot be one. */
export function filePathOf(urlPath: string): string | null {
  const segments = urlPath.split('/').slice(1);
  let decoded: string[];
  try {
    decoded = segments.map(decodeURIComponent);
  } catch {
    return null;
  }
  if (decoded.some((s) => s === '.' || s === '..' || /[/\\\0]/.test(s))) return null;
  if (decoded.at(-1) === '') decoded[decoded.length - 1] = 'index.html';
  return decoded.join('/');
}

/** RFC 9110 conditional GET: If-None-Match wins; If-Modified-Since counts only without it. */
function notModified(req: http.IncomingMessage, etag: string, mtime: Date): boolean {
  const inm = req.headers['if-none-match'];
  if (inm !== undefined) {
    const weak = (t: string) => t.trim().replace(/^W\//, '');
    return inm.trim() === '*' || inm.split(',').some((t) => weak(t) === weak(etag));
  }
  const ims = req.headers['if-modified-since'];
  if (ims === undefined) return false;
  const since = Date.parse(ims);
  return !Number.isNaN(since) && Math.floor(mtime.getTime() / 1000) * 1000 <= since;
}

async function handle(root: string, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const send = (status: number, text: string, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store', ...headers });
    res.end(req.method === 'HEAD' ? undefined : text + '\n');
  };
  if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'Method not allowed', { Allow: 'GET, HEAD' });
  const raw = req.url ?? '/';
  const cut = raw.search(/[?#]/);
  const urlPath = cut < 0 ? raw : raw.slice(0, cut);
  const search = cut < 0 ? '' : raw.slice(cut);
  const rel = urlPath.startsWith('/') ? filePathOf(urlPath) : null;
  if (rel === null) return send(400, 'Bad request');
  const file = path.join(root, rel);
  const st = await stat(file).catch(() => null);
  // A folder asked for without its slash: redirect, so that the page's relative links resolve.
  if (st?.isDirectory()) return send(301, 'Moved', { Location: `${urlPath}/${search}` });
  if (!st?.isFile()) return send(404, 'Not found');

  const body = await readFile(file);
  const etag = etagOf(body);
  const { contentType, cacheControl } = headersFor(rel);
  const common = {
    ETag: etag,
    'Last-Modified': st.mtime.toUTCString(),
    'Cache-Control': cacheControl,
    'Access-Control-Allow-Origin': '*',
  };
  if (notModified(req, etag, st.mtime)) {
    res.writeHead(304, common);
    return void res.end();
  }
  res.writeHead(200, { ...common, 'Content-Type': contentType, 'Content-Length': String(body.length), 'X-Content-Type-Options': 'nosniff' });
  res.end(req.method === 'HEAD' ? undefined : body);
}

export function createServer(root: string): http.Server {
  const dir = path.resolve(root);
  return http.createServer((req, res) => {
    handle(dir, req, res).catch((e: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end(`Internal error: ${(e as Error).message}\n`);
    });
  });
}

export function listen(server: http.Server, port: number, host: string): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const addr = server.address();
      resolve(`http://${host}:${typeof addr === 'object' && addr ? addr.port : port}`);
    });
  });
}

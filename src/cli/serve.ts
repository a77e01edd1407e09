// Local static server for the public folder (serve-static), sending what CloudFront would: our
// Content-Types and Cache-Control, S3-style ETags (quoted MD5 of the bytes, so a reader's cached ETag
// means the same thing here and on S3), Last-Modified, and 304 answers to conditional GETs.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import serveStaticFiles from 'serve-static';
import { CONTENT_TYPES, LONG_CACHE, SHORT_CACHE } from '../core/site.js';
import { etagOf } from '../store/etag.js';

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

/**
 * Browsers show `application/rss+xml` as plain text and apply the feed's XSL only to an XML type.
 * A browser navigation (Sec-Fetch-Dest: document, which feed readers never send) gets
 * `application/xml`; CloudFront does the same in a viewer-response function (infra/cdn.ts).
 */
export function browserViewType(contentType: string, secFetchDest: string | undefined): string {
  return secFetchDest === 'document' && (contentType === CONTENT_TYPES.rss || contentType === CONTENT_TYPES.atom)
    ? 'application/xml; charset=utf-8'
    : contentType;
}

export function createServer(root: string): http.Server {
  const dir = path.resolve(root);
  const serveStatic = serveStaticFiles(dir, {
    index: ['index.html'],
    redirect: true, // a folder without its slash: 301, so the page's relative links resolve
    etag: false, // replaced by the S3-style ETag below, which `send` then uses for 304s
    lastModified: true,
    cacheControl: false,
    dotfiles: 'ignore',
    setHeaders(res, file) {
      const rel = path.relative(dir, file).split(path.sep).join('/');
      const { contentType, cacheControl } = headersFor(rel);
      const h = res.req.headers['sec-fetch-dest'];
      res.setHeader('Content-Type', browserViewType(contentType, Array.isArray(h) ? h[0] : h));
      res.setHeader('Cache-Control', cacheControl);
      res.setHeader('ETag', etagOf(readFileSync(file)));
      res.setHeader('Access-Control-Allow-Origin', '*');
      res.setHeader('X-Content-Type-Options', 'nosniff');
    },
  });
  return http.createServer((req, res) => {
    // `send` (under serve-static) treats a request's `Cache-Control: no-cache` as "never 304", a
    // rule for caches, not origins; fetch() adds it to every conditional request. S3 ignores it.
    delete req.headers['cache-control'];
    delete req.headers.pragma;
    serveStatic(req, res, () => {
      const status = req.method === 'GET' || req.method === 'HEAD' ? 404 : 405;
      res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store', ...(status === 405 ? { Allow: 'GET, HEAD' } : {}) });
      res.end(status === 404 ? 'Not found\n' : 'Method not allowed\n');
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

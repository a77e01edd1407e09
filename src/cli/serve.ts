// Local static server for the public folder (serve-static), sending what CloudFront would: our
// Content-Types and Cache-Control, S3-style ETags (quoted MD5 of the bytes, so a reader's cached ETag
// means the same thing here and on S3), Last-Modified, and 304 answers to conditional GETs.
import { readFileSync, statSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import serveStaticFiles from 'serve-static';
import { assetContentType } from '../core/assets.js';
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
  const contentType = TYPES.find(([re]) => re.test(lower))?.[1] ?? assetContentType(lower) ?? 'application/octet-stream';
  // Article pages and their assets change only with their article; everything else lists many articles.
  return { contentType, cacheControl: p.startsWith('articles/') ? LONG_CACHE : SHORT_CACHE };
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

/** What `syndic start --watch` adds to the server: its own routes, and a change to served HTML. */
export interface ServeHooks {
  /** Answers the request and returns true, or returns false to let the files answer. */
  route?: (req: http.IncomingMessage, res: http.ServerResponse) => boolean;
  /** Rewrites every HTML page as served (never the file itself). */
  transformHtml?: (html: string) => string;
}

/** The HTML file a GET of this URL path would serve (`/a/` → `/a/index.html`), or null. */
function htmlFile(dir: string, url: string): string | null {
  let p: string;
  try {
    p = decodeURIComponent(new URL(url, 'http://x').pathname);
  } catch {
    return null;
  }
  // Hidden files and `..` are never served (serve-static answers those).
  if (p.includes('\0') || p.split('/').some((s) => s === '..' || s.startsWith('.'))) return null;
  const rel = p.endsWith('/') ? p + 'index.html' : p;
  if (!rel.toLowerCase().endsWith('.html')) return null;
  const file = path.join(dir, rel);
  if (!file.startsWith(dir + path.sep)) return null;
  return statSync(file, { throwIfNoEntry: false })?.isFile() ? file : null;
}

export function createServer(root: string, hooks: ServeHooks = {}): http.Server {
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
      // An SVG opened on its own is a document that could run script: not from this origin.
      if (contentType === 'image/svg+xml') res.setHeader('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'");
    },
  });
  return http.createServer((req, res) => {
    // `send` (under serve-static) treats a request's `Cache-Control: no-cache` as "never 304", a
    // rule for caches, not origins; fetch() adds it to every conditional request. S3 ignores it.
    delete req.headers['cache-control'];
    delete req.headers.pragma;
    if (hooks.route?.(req, res)) return;
    if (hooks.transformHtml && (req.method === 'GET' || req.method === 'HEAD')) {
      const file = htmlFile(dir, req.url ?? '/');
      if (file) {
        // Changed on every rebuild: never cached, so a reload shows the new page.
        const body = Buffer.from(hooks.transformHtml(readFileSync(file, 'utf8')));
        res.writeHead(200, { 'Content-Type': CONTENT_TYPES.html, 'Content-Length': body.length, 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' });
        res.end(req.method === 'HEAD' ? undefined : body);
        return;
      }
    }
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

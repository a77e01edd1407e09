// Local static server for the public folder, with the headers CloudFront would send:
// the feed Content-Types, Cache-Control, ETag / Last-Modified and 304 answers to conditional GETs.
import http from 'node:http';
import sirv from 'sirv';
import { CONTENT_TYPES, LONG_CACHE, SHORT_CACHE } from './core/site.js';

export function headersFor(pathname: string): { contentType?: string; cacheControl: string } {
  const p = pathname.toLowerCase();
  const type = p.endsWith('/rss.xml') || p === 'rss.xml'
    ? CONTENT_TYPES.rss
    : p.endsWith('atom.xml')
      ? CONTENT_TYPES.atom
      : p.endsWith('feed.json')
        ? CONTENT_TYPES.json
        : p.endsWith('.opml')
          ? CONTENT_TYPES.opml
          : p.endsWith('.xsl')
            ? CONTENT_TYPES.xsl
            : p.endsWith('.html') || p.endsWith('/')
              ? CONTENT_TYPES.html
              : undefined;
  return { ...(type ? { contentType: type } : {}), cacheControl: p.includes('/articles/') ? LONG_CACHE : SHORT_CACHE };
}

export function createServer(root: string): http.Server {
  const serveStatic = sirv(root, {
    dev: true, // re-stat on each request: the folder changes under us while `npm run dev` runs
    etag: true,
    extensions: [],
    setHeaders(res, pathname) {
      const h = headersFor(decodeURIComponent(pathname));
      if (h.contentType) res.setHeader('Content-Type', h.contentType);
      res.setHeader('Cache-Control', h.cacheControl);
      res.setHeader('Access-Control-Allow-Origin', '*');
      res.setHeader('X-Content-Type-Options', 'nosniff');
    },
  });
  return http.createServer((req, res) =>
    serveStatic(req, res, () => {
      res.statusCode = 404;
      res.setHeader('Content-Type', 'text/plain; charset=utf-8');
      res.end('Not found\n');
    }),
  );
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

// The local server (`syndic start` / `serve`) over a built folder: the headers CloudFront would send,
// conditional GETs answered with 304, and article ids with `?`, `#`, `%`, spaces and Chinese found.
import { mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { permalink, type Entry } from '../../src/core/entry.js';
import { resolveSettings } from '../../src/core/settings.js';
import { buildSite, LONG_CACHE, SHORT_CACHE } from '../../src/core/site.js';
import { syncFiles } from '../../src/build/publish.js';
import { createServer, listen } from '../../src/cli/serve.js';
import { etagOf } from '../../src/store/etag.js';
import { FsStore } from '../../src/store/fs-store.js';

const ODD_ID = 'dir/odd id ?#%, a+b&c 中文';
let dir: string;
let server: http.Server;
let base: string;
let siteUrl: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'syndic-serve-'));
  server = createServer(dir);
  base = await listen(server, 0, '127.0.0.1');
  siteUrl = base;
  const settings = resolveSettings({ siteUrl });
  const entry = (id: string): Entry => ({
    id, url: permalink(siteUrl, id), title: `T ${id}`, date: '2024-01-01T00:00:00.000Z', updated: '2024-01-01T00:00:00.000Z',
    categories: [['News']], tags: [], contentHtml: '<p>x</p>', summary: 's',
  });
  await syncFiles(new FsStore(dir), '', buildSite([entry('one'), entry(ODD_ID)], settings));
});

function rawStatus(requestPath: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${base}/`, { path: requestPath }, (res) => {
      res.resume();
      resolve(res.statusCode!);
    });
    req.on('error', reject);
    req.end();
  });
}

afterAll(async () => {
  await new Promise((r) => server?.close(r));
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('local server', () => {
  it('serves a feed with its Content-Type, an S3-style ETag, Last-Modified and Cache-Control', async () => {
    const res = await fetch(`${base}/rss.xml`);
    expect(res.status).toBe(200);
    const body = await res.text();
    expect(res.headers.get('content-type')).toBe('application/rss+xml; charset=utf-8');
    expect(res.headers.get('etag')).toBe(etagOf(body));
    expect(res.headers.get('cache-control')).toBe(SHORT_CACHE);
    expect(Date.parse(res.headers.get('last-modified')!)).not.toBeNaN();
  });

  it('answers If-None-Match with 304, still sending ETag and Cache-Control, and no body', async () => {
    const first = await fetch(`${base}/rss.xml`);
    const etag = first.headers.get('etag')!;
    const res = await fetch(`${base}/rss.xml`, { headers: { 'If-None-Match': etag } });
    expect(res.status).toBe(304);
    expect(res.headers.get('etag')).toBe(etag);
    expect(res.headers.get('cache-control')).toBe(SHORT_CACHE);
    expect(await res.text()).toBe('');
    // A list, or the weak form a proxy may send, matches too; another tag does not.
    expect((await fetch(`${base}/rss.xml`, { headers: { 'If-None-Match': `"abc", W/${etag}` } })).status).toBe(304);
    expect((await fetch(`${base}/rss.xml`, { headers: { 'If-None-Match': '"abc"' } })).status).toBe(200);
  });

  it('answers If-Modified-Since with 304 until the file changes, then 200 with a new ETag', async () => {
    const first = await fetch(`${base}/atom.xml`);
    const lastModified = first.headers.get('last-modified')!;
    expect((await fetch(`${base}/atom.xml`, { headers: { 'If-Modified-Since': lastModified } })).status).toBe(304);
    const file = path.join(dir, 'atom.xml');
    await writeFile(file, (await first.text()).replace('</feed>', '<!-- changed --></feed>'));
    const later = new Date(Date.parse(lastModified) + 10_000);
    await utimes(file, later, later);
    const res = await fetch(`${base}/atom.xml`, { headers: { 'If-Modified-Since': lastModified, 'If-None-Match': first.headers.get('etag')! } });
    expect(res.status).toBe(200);
    expect(res.headers.get('etag')).not.toBe(first.headers.get('etag'));
    expect(await res.text()).toContain('<!-- changed -->');
  });

  it('serves pages as HTML: listings briefly cached, article pages longer, odd ids through their permalinks', async () => {
    const index = await fetch(`${base}/`);
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(index.headers.get('cache-control')).toBe(SHORT_CACHE);
    const odd = await fetch(permalink(siteUrl, ODD_ID));
    expect(odd.status).toBe(200);
    expect(odd.headers.get('cache-control')).toBe(LONG_CACHE);
    expect(await odd.text()).toContain(`<h1>T ${ODD_ID.replace('&', '&amp;')}</h1>`);
    const head = await fetch(`${base}/feeds.opml`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-type')).toBe('text/x-opml; charset=utf-8');
    expect((await fetch(`${base}/rss.xsl`)).headers.get('content-type')).toBe('text/xsl; charset=utf-8');
  });

  it('redirects a folder to its slash, and refuses paths outside the folder', async () => {
    const res = await fetch(`${base}/articles/one`, { redirect: 'manual' });
    expect(res.status).toBe(301);
    expect(res.headers.get('location')).toBe('/articles/one/');
    expect((await fetch(`${base}/nope.xml`)).status).toBe(404);
    // fetch would normalize these URLs away: send the raw request line.
    expect([400, 403, 404]).toContain(await rawStatus('/articles/%2E%2E/%2E%2E/rss.xml'));
    expect([400, 403, 404]).toContain(await rawStatus('/articles/../../../etc/passwd'));
    expect([400, 403, 404]).toContain(await rawStatus('/..%2Frss.xml'));
    expect([400, 404]).toContain(await rawStatus('/%E4%B8'));
    expect((await fetch(`${base}/rss.xml`, { method: 'POST' })).status).toBe(405);
  });
});

// Article assets: files beside an article (images, audio, video, PDFs) that it links relatively,
// and where they are published so that those links resolve. Pure; shared by the local build and,
// later, the S3 engine.
//
// An article's relative URLs resolve against its permalink `/articles/<id>/` (entry.ts), so
// `img/pic.png` in `content/2024/post.md` becomes `/articles/2024/post/img/pic.png`. That URL is
// served from the file the author meant, `content/2024/img/pic.png`: the source is the URL's path
// relative to the article's page folder, taken relative to the article file's own folder.
import { decodeHTML } from 'entities';
import { articleIdFromPath } from './layout.js';

/** Media types of the file extensions that are published as assets; any other file stays private. */
export const ASSET_TYPES: Readonly<Record<string, string>> = Object.freeze({
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  avif: 'image/avif',
  svg: 'image/svg+xml',
  ico: 'image/x-icon',
  bmp: 'image/bmp',
  mp3: 'audio/mpeg',
  m4a: 'audio/mp4',
  aac: 'audio/aac',
  ogg: 'audio/ogg',
  oga: 'audio/ogg',
  opus: 'audio/opus',
  wav: 'audio/wav',
  flac: 'audio/flac',
  mp4: 'video/mp4',
  m4v: 'video/mp4',
  webm: 'video/webm',
  ogv: 'video/ogg',
  mov: 'video/quicktime',
  pdf: 'application/pdf',
  txt: 'text/plain; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
  zip: 'application/zip',
  epub: 'application/epub+zip',
});

/** The Content-Type of an asset from its extension, or undefined when the file is not an asset type. */
export function assetContentType(path: string): string | undefined {
  const ext = /\.([a-z0-9]+)$/i.exec(path)?.[1]?.toLowerCase();
  return ext === undefined ? undefined : ASSET_TYPES[ext];
}

/** Whether a file under content/ may be published as an asset: a known type, not an article, nothing hidden. */
export function isAssetPath(contentPath: string): boolean {
  if (articleIdFromPath(contentPath) !== null || assetContentType(contentPath) === undefined) return false;
  return contentPath.split('/').every((seg) => seg !== '' && seg !== '..' && !seg.startsWith('.'));
}

/** POSIX path normalisation without node:path: `a/./b/../c` → `a/c`; null when it climbs above the root. */
function normalize(segments: readonly string[]): string[] | null {
  const out: string[] = [];
  for (const s of segments) {
    if (s === '' || s === '.') continue;
    if (s === '..') {
      if (!out.length) return null;
      out.pop();
    } else out.push(s);
  }
  return out;
}

export interface AssetRef {
  /** Where it is published, relative to the public root: `articles/2024/post/img/pic.png`. */
  publicPath: string;
  /** The file it is copied from, relative to content/: `2024/img/pic.png`. */
  sourcePath: string;
}

/** The content file behind a public path under `articles/`, seen from the article `id`; null when none can be. */
export function assetSource(id: string, publicPath: string): string | null {
  const prefix = 'articles/';
  if (!publicPath.startsWith(prefix)) return null;
  const target = publicPath.slice(prefix.length).split('/');
  const page = id.split('/');
  // Relative path from the page folder (`<id>/`) to the target, then applied to the article's folder.
  let common = 0;
  while (common < page.length && common < target.length - 1 && page[common] === target[common]) common++;
  const rel = [...Array<string>(page.length - common).fill('..'), ...target.slice(common)];
  const source = normalize([...page.slice(0, -1), ...rel]);
  if (!source || !source.length) return null;
  const joined = source.join('/');
  return isAssetPath(joined) ? joined : null;
}

const URL_ATTR = /\s(?:src|href|poster)="([^"]*)"/g;
const SRCSET_ATTR = /\ssrcset="([^"]*)"/g;

/**
 * The assets an entry links under its site's `articles/` folder: from the cleaned HTML's src, href,
 * poster and srcset (absolute after cleaning) and the cover image. Deduplicated, in path order.
 * Whether each source exists is the caller's to check.
 */
export function assetRefs(entry: { id: string; contentHtml: string; image?: { url: string } }, siteUrl: string): AssetRef[] {
  // The cleaner writes URLs as WHATWG URL serialises them (lower-case host, default port dropped).
  const root = new URL(`${siteUrl}/`).href;
  const base = `${root}articles/`;
  // Most articles link nothing of their own site: one substring search says so.
  if (!entry.contentHtml.includes(base) && !entry.image?.url.startsWith(base)) return [];
  const urls: string[] = [];
  for (const m of entry.contentHtml.matchAll(URL_ATTR)) urls.push(m[1]!);
  for (const m of entry.contentHtml.matchAll(SRCSET_ATTR)) for (const c of m[1]!.split(',')) urls.push(c.trim().split(/\s+/)[0] ?? '');
  if (entry.image) urls.push(entry.image.url);
  const out = new Map<string, AssetRef>();
  for (const raw of urls) {
    const url = raw.includes('&') ? decodeHTML(raw) : raw;
    if (!url.startsWith(base)) continue;
    let publicPath: string;
    try {
      const segments = url.slice(root.length).replace(/[?#].*$/s, '').split('/').map(decodeURIComponent);
      const normal = normalize(segments);
      if (!normal || segments.some((s) => s.includes('\0'))) continue;
      publicPath = normal.join('/');
    } catch {
      continue; // a malformed %-escape names no file
    }
    const sourcePath = assetSource(entry.id, publicPath);
    if (sourcePath !== null && !out.has(publicPath)) out.set(publicPath, { publicPath, sourcePath });
  }
  return [...out.values()].sort((a, b) => (a.publicPath < b.publicPath ? -1 : a.publicPath > b.publicPath ? 1 : 0));
}

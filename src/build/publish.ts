// The engine over Stores: read articles, plan the public files with the pure core, write only what changed.
import { ArticleError } from '../core/article.js';
import type { Entry } from '../core/entry.js';
import { articleIdFromPath } from '../core/layout.js';
import { processArticle, type Processed } from '../core/pipeline.js';
import type { Settings } from '../core/settings.js';
import { buildSite, type OutFile } from '../core/site.js';
import type { Logger } from '../log.js';
import { etagOf } from '../store/etag.js';
import type { ObjectInfo, Store } from '../store/store.js';
import { oversizeReason } from './slugs.js';

/** Runs `fn` over items with at most `limit` in flight, keeping the results in order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

export interface ReadResult {
  entries: Entry[];
  rejected: ArticleError[];
  drafts: string[];
}

/** The rejection of an article too large to read, or null. Shared by the full build and the Lambda upload path. */
export function oversizeError(key: string, size: number, settings: Settings): ArticleError | null {
  return size > settings.maxArticleBytes ? new ArticleError(key, oversizeReason(size, settings.maxArticleBytes)) : null;
}

/** One article as read by readArticles: its object and what the pipeline made of it (rebuild keeps it as state). */
export interface ReadArticle {
  id: string;
  info: ObjectInfo;
  result: Processed;
}

/** Reads and processes every article under the prefix; a bad article is reported, never fatal. */
export async function readArticles(
  content: Store,
  prefix: string,
  settings: Settings,
  log: Logger,
  onProgress?: (done: number, total: number) => void,
  onArticle?: (article: ReadArticle) => void,
): Promise<ReadResult> {
  const objects = (await content.list(prefix)).filter((o) => articleIdFromPath(o.key.slice(prefix.length)) !== null);
  const result: ReadResult = { entries: [], rejected: [], drafts: [] };
  let done = 0;
  const processed = await mapLimit(objects, 16, async (info: ObjectInfo) => {
    const id = articleIdFromPath(info.key.slice(prefix.length))!;
    const tooLarge = oversizeError(info.key, info.size, settings);
    // Rejected unread: a huge object never reaches memory.
    if (tooLarge) {
      const result = { kind: 'rejected' as const, error: tooLarge };
      onArticle?.({ id, info, result });
      return result;
    }
    const obj = await content.get(info.key);
    onProgress?.(++done, objects.length);
    if (!obj) return null; // deleted while we listed: not an article any more
    const result = processArticle({ id, file: info.key, bytes: obj.body, uploadedAt: obj.lastModified }, settings);
    onArticle?.({ id, info: { key: info.key, etag: obj.etag, size: obj.size, lastModified: obj.lastModified }, result });
    return result;
  });
  processed.forEach((p, i) => {
    if (p === null) return;
    if (p.kind === 'rejected') {
      result.rejected.push(p.error);
      return;
    }
    for (const w of p.warnings) log('warn', w, { key: objects[i]!.key });
    if (p.kind === 'entry') result.entries.push(p.entry);
    else result.drafts.push(objects[i]!.key);
  });
  return result;
}

// Files this engine owns in an output folder; anything else there is left alone. Article pages may
// sit at any `.html` path a permalink names (`old/b.html`, docs/feeds.md), so every `.html` file is
// the engine's (the local build, src/build/folder.ts, deletes only what its manifest lists instead).
const GENERATED = /(^|\/)(rss\.xml|atom\.xml|feed\.json|[^/]+\.html|feeds\.opml|[\w-]+\.xsl)$/;

export interface SyncResult {
  written: string[];
  deleted: string[];
  unchanged: number;
}

/**
 * Makes the files under `prefix` equal to `files`: writes only those whose bytes differ (compared by
 * ETag, so an unchanged rebuild writes nothing) and deletes generated files that are no longer planned.
 */
export async function syncFiles(out: Store, prefix: string, files: readonly OutFile[], existing?: ObjectInfo[]): Promise<SyncResult> {
  const current = new Map((existing ?? (await out.list(prefix))).map((o) => [o.key, o.etag]));
  const planned = new Set<string>();
  const result: SyncResult = { written: [], deleted: [], unchanged: 0 };
  await mapLimit(files, 16, async (f) => {
    const key = prefix + f.path;
    planned.add(key);
    if (current.get(key) === etagOf(f.body)) {
      result.unchanged++;
      return;
    }
    await out.put(key, f.body, { contentType: f.contentType, cacheControl: f.cacheControl });
    result.written.push(key);
  });
  const orphans = [...current.keys()].filter((k) => !planned.has(k) && GENERATED.test(k));
  await mapLimit(orphans, 16, async (k) => {
    await out.delete(k);
    result.deleted.push(k);
  });
  result.written.sort();
  result.deleted.sort();
  return result;
}

export interface BuildResult extends SyncResult, ReadResult {}

/** Full build: every article under `contentPrefix` of `content` → every public file under `outPrefix` of `out`. */
export async function build(opts: {
  content: Store;
  contentPrefix: string;
  out: Store;
  outPrefix: string;
  settings: Settings;
  log: Logger;
  onProgress?: (done: number, total: number) => void;
}): Promise<BuildResult> {
  const read = await readArticles(opts.content, opts.contentPrefix, opts.settings, opts.log, opts.onProgress);
  const files = buildSite(read.entries, opts.settings);
  const sync = await syncFiles(opts.out, opts.outPrefix, files);
  return { ...read, ...sync };
}

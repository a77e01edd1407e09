// One article's share of a local build, the same in a worker thread and inline: read its bytes,
// skip everything if they are the ones already known, else parse → clean → entry, render its page
// and write the page only if its bytes changed. Returns what the build needs to place the article
// in feeds (small), plus the whole entry for the feeds that may list it.
import { closeSync, fstatSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ArticleError } from '../core/article.js';
import { assetRefs } from '../core/assets.js';
import { nodeKey, type NodePath } from '../core/categories.js';
import type { Entry } from '../core/entry.js';
import { articlePagePath } from '../core/layout.js';
import { processArticle } from '../core/pipeline.js';
import type { Settings } from '../core/settings.js';
import { articlePagePathOf, renderArticleFiles } from '../core/site.js';
import { digest, writeAtomic, type FileRecord } from './files.js';
import { linkedNodes, nodeInput, ownSlugs, slugSignature, type NodeInput } from './slugs.js';
import type { ArticleRecord } from './state.js';

export interface TaskContext {
  settings: Settings;
  contentDir: string;
  outDir: string;
}

export interface ArticleTask {
  /** Path under the content folder. */
  rel: string;
  id: string;
  /** Digest of the bytes at the last build. */
  knownHash?: string;
  /** Equal bytes: return `same` and do nothing else (the old record and page stand). */
  reuseIfSame?: boolean;
  /** Render the page: with these slugs per node key (else each name's own slug), compared with the page's last digest. */
  page?: { prevHash?: string; slugs?: Record<string, string[]> };
  /** Send the whole entry back even when the bytes are known. */
  wantEntry?: boolean;
  /**
   * When the build first saw this file (ms since the epoch), from its state: the date of an article
   * without a readable one. Absent: first sight, the file's mtime now.
   */
  firstSeen?: number;
  /** Where the page was last (or is expected): a page rendered elsewhere is handed back unwritten. */
  pagePath?: string;
}

export interface ArticleResult {
  rel: string;
  /** The bytes equal `knownHash` and nothing else was asked: keep the old record (stat refreshed). */
  same: boolean;
  stat: { size: number; mtimeMs: number; ino: number; readAt: number; hash: string; firstSeen: number };
  /** The new record, unless `same`. */
  record?: Omit<ArticleRecord, 'size' | 'mtimeMs' | 'ino' | 'readAt' | 'hash' | 'firstSeen'>;
  entry?: Entry;
  /**
   * The page, when rendered; `written` false when its bytes were the ones already there. A page
   * whose path is not `task.pagePath` (a permalink) comes back with its body, unwritten: the build
   * compares it with what its manifest knows at that path.
   */
  page?: { path: string; file: FileRecord; written: boolean; body?: Uint8Array };
  /** An I/O error on this article's page (the build stops on it). */
  ioError?: string;
  /** The file was gone when read (deleted since the listing): no longer an article. */
  gone?: boolean;
}

type PageLinks = { signature: string; tree: { path: NodePath; slugs: string[]; count: number }[] };

/** The nodes a page links with their slugs, and their signature (slugs.ts). Given slugs name only the nodes of the site (an unlisted article's category may have none). */
function pageLinks(input: NodeInput, given?: Record<string, string[]>): PageLinks {
  const slugsOf = (p: NodePath): string[] | undefined => (given ? given[nodeKey(p)] : ownSlugs(p));
  const tree = linkedNodes(input).flatMap((p) => {
    const slugs = slugsOf(p);
    return slugs ? [{ path: p, slugs, count: 0 }] : [];
  });
  return { signature: slugSignature(input, slugsOf), tree };
}

// With each name's own slug (a build's first pass), the links depend on the category list alone, which
// thousands of articles share: worked out once per list.
const ownLinks = new Map<string, PageLinks>();
function ownPageLinks(input: NodeInput): PageLinks {
  const key = JSON.stringify(input);
  let links = ownLinks.get(key);
  if (!links) ownLinks.set(key, (links = pageLinks(input)));
  return links;
}

export function runArticleTask(task: ArticleTask, ctx: TaskContext, dirs: Set<string>): ArticleResult {
  const file = path.join(ctx.contentDir, task.rel);
  let bytes: Buffer;
  let st;
  try {
    const fd = openSync(file, 'r');
    try {
      st = fstatSync(fd);
      bytes = readFileSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const stat = { size: 0, mtimeMs: 0, ino: 0, readAt: Date.now(), hash: '', firstSeen: task.firstSeen ?? 0 };
    if (code === 'ENOENT' || code === 'EISDIR') return { rel: task.rel, same: false, stat, gone: true };
    return { rel: task.rel, same: false, stat, record: { id: task.id, kind: 'rejected', warnings: [], error: { reason: `could not be read: ${(e as Error).message}` } } };
  }
  // First sight of this file: its mtime now. Later builds pass the time kept in the state, so a
  // touch, a copy or a checkout never moves the date of an article without one.
  const firstSeen = task.firstSeen ?? st.mtime.getTime();
  const stat = { size: bytes.length, mtimeMs: st.mtimeMs, ino: st.ino, readAt: Date.now(), hash: digest(bytes), firstSeen };
  if (task.reuseIfSame && stat.hash === task.knownHash) return { rel: task.rel, same: true, stat };

  const processed = processArticle({ id: task.id, file: task.rel, bytes, uploadedAt: new Date(firstSeen) }, ctx.settings);
  if (processed.kind === 'rejected') {
    const e: ArticleError = processed.error;
    return { rel: task.rel, same: false, stat, record: { id: task.id, kind: 'rejected', warnings: [], error: { reason: e.reason, ...(e.line ? { line: e.line } : {}) } } };
  }
  const dateSource = processed.dateSource === 'front-matter' ? undefined : processed.dateSource;
  if (processed.kind === 'draft') return { rel: task.rel, same: false, stat, record: { id: task.id, kind: 'draft', warnings: processed.warnings, ...(dateSource ? { dateSource } : {}) } };

  const entry = processed.entry;
  // The entry is a function of the bytes and the first-seen time (kept with the record) under the
  // cache key's code and settings: that names it, with no need to hash it.
  const entryDigest = dateSource === 'first-seen' ? `${stat.hash}@${firstSeen}` : stat.hash;
  const input = nodeInput(entry);
  const record: ArticleResult['record'] = {
    id: task.id,
    kind: 'entry',
    warnings: processed.warnings,
    ...(dateSource ? { dateSource } : {}),
    date: entry.date,
    categories: entry.categories,
    ...(input.tags ? { tags: input.tags as string[], tagFeeds: true } : {}),
    ...(input.unlisted ? { unlisted: true } : {}),
    page: articlePagePathOf(entry),
    digest: entryDigest,
    assets: assetRefs(entry, ctx.settings.siteUrl).map((a) => [a.publicPath, a.sourcePath]),
  };
  const result: ArticleResult = { rel: task.rel, same: false, stat, record, entry };
  if (task.page) {
    const given = task.page.slugs;
    const { signature, tree } = given ? pageLinks(input, given) : ownPageLinks(input);
    record.pageDigest = `${entryDigest}:${signature}`;
    const [page] = renderArticleFiles(entry, tree, ctx.settings);
    const body = Buffer.from(page!.body);
    const hash = digest(body);
    const pagePath = page!.path;
    if (pagePath !== (task.pagePath ?? articlePagePath(task.id))) result.page = { path: pagePath, file: { hash, size: body.length, mtimeMs: 0 }, written: false, body };
    else if (hash === task.page.prevHash) result.page = { path: pagePath, file: { hash, size: body.length, mtimeMs: 0 }, written: false };
    else {
      try {
        result.page = { path: pagePath, file: { hash, ...writeAtomic(ctx.outDir, pagePath, body, dirs, task.page.prevHash === undefined) }, written: true };
      } catch (e) {
        result.ioError = `cannot write ${path.join(ctx.outDir, pagePath)}: ${(e as Error).message}`;
      }
    }
  }
  return result;
}


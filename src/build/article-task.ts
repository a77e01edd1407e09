// One article's share of a local build, the same in a worker thread and inline: read its bytes,
// skip everything if they are the ones already known, else parse → clean → entry, render its page
// and write the page only if its bytes changed. Returns what the build needs to place the article
// in feeds (small), plus the whole entry for the feeds that may list it.
import { closeSync, fstatSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ArticleError } from '../core/article.js';
import { assetRefs } from '../core/assets.js';
import { entryNodes, nodeKey, type NodePath } from '../core/categories.js';
import type { Entry } from '../core/entry.js';
import { articlePagePath } from '../core/layout.js';
import { processArticle } from '../core/pipeline.js';
import type { Settings } from '../core/settings.js';
import { renderArticleFiles } from '../core/site.js';
import { digest, writeAtomic, type FileRecord } from './files.js';
import { ownSlugs, slugSignature } from './slugs.js';
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
}

export interface ArticleResult {
  rel: string;
  /** The bytes equal `knownHash` and nothing else was asked: keep the old record (stat refreshed). */
  same: boolean;
  stat: { size: number; mtimeMs: number; ino: number; readAt: number; hash: string };
  /** The new record, unless `same`. */
  record?: Omit<ArticleRecord, 'size' | 'mtimeMs' | 'ino' | 'readAt' | 'hash'>;
  entry?: Entry;
  /** The page, when rendered; `written` false when its bytes were the ones already there. */
  page?: { path: string; file: FileRecord; written: boolean };
  /** An I/O error on this article's page (the build stops on it). */
  ioError?: string;
  /** The file was gone when read (deleted since the listing): no longer an article. */
  gone?: boolean;
}

/** The bytes of an article file with its stat at read time, or why it could not be read. */
export type ReadOutcome = { bytes: Buffer; mtime: Date; mtimeMs: number; ino: number; readAt: number } | { error: NodeJS.ErrnoException };

/** A page to write (its bytes differ from those already there). */
export interface PageWrite {
  path: string;
  body: Buffer;
  hash: string;
  likelyNew: boolean;
}

export function readArticleSync(ctx: TaskContext, rel: string): ReadOutcome {
  try {
    const fd = openSync(path.join(ctx.contentDir, rel), 'r');
    try {
      const st = fstatSync(fd);
      const bytes = readFileSync(fd);
      return { bytes, mtime: st.mtime, mtimeMs: st.mtimeMs, ino: st.ino, readAt: Date.now() };
    } finally {
      closeSync(fd);
    }
  } catch (e) {
    return { error: e as NodeJS.ErrnoException };
  }
}

/**
 * The pure part of a task: from the bytes read, the result and the page to write (if its bytes
 * differ from the page already there). No file-system access.
 */
export function computeArticleTask(task: ArticleTask, read: ReadOutcome, ctx: TaskContext): { result: ArticleResult; write?: PageWrite } {
  if ('error' in read) {
    const stat = { size: 0, mtimeMs: 0, ino: 0, readAt: Date.now(), hash: '' };
    if (read.error.code === 'ENOENT' || read.error.code === 'EISDIR') return { result: { rel: task.rel, same: false, stat, gone: true } };
    return { result: { rel: task.rel, same: false, stat, record: { id: task.id, kind: 'rejected', warnings: [], error: { reason: `could not be read: ${read.error.message}` } } } };
  }
  const { bytes } = read;
  const stat = { size: bytes.length, mtimeMs: read.mtimeMs, ino: read.ino, readAt: read.readAt, hash: digest(bytes) };
  if (task.reuseIfSame && stat.hash === task.knownHash) return { result: { rel: task.rel, same: true, stat } };

  const uploadedAt = read.mtime;
  const processed = processArticle({ id: task.id, file: task.rel, bytes, uploadedAt }, ctx.settings);
  // The upload time stands in for a missing date (and its warning names it): such a result holds
  // only for that mtime.
  const iso = uploadedAt.toISOString();
  const warnings = processed.kind === 'rejected' ? [] : processed.warnings;
  const usesMtime =
    warnings.some((w) => w.includes(iso)) || (processed.kind === 'entry' && (processed.entry.date === iso || processed.entry.updated === iso)) || undefined;
  if (processed.kind === 'rejected') {
    const e: ArticleError = processed.error;
    return { result: { rel: task.rel, same: false, stat, record: { id: task.id, kind: 'rejected', warnings: [], error: { reason: e.reason, ...(e.line ? { line: e.line } : {}) }, usesMtime } } };
  }
  if (processed.kind === 'draft') return { result: { rel: task.rel, same: false, stat, record: { id: task.id, kind: 'draft', warnings, usesMtime } } };

  const entry = processed.entry;
  // The entry is a function of the bytes (and the mtime, if used) under the cache key's code and
  // settings: that names it, with no need to hash it.
  const entryDigest = usesMtime ? `${stat.hash}@${read.mtimeMs}` : stat.hash;
  const record: ArticleResult['record'] = {
    id: task.id,
    kind: 'entry',
    warnings: processed.warnings,
    usesMtime,
    date: entry.date,
    categories: entry.categories,
    digest: entryDigest,
    assets: assetRefs(entry, ctx.settings.siteUrl).map((a) => [a.publicPath, a.sourcePath]),
  };
  const result: ArticleResult = { rel: task.rel, same: false, stat, record, entry };
  if (!task.page) return { result };
  const given = task.page.slugs;
  const slugsOf = (p: NodePath) => given?.[nodeKey(p)] ?? ownSlugs(p);
  record.pageDigest = `${entryDigest}:${slugSignature(entry.categories, slugsOf)}`;
  const tree = entryNodes(entry).map((p) => ({ path: p, slugs: slugsOf(p), count: 0 }));
  const [page] = renderArticleFiles(entry, tree, ctx.settings);
  const body = Buffer.from(page!.body);
  const hash = digest(body);
  const pagePath = articlePagePath(task.id);
  if (hash === task.page.prevHash) {
    result.page = { path: pagePath, file: { hash, size: body.length, mtimeMs: 0 }, written: false };
    return { result };
  }
  return { result, write: { path: pagePath, body, hash, likelyNew: task.page.prevHash === undefined } };
}

/** Records a page write (or its failure) in the result. */
export function pageWritten(result: ArticleResult, w: PageWrite, outcome: { size: number; mtimeMs: number } | Error, ctx: TaskContext): void {
  if (outcome instanceof Error) result.ioError = `cannot write ${path.join(ctx.outDir, w.path)}: ${outcome.message}`;
  else result.page = { path: w.path, file: { hash: w.hash, ...outcome }, written: true };
}

/** The whole task in this thread, synchronously. */
export function runArticleTask(task: ArticleTask, ctx: TaskContext, dirs: Set<string>): ArticleResult {
  const { result, write } = computeArticleTask(task, readArticleSync(ctx, task.rel), ctx);
  if (write) {
    let outcome: { size: number; mtimeMs: number } | Error;
    try {
      outcome = writeAtomic(ctx.outDir, write.path, write.body, dirs, write.likelyNew);
    } catch (e) {
      outcome = e as Error;
    }
    pageWritten(result, write, outcome, ctx);
  }
  return result;
}

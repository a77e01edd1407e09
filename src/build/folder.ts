// The local build: a folder of articles → the public files in an output folder, the same bytes as
// buildSite over every entry (the pure core renders everything), but
// - incremental: a persistent cache (state.ts) says which articles, pages and feeds are unchanged,
//   so an unchanged rebuild reads no article and writes no file;
// - parallel: worker threads read, parse, clean and render article pages (article-task.ts); this
//   thread keeps only what feeds need: a small record per article, and the whole entry only while
//   it is among some node's newest (streamed top-k), so memory does not grow with the archive;
// - safe: it writes only below the output folder, through a temporary folder and a rename, and
//   deletes only files its manifest says an earlier build wrote there (files.ts).
import { copyFileSync, existsSync, lstatSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
// Only light modules are imported up front: the parser, cleaner and renderers are loaded when a
// build has something to parse or render (an unchanged rebuild never loads them).
import type { ArticleError } from '../core/article.js';
import { isAssetPath } from '../core/assets.js';
import { assignSlugPaths, entryNodes, nodeKey, type NodePath } from '../core/categories.js';
import type { Entry } from '../core/entry.js';
import { articleIdFromPath, articlePagePath } from '../core/layout.js';
import type { Settings } from '../core/settings.js';
import type { NodeSummary, OutFile } from '../core/site.js';
import { IoError, UsageError } from '../errors.js';
import type { ArticleResult, ArticleTask, TaskContext } from './article-task.js';
import type { NodeFileResult, NodeTask } from './node-task.js';
import { linkedNodes, nodeInput, oversizeReason, slugSignature } from './slugs.js';
import { declareIntents, digest, intactFiles, INTERRUPTED, MANIFEST_FILE, readIntents, readManifest, removeOwned, removeStaleTemporaries, TMP_DIR, writeAtomic, writeManifest, type FileRecord } from './files.js';
import { WorkerPool } from './pool.js';
import {
  codeFingerprint,
  entriesDir,
  entryName,
  journalFile,
  loadFirstSeen,
  loadState,
  readEntry,
  saveState,
  stateFile,
  stateKey,
  updateEntries,
  type ArticleRecord,
  type BuildState,
} from './state.js';

/** Below this many articles to process, this thread does them itself: starting workers costs more. */
const INLINE_MAX = 200;
/** From this many nodes to render, the workers (when running) share them with this thread. */
const NODE_SPREAD_MIN = 8;

/**
 * Nodes in `n` groups of about equal work (their entries' HTML, rendered into three feeds and a
 * page, and the site's page, which lists the whole tree): the largest first, each to the lightest group.
 */
function spreadNodes(tasks: readonly NodeTask[], n: number): NodeTask[][] {
  const weight = (t: NodeTask) => 4096 + t.node.entries.reduce((sum, e) => sum + e.contentHtml.length + e.summary.length, 0);
  const groups = Array.from({ length: n }, () => ({ load: 0, tasks: [] as NodeTask[] }));
  for (const t of [...tasks].sort((a, b) => weight(b) - weight(a))) {
    const g = groups.reduce((a, b) => (b.load < a.load ? b : a));
    g.load += weight(t);
    g.tasks.push(t);
  }
  return groups.map((g) => g.tasks);
}
/** A file whose mtime is this close to when it was read may have changed again in the same clock tick. */
const RACY_MS = 2000;

export interface FolderBuildOptions {
  contentDir: string;
  outDir: string;
  settings: Settings;
  /** The cache folder (state files), or null for none (every build is cold). */
  cacheDir: string | null;
  /** Build an empty site from an empty or missing content folder instead of refusing. */
  allowEmpty?: boolean;
  /** Worker threads for large builds (default: the machine's parallelism; 0: everything in this thread). */
  workers?: number;
  /** Keep the worker threads between builds (a watch session); else they end once the articles are parsed. */
  keepWorkers?: boolean;
  /** Overrides the code fingerprint (tests: "a new version of Syndic"). */
  fingerprint?: string;
  onProgress?: (p: { done: number; total: number }) => void;
}

export interface FolderBuildResult {
  /** Article files found. */
  articles: number;
  published: number;
  drafts: string[];
  rejected: ArticleError[];
  /** Warnings, in article path order. */
  warnings: string[];
  /** Published articles and drafts without a readable date, in path order, and what dated them (docs/feeds.md). */
  dateless: { file: string; source: 'path' | 'first-seen' }[];
  /** The warnings and rejections of the articles parsed in this build only (a watch session prints these). */
  fresh: { warnings: string[]; rejected: ArticleError[] };
  /** Articles parsed in this build (for their record, a page redone, or a feed that lists them). */
  processed: number;
  /** Articles whose record came from the cache unparsed. */
  fromCache: number;
  written: string[];
  unchanged: number;
  deleted: string[];
  /** Assets published (copied or unchanged). */
  assets: number;
  /** Stale temporary files removed before building. */
  staleTemporaries: number;
  ms: number;
}

interface Listing {
  articles: { rel: string; id: string; size: number; mtimeMs: number; ino: number }[];
  assets: Map<string, { size: number; mtimeMs: number }>;
}

/**
 * Every article and asset file under the content folder (hidden files and folders skipped), in path
 * order. `onMany` is called once, as soon as more than INLINE_MAX articles are found.
 */
function listContent(contentDir: string, exclude: readonly string[], onMany?: () => void): Listing {
  const out: Listing = { articles: [], assets: new Map() };
  // One lstat per entry tells a file from a folder (a symbolic link is neither, as with readdir's types),
  // so names are listed without their types; paths are joined by hand (path.join normalises, at
  // 10,000 files that shows). Folders in the walk are never hidden or empty, so an article's id is
  // its folder's prefix and the id of its own name.
  const walk = (dir: string, prefix: string) => {
    for (const name of readdirSync(dir)) {
      if (name.startsWith('.')) continue;
      const abs = dir.endsWith(path.sep) ? dir + name : dir + path.sep + name;
      const st = lstatSync(abs, { throwIfNoEntry: false });
      if (!st) continue;
      const rel = prefix + name;
      // The output (and cache) folder may sit inside the content folder (`--content .`): never read back.
      if (st.isDirectory()) {
        if (!exclude.includes(abs)) walk(abs, rel + '/');
      } else if (st.isFile()) {
        const own = articleIdFromPath(name);
        if (own !== null) {
          if (out.articles.push({ rel, id: prefix + own, size: st.size, mtimeMs: st.mtimeMs, ino: st.ino }) === INLINE_MAX + 1) onMany?.();
        }
        else if (isAssetPath(rel)) out.assets.set(rel, { size: st.size, mtimeMs: st.mtimeMs });
      }
    }
  };
  walk(contentDir, '');
  out.articles.sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
  return out;
}

/**
 * The last listing brought up to date from the paths a watcher reported (files or folders, created,
 * changed or removed), stat-ing only those: a watch session does not walk 10,000 files per save.
 */
function updateListing(last: Listing, contentDir: string, changed: Iterable<string>, exclude: readonly string[]): Listing {
  const articles = new Map(last.articles.map((a) => [a.rel, a]));
  const assets = new Map(last.assets);
  const visit = (abs: string) => {
    const rel = path.relative(contentDir, abs).split(path.sep).join('/');
    if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel) || exclude.some((d) => abs === d || abs.startsWith(d + path.sep))) return;
    if (rel.split('/').some((seg) => seg.startsWith('.'))) return;
    // Whatever was at or under this path is forgotten, then what is there now is listed.
    for (const k of [...articles.keys()]) if (k === rel || k.startsWith(rel + '/')) articles.delete(k);
    for (const k of [...assets.keys()]) if (k === rel || k.startsWith(rel + '/')) assets.delete(k);
    const st = statSync(abs, { throwIfNoEntry: false });
    if (!st) return;
    if (st.isDirectory()) {
      const sub = listContent(abs, exclude);
      for (const a of sub.articles) articles.set(`${rel}/${a.rel}`, { ...a, rel: `${rel}/${a.rel}`, id: articleIdFromPath(`${rel}/${a.rel}`)! });
      for (const [k, v] of sub.assets) assets.set(`${rel}/${k}`, v);
    } else if (st.isFile()) {
      const id = articleIdFromPath(rel);
      if (id !== null) articles.set(rel, { rel, id, size: st.size, mtimeMs: st.mtimeMs, ino: st.ino });
      else if (isAssetPath(rel)) assets.set(rel, { size: st.size, mtimeMs: st.mtimeMs });
    }
  };
  for (const p of changed) visit(path.resolve(p));
  return { articles: [...articles.values()].sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0)), assets };
}

const errno = (e: unknown) => (e as NodeJS.ErrnoException).code ?? (e as Error).message;

/** The content folder must exist and hold articles (unless allowEmpty); the output must be writable. */
function preflight(opts: FolderBuildOptions, list: () => Listing): Listing {
  const { contentDir, outDir } = opts;
  const st = statSync(contentDir, { throwIfNoEntry: false });
  let listing: Listing = { articles: [], assets: new Map() };
  if (!st) {
    if (!opts.allowEmpty) throw new UsageError(`content folder not found, ${contentDir}, create it or pass --content <dir> (or --allow-empty to build an empty site)`);
  } else if (!st.isDirectory()) {
    throw new UsageError(`content folder is not a folder, ${contentDir}, pass --content <dir> with a folder of articles`);
  } else {
    try {
      listing = list();
    } catch (e) {
      throw new IoError(`cannot read the content folder (${errno(e)}), ${contentDir}, check its permissions`);
    }
    if (!listing.articles.length && !opts.allowEmpty)
      throw new UsageError(`no articles (.md, .markdown, .html) in the content folder, ${contentDir}, add one or pass --allow-empty to build an empty site`);
  }
  // Writable before any article is parsed: create the folder and its temporary folder, write a probe.
  try {
    mkdirSync(path.join(outDir, TMP_DIR), { recursive: true });
    const probe = path.join(outDir, TMP_DIR, `probe-${process.pid}`);
    writeFileSync(probe, '');
    rmSync(probe);
  } catch (e) {
    throw new IoError(`output folder is not writable (${errno(e)}), ${outDir}, pass --out <dir> with a folder you can write to`);
  }
  return listing;
}

interface Item {
  rel: string;
  rec: ArticleRecord;
  entry?: Entry;
  refs: number;
}

interface NodeAcc {
  path: NodePath;
  count: number;
  /** Newest first, at most feedLimit. */
  top: Item[];
}

const byRel = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

// Records loaded from the state share one array per distinct category list, and a watch session
// keeps its records: the list's key is worked out once per array.
const catsKeys = new WeakMap<readonly (readonly string[])[], string>();
function catsKeyOf(categories: readonly (readonly string[])[] | undefined): string {
  if (!categories) return '[]';
  let k = catsKeys.get(categories);
  if (k === undefined) catsKeys.set(categories, (k = JSON.stringify(categories)));
  return k;
}

/** A key for what decides a record's nodes (nodeInput): its category list, and its tags or `feed: false` when they count. */
function inputKeyOf(rec: ArticleRecord): string {
  const cats = catsKeyOf(rec.categories);
  if (!rec.unlisted && !(rec.tagFeeds && rec.tags?.length)) return cats;
  return `${cats}\0${rec.unlisted ? 'unlisted' : JSON.stringify(rec.tags)}`;
}

/** A local build engine for one content folder and one output folder; `build()` may be called again (watch mode). */
export class FolderBuilder {
  private readonly opts: FolderBuildOptions;
  private readonly fingerprint: string;
  private readonly key: string;
  private state: BuildState | null | undefined;
  /** First-seen times of a state whose records were discarded (another key): kept across it. */
  private firstSeen: Map<string, number> | undefined;
  private manifest: Map<string, FileRecord> | undefined;
  /** Entries kept from the previous build (watch mode): those that were in some node's top. */
  private kept = new Map<string, { digest: string; entry: Entry }>();
  private pool: WorkerPool | undefined;
  private readonly dirs = new Set<string>();
  private inline: typeof import('./article-task.js') | undefined;
  private unsaved = false;
  private manifestUnsaved = false;
  /** The state as the cache folder holds it (loaded, or last saved): a save appends what differs from it. */
  private saved: BuildState | null = null;
  private listing: Listing | undefined;
  /** The folder of the entries feeds list (state.ts), or null without a cache. */
  private readonly entries: string | null;
  private entryWrites = new Map<string, Entry>();
  private entryRemovals: string[] = [];

  constructor(opts: FolderBuildOptions) {
    this.opts = { ...opts, contentDir: path.resolve(opts.contentDir), outDir: path.resolve(opts.outDir), cacheDir: opts.cacheDir && path.resolve(opts.cacheDir) };
    this.fingerprint = opts.fingerprint ?? codeFingerprint();
    this.key = stateKey(this.fingerprint, opts.settings);
    this.entries = this.opts.cacheDir ? entriesDir(this.opts.cacheDir, this.opts.outDir, this.key) : null;
  }

  private get ctx(): TaskContext {
    return { settings: this.opts.settings, contentDir: this.opts.contentDir, outDir: this.opts.outDir };
  }

  /** Runs tasks on the workers when there are many, else here. */
  private async runTasks(tasks: ArticleTask[], onResult: (r: ArticleResult) => void): Promise<void> {
    if (!tasks.length) return;
    const workers = this.opts.workers ?? os.availableParallelism();
    if (tasks.length > INLINE_MAX && workers > 0) {
      this.pool ??= await WorkerPool.start(this.ctx, this.fingerprint, workers);
      try {
        await this.pool.run(tasks, onResult);
      } catch (e) {
        // A pool that failed once is not trusted again (a watch session makes a new one).
        await this.close();
        throw e;
      }
      return;
    }
    this.inline ??= await import('./article-task.js');
    for (const t of tasks) onResult(this.inline.runArticleTask(t, this.ctx, this.dirs));
  }

  async close(): Promise<void> {
    await this.pool?.close();
    this.pool = undefined;
  }

  /**
   * Writes the cache state of the last build, then the output's manifest, then removes the temporary
   * folder. build() does it unless told not to (a watch session reloads pages first).
   * The state goes first: a crash between the two leaves a new state with the old manifest, and every
   * output file the state vouches for is checked against the manifest's size and mtime, so what the
   * crashed build wrote is not trusted. The other way round (an old state, a new manifest) could keep
   * files that the old state's digests no longer describe.
   */
  persist(): void {
    if (!this.unsaved || !this.manifest || !this.state) {
      rmSync(path.join(this.opts.outDir, TMP_DIR), { recursive: true, force: true });
      return;
    }
    const { outDir } = this.opts;
    if (this.opts.cacheDir && this.state !== this.saved) {
      const file = stateFile(this.opts.cacheDir, outDir);
      try {
        if (this.entries && (this.entryWrites.size || this.entryRemovals.length)) updateEntries(this.entries, this.entryWrites, this.entryRemovals);
        saveState(file, this.state, this.saved);
        this.saved = this.state;
      } catch {
        // The cache is an optimisation: a build that cannot save it is still a good build. The old
        // state must not outlive the manifest written below, though: the next build is a cold one.
        this.saved = null;
        try {
          rmSync(file, { force: true });
          rmSync(journalFile(file), { force: true });
        } catch {
          // nothing more to do
        }
      }
    }
    if (this.manifestUnsaved) {
      try {
        mkdirSync(path.join(outDir, TMP_DIR), { recursive: true });
        writeManifest(outDir, this.manifest, this.dirs);
      } catch (e) {
        throw new IoError(`cannot write the manifest (${errno(e)}), ${outDir}, check the output folder's permissions and free space`);
      }
    }
    this.entryWrites = new Map();
    this.entryRemovals = [];
    rmSync(path.join(outDir, TMP_DIR), { recursive: true, force: true });
    this.unsaved = false;
    this.manifestUnsaved = false;
  }

  /**
   * One build. `changed`: the paths a watcher reported since the last build of this builder; only
   * those are looked at again, and the output is taken to hold what this builder last wrote (a
   * watch session's rebuilds; without it, every file is checked).
   */
  async build(options: { persist?: boolean; changed?: Iterable<string> } = {}): Promise<FolderBuildResult> {
    const started = performance.now();
    const { contentDir, outDir, settings } = this.opts;
    const exclude = [outDir, ...(this.opts.cacheDir ? [this.opts.cacheDir] : [])];
    // Files an interrupted build declared and may have written before it could save the manifest.
    const interrupted = readIntents(outDir);
    const hinted = options.changed !== undefined && this.listing !== undefined && this.manifest !== undefined && !interrupted.length;
    const file = this.opts.cacheDir ? stateFile(this.opts.cacheDir, outDir) : null;
    // A build with no state to start from (no cache, or none yet) parses every article: with many,
    // the workers are started as soon as the listing finds them, and load while it goes on.
    const workers = this.opts.workers ?? os.availableParallelism();
    const cold = this.state === undefined && !this.pool && workers > 0 && (file === null || !existsSync(file));
    const startEarly = cold ? () => (this.pool ??= WorkerPool.startNow(this.ctx, workers) ?? undefined) : undefined;
    const listing = preflight(this.opts, () => (hinted ? updateListing(this.listing!, contentDir, options.changed!, exclude) : listContent(contentDir, exclude, startEarly)));
    this.listing = listing;

    if (this.state === undefined) {
      // The listing knows the id of every article there is (the others' ids are worked out).
      const ids = new Map(listing.articles.map((a) => [a.rel, a.id]));
      this.saved = this.state = file ? loadState(file, this.key, contentDir, (rel) => ids.get(rel) ?? articleIdFromPath(rel)) : null;
    }
    const old = this.state;
    if (this.firstSeen === undefined) this.firstSeen = !old && file ? loadFirstSeen(file, contentDir) : new Map();
    const firstSeenOf = (rel: string): number | undefined => old?.articles.get(rel)?.firstSeen ?? this.firstSeen!.get(rel);
    let manifestFound = true;
    if (!this.manifest) {
      const m = readManifest(outDir);
      this.manifest = m.files;
      manifestFound = m.found;
    }
    // They are this build's to rewrite or remove, like the manifest's (never intact: no stat matches).
    for (const rel of interrupted) if (rel !== MANIFEST_FILE && safeRelative(rel) && !this.manifest.has(rel)) this.manifest.set(rel, INTERRUPTED);
    const staleTemporaries = removeStaleTemporaries(outDir, !manifestFound);
    mkdirSync(path.join(outDir, TMP_DIR), { recursive: true });
    this.dirs.clear();
    const prevFiles = this.manifest;
    /** Declares the paths among `rels` that no manifest lists yet, before they are written (files.ts). */
    const declare = (rels: readonly string[]) => {
      const fresh = rels.filter((r) => !prevFiles.has(r));
      try {
        declareIntents(outDir, fresh);
      } catch (e) {
        ioFail(`cannot write in ${path.join(outDir, TMP_DIR)} (${errno(e)})`);
      }
    };
    const intact = hinted ? prevFiles : intactFiles(outDir, prevFiles);
    const next = new Map<string, FileRecord>();
    const written: string[] = [];
    let unchanged = 0;
    const ioFail = (msg: string): never => {
      throw new IoError(`${msg}, check the output folder's permissions and free space`);
    };

    // 1. Which articles are known (same size, mtime and inode as when read), which must be read.
    const records = new Map<string, ArticleRecord>();
    const tasks: ArticleTask[] = [];
    for (const a of listing.articles) {
      if (a.size > settings.maxArticleBytes) {
        const reason = oversizeReason(a.size, settings.maxArticleBytes);
        const base = { id: a.id, size: a.size, mtimeMs: a.mtimeMs, ino: a.ino };
        records.set(a.rel, { ...base, readAt: 0, hash: '', firstSeen: firstSeenOf(a.rel) ?? Math.round(a.mtimeMs), kind: 'rejected', warnings: [], error: { reason } });
        continue;
      }
      const r = old?.articles.get(a.rel);
      if (r && r.hash && r.id === a.id && r.size === a.size && r.mtimeMs === a.mtimeMs && r.ino === a.ino && a.mtimeMs < r.readAt - RACY_MS) {
        records.set(a.rel, r);
        continue;
      }
      const known = r?.id === a.id ? r : undefined;
      const pagePath = known?.page ?? articlePagePath(a.id);
      const seen = firstSeenOf(a.rel);
      tasks.push({
        rel: a.rel,
        id: a.id,
        pagePath,
        ...(seen !== undefined ? { firstSeen: seen } : {}),
        ...(known?.hash ? { knownHash: known.hash, reuseIfSame: known.kind !== 'entry' || intact.has(pagePath) } : {}),
        page: { ...(intact.has(pagePath) ? { prevHash: intact.get(pagePath)!.hash } : {}) },
      });
    }

    // 2. Streamed top-k per node: entries stay in memory only while some node's feed may list them.
    // The feed order comes from the core (loaded only when the tops are needed).
    let compare: typeof import('../core/order.js').compareEntries | undefined;
    const loadOrder = async () => {
      compare ??= (await import('../core/order.js')).compareEntries;
    };
    // Entry records carry `date` and `id`, all the order looks at.
    const itemOrder = (a: Item, b: Item) => compare!(a.rec as { date: string; id: string }, b.rec as { date: string; id: string });
    const k = settings.feedLimit;
    const nodes = new Map<string, NodeAcc>([[nodeKey([]), { path: [], count: 0, top: [] }]]);
    // Articles share a few category lists: their nodes are worked out once per list, and each list
    // keeps its nodes' accumulators, so offering a record looks up no node by key;
    // its Item is made only if it enters some top (of 10,000 records, a few hundred do).
    const accsByInput = new Map<string, NodeAcc[]>();
    const offer = (rel: string, rec: ArticleRecord, entry?: Entry) => {
      if (rec.kind !== 'entry') return;
      const inputKey = inputKeyOf(rec);
      let accs = accsByInput.get(inputKey);
      if (!accs) {
        accs = entryNodes(nodeInput(rec)).map((p) => {
          const key = nodeKey(p);
          let n = nodes.get(key);
          if (!n) nodes.set(key, (n = { path: p, count: 0, top: [] }));
          return n;
        });
        accsByInput.set(inputKey, accs);
      }
      let item: Item | undefined;
      for (const n of accs) {
        n.count++;
        const top = n.top;
        if (top.length === k && compare!(rec as { date: string; id: string }, top[k - 1]!.rec as { date: string; id: string }) >= 0) continue;
        if (!item) {
          const kept = this.kept.get(rel);
          item = { rel, rec, entry: entry ?? (kept && kept.digest === rec.digest ? kept.entry : undefined), refs: 0 };
        }
        let i = top.length;
        while (i > 0 && itemOrder(item, top[i - 1]!) < 0) i--;
        top.splice(i, 0, item);
        item.refs++;
        if (top.length > k) {
          const out = top.pop()!;
          if (--out.refs === 0) out.entry = undefined;
        }
      }
    };
    // Known records join the tops after the parsed ones (any order gives the same tops), and only
    // if something changed.
    const knownRecords = [...records];
    if (tasks.length) await loadOrder();

    let done = 0;
    const parsedNow = new Set<string>();
    // Articles parsed in this build for any reason (their record, a page redone, a feed that lists them).
    const parsedAny = new Set<string>();
    /** Which article's page is in `next` at each page path (two articles may claim one permalink). */
    const pageBy = new Map<string, string>();
    /** Page paths two articles wrote in this build: on disk, either may have won (workers race). */
    const contested = new Set<string>();
    /** Forgets a file placed in `next` during this build (it is about to be placed again). */
    const unplace = (p: string) => {
      if (!next.has(p)) return;
      const w = written.indexOf(p);
      if (w >= 0) written.splice(w, 1);
      else unchanged--;
      next.delete(p);
    };
    const pageResult = (r: ArticleResult) => {
      if (r.ioError) ioFail(r.ioError);
      if (!r.page) return;
      const p = r.page.path;
      const prev = next.get(p) ?? intact.get(p);
      unplace(p);
      if (pageBy.has(p) && pageBy.get(p) !== r.rel) contested.add(p);
      pageBy.set(p, r.rel);
      if (r.page.body) {
        // Rendered at a path the task did not expect (a permalink): compared and written here.
        if (prev?.hash === r.page.file.hash) {
          next.set(p, prev);
          unchanged++;
          return;
        }
        declare([p]);
        try {
          next.set(p, { hash: r.page.file.hash, ...writeAtomic(outDir, p, r.page.body, this.dirs, !prev) });
        } catch (e) {
          ioFail(`cannot write ${path.join(outDir, p)} (${errno(e)})`);
        }
        written.push(p);
      } else if (r.page.written) {
        next.set(p, r.page.file);
        written.push(p);
      } else {
        next.set(p, intact.get(p) ?? prev!);
        unchanged++;
      }
    };
    // The workers write pages at the paths the tasks name.
    declare(tasks.map((t) => t.pagePath ?? articlePagePath(t.id)));
    await this.runTasks(tasks, (r) => {
      this.opts.onProgress?.({ done: ++done, total: tasks.length });
      pageResult(r);
      if (r.gone) return;
      let rec: ArticleRecord;
      if (r.same) rec = { ...old!.articles.get(r.rel)!, ...r.stat, readAt: r.stat.readAt };
      else {
        parsedNow.add(r.rel);
        parsedAny.add(r.rel);
        rec = { ...r.record!, ...r.stat };
      }
      records.set(r.rel, rec);
      offer(r.rel, rec, r.entry);
    });
    // The rest of a single build (a few pages at most, then the nodes, which this thread shares with
    // the workers) needs no more threads than the cores beside this one: the others' memory goes back.
    if (this.pool && !this.opts.keepWorkers) {
      const keep = Math.min(this.pool.size, os.availableParallelism() - 1);
      if (keep > 0) await this.pool.shrink(keep);
      else await this.close();
    }

    // In path order: the listing's (sorted), which holds every record's file.
    const entryRels: string[] = [];
    for (const a of listing.articles) if (records.get(a.rel)?.kind === 'entry') entryRels.push(a.rel);
    let nodeStates: BuildState['nodes'] = {};
    let siteState: BuildState['site'];

    // Nothing changed (each record the last build's, none added or gone) and every file the last
    // build wrote for nodes, pages and the site intact: all of them stand.
    const keep = (f: string) => {
      next.set(f, intact.get(f)!);
      unchanged++;
    };
    const pageOf = (rec: ArticleRecord) => rec.page ?? articlePagePath(rec.id);
    // Two articles whose permalinks name one page: a page contested in this build is redone below.
    // (Listed only when the records are the last build's: after a change they are not needed.)
    const lastFilesOf = (): string[] => {
      if (!old?.site || contested.size) return [];
      const files: string[] = [];
      for (const key in old.nodes) files.push(...old.nodes[key]!.files);
      files.push(...old.site.files);
      for (const rel of entryRels) files.push(pageOf(records.get(rel)!));
      return files;
    };
    let lastFiles: string[] = [];
    const sameRecords = () => {
      for (const [rel, r] of records) {
        const o = old!.articles.get(rel);
        if (o === undefined || o.kind !== r.kind || o.digest !== r.digest || o.pageDigest !== r.pageDigest) return false;
      }
      return true;
    };
    const nothingChanged =
      old?.site !== undefined &&
      !contested.size &&
      records.size === old.articles.size &&
      sameRecords() &&
      (lastFiles = lastFilesOf()).every((f) => next.has(f) || intact.has(f));
    if (nothingChanged) {
      for (const f of lastFiles) if (!next.has(f)) keep(f);
      nodeStates = old!.nodes;
      siteState = old!.site;
    } else {
      await loadOrder();
      for (const [rel, rec] of knownRecords) offer(rel, rec);
      const site = await import('../core/site.js');

      // 3. Slugs need every node; a page rendered with a name's own slug is redone if a sibling collides.
      const slugs = assignSlugPaths([...nodes.values()].map((n) => n.path));
      const slugsOf = (p: NodePath) => slugs.get(nodeKey(p))!;
      // Nodes an article links but the site lacks (an unlisted article's own category): unlinked.
      const siteSlugsOf = (p: NodePath): string[] | undefined => slugs.get(nodeKey(p));
      // Two articles whose permalinks name one page: the newer (feed order) has it, as in buildSite.
      const owner = new Map<string, string>();
      for (const rel of entryRels) {
        const p = pageOf(records.get(rel)!);
        const o = owner.get(p);
        if (o === undefined || itemOrder({ rel, rec: records.get(rel)!, refs: 0 }, { rel: o, rec: records.get(o)!, refs: 0 }) < 0) owner.set(p, rel);
      }
      const signatures = new Map<string, string>();
      const pageTasks: ArticleTask[] = [];
      for (const rel of entryRels) {
        const rec = records.get(rel)!;
        const pagePath = pageOf(rec);
        if (owner.get(pagePath) !== rel) {
          // Not its page in this build: render it again the day it has it.
          if (rec.pageDigest !== undefined) records.set(rel, { ...rec, pageDigest: undefined });
          continue;
        }
        const key = inputKeyOf(rec);
        let sig = signatures.get(key);
        if (sig === undefined) signatures.set(key, (sig = slugSignature(nodeInput(rec), siteSlugsOf)));
        // pageDigest === `${digest}:${sig}`, without building the string for each of 10,000 pages.
        const pd = rec.pageDigest;
        const pageCurrent = pd !== undefined && pd.length === rec.digest!.length + 1 + sig.length && pd.endsWith(sig) && pd.startsWith(rec.digest!);
        const placedBy = pageBy.get(pagePath);
        if (pageCurrent && !contested.has(pagePath) && (placedBy === rel || (placedBy === undefined && intact.has(pagePath)))) {
          if (!next.has(pagePath)) keep(pagePath);
          continue;
        }
        const own = Object.fromEntries(linkedNodes(nodeInput(rec)).flatMap((p) => (siteSlugsOf(p) ? [[nodeKey(p), siteSlugsOf(p)!]] : [])));
        // A contested page is written whatever its digest says: the bytes on disk may be the other article's.
        const prev = contested.has(pagePath) ? undefined : (next.get(pagePath) ?? intact.get(pagePath));
        // Written above with the wrong slugs (or by another article): it no longer counts as written or unchanged.
        unplace(pagePath);
        pageTasks.push({ rel, id: rec.id, pagePath, firstSeen: rec.firstSeen, knownHash: rec.hash, page: { ...(prev ? { prevHash: prev.hash } : {}), slugs: own } });
      }
      await this.runTasks(pageTasks, (r) => {
        if (r.record) parsedAny.add(r.rel);
        pageResult(r);
        if (r.gone || !r.record || r.record.kind !== 'entry') return; // changed again meanwhile: the next build sees it
        const rec = records.get(r.rel)!;
        records.set(r.rel, { ...rec, pageDigest: r.record.pageDigest });
      });

      // 4. Node feeds and pages whose inputs changed (or whose files were touched), then the site files.
      const ordered = [...nodes.values()].sort((a, b) => byRel(slugsOf(a.path).join('/'), slugsOf(b.path).join('/')));
      const tree: NodeSummary[] = ordered.map((n) => ({ path: n.path, slugs: slugsOf(n.path), count: n.count }));
      const stale: NodeAcc[] = [];
      const isUnder = (n: NodeSummary, of: NodePath) => n.path.length > of.length && of.every((name, i) => n.path[i] === name);
      for (const n of ordered) {
        const key = nodeKey(n.path);
        const below = n.path.length ? tree.filter((t) => isUnder(t, n.path)) : tree;
        const d = digest(JSON.stringify([n.path, slugsOf(n.path), n.count, n.top.map((i) => [i.rec.id, i.rec.digest]), below]));
        const was = old?.nodes[key];
        if (was?.digest === d && was.files.every((f) => intact.has(f))) {
          for (const f of was.files) keep(f);
          nodeStates[key] = was;
        } else {
          stale.push(n);
          nodeStates[key] = { digest: d, files: [] };
        }
      }
      // Entries that a stale node lists but that were not kept in memory: processed again (deterministic).
      // Those the entries folder has are read from it; the others are parsed again (deterministic).
      const missing = new Map<string, Item[]>();
      const stored = new Set(old?.tops ?? []);
      for (const n of stale) {
        for (const i of n.top) {
          if (i.entry) continue;
          const name = entryName(i.rec.id, i.rec.digest!);
          if (this.entries && stored.has(name)) i.entry = readEntry(this.entries, name) ?? undefined;
          if (!i.entry) missing.set(i.rel, [...(missing.get(i.rel) ?? []), i]);
        }
      }
      await this.runTasks(
        [...missing.keys()].sort(byRel).map((rel) => ({ rel, id: records.get(rel)!.id, firstSeen: records.get(rel)!.firstSeen, wantEntry: true })),
        (r) => {
          if (r.ioError) ioFail(r.ioError);
          if (r.record) parsedAny.add(r.rel);
          for (const i of missing.get(r.rel) ?? []) i.entry = r.entry;
        },
      );
      const write = (f: OutFile) => {
        const body = Buffer.from(f.body);
        const hash = digest(body);
        const prev = intact.get(f.path);
        if (prev?.hash === hash) {
          next.set(f.path, prev);
          unchanged++;
          return;
        }
        declare([f.path]);
        try {
          next.set(f.path, { hash, ...writeAtomic(outDir, f.path, body, this.dirs) });
        } catch (e) {
          ioFail(`cannot write ${path.join(outDir, f.path)} (${errno(e)})`);
        }
        written.push(f.path);
      };
      const nodeTasks = stale.map((n): NodeTask => {
        const entries = n.top.map((i) => {
          if (!i.entry) throw new Error(`internal: ${i.rel} changed while building; build again`);
          return i.entry;
        });
        const slugs = slugsOf(n.path);
        const prev: Record<string, string> = {};
        for (const f of site.nodeFilePaths(slugs)) {
          const rec = intact.get(f);
          if (rec) prev[f] = rec.hash;
        }
        return { node: { path: n.path, slugs, entries, count: n.count }, prev };
      });
      const placeNodeFiles = (t: NodeTask, files: NodeFileResult[]) => {
        for (const f of files) {
          if (f.written) {
            next.set(f.path, f.file);
            written.push(f.path);
          } else {
            next.set(f.path, intact.get(f.path)!);
            unchanged++;
          }
        }
        nodeStates[nodeKey(t.node.path)]!.files = files.map((f) => f.path);
      };
      const { runNodeTask, NodeWriteError } = await import('./node-task.js');
      // The threads write the nodes' files where site.nodeFilePaths says: declared first (files.ts).
      declare(nodeTasks.flatMap((t) => site.nodeFilePaths(t.node.slugs)));
      // Many nodes (a cold build): spread over the workers and this thread, else all here.
      const groups = this.pool && nodeTasks.length >= NODE_SPREAD_MIN ? spreadNodes(nodeTasks, this.pool.size + 1) : [nodeTasks];
      const own = groups.pop()!;
      const remote = groups.length ? this.pool!.renderNodes(groups, tree) : Promise.resolve([]);
      // Its own share done, this thread waits for the workers' (which have started meanwhile). The
      // workers' error is the one reported (then the pool is not trusted again: a watch session makes
      // a new one), else this thread's.
      let mine: NodeFileResult[][] = [];
      let ownError: unknown;
      try {
        mine = own.map((t) => runNodeTask(t, tree, this.ctx, this.dirs));
      } catch (e) {
        ownError = e;
      }
      let theirs: NodeFileResult[][][];
      try {
        theirs = await remote;
      } catch (e) {
        await this.close();
        if ((e as { io?: boolean }).io) ioFail((e as Error).message);
        throw e;
      }
      if (ownError instanceof NodeWriteError) ioFail(ownError.message);
      if (ownError) throw ownError;
      theirs.forEach((results, g) => results.forEach((files, i) => placeNodeFiles(groups[g]![i]!, files)));
      own.forEach((t, i) => placeNodeFiles(t, mine[i]!));
      // The OPML and the stylesheets depend on the tree and the settings only.
      const treeDigest = digest(JSON.stringify(tree));
      if (old?.site?.digest === treeDigest && old.site.files.every((f) => intact.has(f))) {
        for (const f of old.site.files) keep(f);
        siteState = old.site;
      } else {
        const files = site.renderSiteFiles(tree, settings);
        for (const f of files) write(f);
        siteState = { digest: treeDigest, files: files.map((f) => f.path) };
      }
    }

    // The workers' memory goes back before the state is saved (a single build needs them no more).
    if (!this.opts.keepWorkers) await this.close();

    // 5. Assets the published articles link, copied when their source changed.
    let assets = 0;
    const assetWarnings: string[] = [];
    for (const rel of entryRels) {
      for (const [pub, src] of records.get(rel)!.assets ?? []) {
        const s = listing.assets.get(src);
        if (!s || next.has(pub)) continue;
        assets++;
        const prev = intact.get(pub);
        if (prev?.src && prev.src[0] === src && prev.src[1] === s.size && prev.src[2] === s.mtimeMs) {
          next.set(pub, prev);
          unchanged++;
          continue;
        }
        declare([pub]);
        try {
          const dest = path.join(outDir, pub);
          mkdirSync(path.dirname(dest), { recursive: true });
          const tmp = path.join(outDir, TMP_DIR, `asset-${process.pid}-${assets}`);
          copyFileSync(path.join(contentDir, src), tmp);
          const st = statSync(tmp);
          renameSync(tmp, dest);
          next.set(pub, { hash: '', size: st.size, mtimeMs: st.mtimeMs, src: [src, s.size, s.mtimeMs] });
          written.push(pub);
        } catch (e) {
          assetWarnings.push(`${rel}: asset ${src} could not be published at ${pub} (${errno(e)})`);
        }
      }
    }

    // 6. Files an earlier build wrote that are no longer planned; nothing else is ever removed.
    const deleted: string[] = [];
    for (const rel of prevFiles.keys()) {
      if (next.has(rel) || !safeRelative(rel)) continue;
      try {
        removeOwned(outDir, rel);
      } catch (e) {
        ioFail(`cannot remove ${path.join(outDir, rel)} (${errno(e)})`);
      }
      deleted.push(rel);
    }
    // The entries the feeds list now: those not stored yet are written by persist(), the others dropped.
    let tops = old?.tops;
    if (!nothingChanged && this.entries) {
      const now = new Map<string, Item>();
      for (const n of nodes.values()) for (const i of n.top) now.set(entryName(i.rec.id, i.rec.digest!), i);
      const had = new Set(old?.tops ?? []);
      for (const [name, i] of now) if (!had.has(name) && i.entry) this.entryWrites.set(name, i.entry);
      this.entryRemovals.push(...[...had].filter((name) => !now.has(name)));
      const names = [...now.keys()].filter((name) => had.has(name) || this.entryWrites.has(name)).sort();
      if (names.join() !== (old?.tops ?? []).join()) tops = names;
    }
    // An unchanged rebuild writes nothing at all, not even the manifest or the cache.
    let manifestChanged = !manifestFound || next.size !== prevFiles.size;
    if (!manifestChanged) for (const [f, rec] of next) if (prevFiles.get(f) !== rec) manifestChanged = true;
    let stateChanged = !old || records.size !== old.articles.size || nodeStates !== old.nodes || siteState !== old.site || tops !== old.tops;
    if (!stateChanged) for (const [rel, r] of records) if (old!.articles.get(rel) !== r) stateChanged = true;
    this.manifest = next;
    if (stateChanged)
      this.state = { format: 3, key: this.key, contentDir, articles: records, nodes: nodeStates, ...(siteState ? { site: siteState } : {}), ...(tops ? { tops } : {}) };
    this.manifestUnsaved ||= manifestChanged;
    this.unsaved = this.manifestUnsaved || stateChanged || this.state !== this.saved;
    if (options.persist !== false) this.persist();
    // Keep the entries that nodes list now, for the next build of a watch session.
    this.kept = new Map();
    for (const n of nodes.values()) for (const i of n.top) if (i.entry) this.kept.set(i.rel, { digest: i.rec.digest!, entry: i.entry });

    // One pass over the records in path order (the listing's; every record is of a listed file),
    // plain loops: flatMap and filter chains over 10,000 records showed in a profile.
    const drafts: string[] = [];
    const warnings: string[] = [];
    const dateless: FolderBuildResult['dateless'] = [];
    const rejectedRecs: [string, ArticleRecord][] = [];
    const freshWarnings: string[] = [];
    const freshRejected: [string, ArticleRecord][] = [];
    let fromCache = 0;
    for (const a of listing.articles) {
      const r = records.get(a.rel);
      if (r === undefined) continue;
      const rel = a.rel;
      const fresh = parsedNow.has(rel);
      if (!fresh) fromCache++;
      if (r.kind === 'draft') drafts.push(rel);
      if (r.warnings.length) warnings.push(...r.warnings);
      if (r.dateSource && r.kind !== 'rejected') dateless.push({ file: rel, source: r.dateSource });
      if (r.kind === 'rejected') rejectedRecs.push([rel, r]);
      if (fresh || (r.kind === 'rejected' && !r.hash && !old?.articles.has(rel))) {
        if (r.warnings.length) freshWarnings.push(...r.warnings);
        if (r.kind === 'rejected') freshRejected.push([rel, r]);
      }
    }
    const { ArticleError } = rejectedRecs.length ? await import('../core/article.js') : { ArticleError: undefined };
    const rejectedOf = (recs: [string, ArticleRecord][]) => recs.map(([rel, r]) => new ArticleError!(rel, r.error!.reason, r.error!.line));
    return {
      fresh: { warnings: [...freshWarnings, ...assetWarnings], rejected: rejectedOf(freshRejected) },
      articles: listing.articles.length,
      published: entryRels.length,
      drafts,
      rejected: rejectedOf(rejectedRecs),
      warnings: [...warnings, ...assetWarnings],
      dateless,
      processed: parsedAny.size,
      fromCache,
      written: written.sort(byRel),
      unchanged,
      deleted: deleted.sort(byRel),
      assets,
      staleTemporaries,
      ms: performance.now() - started,
    };
  }
}

/** A manifest path the build may touch: relative, inside the folder. */
function safeRelative(rel: string): boolean {
  return rel !== '' && !rel.startsWith('/') && !rel.includes('\0') && !rel.includes('\\') && rel.split('/').every((s) => s !== '' && s !== '.' && s !== '..');
}

/** One build, then the workers are gone. */
export async function buildFolder(opts: FolderBuildOptions): Promise<FolderBuildResult> {
  const b = new FolderBuilder(opts);
  try {
    return await b.build();
  } finally {
    await b.close();
  }
}

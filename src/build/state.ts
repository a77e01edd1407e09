// The local build's persistent cache: for one output folder, what every article was at the last build
// (keyed by the digest of its bytes, checked against its size, mtime and inode so unchanged files are
// not even read), what each page and feed was rendered from, all under a key made of Syndic's code
// and dependency versions and the settings. Any mismatch of that key discards the cache: the next
// build is a cold one. The folder is safe to delete at any time, with one thing lost: the first
// time the build saw each article file (`firstSeen`), the date of an article without a readable
// one, which survives a cache key change but not the deletion of the folder (the next build then
// takes each file's mtime again).
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Entry } from '../core/entry.js';
import { articlePagePath } from '../core/layout.js';
import { ownPackage } from '../package.js';
import type { Settings } from '../core/settings.js';
import { digest } from './files.js';

/** What the last build knew of one article file. */
export interface ArticleRecord {
  id: string;
  size: number;
  mtimeMs: number;
  ino: number;
  /** When its bytes were read (ms since the epoch): a file changed in the same clock tick is read again. */
  readAt: number;
  /** Digest of its bytes; '' when it was rejected unread (too large). */
  hash: string;
  kind: 'entry' | 'draft' | 'rejected';
  warnings: string[];
  error?: { reason: string; line?: number };
  /**
   * When a build first saw this file (ms since the epoch): its mtime at that build, kept from then
   * on whatever its mtime becomes. It dates an article without a readable date (docs/feeds.md).
   */
  firstSeen: number;
  /** Where the date came from when not the front matter (the build summary lists these). */
  dateSource?: 'path' | 'first-seen';
  /** Published entries: what feeds and pages need to place it, and the digest of the whole entry. */
  date?: string;
  categories?: string[][];
  /** With tag feeds on: its tags (each a node, entryNodes). */
  tags?: string[];
  tagFeeds?: true;
  /** `feed: false`: a page, in no node. */
  unlisted?: true;
  /** Its page's file under the output (articlePagePathOf: a permalink may move it). */
  page?: string;
  digest?: string;
  /** Digest of what its page was rendered from (entry and the slugs of its nodes). */
  pageDigest?: string;
  /** Assets it links: [public path, content path]. */
  assets?: [string, string][];
}

export interface BuildState {
  format: 3;
  /** Fingerprint of the code and settings the records were made with. */
  key: string;
  contentDir: string;
  articles: Record<string, ArticleRecord>;
  /** Each node's files and the digest of what they were rendered from, by node key. */
  nodes: Record<string, { digest: string; files: string[] }>;
  /** The files that depend on the tree of nodes only (OPML, stylesheets), and the tree's digest. */
  site?: { digest: string; files: string[] };
  /** Names of the entries kept in the entries folder: those some node's feed lists. */
  tops?: string[];
}

const here = path.dirname(fileURLToPath(import.meta.url));

/**
 * Syndic's version, its pinned dependencies, and the source of the modules that shape the output
 * (the pure core and this engine): a changed template invalidates the cache even without a release.
 */
export function codeFingerprint(): string {
  const parts: string[] = [];
  const pkg = ownPackage();
  parts.push(`syndic@${pkg?.version ?? 'unknown'}`, JSON.stringify(pkg?.dependencies ?? {}));
  // This module's own file too, and its folder: when Syndic is bundled (scripts/cli-bundle.mjs), that
  // folder holds every chunk of the code.
  const self = fileURLToPath(import.meta.url);
  parts.push(readFileSync(self, 'utf8'));
  const ext = path.extname(self);
  for (const dir of [path.join(here, '../core'), here]) {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    for (const f of names.filter((f) => f.endsWith(ext)).sort()) parts.push(f, readFileSync(path.join(dir, f), 'utf8'));
  }
  return digest(parts.join('\0'));
}

/** The cache key: code fingerprint and every setting (keys sorted, so their order in a file does not matter). */
export function stateKey(fingerprint: string, settings: Settings): string {
  const sorted = Object.fromEntries(Object.entries(settings).sort(([a], [b]) => (a < b ? -1 : 1)));
  return digest(`${fingerprint}\0${JSON.stringify(sorted)}`);
}

/** One state file per output folder, so several outputs can share a cache folder. */
export function stateFile(cacheDir: string, outDir: string): string {
  return path.join(cacheDir, `state-${digest(outDir).slice(0, 16)}.json`);
}

// On disk each record is a tuple, its category lists shared in a table, and what can be derived is
// left out (the id from the path, the entry digest from the bytes' digest): 10,000 records take
// about 2 MB instead of 4.5 MB, and an unchanged rebuild spends its time mostly reading them.
type SavedRecord = [size: number, mtimeMs: number, ino: number, readAt: number, hash: string, kind: 'e' | 'd' | 'r', firstSeen: number, more?: SavedMore];
interface SavedMore {
  /** Date, index in the category table, and the slug signature of the page (entries). */
  d?: string;
  c?: number;
  s?: string;
  /** dateSource */
  f?: 'path' | 'first-seen';
  /** Tags (with tag feeds), unlisted, page path when not the default one. */
  t?: string[];
  u?: 1;
  p?: string;
  w?: string[];
  e?: { reason: string; line?: number };
  a?: [string, string][];
}
interface SavedState extends Omit<BuildState, 'format' | 'articles'> {
  format: 3;
  categories: string[][][];
  articles: Record<string, SavedRecord>;
}

const KINDS = { entry: 'e', draft: 'd', rejected: 'r' } as const;
const KIND_OF = { e: 'entry', d: 'draft', r: 'rejected' } as const;

function readSaved(file: string): SavedState | null {
  try {
    const s = JSON.parse(readFileSync(file, 'utf8')) as SavedState;
    return s.format === 3 && s.articles && typeof s.articles === 'object' ? s : null;
  } catch {
    return null;
  }
}

/** The entry digest of a record: the bytes' digest, and the first-seen time when it dated the entry. */
export const entryDigestOf = (hash: string, dateSource: ArticleRecord['dateSource'], firstSeen: number) => (dateSource === 'first-seen' ? `${hash}@${firstSeen}` : hash);

/** The saved state if it was made with this key from this content folder, else null (a cold build). */
export function loadState(file: string, key: string, contentDir: string, idOf: (rel: string) => string | null): BuildState | null {
  const s = readSaved(file);
  if (!s || s.key !== key || s.contentDir !== contentDir || !s.nodes || !Array.isArray(s.categories)) return null;
  const articles: Record<string, ArticleRecord> = {};
  for (const rel in s.articles) {
    const [size, mtimeMs, ino, readAt, hash, kind, firstSeen, more = {}] = s.articles[rel]!;
    const id = idOf(rel);
    if (id === null) continue;
    const r: ArticleRecord = { id, size, mtimeMs, ino, readAt, hash, kind: KIND_OF[kind], warnings: more.w ?? [], firstSeen };
    if (more.f) r.dateSource = more.f;
    if (more.e) r.error = more.e;
    if (kind === 'e') {
      r.date = more.d;
      r.categories = s.categories[more.c ?? -1] ?? [];
      if (more.t) {
        r.tags = more.t;
        r.tagFeeds = true;
      }
      if (more.u) r.unlisted = true;
      if (more.p) r.page = more.p;
      r.digest = entryDigestOf(hash, r.dateSource, firstSeen);
      if (more.s) r.pageDigest = `${r.digest}:${more.s}`;
      r.assets = more.a ?? [];
    }
    articles[rel] = r;
  }
  return { format: 3, key: s.key, contentDir: s.contentDir, articles, nodes: s.nodes, ...(s.site ? { site: s.site } : {}), ...(s.tops ? { tops: s.tops } : {}) };
}

/**
 * The first-seen times of the saved state, whatever its key (a settings change or a new version of
 * Syndic discards the records, never these), by path under this content folder.
 */
export function loadFirstSeen(file: string, contentDir: string): Map<string, number> {
  const s = readSaved(file);
  if (!s || s.contentDir !== contentDir) return new Map();
  return new Map(Object.entries(s.articles).flatMap(([rel, r]) => (Array.isArray(r) && typeof r[6] === 'number' ? [[rel, r[6]] as [string, number]] : [])));
}

export function saveState(file: string, state: BuildState): void {
  const table: string[][][] = [];
  const index = new Map<string, number>();
  const articles: Record<string, SavedRecord> = {};
  for (const rel in state.articles) {
    const r = state.articles[rel]!;
    const more: SavedMore = {};
    if (r.kind === 'entry') {
      const cats = JSON.stringify(r.categories ?? []);
      let c = index.get(cats);
      if (c === undefined) index.set(cats, (c = table.push(r.categories ?? []) - 1));
      more.d = r.date;
      more.c = c;
      // A page rendered from other bytes than the record's (changed during the build) is not saved as done.
      if (r.pageDigest?.startsWith(`${r.digest}:`)) more.s = r.pageDigest.slice(r.digest!.length + 1);
      if (r.tagFeeds && r.tags) more.t = r.tags;
      if (r.unlisted) more.u = 1;
      if (r.page && r.page !== articlePagePath(r.id)) more.p = r.page;
      if (r.assets?.length) more.a = r.assets;
    }
    if (r.dateSource) more.f = r.dateSource;
    if (r.warnings.length) more.w = r.warnings;
    if (r.error) more.e = r.error;
    const saved: SavedRecord = [r.size, r.mtimeMs, r.ino, r.readAt, r.hash, KINDS[r.kind], r.firstSeen];
    if (Object.keys(more).length) saved.push(more);
    articles[rel] = saved;
  }
  const out: SavedState = { format: 3, key: state.key, contentDir: state.contentDir, categories: table, articles, nodes: state.nodes, ...(state.site ? { site: state.site } : {}), ...(state.tops ? { tops: state.tops } : {}) };
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(out));
  renameSync(tmp, file);
}

// The entries that feeds list (at most feedLimit per node) are kept whole between builds, one JSON
// file each, so a feed redone after one upload need not parse the articles it already listed.
// One folder per output and cache key: a settings or code change starts an empty one.

export function entriesDir(cacheDir: string, outDir: string, key: string): string {
  return path.join(cacheDir, `entries-${digest(outDir).slice(0, 16)}-${key.slice(0, 12)}`);
}

/** The file name of an entry: its id and the digest it was made from. */
export const entryName = (id: string, entryDigest: string) => digest(`${id}\0${entryDigest}`);

export function readEntry(dir: string, name: string): Entry | null {
  try {
    return JSON.parse(readFileSync(path.join(dir, `${name}.json`), 'utf8')) as Entry;
  } catch {
    return null; // missing or half-written: the article is parsed again
  }
}

/** Writes new entries and removes the ones no feed lists any more; also removes this output's folders of other keys. */
export function updateEntries(dir: string, write: ReadonlyMap<string, Entry>, remove: readonly string[]): void {
  mkdirSync(dir, { recursive: true });
  for (const [name, entry] of write) writeFileSync(path.join(dir, `${name}.json`), JSON.stringify(entry));
  for (const name of remove) rmSync(path.join(dir, `${name}.json`), { force: true });
  const prefix = path.basename(dir).slice(0, 'entries-'.length + 16);
  for (const other of readdirSync(path.dirname(dir))) {
    if (other.startsWith(prefix) && other !== path.basename(dir)) rmSync(path.join(path.dirname(dir), other), { recursive: true, force: true });
  }
}

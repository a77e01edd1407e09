// The local build's persistent cache: for one output folder, what every article was at the last build
// (keyed by the digest of its bytes, checked against its size, mtime and inode so unchanged files are
// not even read), what each page and feed was rendered from, all under a key made of Syndic's code
// and dependency versions and the settings. Any mismatch of that key discards the cache: the next
// build is a cold one. The folder is safe to delete at any time, with one thing lost: the first
// time the build saw each article file (`firstSeen`), the date of an article without a readable
// one, which survives a cache key change but not the deletion of the folder (the next build then
// takes each file's mtime again).
import { randomBytes } from 'node:crypto';
import { appendFileSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
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
  /** By path under the content folder. */
  articles: Map<string, ArticleRecord>;
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
  // A checkout's bundle (scripts/cli-bundle.mjs: node_modules/.cache/syndic/<stamp>/) never changes
  // once made (other sources make another folder): its fingerprint is worked out once and kept in
  // it, which spares every build reading and hashing its 1.5 MB of chunks.
  const kept = BUNDLE_DIR.test(here) ? path.join(here, 'fingerprint.txt') : null;
  if (kept) {
    try {
      const f = readFileSync(kept, 'utf8');
      if (/^[0-9a-f]{40}$/.test(f)) return f;
    } catch {
      // not worked out yet
    }
  }
  const fingerprint = computeFingerprint();
  if (kept) {
    try {
      const tmp = `${kept}.${process.pid}.tmp`;
      writeFileSync(tmp, fingerprint);
      renameSync(tmp, kept);
    } catch {
      // a read-only folder: worked out again next time
    }
  }
  return fingerprint;
}

const BUNDLE_DIR = /[\\/]node_modules[\\/]\.cache[\\/]syndic[\\/][0-9a-f]{16}$/;

function computeFingerprint(): string {
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
//
// A build that changed a few records does not rewrite those 2 MB: it appends one line to a journal
// beside the state file (`<state>.journal`) with what changed since the state it started from
// (records, nodes, the site, the stored entries). The state file names itself with a random `base`
// and every journal line names the base it applies to, so a journal left by an older base (a crash
// between writing a new base and removing the old journal) is ignored. A line cut short by a crash is
// not valid JSON and is ignored with everything after it: the state is then the last complete build's,
// which is safe because the manifest is written after the state (folder.ts persist()) and every file
// the cache trusts is checked against the manifest's size and mtime. When the journal grows past a
// quarter of the state (or held anything ignored), the next save writes the whole state again.
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
  /** This file's random name, which the journal's lines repeat. */
  base?: string;
  categories: string[][][];
  articles: Record<string, SavedRecord>;
}
/** One journal line: what changed since the state before it (0: removed). */
interface JournalLine {
  b: string;
  /** Category table of this line's records. */
  k: string[][][];
  a: Record<string, SavedRecord | 0>;
  n: Record<string, { digest: string; files: string[] } | 0>;
  s?: { digest: string; files: string[] } | 0;
  /** Stored entries added and removed. */
  t?: { add: string[]; rm: string[] };
}

/** Where a state stands on disk: the base it was read from or written as, and the journal's valid length after it. */
interface OnDisk {
  base: string;
  baseBytes: number;
  journalBytes: number;
  /** The journal holds bytes past its valid lines (or another base's): the next save writes the whole state. */
  dirty: boolean;
}
const onDisk = new WeakMap<BuildState, OnDisk>();

const KINDS = { entry: 'e', draft: 'd', rejected: 'r' } as const;
const KIND_OF = { e: 'entry', d: 'draft', r: 'rejected' } as const;

export const journalFile = (file: string) => `${file}.journal`;

/** The saved state with its journal applied, and where it stands on disk. */
function readSaved(file: string): { saved: SavedState; disk: OnDisk | null } | null {
  let s: SavedState;
  let baseBytes: number;
  try {
    const text = readFileSync(file, 'utf8');
    baseBytes = text.length;
    s = JSON.parse(text) as SavedState;
    if (s.format !== 3 || !s.articles || typeof s.articles !== 'object' || !Array.isArray(s.categories)) return null;
  } catch {
    return null;
  }
  if (!s.base) return { saved: s, disk: null };
  let journal: string;
  try {
    journal = readFileSync(journalFile(file), 'utf8');
  } catch {
    return { saved: s, disk: { base: s.base, baseBytes, journalBytes: 0, dirty: false } };
  }
  const tableIndex = new Map(s.categories.map((c, i) => [JSON.stringify(c), i]));
  let valid = 0;
  let tops: Set<string> | undefined;
  while (valid < journal.length) {
    const end = journal.indexOf('\n', valid);
    if (end < 0) break;
    let line: JournalLine;
    try {
      line = JSON.parse(journal.slice(valid, end)) as JournalLine;
    } catch {
      break;
    }
    if (!line || line.b !== s.base || !line.a || !line.n || !Array.isArray(line.k)) break;
    for (const rel in line.a) {
      const r = line.a[rel]!;
      if (r === 0) {
        delete s.articles[rel];
        continue;
      }
      const more = r[7];
      if (more?.c !== undefined) {
        const cats = line.k[more.c] ?? [];
        const key = JSON.stringify(cats);
        let c = tableIndex.get(key);
        if (c === undefined) tableIndex.set(key, (c = s.categories.push(cats) - 1));
        r[7] = { ...more, c };
      }
      s.articles[rel] = r;
    }
    for (const key in line.n) {
      const n = line.n[key]!;
      if (n === 0) delete s.nodes[key];
      else s.nodes[key] = n;
    }
    if (line.s === 0) delete s.site;
    else if (line.s) s.site = line.s;
    if (line.t) {
      tops ??= new Set(s.tops ?? []);
      for (const name of line.t.rm) tops.delete(name);
      for (const name of line.t.add) tops.add(name);
    }
    valid = end + 1;
  }
  if (tops) s.tops = [...tops].sort();
  return { saved: s, disk: { base: s.base, baseBytes, journalBytes: valid, dirty: valid !== journal.length } };
}

/** The entry digest of a record: the bytes' digest, and the first-seen time when it dated the entry. */
export const entryDigestOf = (hash: string, dateSource: ArticleRecord['dateSource'], firstSeen: number) => (dateSource === 'first-seen' ? `${hash}@${firstSeen}` : hash);

/** The saved state if it was made with this key from this content folder, else null (a cold build). */
export function loadState(file: string, key: string, contentDir: string, idOf: (rel: string) => string | null): BuildState | null {
  const read = readSaved(file);
  const s = read?.saved;
  if (!s || s.key !== key || s.contentDir !== contentDir || !s.nodes) return null;
  const articles = new Map<string, ArticleRecord>();
  const none: string[] = [];
  const kinds = s.articles;
  for (const rel in kinds) {
    const t = kinds[rel]!;
    const id = idOf(rel);
    if (id === null) continue;
    const more = t[7];
    const kind = t[5];
    const hash = t[4];
    const firstSeen = t[6];
    // Every record made with the same fields in the same order (one object shape for the loops over 10,000 of them).
    const r: ArticleRecord = {
      id,
      size: t[0],
      mtimeMs: t[1],
      ino: t[2],
      readAt: t[3],
      hash,
      kind: KIND_OF[kind],
      warnings: more?.w ?? none,
      firstSeen,
      dateSource: more?.f,
      error: more?.e,
      date: undefined,
      categories: undefined,
      tags: undefined,
      tagFeeds: undefined,
      unlisted: undefined,
      page: undefined,
      digest: undefined,
      pageDigest: undefined,
      assets: undefined,
    };
    if (kind === 'e') {
      r.date = more?.d;
      r.categories = s.categories[more?.c ?? -1] ?? [];
      if (more?.t) {
        r.tags = more.t;
        r.tagFeeds = true;
      }
      if (more?.u) r.unlisted = true;
      if (more?.p) r.page = more.p;
      const digest = entryDigestOf(hash, more?.f, firstSeen);
      r.digest = digest;
      if (more?.s) r.pageDigest = `${digest}:${more.s}`;
      r.assets = more?.a ?? [];
    }
    articles.set(rel, r);
  }
  const state: BuildState = { format: 3, key: s.key, contentDir: s.contentDir, articles, nodes: s.nodes, ...(s.site ? { site: s.site } : {}), ...(s.tops ? { tops: s.tops } : {}) };
  if (read.disk) onDisk.set(state, read.disk);
  return state;
}

/**
 * The first-seen times of the saved state, whatever its key (a settings change or a new version of
 * Syndic discards the records, never these), by path under this content folder.
 */
export function loadFirstSeen(file: string, contentDir: string): Map<string, number> {
  const s = readSaved(file)?.saved;
  if (!s || s.contentDir !== contentDir) return new Map();
  return new Map(Object.entries(s.articles).flatMap(([rel, r]) => (Array.isArray(r) && typeof r[6] === 'number' ? [[rel, r[6]] as [string, number]] : [])));
}

/** A record as saved, its categories put in `table` (`index`: the table's lists by their JSON). */
function toSaved(r: ArticleRecord, table: string[][][], index: Map<string, number>): SavedRecord {
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
  return saved;
}

/** Below this many bytes a journal is never compacted (a small site rewrites little anyway). */
const JOURNAL_MIN = 64 * 1024;

/**
 * Saves `state`. `prev`: the state as it is on disk now (as loaded or last saved by this process),
 * which the records of `state` share unless changed: then only the difference is appended to the journal.
 */
export function saveState(file: string, state: BuildState, prev: BuildState | null = null): void {
  const disk = prev ? onDisk.get(prev) : undefined;
  if (prev && disk && !disk.dirty && prev.key === state.key && prev.contentDir === state.contentDir && disk.journalBytes < Math.max(JOURNAL_MIN, disk.baseBytes / 4)) {
    const line: JournalLine = { b: disk.base, k: [], a: {}, n: {} };
    const index = new Map<string, number>();
    for (const [rel, r] of state.articles) if (prev.articles.get(rel) !== r) line.a[rel] = toSaved(r, line.k, index);
    for (const rel of prev.articles.keys()) if (!state.articles.has(rel)) line.a[rel] = 0;
    if (state.nodes !== prev.nodes) {
      for (const key in state.nodes) if (prev.nodes[key] !== state.nodes[key]) line.n[key] = state.nodes[key]!;
      for (const key in prev.nodes) if (!(key in state.nodes)) line.n[key] = 0;
    }
    if (state.site !== prev.site) line.s = state.site ?? 0;
    if (state.tops !== prev.tops) {
      const was = new Set(prev.tops ?? []);
      const now = new Set(state.tops ?? []);
      line.t = { add: [...now].filter((n) => !was.has(n)), rm: [...was].filter((n) => !now.has(n)) };
    }
    const text = JSON.stringify(line) + '\n';
    // One write: a crash leaves this line whole or cut short (ignored when read).
    appendFileSync(journalFile(file), text);
    onDisk.set(state, { ...disk, journalBytes: disk.journalBytes + text.length });
    return;
  }
  const table: string[][][] = [];
  const index = new Map<string, number>();
  const articles: Record<string, SavedRecord> = {};
  for (const [rel, r] of state.articles) articles[rel] = toSaved(r, table, index);
  const base = randomBytes(8).toString('hex');
  const out: SavedState = { format: 3, base, key: state.key, contentDir: state.contentDir, categories: table, articles, nodes: state.nodes, ...(state.site ? { site: state.site } : {}), ...(state.tops ? { tops: state.tops } : {}) };
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  const text = JSON.stringify(out);
  writeFileSync(tmp, text);
  renameSync(tmp, file);
  // The old journal's lines name the old base: ignored from now on, and removed.
  rmSync(journalFile(file), { force: true });
  onDisk.set(state, { base, baseBytes: text.length, journalBytes: 0, dirty: false });
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

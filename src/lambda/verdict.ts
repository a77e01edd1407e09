// Every content key gets a verdict, the same in the incremental path and the rebuild: which key of an
// id wins, keys whose derived keys would exceed S3's 1,024-byte limit, and the article record made
// from the winner's bytes (with the first time Syndic saw it standing in for a missing date).
import { assignSlugPaths, entryNodes, nodeDir, nodeKey, type NodePath } from '../core/categories.js';
import type { Entry } from '../core/entry.js';
import { ARTICLE_EXTENSIONS, articleIdFromPath, articlePagePath, CONTENT_PREFIX, PUBLIC_PREFIX } from '../core/layout.js';
import { processArticle } from '../core/pipeline.js';
import { articlePagePathOf } from '../core/site.js';
import { assetRefs } from '../core/assets.js';
import type { Settings } from '../core/settings.js';
import type { Logger } from '../log.js';
import { oversizeError } from '../build/publish.js';
import type { ObjectInfo } from '../store/store.js';
import { hashOf, monthOf, recordKey, sameJson, WHOLE, type ArticleRecord, type ErrorRecord, type Placement } from './state.js';

/** S3's limit on a key, in UTF-8 bytes. */
export const MAX_KEY_BYTES = 1024;
/** Room kept for the longest file name in a node folder (`index.html` and the feeds are shorter). */
const FILE_NAME_ROOM = 32;
/** What a sibling with a colliding slug adds to a slug (`-` and 6 hex digits): the worst case per level. */
const COLLISION_SUFFIX = 7;

const bytes = (s: string) => Buffer.byteLength(s, 'utf8');

/** The article id of a content key, or null if the key is not an article. */
export function idOfKey(key: string): string | null {
  return key.startsWith(CONTENT_PREFIX) ? articleIdFromPath(key.slice(CONTENT_PREFIX.length)) : null;
}

/** Why a key cannot be published whatever its bytes (its page key would be too long), or null. */
export function keyTooLong(id: string): string | null {
  const page = bytes(PUBLIC_PREFIX + articlePagePath(id));
  const record = bytes(recordKey(id));
  const worst = Math.max(page, record);
  return worst > MAX_KEY_BYTES
    ? `key too long: the article's page key would be ${worst} bytes, over S3's limit of ${MAX_KEY_BYTES} bytes; shorten the path or file name`
    : null;
}

/**
 * Why a published article's own public keys (its page, wherever a permalink puts it, and the copies
 * of the assets it links) would exceed S3's key limit, or null. keyTooLong checks the default page
 * key before the object is read; this one the keys the processed entry really names.
 */
export function publicKeysTooLong(page: string, assets: readonly (readonly [string, string])[]): string | null {
  for (const [p, what] of [[page, 'page'], ...assets.map(([a]) => [a, 'copy of the asset it links'] as const)] as const) {
    const n = bytes(PUBLIC_PREFIX + p);
    if (n > MAX_KEY_BYTES)
      return `key too long: the article's ${what} ${JSON.stringify((PUBLIC_PREFIX + p).slice(0, 80) + '…')} would be ${n} bytes, over S3's limit of ${MAX_KEY_BYTES} bytes; shorten its ${what === 'page' ? 'permalink' : 'path'}`;
  }
  return null;
}

/** Why an entry's category folders could exceed the key limit (worst case: every level with a collision suffix), or null. */
export function nodesTooLong(entry: Entry): string | null {
  const nodes = entryNodes(entry);
  const slugs = assignSlugPaths(nodes);
  for (const p of nodes) {
    const s = slugs.get(nodeKey(p))!;
    const worst = bytes(PUBLIC_PREFIX + nodeDir(s)) + COLLISION_SUFFIX * s.length + FILE_NAME_ROOM;
    if (worst > MAX_KEY_BYTES)
      return `category path too long: the folder of ${JSON.stringify(p.join(' › ').slice(0, 80))} could reach ${worst} bytes with its file names, over S3's key limit of ${MAX_KEY_BYTES} bytes`;
  }
  return null;
}

const extensionRank = (key: string) => {
  const lower = key.toLowerCase();
  const i = ARTICLE_EXTENSIONS.findIndex((e) => lower.endsWith(e));
  return i < 0 ? ARTICLE_EXTENSIONS.length : i;
};

/**
 * Of the keys of one id (`content/x.md`, `content/x.html`, `content/x.MD`), the one that is
 * published: the first extension in ARTICLE_EXTENSIONS order, then the smallest key. Deleting the
 * winner promotes the next one.
 */
export function rankKeys<T extends { key: string }>(keys: readonly T[]): T[] {
  return [...keys].sort((a, b) => extensionRank(a.key) - extensionRank(b.key) || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** S3 time stamps at whole seconds: a listing and a GET of the same object agree on it. */
export const seconds = (d: Date) => new Date(Math.floor(d.getTime() / 1000) * 1000).toISOString();

export function duplicateError(id: string, loser: ObjectInfo, winnerKey: string): ErrorRecord {
  return {
    id,
    key: loser.key,
    reason: `duplicate id "${id}": ${winnerKey} has the same id and is the one published (extension order ${ARTICLE_EXTENSIONS.join(', ')}); rename or delete one of them`,
    time: seconds(loser.lastModified),
  };
}

export function tooLongError(id: string | null, info: ObjectInfo, reason: string): ErrorRecord {
  return { id, key: info.key, reason, time: seconds(info.lastModified) };
}

/** Hash of an entry: the version that partitions and node states name. */
export const entryVersion = (entry: Entry) => hashOf(JSON.stringify(entry), 16);

/** Where a record places its article: each of its nodes, in the month of its date or in the node's WHOLE partition. */
export function placementsOf(rec: ArticleRecord | null): Placement[] {
  if (!rec || rec.status !== 'published' || !rec.entry) return [];
  const month = monthOf(rec.entry.date);
  const whole = new Set(rec.whole ?? []);
  return rec.nodes.map((path) => ({ path, month: whole.has(nodeKey(path)) ? WHOLE : month }));
}

/**
 * Which of `nodes` list a new record in their WHOLE partition: those that listed `cur` there stay
 * (a member never moves between a node's partitions by itself); a node new to the article asks
 * `small` (an upload's estimate, state.ts WHOLE_LIMIT; absent in a rebuild: months only).
 */
function wholeOf(nodes: readonly NodePath[], cur: ArticleRecord | null, small?: (path: NodePath) => boolean): string[] {
  if (!small) return [];
  const before = new Map(placementsOf(cur).map((p) => [nodeKey(p.path), p.month === WHOLE]));
  return nodes.filter((path) => before.get(nodeKey(path)) ?? small(path)).map(nodeKey);
}

export const placementKey = (p: Placement) => `${p.month} ${nodeKey(p.path)}`;

function uniquePlacements(ps: readonly Placement[]): Placement[] {
  return [...new Map(ps.map((p) => [placementKey(p), p])).values()];
}

/** `leaving` of a record replacing `cur` and placed at `now`: everything it may still be listed in. */
function leavingOf(cur: ArticleRecord | null, now: readonly Placement[]): Placement[] {
  if (!cur) return [];
  const keep = new Set(now.map(placementKey));
  return uniquePlacements([...cur.leaving, ...placementsOf(cur)].filter((p) => !keep.has(placementKey(p))));
}

/** The page (under public/) a record publishes, or null. */
export function pageOf(rec: ArticleRecord | null): string | null {
  return rec && rec.status === 'published' && rec.entry ? articlePagePathOf(rec.entry) : null;
}

/** Every public file a record publishes for its article: its page and its assets' copies. */
export function publicFilesOf(rec: ArticleRecord | null): string[] {
  const page = pageOf(rec);
  return page ? [page, ...(rec!.assets ?? []).map(([p]) => p)] : [];
}

/** Public files a record replacing `cur` must see deleted: every one `cur` had or still had to delete, but `rec`'s own. */
function withOldPages(rec: ArticleRecord, cur: ArticleRecord | null): ArticleRecord {
  const now = new Set(publicFilesOf(rec));
  const old = [...new Set([...(cur?.oldPages ?? []), ...publicFilesOf(cur)])].filter((p) => !now.has(p)).sort();
  const { oldPages: _drop, ...rest } = rec;
  return old.length ? { ...rest, oldPages: old } : rest;
}

/** The record of an id with no key left: a tombstone that still lists where it must be removed from. */
export function deletedRecord(id: string, cur: ArticleRecord | null): ArticleRecord | null {
  if (!cur) return null;
  const next = withOldPages({ id, key: null, etag: null, status: 'deleted', nodes: [], leaving: leavingOf(cur, []) }, cur);
  return sameJson(next, cur) ? cur : next;
}

/** The record stays as it is when the winner is the object it was made from. */
export function recordIsCurrent(cur: ArticleRecord | null, winner: ObjectInfo): boolean {
  return !!cur && cur.status !== 'deleted' && cur.key === winner.key && cur.etag === winner.etag;
}

/**
 * The record of `id` made from its winning object: `body` null means it was too large to read.
 * `cur` gives `firstSeen` (the fallback date) and the placements to leave.
 */
export function recordFrom(
  id: string,
  info: ObjectInfo,
  body: Uint8Array | null,
  cur: ArticleRecord | null,
  settings: Settings,
  log: Logger,
  /** An upload's estimate of whether a node is small (its new members go to its WHOLE partition); absent in a rebuild. */
  small?: (path: NodePath) => boolean,
): ArticleRecord {
  const firstSeen = cur && cur.status !== 'deleted' && cur.firstSeen ? cur.firstSeen : seconds(info.lastModified);
  const base = { id, key: info.key, etag: info.etag, firstSeen };
  const rejected = (reason: string, line?: number): ArticleRecord => withOldPages({
    ...base,
    status: 'rejected',
    nodes: [],
    leaving: leavingOf(cur, []),
    error: { reason, ...(line ? { line } : {}), time: seconds(info.lastModified) },
  }, cur);
  const tooLarge = oversizeError(info.key, info.size, settings);
  if (tooLarge || body === null) return rejected((tooLarge ?? oversizeError(info.key, Number.MAX_SAFE_INTEGER, settings)!).reason);
  const processed = processArticle({ id, file: info.key, bytes: body, uploadedAt: new Date(firstSeen) }, settings);
  if (processed.kind === 'rejected') return rejected(processed.error.reason, processed.error.line);
  for (const w of processed.warnings) log('warn', w, { key: info.key });
  if (processed.kind === 'draft') return withOldPages({ ...base, status: 'draft', nodes: [], leaving: leavingOf(cur, []) }, cur);
  const entry = processed.entry;
  const long = nodesTooLong(entry);
  if (long) return rejected(long);
  const nodes: NodePath[] = entryNodes(entry);
  const assets = assetRefs(entry, settings.siteUrl).map((a): [string, string] => [a.publicPath, a.sourcePath]);
  const longKey = publicKeysTooLong(articlePagePathOf(entry), assets);
  if (longKey) return rejected(longKey);
  const whole = wholeOf(nodes, cur, small);
  const rec: ArticleRecord = { ...base, status: 'published', entry, v: entryVersion(entry), nodes, ...(whole.length ? { whole } : {}), leaving: [], ...(assets.length ? { assets } : {}) };
  rec.leaving = leavingOf(cur, placementsOf(rec));
  return withOldPages(rec, cur);
}

/** The error record a record implies for its own key (a rejection), or null. */
export function recordError(rec: ArticleRecord): ErrorRecord | null {
  if (rec.status !== 'rejected' || !rec.error || !rec.key) return null;
  return { id: rec.id, key: rec.key, ...rec.error };
}

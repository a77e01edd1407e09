// The private state under `state/` (docs/lambda.md, "State layout"): what one upload reads and writes
// is bounded by its categories and feedLimit, never by the archive. Every shared object is changed by
// a short conditional read-modify-write, retried by the one helper below (`retryOnConflict`).
import { createHash } from 'node:crypto';
import { nodeKey, type NodePath } from '../core/categories.js';
import type { Entry } from '../core/entry.js';
import { STATE_PREFIX } from '../core/layout.js';
import { RetriableError } from '../errors.js';
import { PreconditionFailed, type Store } from '../store/store.js';

export type ArticleStatus = 'published' | 'draft' | 'rejected' | 'deleted';

/**
 * One membership of an article: a node and the partition that lists it: the month (`YYYY-MM` of the
 * entry's date), or WHOLE (the node's one partition for members of any date, while it is small).
 */
export interface Placement {
  path: NodePath;
  month: string;
}

/**
 * The partition of a node's members of any date (`nodes/<h>/all.json`): an upload places a new
 * member there instead of in its month partition while the node (as the tree counts it, plus the
 * members its batch placed so far) has fewer than WHOLE_LIMIT members, so a bulk import into many
 * small categories writes one partition per node instead of one per node and month. Members stay
 * where they were placed; a rebuild places every article in its month again.
 */
export const WHOLE = 'all';
/** Members a node may have (tree count + this batch's) for a new member to go to its WHOLE partition: ≤ ~25 KB per partition. */
export const WHOLE_LIMIT = 256;

/** `state/articles/<id>.json`: what the engine last made of the article `id` (its winning key). */
export interface ArticleRecord {
  id: string;
  /** The winning key (docs/lambda.md, "Duplicate ids"); null once every key of the id is gone. */
  key: string | null;
  /** ETag of the source object this record was made from; null once the object is gone. */
  etag: string | null;
  status: ArticleStatus;
  /**
   * The LastModified of the object when Syndic first saw this article: the date of an article
   * without one, the same for re-uploads of any bytes and for rebuilds. Absent on a tombstone.
   */
  firstSeen?: string;
  entry?: Entry;
  /** Hash of `entry`: the version that partitions and node states name (`Item.v`). */
  v?: string;
  /** The nodes whose partitions list this article (none unless published). */
  nodes: NodePath[];
  /** nodeKeys of the nodes whose WHOLE partition lists it (the others: the month of its date). Absent when none. */
  whole?: string[];
  /**
   * Placements the article had before whose partitions may still list it: kept until every one is
   * known clean and its node folded and rendered, so that a retry (or reconcile) finishes the job.
   */
  leaving: Placement[];
  /**
   * Pages (paths under public/) earlier versions were published at and this one is not (a permalink
   * or date moved the page, or the article went away): deleted, then forgotten with `leaving`.
   * Absent when empty.
   */
  oldPages?: string[];
  /** Published only: the assets its page links, `[public path, source path under content/]` (core/assets.ts). Absent when none. */
  assets?: [string, string][];
  /** Why it was rejected; `time` is the object's LastModified (no wall clock: state must converge). */
  error?: { reason: string; line?: number; time: string };
}

/** `state/errors/<hash of key>.json`: why a key was not published (one per content key, not per id). */
export interface ErrorRecord {
  id: string | null;
  key: string;
  reason: string;
  line?: number;
  time: string;
}

/** A member of a node, as a partition lists it. `v` names the entry version (ArticleRecord.v). */
export interface Item {
  id: string;
  date: string;
  v: string;
  /** WHOLE when the item is listed in the node's WHOLE partition (absent: in the month of its date). */
  p?: typeof WHOLE;
}

/** `state/nodes/<hash>/<YYYY-MM>.json`: the members of one node dated in one month, in feed order (`all.json`: its WHOLE partition). */
export interface Partition {
  path: NodePath;
  month: string;
  /** Bumped on every change: node states fold a partition's count with its rev, so late writers cannot undo newer counts. */
  rev: number;
  items: Item[];
}

export interface TopItem extends Item {
  /** Absent while the article's record is at another version (its own invocation will fold it). */
  entry?: Entry;
}

/**
 * `state/nodes/<hash>.json`: the DESIRED state of one node (the site is path []): the size and rev of
 * each month partition as last folded, and the newest `limit` members with their full entries.
 */
export interface NodeDesired {
  path: NodePath;
  /** Bumped on every change: the generation. The tree carries it; renders record it as observed. */
  rev: number;
  /** feedLimit when `top` was computed. */
  limit: number;
  parts: Record<string, { n: number; rev: number }>;
  top: TopItem[];
}

/**
 * `state/rendered/<hash>.json`: the OBSERVED state of one node's files: the desired rev and tree view
 * they were rendered from, their ETags, and the node slugs for which every member's page was checked.
 * Written only after the files are.
 */
export interface NodeObserved {
  path: NodePath;
  rev: number;
  view: string;
  files: Record<string, string>;
  pages?: string;
  /** The rev of the tree the files were rendered with: a render holding an older tree reads it again. */
  tree?: number;
}

export interface TreeNode {
  path: NodePath;
  count: number;
  /** The desired rev of the node this count was read from: a higher rev wins. */
  rev: number;
}

/** `state/tree.json`: every node that ever had members, with its member count (0 once empty). */
export interface TreeState {
  rev: number;
  nodes: TreeNode[];
}

/** `state/pending/<invocation>.json`: written before an invocation changes anything, deleted when it is done. */
export interface PendingMarker {
  keys: string[];
}

/** `state/rebuild/epoch.json`: the rebuild in progress (open) or the last one (closed). */
export interface Epoch {
  n: number;
  open: boolean;
}

export const TREE_KEY = `${STATE_PREFIX}tree.json`;
export const ARTICLES_STATE = `${STATE_PREFIX}articles/`;
export const ERRORS_STATE = `${STATE_PREFIX}errors/`;
export const NODES_STATE = `${STATE_PREFIX}nodes/`;
export const RENDERED_STATE = `${STATE_PREFIX}rendered/`;
export const PENDING_STATE = `${STATE_PREFIX}pending/`;
export const REBUILD_STATE = `${STATE_PREFIX}rebuild/`;
export const EPOCH_KEY = `${REBUILD_STATE}epoch.json`;
export const RACED_STATE = `${REBUILD_STATE}raced/`;

export const hashOf = (s: string, n = 16) => createHash('sha256').update(s).digest('hex').slice(0, n);

export const recordKey = (id: string) => `${ARTICLES_STATE}${id}.json`;
/** Keyed by a hash of the content key: any key gets a short error record, and duplicates of one id get one each. */
export const errorKey = (key: string) => `${ERRORS_STATE}${hashOf(key, 32)}.json`;
/** Node names can be long and hold any character: node keys are a hash of the path. */
export const nodeHash = (path: NodePath) => hashOf(nodeKey(path));
export const desiredKey = (path: NodePath) => `${NODES_STATE}${nodeHash(path)}.json`;
export const partitionKey = (path: NodePath, month: string) => `${NODES_STATE}${nodeHash(path)}/${month}.json`;
export const observedKey = (path: NodePath) => `${RENDERED_STATE}${nodeHash(path)}.json`;
/** `state/assets/<hash of source key>.json`: which articles link a content file as an asset (an upload of it is copied there). */
export const ASSETS_STATE = `${STATE_PREFIX}assets/`;
export const assetIndexKey = (sourceKey: string) => `${ASSETS_STATE}${hashOf(sourceKey, 32)}.json`;
export interface AssetIndex {
  source: string;
  /** Sorted by path then id. */
  refs: { id: string; path: string }[];
}
export const racedKey = (key: string) => `${RACED_STATE}${hashOf(key, 32)}.json`;

/** The month partition of a date: `2024-03` of `2024-03-01T08:00:00.000Z` (also `+275760-09`). */
export const monthOf = (isoDate: string) => isoDate.slice(0, isoDate.indexOf('T') - 3);

export const emptyDesired = (path: NodePath, limit: number): NodeDesired => ({ path, rev: 0, limit, parts: {}, top: [] });
export const emptyTree = (): TreeState => ({ rev: 0, nodes: [{ path: [], count: 0, rev: 0 }] });

export const encodeJson = (value: unknown): string => JSON.stringify(value);
export const sameJson = (a: unknown, b: unknown) => encodeJson(a) === encodeJson(b);

export interface Versioned<T> {
  value: T | null;
  /** null: no object. */
  etag: string | null;
}

export async function readJson<T>(store: Store, key: string): Promise<Versioned<T>> {
  const obj = await store.get(key);
  if (!obj) return { value: null, etag: null };
  return { value: JSON.parse(Buffer.from(obj.body).toString('utf8')) as T, etag: obj.etag };
}

/** Writes `value` only if the object is still at `etag` (null: only if there is none). */
export async function putJsonIf<T>(store: Store, key: string, value: T, etag: string | null): Promise<Versioned<T>> {
  const r = await store.put(key, encodeJson(value), {
    contentType: 'application/json',
    ...(etag === null ? { ifNoneMatch: '*' as const } : { ifMatch: etag }),
  });
  return { value, etag: r.etag };
}

export async function putJson<T>(store: Store, key: string, value: T): Promise<Versioned<T>> {
  const r = await store.put(key, encodeJson(value), { contentType: 'application/json' });
  return { value, etag: r.etag };
}

/** Thrown inside `retryOnConflict` to say "what I read is stale: read again" without a failed write. */
export class Conflict extends Error {
  constructor(what: string) {
    super(`conflict: ${what}`);
    this.name = 'Conflict';
  }
}

/** Attempts before giving up: generous, so that a burst of 120 concurrent invocations never exhausts it. */
export const CONFLICT_BUDGET = 100;

/** Full-jitter exponential backoff, capped at 2 s: spreads out writers that collided on the same object. */
export function backoff(attempt: number): Promise<void> {
  const cap = Math.min(2000, 10 * 2 ** Math.min(attempt, 10));
  return new Promise((r) => setTimeout(r, Math.random() * cap));
}

/**
 * The one retry-on-conflict loop (client-go's RetryOnConflict): runs `fn` again, after a backoff,
 * while it fails with a lost conditional write (PreconditionFailed) or a stale read (Conflict). Each
 * attempt must read what it changes afresh: keep the read → conditional write window short. Past
 * the budget it throws a RetriableError: the invocation fails and is retried (or reconciled).
 */
export async function retryOnConflict<T>(what: string, fn: (attempt: number) => Promise<T>, budget = CONFLICT_BUDGET): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (e) {
      if (!(e instanceof PreconditionFailed || e instanceof Conflict)) throw e;
      if (attempt + 1 >= budget) throw new RetriableError(`${what}: still conflicting after ${budget} attempts; giving up (retried later)`);
      conflictStats.retries++;
      await backoff(attempt);
    }
  }
}

/** Process-wide count of conflict retries (tests and the bench report it). */
export const conflictStats = { retries: 0 };

/**
 * Conditional read-modify-write of one JSON object: `change` gets the current value and returns
 * the new one, or null to leave it. The read and the write are adjacent: `change` must not do I/O.
 * `first`: a read of the object made earlier, used by the first attempt (the write is conditional
 * on its ETag, so it is as good as a read made just before; a lost write reads again).
 */
export async function updateJson<T>(
  store: Store,
  key: string,
  change: (current: T | null) => T | null,
  first?: Versioned<T>,
): Promise<Versioned<T> & { wrote: boolean }> {
  return retryOnConflict(key, async (attempt) => {
    const cur = attempt === 0 && first ? first : await readJson<T>(store, key);
    const next = change(cur.value);
    if (next === null) return { ...cur, wrote: false };
    return { ...(await putJsonIf(store, key, next, cur.etag)), wrote: true };
  });
}

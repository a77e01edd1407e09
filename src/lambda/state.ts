// The private state under `state/` that makes one upload cost O(its categories), not O(all articles):
// one record per article, one index per category node, and the tree of nodes (for slugs and listings).
// Every shared object is changed by conditional read-modify-write (`updateJson`), never blindly.
import { createHash } from 'node:crypto';
import { nodeKey, type NodePath } from '../core/categories.js';
import type { Entry } from '../core/entry.js';
import { STATE_PREFIX } from '../core/layout.js';
import { PreconditionFailed, type Store } from '../store/store.js';

export type ArticleStatus = 'published' | 'draft' | 'rejected' | 'deleted';

/** `state/articles/<id>.json`: what the engine last made of `content/<id>.<ext>`. */
export interface ArticleRecord {
  id: string;
  key: string;
  /** ETag of the source object this record was made from; null once the object is gone. */
  etag: string | null;
  status: ArticleStatus;
  entry?: Entry;
  /** The nodes whose indexes list this article (none unless published). */
  nodes: NodePath[];
  /**
   * Nodes the article has left whose indexes may still list it: kept until their indexes are known
   * to be clean, so that an invocation that dies half-way is finished by the retry.
   */
  leaving: NodePath[];
  /** Why it was rejected; `time` is the object's LastModified (no wall clock: state must converge). */
  error?: { reason: string; line?: number; time: string };
}

/** `state/errors/<id>.json`: why an article was rejected. `time` is the object's LastModified. */
export interface ErrorRecord {
  id: string;
  key: string;
  reason: string;
  line?: number;
  time: string;
}

export interface IndexItem {
  id: string;
  date: string;
}

/** `state/nodes/<hash>.json`: every member of one category node (the site is path []). */
export interface NodeIndex {
  path: NodePath;
  /** Bumped on every write: orders the counts copied into the tree, and makes every write change the ETag. */
  rev: number;
  /** All members, in feed order (compareEntries). */
  items: IndexItem[];
  /** Full entries of the newest feedLimit items: all that the node's files need. */
  top: Entry[];
  /** Public path → ETag of the node's files as last confirmed written (after the write, never before). */
  published: Record<string, string>;
}

export interface TreeNode {
  path: NodePath;
  count: number;
  /** The rev of the node index this count was read from: a higher rev wins, so late writers cannot undo newer counts. */
  rev: number;
}

/** `state/tree.json`: every node that ever had members, with its member count. */
export interface TreeState {
  rev: number;
  nodes: TreeNode[];
  /** ETags of the site-wide files (renderSiteFiles) as last confirmed written. */
  published: Record<string, string>;
}

export const TREE_KEY = `${STATE_PREFIX}tree.json`;
export const ARTICLES_STATE = `${STATE_PREFIX}articles/`;
export const ERRORS_STATE = `${STATE_PREFIX}errors/`;
export const NODES_STATE = `${STATE_PREFIX}nodes/`;

export const recordKey = (id: string) => `${ARTICLES_STATE}${id}.json`;
export const errorKey = (id: string) => `${ERRORS_STATE}${id}.json`;
/** Node names can be long and hold any character: the index key is a hash of the path. */
export const nodeIndexKey = (path: NodePath) =>
  `${NODES_STATE}${createHash('sha256').update(nodeKey(path)).digest('hex').slice(0, 16)}.json`;

export const emptyIndex = (path: NodePath): NodeIndex => ({ path, rev: 0, items: [], top: [], published: {} });
export const emptyTree = (): TreeState => ({ rev: 0, nodes: [{ path: [], count: 0, rev: 0 }], published: {} });

export const encodeJson = (value: unknown): string => JSON.stringify(value);

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

const MAX_ATTEMPTS = 40;

/** Full-jitter exponential backoff: spreads out writers that collided on the same object. */
export function backoff(attempt: number): Promise<void> {
  const cap = Math.min(1000, 10 * 2 ** attempt);
  return new Promise((r) => setTimeout(r, Math.random() * cap));
}

/**
 * Conditional read-modify-write: `change` gets the current value and returns the new one, or null to
 * leave it. On a conflict (someone wrote in between) it re-reads and calls `change` again.
 */
export async function updateJson<T>(
  store: Store,
  key: string,
  change: (current: T | null) => Promise<T | null> | T | null,
  first?: Versioned<T>,
): Promise<Versioned<T> & { wrote: boolean }> {
  for (let attempt = 0; ; attempt++) {
    const cur = attempt === 0 && first ? first : await readJson<T>(store, key);
    const next = await change(cur.value);
    if (next === null) return { ...cur, wrote: false };
    try {
      return { ...(await putJsonIf(store, key, next, cur.etag)), wrote: true };
    } catch (e) {
      if (!(e instanceof PreconditionFailed) || attempt >= MAX_ATTEMPTS) throw e;
      await backoff(attempt);
    }
  }
}

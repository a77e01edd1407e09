// Shared pieces of the S3 integration tests: articles, events, and reading what got published.
import { resolveSettings, type Settings } from '../../src/core/settings.js';
import { handle, type HandlerResult } from '../../src/lambda/handler.js';
import { silentLogger, type Logger } from '../../src/log.js';
import { rebuild } from '../../src/lambda/rebuild.js';
import { partitionKey, type ArticleRecord } from '../../src/lambda/state.js';
import { placementsOf } from '../../src/lambda/verdict.js';
import { encodeEventKey } from '../../src/lambda/s3-events.js';
import { FsStore } from '../../src/store/fs-store.js';
import type { Store } from '../../src/store/store.js';

export const settingsFor = (over: Partial<Settings> = {}): Settings =>
  resolveSettings({ siteUrl: 'https://feeds.example.com', title: 'Test', timezone: 'UTC', feedLimit: 20, ...over });

export function article(o: { title: string; date: string; categories?: string[]; body?: string; draft?: boolean }): string {
  const cats = o.categories?.length ? `categories:\n${o.categories.map((c) => ` - ${c}`).join('\n')}\n` : '';
  return `---\ntitle: '${o.title.replace(/'/g, "''")}'\ndate: ${o.date}\n${cats}${o.draft ? 'draft: true\n' : ''}---\n\n${o.body ?? `<p>${o.title} body</p>`}\n`;
}

/** An S3 notification as AWS sends it: keys URL-encoded with `+` for spaces. */
export function s3Event(bucket: string, keys: string[], eventName = 'ObjectCreated:Put') {
  return { Records: keys.map((key) => ({ eventName, s3: { bucket: { name: bucket }, object: { key: encodeEventKey(key) } } })) };
}

export function runner(store: Store, bucket: string, settings: Settings, log: Logger = silentLogger) {
  return {
    /** One invocation for these keys. */
    event: (...keys: string[]): Promise<HandlerResult> => handle(s3Event(bucket, keys), { storeFor: () => store, settings, log }),
    upload: async (key: string, body: string) => {
      await store.put(key, body);
      return handle(s3Event(bucket, [key]), { storeFor: () => store, settings, log });
    },
    remove: async (key: string) => {
      await store.delete(key);
      return handle(s3Event(bucket, [key], 'ObjectRemoved:Delete'), { storeFor: () => store, settings, log });
    },
    rebuild: () => rebuild({ store, settings, log }),
    /** The Lambda's `{ action: 'rebuild' }` event (with WebSub pings). */
    rebuildEvent: () => handle({ action: 'rebuild', bucket }, { storeFor: () => store, settings, log }),
  };
}

/**
 * What `syndic build` wrote into a folder, keyed as the bucket keys it (`public/<path>` → MD5 ETag),
 * in key order; the build's own bookkeeping (`.syndic-*` at the top) is not a published file.
 */
export async function builtFiles(out: string): Promise<Map<string, string>> {
  const files = await new FsStore(out).list('');
  return new Map(files.filter((o) => !o.key.startsWith('.syndic-')).map((o) => [`public/${o.key}`, o.etag]));
}

/** Every object under a prefix → its body as text. */
export async function snapshot(store: Store, prefix = 'public/'): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const o of await store.list(prefix)) out.set(o.key.slice(prefix.length), Buffer.from((await store.get(o.key))!.body).toString('utf8'));
  return out;
}

export interface JsonFeed {
  title: string;
  items: { id: string; url: string; title: string; date_published?: string }[];
}

export async function jsonFeed(store: Store, dir = ''): Promise<JsonFeed | null> {
  const obj = await store.get(`public/${dir}feed.json`);
  return obj ? (JSON.parse(Buffer.from(obj.body).toString('utf8')) as JsonFeed) : null;
}

export const titles = (f: JsonFeed | null) => (f ? f.items.map((i) => i.title) : null);

const PARTITION = /^state\/nodes\/([0-9a-f]+)\/([^/]+)\.json$/;
const DESIRED = /^state\/nodes\/([0-9a-f]+)\.json$/;
const RECORD = 'state/articles/';
/** An item as a node lists it, without the partition it is in (`p`: an upload's WHOLE partition, a rebuild's month). */
const bare = <T extends { p?: string }>(i: T) => ({ ...i, p: undefined });

/**
 * The state that matters, normalized so that two histories that converged compare equal: revs
 * dropped (they count history), tombstones and empty partitions/nodes dropped (a rebuild removes
 * or empties them), scratch objects (intent markers, rebuild epochs) left out. null: not compared.
 * Which partition of a node lists a member (its month, or the node's WHOLE partition, state.ts)
 * depends on history too: partitions and node states are compared as each node's members by month
 * (bucketState), records without `whole`. `rendered.pages` (the slugs at which members' pages were
 * checked) is bookkeeping: absent after a render that did not check (nodes.ts, `moved`); the pages
 * themselves are compared byte for byte.
 */
export function normalizeState(key: string, body: string): string | null {
  if (!key.startsWith('state/') || key.startsWith('state/pending/') || key.startsWith('state/rebuild/')) return null;
  const v = JSON.parse(body) as Record<string, unknown> & { path?: string[] };
  const rel = key.slice('state/'.length);
  // firstSeen is when the object was first seen (the date of a dateless entry, which the entry shows).
  if (rel.startsWith('articles/')) return v.status === 'deleted' && (v.leaving as unknown[]).length === 0 ? null : JSON.stringify({ ...v, firstSeen: undefined, whole: undefined });
  if (rel.startsWith('errors/')) return JSON.stringify(v);
  // Page claims (src/lambda/claims.ts): an upload leaves an emptied one, a rebuild deletes it; `seen`
  // is the record's firstSeen (left out above too).
  if (rel.startsWith('pages/'))
    return (v.claims as unknown[]).length ? JSON.stringify({ ...v, claims: (v.claims as Record<string, unknown>[]).map((c) => ({ ...c, seen: undefined })) }) : null;
  if (rel === 'tree.json') return JSON.stringify((v.nodes as { path: string[]; count: number }[]).filter((n) => n.count > 0).map((n) => [n.path, n.count]));
  // Partitions and node states: compared by members (nodeMembers, below).
  if (PARTITION.test(key) || DESIRED.test(key)) return null;
  if (rel.startsWith('rendered/')) {
    const files = v.files as Record<string, string>;
    if (!Object.keys(files).length && v.path!.length) return null;
    return JSON.stringify({ path: v.path, view: v.view, files });
  }
  return JSON.stringify(v);
}

type Raw = Record<string, unknown>;
interface RawItem { id: string; date: string; v: string; p?: string }

/**
 * Partitions and node states as each node's members by month: `state/nodes/<h>/<YYYY-MM>.json` →
 * the node's members dated in that month, in feed order, whichever partition lists them; and
 * `state/nodes/<h>.json` → its limit, top and count per month (a partition's count taken by the
 * months of its members only when the node state counts it at its real size, else as it is).
 */
function nodeMembers(raw: ReadonlyMap<string, Raw>): Map<string, string> {
  const out = new Map<string, string>();
  const byMonth = new Map<string, { path: unknown; month: string; items: RawItem[] }>();
  const partitions = new Map<string, RawItem[]>();
  for (const [k, v] of raw) {
    const m = PARTITION.exec(k);
    if (!m) continue;
    const items = v.items as RawItem[];
    partitions.set(`${m[1]}/${m[2]}`, items);
    for (const i of items) {
      const month = i.date.slice(0, i.date.indexOf('T') - 3);
      const key = `state/nodes/${m[1]}/${month}.json`;
      const g = byMonth.get(key) ?? { path: v.path, month, items: [] };
      g.items.push(i);
      byMonth.set(key, g);
    }
  }
  const order = (a: RawItem, b: RawItem) => (a.date < b.date ? 1 : a.date > b.date ? -1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  for (const [k, g] of byMonth) out.set(k, JSON.stringify({ path: g.path, month: g.month, items: g.items.sort(order).map(bare) }));
  for (const [k, v] of raw) {
    const m = DESIRED.exec(k);
    if (!m) continue;
    const counts = new Map<string, number>();
    for (const [part, c] of Object.entries(v.parts as Record<string, { n: number }>)) {
      if (c.n <= 0) continue;
      const items = partitions.get(`${m[1]}/${part}`);
      const months = items && items.length === c.n ? items.map((i) => i.date.slice(0, i.date.indexOf('T') - 3)) : [...Array<string>(c.n).fill(part)];
      for (const month of months) counts.set(month, (counts.get(month) ?? 0) + 1);
    }
    if (!counts.size && (v.path as string[]).length) continue;
    out.set(k, JSON.stringify({ path: v.path, limit: v.limit, top: (v.top as RawItem[]).map(bare), parts: Object.fromEntries([...counts].sort()) }));
  }
  return out;
}

export interface BucketState {
  /** public key → ETag */
  public: Map<string, string>;
  /** state key → { etag, normalized } (normalized null: not compared), and the revs of node states */
  state: Map<string, { etag: string; norm: string | null; rev?: number; raw?: Raw }>;
  /** Partitions and node states as members (nodeMembers): `state/nodes/…` → normalized. */
  members: Map<string, string>;
}

/** Every public ETag and the normalized state; `known` skips GETs of state objects whose ETag it already normalized. */
export async function bucketState(store: Store, known?: BucketState): Promise<BucketState> {
  const pub = new Map((await store.list('public/')).map((o) => [o.key, o.etag]));
  const state: BucketState['state'] = new Map();
  const listed = await store.list('state/');
  await Promise.all(
    listed.map(async (o) => {
      const k = known?.state.get(o.key);
      if (k && k.etag === o.etag) return state.set(o.key, k);
      if (o.key.startsWith('state/pending/') || o.key.startsWith('state/rebuild/')) return state.set(o.key, { etag: o.etag, norm: null });
      const obj = await store.get(o.key);
      if (!obj) return;
      const text = Buffer.from(obj.body).toString('utf8');
      const rev = /^state\/(nodes|rendered)\/[0-9a-f]+\.json$/.test(o.key) ? (JSON.parse(text) as { rev: number }).rev : undefined;
      const raw = PARTITION.test(o.key) || DESIRED.test(o.key) || o.key.startsWith(RECORD) ? (JSON.parse(text) as Raw) : undefined;
      state.set(o.key, { etag: obj.etag, norm: normalizeState(o.key, text), ...(rev !== undefined ? { rev } : {}), ...(raw ? { raw } : {}) });
    }),
  );
  const raw = new Map([...state].filter(([k, e]) => e.raw && !k.startsWith(RECORD)).map(([k, e]) => [k, e.raw!]));
  return { public: pub, state, members: nodeMembers(raw) };
}

/** Differences between two bucket states (public bytes by ETag, state normalized), as readable lines. */
export function diffStates(a: BucketState, b: BucketState): string[] {
  const out: string[] = [];
  for (const k of new Set([...a.public.keys(), ...b.public.keys()])) if (a.public.get(k) !== b.public.get(k)) out.push(`${k}: ${a.public.get(k) ?? 'missing'} vs ${b.public.get(k) ?? 'missing'}`);
  for (const k of new Set([...a.state.keys(), ...b.state.keys()])) {
    const x = a.state.get(k)?.norm ?? null;
    const y = b.state.get(k)?.norm ?? null;
    if (x !== y) out.push(`${k}: ${x?.slice(0, 300) ?? 'none'}\n   vs ${y?.slice(0, 300) ?? 'none'}`);
  }
  for (const k of new Set([...a.members.keys(), ...b.members.keys()])) {
    const x = a.members.get(k) ?? null;
    const y = b.members.get(k) ?? null;
    if (x !== y) out.push(`${k} (members): ${x?.slice(0, 300) ?? 'none'}\n   vs ${y?.slice(0, 300) ?? 'none'}`);
  }
  return out;
}

/** Nodes whose observed rev lags their desired rev, or whose top misses an entry, from a bucketState. */
export function lagging(b: BucketState): string[] {
  const out: string[] = [];
  for (const [k, v] of b.state) {
    const m = /^state\/nodes\/([0-9a-f]+)\.json$/.exec(k);
    if (!m) continue;
    const o = b.state.get(`state/rendered/${m[1]}.json`);
    if (o?.rev !== v.rev) out.push(`${k}: desired ${v.rev}, observed ${o?.rev ?? 'none'}`);
    const norm = b.members.get(k);
    if (norm && /"v":"[0-9a-f]+"\}/.test(norm)) out.push(`${k}: top has an entry missing`);
  }
  return [...out, ...misplaced(b)];
}

/**
 * Partition items not exactly at their records' placements (I2, docs/lambda.md), from a bucketState.
 * The comparison with a rebuild sees members by month and records without `whole` (which partition
 * lists a member depends on history), so it cannot see a member listed in a partition other than the
 * one its record names, which a later delete or refill of that node would act on; this does.
 */
export function misplaced(b: BucketState): string[] {
  const want = new Set<string>();
  for (const [k, e] of b.state) {
    if (!k.startsWith(RECORD) || !e.raw) continue;
    const rec = e.raw as unknown as ArticleRecord;
    for (const p of placementsOf(rec)) want.add(`${partitionKey(p.path, p.month)} ${rec.id} ${rec.v}`);
  }
  const have = new Set<string>();
  for (const [k, e] of b.state) if (PARTITION.test(k) && e.raw) for (const i of e.raw.items as RawItem[]) have.add(`${k} ${i.id} ${i.v}`);
  return [...[...have].filter((x) => !want.has(x)).map((x) => `listed, not placed: ${x}`), ...[...want].filter((x) => !have.has(x)).map((x) => `placed, not listed: ${x}`)];
}

/** Nodes whose observed rev lags their desired rev (files not known to be rendered from the latest state). */
export async function laggingNodes(store: Store): Promise<string[]> {
  const out: string[] = [];
  const desired = (await store.list('state/nodes/')).filter((o) => /^state\/nodes\/[0-9a-f]+\.json$/.test(o.key));
  await Promise.all(
    desired.map(async (o) => {
      const d = JSON.parse(Buffer.from((await store.get(o.key))!.body).toString()) as { path: string[]; rev: number; top: { entry?: unknown }[] };
      const r = await store.get(o.key.replace('state/nodes/', 'state/rendered/'));
      const rev = r ? (JSON.parse(Buffer.from(r.body).toString()) as { rev: number }).rev : -1;
      if (rev !== d.rev) out.push(`${JSON.stringify(d.path)}: desired ${d.rev}, observed ${rev}`);
      if (d.top.some((t) => !t.entry)) out.push(`${JSON.stringify(d.path)}: top has an entry missing`);
    }),
  );
  return out;
}

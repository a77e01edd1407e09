// Per-batch listings (docs/lambda.md, "One invocation"): a batch of many ids learns whether their
// records exist and their ETags, or the content keys of each id, from a LIST of the key range they
// span instead of one request per id. Bounded by the batch, never by the archive: a range that
// would take more than one page per RANGE_RATIO ids is abandoned and the caller asks per id.
import { compareKeys, type ObjectInfo, type Store } from '../store/store.js';

/** From this many ids on, a batch lists their range instead of asking per id. */
export const RANGE_MIN = 8;
/** At most one LIST page per this many ids (a page holds up to 1,000 keys). */
export const RANGE_RATIO = 4;

function commonPrefix(a: string, b: string): string {
  const x = [...a];
  const y = [...b];
  let i = 0;
  while (i < x.length && i < y.length && x[i] === y[i]) i++;
  return x.slice(0, i).join('');
}

/**
 * Every object whose key starts with one of `prefixes`, by prefix, from a LIST of the range from
 * the first prefix to past the last (keys in between that match none are dropped). null when there
 * are fewer than `min` prefixes or the range needs more than prefixes / RANGE_RATIO pages (at least one).
 * The answer for each prefix is what a LIST of that prefix alone would have said at some moment
 * during the call (S3 lists are strongly consistent).
 */
export async function listRange(store: Store, prefixes: readonly string[], min = RANGE_MIN): Promise<Map<string, ObjectInfo[]> | null> {
  const sorted = [...new Set(prefixes)].sort(compareKeys);
  if (sorted.length < Math.max(1, min)) return null;
  const first = sorted[0]!;
  const last = sorted[sorted.length - 1]!;
  const prefix = commonPrefix(first, last);
  // Just before `first`: every key from `first` on comes after it.
  const cps = [...first];
  let after = cps.slice(0, -1).join('');
  if (after.length < prefix.length) after = '';
  const maxPages = Math.max(1, Math.floor(sorted.length / RANGE_RATIO));
  const items: ObjectInfo[] = [];
  for (let pages = 0; ; pages++) {
    if (pages >= maxPages) return null;
    const page = await store.listPage(prefix, after);
    items.push(...page.items);
    const l = page.items[page.items.length - 1]?.key;
    if (!page.truncated || l === undefined) break;
    // Past every key that starts with the last prefix: the range is complete.
    if (compareKeys(l, last) > 0 && !l.startsWith(last)) break;
    after = l;
  }
  const out = new Map<string, ObjectInfo[]>(sorted.map((p) => [p, []]));
  for (const o of items) for (const p of sorted) if (o.key.startsWith(p)) out.get(p)!.push(o);
  return out;
}

// Pages two articles claim: a permalink (the article's own or the site's pattern) can name a page that
// another article's permalink, or another article's default page `articles/<id>/index.html`, also
// names. As in buildSite (src/core/site.ts) the newer article in feed order (compareEntries: newest
// date, then smallest id) has the page; both stay in the feeds, and the other's key gets an error
// record naming both. The claims of a page moved by a permalink are kept in state/pages/<hash>.json;
// a default page's own article is an implicit claimant (its record says whether it still is).
import { compareEntries } from '../core/entry.js';
import { articlePagePath } from '../core/layout.js';
import type { Store } from '../store/store.js';
import { STATE_PREFIX } from '../core/layout.js';
import { hashOf, readJson, recordKey, type ArticleRecord, type ErrorRecord, type Versioned } from './state.js';
import { pageOf } from './verdict.js';

export const PAGES_STATE = `${STATE_PREFIX}pages/`;
export const claimsKey = (page: string) => `${PAGES_STATE}${hashOf(page, 24)}.json`;

export interface Claim {
  id: string;
  /** The content key the record was made from. */
  key: string;
  /** The entry's date (ISO): feed order decides the owner. */
  date: string;
  /** The record's firstSeen: the time of the loser's error record. */
  seen: string;
}

export interface PageClaims {
  page: string;
  /** Articles whose permalink moved their page here, in feed order (the first has the page, unless the implicit claimant is newer). */
  claims: Claim[];
}

/** Whether a record's page is moved by a permalink (so it is registered under state/pages/). */
export function registered(rec: ArticleRecord | null): boolean {
  const page = pageOf(rec);
  return page !== null && page !== articlePagePath(rec!.id);
}

export function claimOf(rec: ArticleRecord): Claim {
  return { id: rec.id, key: rec.key!, date: rec.entry!.date, seen: rec.firstSeen ?? rec.entry!.date };
}

export const byFeedOrder = (a: Claim, b: Claim) => compareEntries(a, b);

/** The id whose default page this is (`articles/<id>/index.html`), or null. */
export function defaultOwner(page: string): string | null {
  const m = /^articles\/(.+)\/index\.html$/.exec(page);
  return m && articlePagePath(m[1]!) === page ? m[1]! : null;
}

export interface Contenders {
  page: string;
  /** Every claimant, in feed order: the first has the page. */
  list: Claim[];
  /** The claims object as read (for a conditional write), and its ETag. */
  claims: PageClaims | null;
  etag: string | null;
  /** ETags the answer depends on (claims object, implicit claimant's record): equal again later = still true. */
  version: string;
  /** Read for a page its claimant left: the remaining claimants' error records change. */
  handedOver?: boolean;
}

/**
 * Who claims a page now: its registered claims and the article whose default page it is, if published
 * there. `held`: records the caller holds (not read again; their ETags stand in the version).
 */
export async function contenders(store: Store, page: string, held?: ReadonlyMap<string, Versioned<ArticleRecord>>): Promise<Contenders> {
  const c = await readJson<PageClaims>(store, claimsKey(page));
  const list = [...(c.value?.claims ?? [])];
  let version = `${c.etag}`;
  const x = defaultOwner(page);
  if (x !== null) {
    const r = held?.get(x) ?? (await readJson<ArticleRecord>(store, recordKey(x)));
    version += ` ${r.etag}`;
    if (r.value && pageOf(r.value) === page && !list.some((l) => l.id === x)) list.push(claimOf(r.value));
  }
  list.sort(byFeedOrder);
  return { page, list, claims: c.value, etag: c.etag, version };
}

/** The current version of what `contenders` read (the claims object's and the implicit record's ETags). */
export async function contendersVersion(store: Store, page: string, held?: ReadonlyMap<string, Versioned<ArticleRecord>>): Promise<string> {
  const etag = (await store.head(claimsKey(page)))?.etag ?? null;
  const x = defaultOwner(page);
  if (x === null) return `${etag}`;
  const h = held?.get(x);
  return `${etag} ${h ? h.etag : ((await store.head(recordKey(x)))?.etag ?? null)}`;
}

/** The error record of an article whose page a newer article has. */
export function pageLostError(page: string, loser: Claim, owner: Claim): ErrorRecord {
  return {
    id: loser.id,
    key: loser.key,
    reason: `page conflict: ${loser.key} and ${owner.key} both have the page ${page}; ${owner.key} is newer (feed order) and has it, ${loser.key} stays in the feeds without its page; give one of them another permalink`,
    time: loser.seen,
  };
}

// What every format reads: a node's feed description (FeedMeta) and its entries as the feeds show
// them (FeedItem), computed once, so RSS, Atom and JSON Feed always agree: same ids, same dates,
// same content.
import type { Entry } from '../entry.js';

export interface FeedMeta {
  title: string;
  description: string;
  /** The HTML page this feed is the alternate of. */
  homeUrl: string;
  feedUrls: { rss: string; atom: string; json: string };
  language: string;
  /** Feed-level author: Atom requires one for entries that name none. */
  author: string;
  /** WebSub hub, if any. */
  hub?: string;
  /** Root-relative or absolute hrefs of XSL stylesheets that let browsers show the feed. */
  stylesheets?: { rss?: string; atom?: string };
  /** A small square image (favicon): Atom `icon`, JSON Feed `favicon`, RSS `image` when there is no logo. */
  icon?: string;
  /** A larger image: Atom `logo`, JSON Feed `icon`, RSS `image`. */
  logo?: string;
  /** Rights statement: RSS `copyright`, Atom `rights` (JSON Feed has no such field). */
  copyright?: string;
  /** 'summary': items carry their summary (or `<!--more-->` excerpt), not the full content. */
  content?: 'full' | 'summary';
}

export interface RenderedFeeds {
  rss: string;
  atom: string;
  json: string;
}

export const GENERATOR = 'Syndic';
const EPOCH = new Date(0);

/** An entry as one feed shows it: what every format reads, computed once. */
export interface FeedItem {
  entry: Entry;
  /** RSS guid, Atom id, JSON Feed id: the article's own id when it sets one, else its URL. */
  id: string;
  /** The entry's `updated`, told apart from the other items' (distinctUpdated). */
  updated: string;
  /** Category names of every hierarchy, then tags, each once. */
  categories: string[];
  /** The HTML body to publish: the full content, or nothing in summary mode. */
  contentHtml?: string;
  /** In summary mode, the `<!--more-->` excerpt when the article has one. */
  excerptHtml?: string;
}

/** The feed's `updated`: the latest change among its items, never the build time. */
export function feedUpdated(entries: readonly Pick<Entry, 'updated'>[]): Date {
  let max = '';
  for (const e of entries) if (e.updated > max) max = e.updated;
  return max ? new Date(max) : EPOCH;
}

/**
 * `updated` per entry id, so that no two items of one feed share an instant (the W3C validator's
 * DuplicateUpdated): an entry whose instant no other entry has keeps it exactly; among entries
 * sharing one, the smallest id keeps it and the others, in id order, move on by whole milliseconds
 * to the next instant no entry of the feed holds. Deterministic: the same entries always give the
 * same instants, whatever their order.
 */
export function distinctUpdated(entries: readonly Pick<Entry, 'id' | 'updated'>[]): Map<string, string> {
  const sorted = [...entries].sort((a, b) => (a.updated < b.updated ? -1 : a.updated > b.updated ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const ms = (e: Pick<Entry, 'updated'>) => Date.parse(e.updated);
  // Every instant some entry holds is taken first, so moving entries never land on one.
  const taken = new Set(sorted.map(ms));
  const out = new Map<string, string>();
  let previous: number | undefined;
  for (const e of sorted) {
    let t = ms(e);
    if (t === previous) {
      while (taken.has(t)) t++;
      taken.add(t);
    } else previous = t;
    out.set(e.id, t === ms(e) ? e.updated : new Date(t).toISOString());
  }
  return out;
}

const MEDIA = /<(video|audio)\b([^>]*)>([\s\S]*?)<\/\1>/g;
const CONTROLS = /\scontrols(?:="[^"]*")?(?=[\s/>]|$)/;

/**
 * Article HTML as feeds carry it. The W3C validator counts `controls` on <video> and <audio> as a
 * security-risk attribute (SecurityRiskAttr), so feeds leave it out and follow each player with a
 * plain link to its file, which every reader can open. Pages keep their controls.
 */
export function feedHtml(html: string): string {
  return html.replace(MEDIA, (m, tag: string, attrs: string, inner: string) => {
    if (!CONTROLS.test(attrs)) return m;
    const rest = attrs.replace(CONTROLS, '');
    const src = /\ssrc="([^"]*)"/.exec(rest)?.[1] ?? /<source\b[^>]*?\ssrc="([^"]*)"/.exec(inner)?.[1];
    return `<${tag}${rest}>${inner}</${tag}>${src ? `<a href="${src}">${src}</a>` : ''}`;
  });
}

export function feedItems(meta: FeedMeta, entries: readonly Entry[]): FeedItem[] {
  const updated = distinctUpdated(entries);
  const summaryOnly = meta.content === 'summary';
  return entries.map((e) => ({
    entry: e,
    id: e.guid ?? e.url,
    updated: updated.get(e.id)!,
    categories: [...new Set([...e.categories.flat(), ...e.tags])],
    ...(summaryOnly ? (e.excerptHtml ? { excerptHtml: feedHtml(e.excerptHtml) } : {}) : { contentHtml: feedHtml(e.contentHtml) }),
  }));
}

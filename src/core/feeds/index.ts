// One node's entries → RSS 2.0, Atom 1.0 and JSON Feed 1.1, written by the `feed` package (6.0.0):
// one file per format (rss.ts, atom.ts, json.ts), each with the fixes for what `feed` gets wrong
// (fixes.ts), all three reading the same items (items.ts), so they agree on ids, dates and content.
import { renderAtom } from './atom.js';
import { feedItems, feedUpdated, type FeedMeta, type RenderedFeeds } from './items.js';
import { renderJsonFeed } from './json.js';
import { renderRss } from './rss.js';
import type { Entry } from '../entry.js';

export { distinctUpdated, feedHtml, feedItems, feedUpdated, GENERATOR, type FeedItem, type FeedMeta, type RenderedFeeds } from './items.js';

/** Renders a node's feeds. `entries` are already sorted and cut to the feed limit. */
export function renderFeeds(meta: FeedMeta, entries: readonly Entry[]): RenderedFeeds {
  const items = feedItems(meta, entries);
  const updated = feedUpdated(items);
  return {
    rss: renderRss(meta, items, updated),
    atom: renderAtom(meta, items, updated),
    json: renderJsonFeed(meta, items),
  };
}

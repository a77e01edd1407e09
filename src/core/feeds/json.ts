// JSON Feed 1.1 (https://jsonfeed.org/version/1.1): `feed`'s json1() writes JSON Feed 1.0 from the
// same items as RSS and Atom, and jsonFeed11() (fixes.ts) maps it to 1.1.
import { Feed } from 'feed';
import { clean, jsonFeed11, type JsonFeed10 } from './fixes.js';
import type { FeedItem, FeedMeta } from './items.js';

// JSON needs no escaping, but feeds are read by XML tools too (a reader may convert): every string
// is clean()ed of the characters XML forbids, as in the other formats.
export function renderJsonFeed(meta: FeedMeta, items: readonly FeedItem[]): string {
  const feed = new Feed({
    title: clean(meta.title),
    description: clean(meta.description),
    link: meta.homeUrl,
    feedLinks: { json: meta.feedUrls.json },
    author: { name: clean(meta.author) },
    ...(meta.logo ? { image: meta.logo } : {}),
  });
  for (const it of items) {
    const e = it.entry;
    feed.addItem({
      id: it.id,
      link: e.url,
      title: clean(e.title),
      date: new Date(it.updated),
      published: new Date(e.date),
      // `feed` writes `content ?? description` as content_html: the article, else in summary mode
      // the `<!--more-->` excerpt or the plain summary (made content_text by jsonFeed11).
      ...(it.contentHtml !== undefined ? { content: clean(it.contentHtml) } : {}),
      description: clean(it.excerptHtml ?? e.summary),
      ...(e.image ? { image: e.image.url } : {}),
      ...(e.author ? { author: [{ name: clean(e.author) }] } : {}),
      category: it.categories.map((c) => ({ name: clean(c) })),
    });
  }
  const v1 = JSON.parse(feed.json1()) as JsonFeed10;
  const out = jsonFeed11(v1, {
    language: meta.language,
    ...(meta.icon ? { favicon: meta.icon } : {}),
    ...(meta.hub ? { hub: meta.hub } : {}),
    items: items.map((it) => ({
      summary: clean(it.entry.summary),
      plainText: it.contentHtml === undefined && it.excerptHtml === undefined,
      ...(it.entry.enclosures?.length
        ? {
            attachments: it.entry.enclosures.map((a) => ({
              url: a.url,
              mime_type: a.type,
              ...(a.title ? { title: clean(a.title) } : {}),
              ...(a.length ? { size_in_bytes: a.length } : {}),
            })),
          }
        : {}),
    })),
  });
  return JSON.stringify(out, null, 2) + '\n';
}

// JSON Feed 1.1 (https://jsonfeed.org/version/1.1): the same items as RSS and Atom, as JSON.
import type { FeedItem, FeedMeta } from './feeds.js';
import { stripXmlInvalid } from './text.js';

// Feeds are read by XML tools too (a reader may convert): the same characters are left out.
const clean = (s: string) => stripXmlInvalid(s);

export function renderJsonFeed(meta: FeedMeta, items: readonly FeedItem[]): string {
  const out = {
    version: 'https://jsonfeed.org/version/1.1',
    title: clean(meta.title),
    home_page_url: meta.homeUrl,
    feed_url: meta.feedUrls.json,
    description: clean(meta.description),
    ...(meta.logo ? { icon: meta.logo } : {}),
    ...(meta.icon ? { favicon: meta.icon } : {}),
    language: meta.language,
    authors: [{ name: clean(meta.author) }],
    ...(meta.hub ? { hubs: [{ type: 'WebSub', url: meta.hub }] } : {}),
    items: items.map((it) => {
      const e = it.entry;
      const body =
        it.contentHtml !== undefined
          ? { content_html: clean(it.contentHtml) }
          : it.excerptHtml !== undefined
            ? { content_html: clean(it.excerptHtml) }
            : { content_text: clean(e.summary) };
      return {
        id: it.id,
        url: e.url,
        title: clean(e.title),
        ...body,
        summary: clean(e.summary),
        ...(e.image ? { image: e.image.url } : {}),
        date_published: e.date,
        date_modified: it.updated,
        ...(e.author ? { authors: [{ name: clean(e.author) }] } : {}),
        ...(it.categories.length ? { tags: it.categories.map(clean) } : {}),
        ...(e.enclosures?.length
          ? {
              attachments: e.enclosures.map((a) => ({
                url: a.url,
                mime_type: a.type,
                ...(a.title ? { title: clean(a.title) } : {}),
                ...(a.length ? { size_in_bytes: a.length } : {}),
              })),
            }
          : {}),
      };
    }),
  };
  return JSON.stringify(out, null, 2) + '\n';
}

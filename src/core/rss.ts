// RSS 2.0 (with the content, Dublin Core, Media RSS and Atom namespaces), written for the W3C
// feed validator's rules: a guid on every item, a description before content:encoded, names in
// dc:creator (RSS <author> must be an e-mail address), one enclosure per item.
import type { FeedItem, FeedMeta } from './feeds.js';
import { GENERATOR } from './feeds.js';
import { escapeHtml } from './text.js';
import { cdataHtml, el, empty, lines, rfc822, xmlAttr } from './xml.js';

export const RSS_DOCS = 'https://validator.w3.org/feed/docs/rss2.html';

function item(it: FeedItem): string {
  const e = it.entry;
  // RSS allows one enclosure, and it needs a type and a length: the article's first attachment,
  // else the lead image when its URL tells its type (length 0: unknown, as the RSS profile says).
  const attachment = e.enclosures?.[0] ?? (e.image?.type ? { url: e.image.url, type: e.image.type, length: 0 } : undefined);
  // The description comes first and is never empty (NeedDescriptionBeforeContent): the summary as
  // escaped text, or in summary mode the `<!--more-->` excerpt.
  const description = it.excerptHtml ?? escapeHtml(e.summary);
  return `<item>
${lines(3, [
  el('title', e.title),
  el('link', e.url),
  el('guid', it.id, { isPermaLink: it.id === e.url ? 'true' : 'false' }),
  el('pubDate', rfc822(e.date)),
  `<description>${cdataHtml(description)}</description>`,
  it.contentHtml !== undefined ? `<content:encoded>${cdataHtml(it.contentHtml)}</content:encoded>` : '',
  ...it.categories.map((c) => el('category', c)),
  el('dc:creator', e.author),
  attachment ? empty('enclosure', { url: attachment.url, length: attachment.length, type: attachment.type }) : '',
  e.image ? empty('media:content', { url: e.image.url, medium: 'image', type: e.image.type }) : '',
])}
        </item>`;
}

export function renderRss(meta: FeedMeta, items: readonly FeedItem[], updated: Date): string {
  const image = meta.logo ?? meta.icon;
  const head = [
    el('title', meta.title),
    el('link', meta.homeUrl),
    el('description', meta.description),
    el('lastBuildDate', rfc822(updated)),
    el('docs', RSS_DOCS),
    el('generator', GENERATOR),
    el('language', meta.language),
    el('copyright', meta.copyright || undefined),
    // The W3C validator wants the image's title and link to be the channel's.
    image ? `<image>\n${lines(3, [el('url', image), el('title', meta.title), el('link', meta.homeUrl)])}\n        </image>` : '',
    empty('atom:link', { href: meta.feedUrls.rss, rel: 'self', type: 'application/rss+xml' }),
    meta.hub ? empty('atom:link', { href: meta.hub, rel: 'hub' }) : '',
  ];
  const pi = meta.stylesheets?.rss ? `<?xml-stylesheet href="${xmlAttr(meta.stylesheets.rss)}" type="text/xsl"?>` : '';
  return `<?xml version="1.0" encoding="utf-8"?>${pi}
<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:atom="http://www.w3.org/2005/Atom">
    <channel>
${lines(2, [...head, ...items.map(item)])}
    </channel>
</rss>
`;
}

// RSS 2.0, written by `feed`'s rss2() with the content, Dublin Core, Media RSS and Atom namespaces,
// for the W3C feed validator's rules: a guid on every item (a permalink unless the article sets its
// own id), a description before content:encoded, names in dc:creator (RSS <author> must be an e-mail
// address, and `feed` writes names there), one enclosure per item. fixes.ts says what is worked around.
import { Feed, type Extension, type Item } from 'feed';
import { escapeHtml } from '../text.js';
import { attrValue, cdataHtml, Placeholders, rootAttributes, text } from './fixes.js';
import { GENERATOR, type FeedItem, type FeedMeta } from './items.js';

export const RSS_DOCS = 'https://validator.w3.org/feed/docs/rss2.html';

function item(it: FeedItem, fx: Placeholders): Item {
  const e = it.entry;
  // RSS allows one enclosure, and it needs a type and a length: the article's first attachment,
  // else the lead image when its URL tells its type (length 0: unknown, as the RSS profile says).
  // Given type and length win over the ones `feed` would guess from the file extension.
  const attachment = e.enclosures?.[0] ?? (e.image?.type ? { url: e.image.url, type: e.image.type, length: 0 } : undefined);
  const extensions: Extension[] = [];
  if (e.author) extensions.push({ name: 'dc:creator', objects: { _text: text(e.author) } });
  // Extension attributes are written unescaped.
  if (e.image) extensions.push({ name: 'media:content', objects: { _attributes: { url: attrValue(e.image.url), medium: 'image', ...(e.image.type ? { type: attrValue(e.image.type) } : {}) } } });
  return {
    title: fx.cdataText(e.title),
    link: fx.url(e.url),
    // `feed` writes a given guid with isPermaLink="false", and the link as a permalink guid otherwise.
    ...(it.id !== e.url ? { guid: text(it.id) } : {}),
    date: new Date(it.updated),
    published: new Date(e.date),
    // The description comes first and is never empty (NeedDescriptionBeforeContent): the summary as
    // escaped text, or in summary mode the `<!--more-->` excerpt.
    description: cdataHtml(it.excerptHtml ?? escapeHtml(e.summary)),
    ...(it.contentHtml !== undefined ? { content: cdataHtml(it.contentHtml) } : {}),
    category: it.categories.map((c) => ({ name: text(c) })),
    ...(attachment ? { enclosure: { url: fx.url(attachment.url), type: attrValue(attachment.type), length: attachment.length } } : {}),
    extensions,
  };
}

export function renderRss(meta: FeedMeta, items: readonly FeedItem[], updated: Date): string {
  const fx = new Placeholders(() => JSON.stringify([meta, items]));
  const image = meta.logo ?? meta.icon;
  const feed = new Feed({
    title: text(meta.title),
    description: text(meta.description),
    link: fx.url(meta.homeUrl),
    language: text(meta.language),
    updated,
    generator: GENERATOR,
    docs: RSS_DOCS,
    feedLinks: { rss: fx.url(meta.feedUrls.rss) },
    ...(meta.hub ? { hub: fx.url(meta.hub) } : {}),
    ...(meta.stylesheets?.rss ? { stylesheet: attrValue(meta.stylesheets.rss) } : {}),
    // The W3C validator wants the image's title and link to be the channel's, which `feed` writes.
    ...(image ? { image: text(image) } : {}),
    ...(meta.copyright ? { copyright: text(meta.copyright) } : {}),
  });
  for (const it of items) feed.addItem(item(it, fx));
  const xml = rootAttributes(fx.restore(feed.rss2()), 'rss', {
    'xmlns:dc': 'http://purl.org/dc/elements/1.1/',
    'xmlns:content': 'http://purl.org/rss/1.0/modules/content/',
    'xmlns:media': 'http://search.yahoo.com/mrss/',
  });
  return xml + '\n';
}

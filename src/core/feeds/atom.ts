// Atom 1.0 (RFC 4287), written by `feed`'s atom1(). Titles are plain text (`type="text"`), so every
// reader shows them exactly; summaries are escaped text in `type="html"`, so text that looks like
// markup stays text; every attachment is a `rel="enclosure"` link with its own type. `feed` writes
// titles as HTML and guesses enclosure types from file extensions: fixes.ts says how that is fixed.
import { Feed, type Item } from 'feed';
import { escapeHtml } from '../text.js';
import { attrValue, cdataHtml, Placeholders, rootAttributes, text, xmlText } from './fixes.js';
import { GENERATOR, type FeedItem, type FeedMeta } from './items.js';

/** An element in plain text, for Placeholders.element(). */
const textElement = (name: string, s: string) => `<${name} type="text">${xmlText(s)}</${name}>`;

/** `<link rel="enclosure">` with the attributes that are known. */
function enclosureLink(a: { url: string; type?: string | undefined; length?: number; title?: string | undefined }): string {
  const attrs: [string, string | number | undefined][] = [['href', a.url], ['type', a.type], ['length', a.length || undefined], ['title', a.title]];
  return `<link rel="enclosure"${attrs.map(([k, v]) => (v === undefined ? '' : ` ${k}="${attrValue(String(v))}"`)).join('')}/>`;
}

function entry(it: FeedItem, fx: Placeholders): Item {
  const e = it.entry;
  // Every attachment, or the lead image when there are none. `feed` writes one link per kind with a
  // type made from the file extension (`image/jpg`, `image/img_000`): the links go into the entry's
  // `rights` element, which Syndic does not use otherwise, and replace it.
  const enclosures = e.enclosures?.length ? e.enclosures.map(enclosureLink) : e.image ? [enclosureLink(e.image)] : [];
  return {
    title: fx.element(textElement('title', e.title)),
    id: fx.url(it.id),
    link: fx.url(e.url),
    date: new Date(it.updated),
    published: new Date(e.date),
    description: cdataHtml(it.excerptHtml ?? escapeHtml(e.summary)),
    ...(it.contentHtml !== undefined ? { content: cdataHtml(it.contentHtml) } : {}),
    ...(e.author ? { author: [{ name: text(e.author) }] } : {}),
    category: it.categories.map((c) => ({ term: fx.sanitizedAttr(c), name: fx.sanitizedAttr(c) })),
    ...(enclosures.length ? { copyright: fx.element(enclosures.join('\n        ')) } : {}),
  };
}

export function renderAtom(meta: FeedMeta, items: readonly FeedItem[], updated: Date): string {
  const fx = new Placeholders(() => JSON.stringify([meta, items]));
  const feed = new Feed({
    id: text(meta.feedUrls.atom),
    title: fx.element(textElement('title', meta.title)),
    description: fx.element(textElement('subtitle', meta.description)),
    link: fx.url(meta.homeUrl),
    updated,
    generator: GENERATOR,
    feedLinks: { atom: fx.url(meta.feedUrls.atom) },
    ...(meta.hub ? { hub: fx.url(meta.hub) } : {}),
    ...(meta.stylesheets?.atom ? { stylesheet: attrValue(meta.stylesheets.atom) } : {}),
    author: { name: text(meta.author) },
    // `feed` writes `image` as the logo and `favicon` as the icon.
    ...(meta.logo ? { image: text(meta.logo) } : {}),
    ...(meta.icon ? { favicon: text(meta.icon) } : {}),
    ...(meta.copyright ? { copyright: fx.element(textElement('rights', meta.copyright)) } : {}),
  });
  for (const it of items) feed.addItem(entry(it, fx));
  return rootAttributes(fx.restore(feed.atom1()), 'feed', { 'xml:lang': meta.language }) + '\n';
}

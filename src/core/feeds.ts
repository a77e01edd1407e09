// One node's entries → RSS 2.0, Atom 1.0 and JSON Feed 1.1, over the `feed` package.
// `feed` 6 is wrapped where it is wrong:
// - its XML writer splits only the first `]]>` of a CDATA section, so several break the XML;
// - it lets XML-invalid control characters through, and `<` through into attributes;
// - its text writer turns a literal `&amp;` into `&`;
// - it guesses enclosure types from the file extension (`image/jpg`, `image/img_000`);
// - its RSS author must be an e-mail address, so names go into dc:creator instead;
// - its JSON output is JSON Feed 1.0 (`author`, version 1), not 1.1 (`authors`, `language`).
import { Feed, type Item } from 'feed';
import type { Entry } from './entry.js';
import { escapeHtml, stripXmlInvalid } from './text.js';

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
}

export interface RenderedFeeds {
  rss: string;
  atom: string;
  json: string;
}

export const GENERATOR = 'Syndic';
const EPOCH = new Date(0);

const clean = (s: string) => stripXmlInvalid(s);
/** HTML for a CDATA section: a `>` escaped as `&gt;` means the same in HTML and can never close it. */
const cdataHtml = (html: string) => clean(html).replace(/]]>/g, ']]&gt;');
/** Counters the writer's `&amp;` → `&` step, so text survives exactly. */
const text = (s: string) => clean(s).replace(/&amp;/g, '&amp;amp;');
// Placeholders swapped in after `feed` has written the XML. They hold U+0000, which clean() has
// already removed from every input, so article text can never forge one.
const LT_TOKEN = '\u0000lt\u0000';
const CDATA_END_TOKEN = '\u0000cdata-end\u0000';
/** Attribute values pass through `&`-escaping only, and `<` is illegal there: it becomes `&lt;` afterwards. */
const attr = (s: string) => clean(s).replace(/</g, LT_TOKEN);
/** Plain text in a CDATA section (RSS titles): each `]]>` splits the section, so the text survives exactly. */
const cdataText = (s: string) => clean(s).replace(/]]>/g, CDATA_END_TOKEN);
const restoreTokens = (xml: string) => xml.split(LT_TOKEN).join('&lt;').split(CDATA_END_TOKEN).join(']]]]><![CDATA[>');

function itemCategories(e: Entry): string[] {
  return [...new Set([...e.categories.flat(), ...e.tags])];
}

/** The feed's `updated`: the latest change among its items, never the build time. */
export function feedUpdated(entries: readonly Entry[]): Date {
  let max = '';
  for (const e of entries) if (e.updated > max) max = e.updated;
  return max ? new Date(max) : EPOCH;
}

function baseFeed(meta: FeedMeta, entries: readonly Entry[], stylesheet?: string): Feed {
  return new Feed({
    id: meta.feedUrls.atom,
    title: text(meta.title),
    description: text(meta.description),
    link: meta.homeUrl,
    language: meta.language,
    updated: feedUpdated(entries),
    generator: GENERATOR,
    feedLinks: meta.feedUrls,
    ...(meta.hub ? { hub: meta.hub } : {}),
    ...(stylesheet ? { stylesheet } : {}),
    author: { name: text(meta.author) },
  });
}

const IMAGE_TOKEN = (i: number) => `SYNDIC-ENCLOSURE-${i}`;

function renderAtom(meta: FeedMeta, entries: readonly Entry[]): string {
  const feed = baseFeed(meta, entries, meta.stylesheets?.atom);
  const enclosures: string[] = [];
  entries.forEach((e, i) => {
    const item: Item = {
      title: escapeHtml(clean(e.title)),
      id: e.url,
      link: e.url,
      date: new Date(e.updated),
      published: new Date(e.date),
      description: escapeHtml(clean(e.summary)),
      content: cdataHtml(e.contentHtml),
      category: itemCategories(e).map((c) => ({ term: attr(c), name: attr(c) })),
      ...(e.author ? { author: [{ name: text(e.author) }] } : {}),
    };
    if (e.image) {
      // `feed` would guess the type from the extension; a placeholder is swapped for our own link.
      item.copyright = IMAGE_TOKEN(i);
      const type = e.image.type ? ` type="${e.image.type}"` : '';
      enclosures[i] = `<link rel="enclosure" href="${escapeHtml(e.image.url)}"${type}/>`;
    }
    feed.addItem(item);
  });
  return restoreTokens(feed.atom1().replace(/<rights>SYNDIC-ENCLOSURE-(\d+)<\/rights>/g, (_m, i: string) => enclosures[Number(i)]!));
}

function renderRss(meta: FeedMeta, entries: readonly Entry[]): string {
  const feed = baseFeed(meta, entries, meta.stylesheets?.rss);
  for (const e of entries) {
    const extensions = [];
    if (e.author) extensions.push({ name: 'dc:creator', objects: { _text: text(e.author) } });
    if (e.image) {
      extensions.push({
        name: 'media:content',
        // xml-js writes extension attributes unescaped: a `&` in the URL's query would break the XML.
        objects: { _attributes: { url: escapeHtml(e.image.url), medium: 'image', ...(e.image.type ? { type: e.image.type } : {}) } },
      });
    }
    feed.addItem({
      // RSS titles are plain text in a CDATA section.
      title: cdataText(e.title),
      id: e.url,
      link: e.url,
      date: new Date(e.updated),
      published: new Date(e.date),
      description: cdataHtml(escapeHtml(e.summary)),
      content: cdataHtml(e.contentHtml),
      category: itemCategories(e).map((c) => ({ name: text(c) })),
      // RSS allows one enclosure, and it needs a type: only when the URL tells it.
      ...(e.image?.type ? { enclosure: { url: e.image.url, type: e.image.type, length: 0 } } : {}),
      extensions,
    });
  }
  return restoreTokens(feed.rss2())
    .replace('<rss version="2.0"', '<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/"')
    // `feed` marks guids as not permalinks; ours are the permalinks, which lets readers link them.
    .replace(/<guid isPermaLink="false">/g, '<guid isPermaLink="true">');
}

function renderJson(meta: FeedMeta, entries: readonly Entry[]): string {
  const feed = baseFeed(meta, entries);
  for (const e of entries) feed.addItem({ title: e.title, id: e.url, link: e.url, date: new Date(e.updated) });
  const v1 = JSON.parse(feed.json1()) as { title: string; home_page_url?: string; feed_url?: string; description?: string };
  const out = {
    version: 'https://jsonfeed.org/version/1.1',
    title: clean(meta.title),
    home_page_url: v1.home_page_url,
    feed_url: v1.feed_url,
    description: clean(meta.description),
    language: meta.language,
    authors: [{ name: clean(meta.author) }],
    ...(meta.hub ? { hubs: [{ type: 'WebSub', url: meta.hub }] } : {}),
    items: entries.map((e) => ({
      id: e.url,
      url: e.url,
      title: clean(e.title),
      content_html: clean(e.contentHtml),
      summary: clean(e.summary),
      ...(e.image ? { image: e.image.url } : {}),
      date_published: e.date,
      date_modified: e.updated,
      ...(e.author ? { authors: [{ name: clean(e.author) }] } : {}),
      ...(itemCategories(e).length ? { tags: itemCategories(e).map(clean) } : {}),
    })),
  };
  return JSON.stringify(out, null, 2) + '\n';
}

/** Renders a node's feeds. `entries` are already sorted and cut to the feed limit. */
export function renderFeeds(meta: FeedMeta, entries: readonly Entry[]): RenderedFeeds {
  return {
    rss: clean(renderRss(meta, entries)) + '\n',
    atom: clean(renderAtom(meta, entries)) + '\n',
    json: renderJson(meta, entries),
  };
}

// What the `feed` package (6.0.0, writing XML with xml-js 1.6.11) gets wrong, and the fixes the
// format files apply: inputs prepared so that its writer writes them right, and placeholders that
// are swapped for the right XML after it has written the document. Each fix below names the bug;
// test/core/feeds-fixes.test.ts shows every bug in `feed`'s own output and the fix at work, so an
// upgrade that fixes one shows which workaround can go.
//
// 1. Element text: xml-js turns `&amp;` into `&` before escaping (its "desanitize" step), so a
//    literal `&amp;` in a title would come out as `&`. text() doubles it first.
// 2. Attribute values: `feed` writes the stylesheet href and extension attributes unescaped (only
//    `"` is escaped), so `&` or `<` breaks the XML: attrValue() escapes them. Category terms and
//    labels get `&` escaped but not `<`: Placeholders.sanitizedAttr() swaps `<` for `&lt;` afterwards.
// 3. CDATA: xml-js splits only the first `]]>` of a section, so a second one ends it and breaks the
//    XML. HTML goes in as cdataHtml() (`]]>` written `]]&gt;`, the same HTML); plain text (RSS item
//    titles) as Placeholders.cdataText(), each `]]>` split across two sections afterwards.
// 4. Characters XML forbids (C0 controls, U+FFFE/U+FFFF, lone surrogates) go through untouched:
//    every input is clean()ed first.
// 5. URLs: links, Atom ids and enclosure URLs go through `new URL()`, which rewrites some
//    (`https://old.example?p=1` gets a `/`, `HTTPS://Old.Example/` is lower-cased, a non-ASCII
//    path percent-encoded). An item id must stay exactly as the article wrote it, or readers see the
//    item as new: Placeholders.url() gives `feed` a stand-in URL and puts the original back.
// 6. Text constructs written the wrong way (Atom titles as `type="html"` CDATA; feed-level title,
//    subtitle and rights with no explicit type) and elements `feed` cannot write at all (several
//    Atom enclosures with their own types): Placeholders.element() lets `feed` write an element
//    holding a placeholder, and the whole element is replaced by the XML we mean.
// 7. Missing root attributes: Atom gets no `xml:lang`, and RSS declares the Dublin Core namespace
//    only when an item has content (a summary feed with dc:creator would not be XML) and never
//    declares Media RSS: rootAttributes() adds what is missing.
// 8. JSON Feed: `feed` writes version 1.0 (`author`, no `language`, `favicon`, `hubs` or
//    `attachments`, no `content_text`), and drops `summary` when the content is empty:
//    jsonFeed11() maps its object to JSON Feed 1.1.
import { stripXmlInvalid } from '../text.js';

/** Every input string, before `feed` sees it: no character XML forbids. */
export const clean = (s: string): string => stripXmlInvalid(s);

/** Element text `feed` writes through xml-js: a literal `&amp;` survives its `&amp;` → `&` step. */
export const text = (s: string): string => clean(s).replace(/&amp;/g, '&amp;amp;');

/** XML character data, escaped (for the XML we write into placeholders). */
export const xmlText = (s: string): string => clean(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** A double-quoted attribute value, escaped: for what we write, and for what `feed` writes unescaped. */
export const attrValue = (s: string): string => xmlText(s).replace(/"/g, '&quot;');

/** HTML for a CDATA section: a `>` written as `&gt;` means the same in HTML, so `]]>` can never end it. */
export const cdataHtml = (html: string): string => clean(html).replace(/]]>/g, ']]&gt;');

// Placeholders hold U+0000, which clean() has removed from every input, so article text can never
// forge one: `\0N\0` stands for a piece of XML, `\0eN\0` for the whole element that holds it (its
// only content, as text or as a CDATA section).
const TOKENS = /<([\w:]+)(?:\s[^>]*)?>(?:<!\[CDATA\[)?\u0000e(\d+)\u0000(?:\]\]>)?<\/\1>|\u0000(\d+)\u0000/g;

/** Placeholders for one document: hand them to `feed`, then restore() what it wrote. */
export class Placeholders {
  private readonly values: string[] = [];
  private readonly inlineTokens = new Map<string, string>();
  private readonly urls: string[] = [];
  private readonly urlTokens = new Map<string, string>();
  private urlHost: string | undefined;

  /** `haystack` returns every input string of the document (only called when a URL needs a stand-in). */
  constructor(private readonly haystack: () => string) {}

  /** A placeholder for a piece of XML, written where the placeholder is. */
  inline(xml: string): string {
    let token = this.inlineTokens.get(xml);
    if (token === undefined) {
      token = `\u0000${this.values.push(xml) - 1}\u0000`;
      this.inlineTokens.set(xml, token);
    }
    return token;
  }

  /** A placeholder for an element's text: the element `feed` writes around it is replaced by `xml`. */
  element(xml: string): string {
    return `\u0000e${this.values.push(xml) - 1}\u0000`;
  }

  /** Plain text for an xml-js CDATA section: each `]]>` is split across two sections. */
  cdataText(s: string): string {
    return clean(s).replace(/]]>/g, this.inline(']]]]><![CDATA[>'));
  }

  /** An attribute value `feed` escapes only `&` in (its `sanitize`): `<` becomes `&lt;` afterwards. */
  sanitizedAttr(s: string): string {
    return clean(s).replace(/</g, this.inline('&lt;'));
  }

  /**
   * A URL `feed` passes through `new URL()`: as it is when that leaves it unchanged, else a stand-in
   * under a `.invalid` host (RFC 2606) that no input of this document mentions, swapped back for the
   * original afterwards.
   */
  url(u: string): string {
    let same = false;
    try {
      same = new URL(u).href === u;
    } catch {
      // Not a URL to WHATWG (an id like `https://[x]/`): `feed` would throw, so it gets a stand-in too.
    }
    if (same) return u;
    let token = this.urlTokens.get(u);
    if (token === undefined) {
      if (this.urlHost === undefined) {
        const inputs = this.haystack();
        let n = 0;
        while (inputs.includes(`syndic-${n}.invalid`)) n++;
        this.urlHost = `syndic-${n}.invalid`;
      }
      token = `https://${this.urlHost}/${this.urls.push(attrValue(u)) - 1}/`;
      this.urlTokens.set(u, token);
    }
    return token;
  }

  /** The document with every placeholder swapped back. Throws if `feed` wrote one where no fix expects it. */
  restore(xml: string): string {
    let out = xml.replace(TOKENS, (_m, _tag, el: string | undefined, inline: string | undefined) => this.values[Number(el ?? inline)]!);
    if (this.urlHost !== undefined) {
      const host = this.urlHost.replace(/[.-]/g, '\\$&');
      out = out.replace(new RegExp(`https://${host}/(\\d+)/`, 'g'), (_m, i: string) => this.urls[Number(i)]!);
    }
    if (out.includes('\u0000')) throw new Error('feeds: a placeholder was left in the output; feed wrote it where no fix expects it');
    return out;
  }
}

/** Adds to the first `<root …>` start tag each attribute it does not have yet (values escaped here). */
export function rootAttributes(xml: string, root: string, attrs: Record<string, string>): string {
  const start = xml.indexOf(`<${root} `);
  const end = xml.indexOf('>', start);
  if (start < 0 || end < 0) throw new Error(`feeds: no <${root}> element in the output`);
  const tag = xml.slice(start, end);
  const missing = Object.entries(attrs)
    .filter(([k]) => !tag.includes(` ${k}="`))
    .map(([k, v]) => ` ${k}="${attrValue(v)}"`)
    .join('');
  return xml.slice(0, end) + missing + xml.slice(end);
}

/** What `feed`'s json1() writes (JSON Feed 1.0), as far as Syndic gives it. */
export interface JsonFeed10 {
  version: string;
  title: string;
  home_page_url?: string;
  feed_url?: string;
  description?: string;
  icon?: string;
  author?: { name?: string };
  items: JsonItem10[];
}
export interface JsonItem10 {
  id: string;
  content_html?: string;
  url?: string;
  title?: string;
  summary?: string;
  image?: string;
  date_modified?: string;
  date_published?: string;
  author?: { name?: string };
  tags?: string[];
}

/** What JSON Feed 1.1 has and `feed` 6 does not write, per feed and per item (in item order). */
export interface JsonFeed11Extras {
  language: string;
  favicon?: string;
  hub?: string;
  items: {
    /** The item's plain-text summary: 1.1 `summary`, which `feed` drops when the content is empty. */
    summary: string;
    /** The content is plain text: `content_text`, not `content_html`. */
    plainText: boolean;
    attachments?: { url: string; mime_type: string; title?: string; size_in_bytes?: number }[];
  }[];
}

/** `feed`'s JSON Feed 1.0 object as JSON Feed 1.1 (https://jsonfeed.org/version/1.1). */
export function jsonFeed11(v1: JsonFeed10, extras: JsonFeed11Extras): Record<string, unknown> {
  return {
    version: 'https://jsonfeed.org/version/1.1',
    title: v1.title,
    ...(v1.home_page_url !== undefined ? { home_page_url: v1.home_page_url } : {}),
    ...(v1.feed_url !== undefined ? { feed_url: v1.feed_url } : {}),
    ...(v1.description !== undefined ? { description: v1.description } : {}),
    ...(v1.icon !== undefined ? { icon: v1.icon } : {}),
    ...(extras.favicon ? { favicon: extras.favicon } : {}),
    language: extras.language,
    // 1.1 replaces `author` by `authors`.
    ...(v1.author ? { authors: [v1.author] } : {}),
    ...(extras.hub ? { hubs: [{ type: 'WebSub', url: extras.hub }] } : {}),
    items: v1.items.map((v, i) => {
      const x = extras.items[i]!;
      return {
        id: v.id,
        ...(v.url !== undefined ? { url: v.url } : {}),
        ...(v.title !== undefined ? { title: v.title } : {}),
        ...(x.plainText ? { content_text: v.content_html ?? '' } : { content_html: v.content_html ?? '' }),
        summary: x.summary,
        ...(v.image !== undefined ? { image: v.image } : {}),
        ...(v.date_published !== undefined ? { date_published: v.date_published } : {}),
        ...(v.date_modified !== undefined ? { date_modified: v.date_modified } : {}),
        ...(v.author ? { authors: [v.author] } : {}),
        // `feed` writes `tags: []` for an item with none.
        ...(v.tags?.length ? { tags: v.tags } : {}),
        ...(x.attachments?.length ? { attachments: x.attachments } : {}),
      };
    }),
  };
}

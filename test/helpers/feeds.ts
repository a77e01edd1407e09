// Shared feed validators for tests: well-formedness, Atom RELAX NG, JSON Feed 1.1 schema, and two
// independent feed parsers. Each returns a list of problems (empty = valid) or the parsed feed, so
// a failing assertion shows what is wrong rather than just `false`.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { parseAtomFeed, parseRssFeed } from 'feedsmith';
import { RelaxNGValidator, XmlDocument, XmlValidateError } from 'libxml2-wasm';
import RssParser from 'rss-parser';

const here = path.dirname(fileURLToPath(import.meta.url));
export const SHARED_DIR = path.resolve(here, '../../../shared');
export const CORPUS_DIR = path.join(SHARED_DIR, 'corpus/articles');
export const ATOM_RNG = path.join(SHARED_DIR, 'schemas/atom.rng');
export const JSONFEED_SCHEMA = path.join(SHARED_DIR, 'schemas/jsonfeed-1.1.schema.json');

/** Problems that make `xml` not well-formed XML (fast-xml-parser's validator, then libxml2's parser). */
export function wellFormedXml(xml: string): string[] {
  const r = XMLValidator.validate(xml, { allowBooleanAttributes: false });
  if (r !== true) return [`line ${r.err.line}:${r.err.col}: ${r.err.msg}`];
  // fast-xml-parser lets a bare `&` in an attribute value through; libxml2 does not.
  try {
    XmlDocument.fromString(xml).dispose();
  } catch (e) {
    return [`libxml2: ${(e as Error).message.trim().split('\n')[0]}`];
  }
  return [];
}

let atomValidator: RelaxNGValidator | undefined;
function atomRng(): RelaxNGValidator {
  if (!atomValidator) {
    const schemaDoc = XmlDocument.fromString(readFileSync(ATOM_RNG, 'utf8'));
    try {
      atomValidator = RelaxNGValidator.fromDoc(schemaDoc);
    } finally {
      schemaDoc.dispose();
    }
  }
  return atomValidator;
}

/**
 * Validates an Atom document against RFC 4287's RELAX NG grammar, plus the rule RELAX NG cannot
 * express: every entry has an author, or the feed has one.
 */
export function validateAtom(xml: string): string[] {
  const problems: string[] = [];
  let doc: XmlDocument;
  try {
    doc = XmlDocument.fromString(xml);
  } catch (e) {
    return [`not well-formed: ${(e as Error).message}`];
  }
  try {
    atomRng().validate(doc);
  } catch (e) {
    if (e instanceof XmlValidateError) problems.push(...e.details.map((d) => `line ${d.line}: ${d.message.trim()}`));
    else problems.push(`RELAX NG: ${(e as Error).message}`);
  } finally {
    doc.dispose();
  }
  const parsed = parseXml(xml) as { feed?: { author?: unknown; entry?: unknown } };
  const feed = parsed.feed ?? {};
  if (!feed.author) {
    asArray(feed.entry).forEach((e, i) => {
      if (!(e as { author?: unknown }).author) problems.push(`entry ${i + 1} has no author and the feed has none`);
    });
  }
  return problems;
}

/** Releases the compiled grammar (call in afterAll when you validated many feeds). */
export function disposeAtomValidator(): void {
  atomValidator?.dispose();
  atomValidator = undefined;
}

let jsonFeedValidate: ReturnType<Ajv['compile']> | undefined;
/** Validates a JSON Feed (text or parsed) against the JSON Feed 1.1 schema (draft-07). */
export function validateJsonFeed(json: string | object): string[] {
  let data: unknown;
  try {
    data = typeof json === 'string' ? JSON.parse(json) : json;
  } catch (e) {
    return [`not JSON: ${(e as Error).message}`];
  }
  if (!jsonFeedValidate) {
    const ajv = new Ajv({ allErrors: true, strict: false });
    // ajv-formats is CommonJS: its default export arrives wrapped under some loaders.
    const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as unknown as (a: Ajv) => Ajv;
    addFormats(ajv);
    jsonFeedValidate = ajv.compile(JSON.parse(readFileSync(JSONFEED_SCHEMA, 'utf8')) as object);
  }
  const problems: string[] = [];
  if (!jsonFeedValidate(data)) problems.push(...(jsonFeedValidate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}`));
  if ((data as { version?: unknown }).version !== 'https://jsonfeed.org/version/1.1') problems.push('version is not https://jsonfeed.org/version/1.1');
  return problems;
}

/** A plain-object view of XML (attributes under `@_name`, text under `#text`), with CDATA folded into text. */
export function parseXml(xml: string): Record<string, unknown> {
  return new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@_', parseTagValue: false, trimValues: false, processEntities: true, htmlEntities: false }).parse(xml) as Record<string, unknown>;
}

export function asArray<T>(v: T | T[] | undefined | null): T[] {
  return v === undefined || v === null ? [] : Array.isArray(v) ? v : [v];
}

/** An item as any reader sees it: what both parsers must agree a feed item carries. */
export interface ParsedItem {
  title?: string;
  link?: string;
  id?: string;
  date?: string;
  content?: string;
}
export interface ParsedFeed {
  title?: string;
  items: ParsedItem[];
  raw: unknown;
}

/** Parses RSS 2.0 or Atom 1.0 with feedsmith (strict about the format it is given). */
export function parseWithFeedsmith(xml: string, format: 'rss' | 'atom'): ParsedFeed {
  if (format === 'rss') {
    const f = parseRssFeed(xml);
    return {
      title: f.title,
      items: (f.items ?? []).map((i) => ({
        title: i.title,
        link: i.link,
        id: i.guid?.value,
        date: i.pubDate,
        content: i.content?.encoded ?? i.description,
      })),
      raw: f,
    };
  }
  const f = parseAtomFeed(xml);
  return {
    title: f.title?.value,
    items: (f.entries ?? []).map((e) => ({
      title: e.title?.value,
      link: (e.links ?? []).find((l) => !l.rel || l.rel === 'alternate')?.href,
      id: e.id,
      date: e.published ?? e.updated,
      content: e.content?.value,
    })),
    raw: f,
  };
}

const rssParser = new RssParser({ customFields: { item: [['content:encoded', 'contentEncoded']] } });
/** Parses RSS 2.0 or Atom 1.0 with rss-parser (a second, independent reading). */
export async function parseWithRssParser(xml: string): Promise<ParsedFeed> {
  const f = await rssParser.parseString(xml);
  return {
    ...(f.title ? { title: f.title } : {}),
    items: f.items.map((i) => {
      const item = i as typeof i & { id?: string; contentEncoded?: string };
      return {
        title: item.title,
        link: item.link,
        id: item.guid ?? item.id,
        date: item.isoDate ?? item.pubDate,
        content: item.contentEncoded ?? item.content,
      };
    }),
    raw: f,
  };
}

/** Fields a parsed item lacks among title, link, id, date and content. */
export function missingItemFields(item: ParsedItem): string[] {
  return (['title', 'link', 'id', 'date', 'content'] as const).filter((k) => !item[k] || !String(item[k]).trim());
}

// What the acceptance criteria forbid in published item content (checked on parsed content, not raw XML).
const UNSAFE: [string, RegExp][] = [
  ['<script', /<script/i],
  ['<style', /<style/i],
  ['<iframe', /<iframe/i],
  ['on…= attribute', /<[^>]*\son[a-z]+\s*=/i],
  ['javascript:', /javascript:/i],
  ['escaped markup', /&lt;(?:div|p[\s>&]|!--)/i],
];
/** Names of the unsafe or broken patterns that `html` contains. */
export function unsafeContent(html: string): string[] {
  return UNSAFE.filter(([, re]) => re.test(html)).map(([name]) => name);
}

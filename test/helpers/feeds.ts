// Shared feed validators for tests: well-formedness, Atom RELAX NG, JSON Feed 1.1 schema, and two
// independent feed parsers. Each returns a list of problems (empty = valid) or the parsed feed, so
// a failing assertion shows what is wrong rather than just `false`.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { decodeHTML } from 'entities';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { parseFragment, type DefaultTreeAdapterMap } from 'parse5';
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

// ---------------------------------------------------------------------------------------------
// The W3C Feed Validation Service's rules that can be checked offline, on what Syndic emits.
// Each problem is `<Level> <RuleName>: <where> <detail>`, the rule names being the validator's own
// message classes (https://validator.w3.org/feed/docs/), so a failure says which W3C message a real
// validation would show. Implemented (E = error, W = warning in the validator):
//   both  BadCharacters (W), NotHtml (W), SecurityRisk (W), SecurityRiskAttr (W), DangerousStyleAttr (W),
//         ContainsRelRef (W), ImplausibleDate (W), SelfDoesntMatchLocation (W), UnexpectedContentType (W)
//   RSS   MissingTitle / MissingLink / MissingDescription (E), MissingAtomSelfLink (W), InvalidRFC2822Date (E),
//         IncorrectDOW (E), MissingGuid (W), InvalidHttpGUID (E), InvalidPermalink (E), DuplicateValue (E, guid),
//         NotSufficientlyUnique (W), NeedDescriptionBeforeContent (W), ContainsHTML (W, title and category),
//         InvalidContact (E, author), DuplicateItemSemantics (W, author + dc:creator), DuplicateEnclosure (W),
//         MissingAttribute / InvalidURLAttribute / UseZeroForUnknown / InvalidMIMEAttribute (E, enclosure),
//         ImageTitleDoesntMatch / ImageLinkDoesntMatch (W), InvalidMediaMedium (E, media:content)
//   Atom  MissingElement (E: feed id/title/updated/author, entry id/title/updated), MissingSelf (W),
//         InvalidRFC3339Date (E), DuplicateEntries (W), DuplicateUpdated (W), DuplicateAtomLink (E),
//         MissingTextualContent (W), MissingContentOrAlternate (E), ContainsUndeclaredHTML (W, type="text"),
//         NonCanonicalURI (W, ids), InvalidFullLink (E, ids), UnregisteredAtomLinkRel (W), MissingHref (E),
//         InvalidMIMEType (E, link types)
// The HTML of descriptions and content is read with parse5 (the validator uses html5lib in strict
// mode): a tokenizer error, or a tree that differs from the one the tags spell out, counts as NotHtml.

type Node = DefaultTreeAdapterMap['node'];
type Element = DefaultTreeAdapterMap['element'];
type XNode = Record<string, unknown>;
const xmlOrdered = new XMLParser({ preserveOrder: true, ignoreAttributes: false, attributeNamePrefix: '', parseTagValue: false, parseAttributeValue: false, trimValues: false, processEntities: true, htmlEntities: false });
const nameOf = (n: XNode) => Object.keys(n).find((k) => k !== ':@')!;
const childNodes = (n: XNode) => (n[nameOf(n)] as XNode[]) ?? [];
const elements = (n: XNode) => childNodes(n).filter((c) => !('#text' in c));
const all = (n: XNode, name: string) => elements(n).filter((c) => nameOf(c) === name);
const one = (n: XNode, name: string) => all(n, name)[0];
const textOf = (n: XNode | undefined): string => (n ? childNodes(n).map((c) => ('#text' in c ? String(c['#text']) : textOf(c))).join('') : '');
const attrsOf = (n: XNode) => (n[':@'] ?? {}) as Record<string, string>;

const HTML_TAGS = new Set(
  ('a abbr acronym address applet area article aside audio b base basefont bdi bdo big blockquote body br button canvas caption center cite code col ' +
    'colgroup command data datagrid datalist dd del details dfn dialog dir div dl dt em eventsource fieldset figcaption figure font footer form frame ' +
    'frameset h1 h2 h3 h4 h5 h6 head header hgroup hr html i iframe img input ins isindex kbd label legend li link m main mark map menu meta meter nav ' +
    'noframes noscript object ol optgroup option output p param picture pre progress q rp rt ruby s samp script section select slot small source span ' +
    'strike strong style sub summary sup table tbody td template textarea tfoot th thead time title tr track tt u ul var xmp plaintext embed comment listing video wbr').split(' '),
);
const ACCEPTABLE_ELEMENTS = new Set(
  ('a abbr acronym address area article aside audio b bdi big blockquote br button canvas caption center cite code col colgroup command data datagrid ' +
    'datalist dd del details dfn dialog dir div dl dt em eventsource fieldset figcaption figure footer font form header h1 h2 h3 h4 h5 h6 hgroup hr i img ' +
    'input ins keygen kbd label legend li m main map mark menu meter multicol nav nextid ol output optgroup option p picture pre progress q rp rt ruby s ' +
    'samp section select small sound source spacer span strike strong sub summary sup table tbody td template textarea time tfoot th thead tr track tt u ' +
    'ul var video noscript wbr').split(' '),
);
const ACCEPTABLE_ATTRIBUTES = new Set(
  ('abbr accept accept-charset accesskey action align allow allowfullscreen allowpaymentrequest alt as autoplay autocapitalize autocomplete autofocus ' +
    'axis background balance bgcolor bgproperties border bordercolor bordercolordark bordercolorlight bottompadding cellpadding cellspacing ch challenge ' +
    'char charoff choff charset checked cite class clear color cols colspan compact contenteditable coords crossorigin data datafld datapagesize datasrc ' +
    'datetime decoding default delay dir dirname disabled download draggable dynsrc enctype end enterkeyhint face for form formenctype frame galleryimg ' +
    'gutter headers height hidefocus hidden high href hreflang hspace icon id inputmode is ismap itemid itemprop itemref itemscope itemtype kind keytype ' +
    'label lang leftspacing loading list longdesc loop loopcount loopend loopstart low lowsrc max maxlength media method min minlength multiple muted name ' +
    'nohref nonce noshade nowrap open optimum pattern ping placeholder playsinline point-size poster preload prompt pqg radiogroup readonly referrerpolicy ' +
    'rel repeat-max repeat-min replace required rev reversed rightspacing rows rowspan rules scope selected shape size sizes span spellcheck src srclang ' +
    'srcset start step summary suppress tabindex target template title toppadding translate type unselectable usemap urn valign value variable volume ' +
    'vspace vrml width wrap xml:lang xmlns').split(' '),
);
const VOID = new Set('area base br col embed hr img input link meta source track wbr'.split(' '));

/** The W3C validator's safeHtml checks on one HTML value (RSS description/content, Atom type="html"). */
export function htmlProblems(html: string, where: string): string[] {
  const out: string[] = [];
  const errors: string[] = [];
  const frag = parseFragment(html, { onParseError: (e) => errors.push(e.code) });
  for (const code of new Set(errors)) out.push(`W NotHtml: ${where} ${code}`);
  // The tree the tags spell out, compared with the one an HTML parser builds: any difference is a
  // parse error html5lib reports (an end tag with no open element, a block in a paragraph…).
  const spelled: string[] = [];
  const stack: string[] = [];
  for (const m of html.replace(/<!--[\s\S]*?-->/g, '').matchAll(/<(\/?)([a-zA-Z][\w-]*)[^>]*?(\/?)>/g)) {
    const tag = m[2]!.toLowerCase();
    if (m[1]) {
      if (stack.at(-1) !== tag) {
        out.push(`W NotHtml: ${where} </${tag}> does not close the open <${stack.at(-1) ?? '(none)'}>`);
        break;
      }
      stack.pop();
      spelled.push(`/${tag}`);
    } else {
      spelled.push(tag);
      if (VOID.has(tag)) spelled.push(`/${tag}`);
      else stack.push(tag);
    }
  }
  const parsed: string[] = [];
  const walk = (n: Node) => {
    if (!('tagName' in n)) {
      if ('childNodes' in n) n.childNodes.forEach(walk);
      return;
    }
    const el = n as Element;
    parsed.push(el.tagName);
    const tag = el.tagName;
    if (!HTML_TAGS.has(tag)) out.push(`W NotHtml: ${where} non-html tag <${tag}>`);
    else if (!ACCEPTABLE_ELEMENTS.has(tag)) out.push(`W SecurityRisk: ${where} <${tag}>`);
    for (const a of el.attrs) {
      if (a.name === 'style') out.push(`W DangerousStyleAttr: ${where} style="${a.value}"`);
      else if (!ACCEPTABLE_ATTRIBUTES.has(a.name) && !a.name.startsWith('data-')) out.push(`W SecurityRiskAttr: ${where} <${tag} ${a.name}>`);
    }
    const ref = tag === 'a' ? el.attrs.find((a) => a.name === 'href')?.value : tag === 'img' ? el.attrs.find((a) => a.name === 'src')?.value : undefined;
    if (ref !== undefined && !/^\w+:/.test(ref)) out.push(`W ContainsRelRef: ${where} ${ref}`);
    ((tag === 'template' ? (el as unknown as { content: { childNodes: Node[] } }).content : el).childNodes ?? []).forEach(walk);
    parsed.push(`/${tag}`);
  };
  walk(frag as unknown as Node);
  // An implied <tbody> is no parse error.
  const shape = (tags: string[]) => tags.filter((t) => t !== 'tbody' && t !== '/tbody').join(' ');
  if (!out.some((p) => p.includes('does not close')) && shape(spelled) !== shape(parsed))
    out.push(`W NotHtml: ${where} an HTML parser restructures the markup`);
  return out;
}

/** The validator's nonhtml check on plain text (RSS title and category, Atom type="text"). */
function looksLikeHtml(text: string): string | null {
  for (const m of text.matchAll(/<\/(\w+)>/g)) if (HTML_TAGS.has(m[1]!.toLowerCase())) return m[0];
  for (const m of text.matchAll(/&(#?\w+);/g)) if (!/^[a-zA-Z]+$/.test(m[1]!) || decodeHTML(m[0]) !== m[0]) return m[0];
  return null;
}

const BAD_CHARS = /[\u0080-\u009f\ufffd]/;
const RFC2822 = /^(?:(Mon|Tue|Wed|Thu|Fri|Sat|Sun), )?\d\d? (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d\d:\d\d(?::\d\d)? (?:[+-]?\d\d[03]0|UT|GMT|EST|EDT|CST|CDT|MST|MDT|PST|PDT|Z)$/;
const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d*)?(?:Z|[+-]\d\d:\d\d)$/;
const MIME = /^[^\s()<>,;:\\"/[\]?=]+\/[^\s()<>,;:\\"/[\]?=]+(?:\s*;\s*[^\s()<>,;:\\"/[\]?=]+=(?:"(?:\\"|[^"])*"|[^\s()<>,;:\\"/[\]?=]+))*$/;
const FULL_URI = /^[a-zA-Z][0-9a-zA-Z+\-.]*:(\/\/)?[0-9a-zA-Z;/?:@&=+$.\-_!~*'()%,#]+$/;
const REGISTERED_RELS = new Set(['alternate', 'related', 'self', 'enclosure', 'via', 'hub', 'license', 'replies', 'edit', 'first', 'last', 'next', 'previous', 'current', 'payment']);
const MEDIA_MEDIUMS = new Set(['image', 'audio', 'video', 'document', 'executable']);

function dateProblems(value: string, kind: 'rfc822' | 'rfc3339', where: string, now: number): string[] {
  if (kind === 'rfc822') {
    const m = RFC2822.exec(value);
    if (!m) return [`E InvalidRFC2822Date: ${where} ${value}`];
    const t = Date.parse(value);
    if (m[1] && new Date(t).toUTCString().slice(0, 3) !== m[1]) return [`E IncorrectDOW: ${where} ${value}`];
    if (new Date(t).getUTCFullYear() < 1990 || t > now + 600_000) return [`W ImplausibleDate: ${where} ${value}`];
    return [];
  }
  if (!RFC3339.test(value)) return [`E InvalidRFC3339Date: ${where} ${value}`];
  if (value < '1990-01-01' || Date.parse(value) > now + 600_000) return [`W ImplausibleDate: ${where} ${value}`];
  return [];
}

/** RFC 3986 normal form as the validator computes it (uri.py canonicalForm), for http(s) URIs. */
function canonicalUri(u: string): string | null {
  const m = /^(([^:/?#]+):)?(\/\/([^/?#]*))?([^?#]*)(\?([^#]*))?(#(.*))?$/.exec(u);
  if (!m || !m[2]) return u;
  const scheme = m[2].toLowerCase();
  if (m[4] === undefined) return u;
  const pchar = "-._~!$&'()*+,;=:@";
  const norm = (seg: string, safe: string) => {
    let decoded: string;
    try {
      decoded = decodeURIComponent(seg);
    } catch {
      return null;
    }
    return Array.from(decoded.normalize('NFC'))
      .map((c) => (/[A-Za-z0-9]/.test(c) || safe.includes(c) ? c : [...new TextEncoder().encode(c)].map((b) => '%' + b.toString(16).toUpperCase().padStart(2, '0')).join('')))
      .join('');
  };
  let host = m[4].toLowerCase();
  const port = /:(\d*)$/.exec(host);
  const def = scheme === 'https' ? '443' : scheme === 'http' ? '80' : null;
  if (port && (port[1] === '' || port[1] === def)) host = host.slice(0, port.index);
  const segs = (m[5] || '/').split('/').map((s) => norm(s, pchar));
  if (segs.some((s) => s === null)) return null;
  const query = m[7] !== undefined ? norm(m[7], pchar + '/?') : undefined;
  const frag = m[9] !== undefined ? norm(m[9], pchar + '/?') : undefined;
  return `${scheme}://${host}${segs.join('/')}${query !== undefined ? '?' + query : ''}${frag !== undefined ? '#' + frag : ''}`;
}

/** Media types the validator accepts without UnexpectedContentType / NonSpecificMediaType. */
export function contentTypeProblems(format: 'rss' | 'atom', contentType: string): string[] {
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  const ok = format === 'rss' ? ['application/rss+xml'] : ['application/atom+xml'];
  return ok.includes(type) ? [] : [`W UnexpectedContentType: ${format} served as ${contentType}`];
}

export interface W3cOptions {
  format: 'rss' | 'atom';
  /** The URL the feed is published at (rel="self" must match it). */
  location: string;
  /** For ImplausibleDate: dates more than 10 minutes after this are in the future. */
  now?: number;
}

/** Every W3C validator problem (rules listed above) in one RSS or Atom document. */
export function w3cProblems(xml: string, opts: W3cOptions): string[] {
  const now = opts.now ?? Date.now();
  const doc = xmlOrdered.parse(xml) as XNode[];
  const root = doc.find((n) => !nameOf(n).startsWith('?'))!;
  const out: string[] = [];
  if (BAD_CHARS.test(xml)) out.push(`W BadCharacters: ${opts.location}`);
  if (opts.format === 'rss') {
    const channel = one(root, 'channel');
    if (!channel) return ['E MissingChannel'];
    for (const k of ['title', 'link', 'description']) if (!textOf(one(channel, k)).trim()) out.push(`E Missing${k[0]!.toUpperCase()}${k.slice(1)}: channel`);
    const self = all(channel, 'atom:link').find((l) => attrsOf(l).rel === 'self');
    if (!self) out.push('W MissingAtomSelfLink: channel');
    else if (attrsOf(self).href !== opts.location) out.push(`W SelfDoesntMatchLocation: ${attrsOf(self).href} ≠ ${opts.location}`);
    for (const k of ['lastBuildDate', 'pubDate']) for (const d of all(channel, k)) out.push(...dateProblems(textOf(d), 'rfc822', `channel/${k}`, now));
    const image = one(channel, 'image');
    if (image) {
      if (textOf(one(image, 'title')) !== textOf(one(channel, 'title'))) out.push('W ImageTitleDoesntMatch: channel/image');
      if (textOf(one(image, 'link')) !== textOf(one(channel, 'link'))) out.push('W ImageLinkDoesntMatch: channel/image');
      if (!FULL_URI.test(textOf(one(image, 'url')))) out.push('E InvalidFullLink: channel/image/url');
    }
    const guids = new Set<string>();
    all(channel, 'item').forEach((item, i) => {
      const where = `item ${i + 1}`;
      const names = elements(item).map(nameOf);
      if (!names.includes('title') && !names.includes('description')) out.push(`E ItemMustContainTitleOrDescription: ${where}`);
      const guid = one(item, 'guid');
      if (!guid) out.push(`W MissingGuid: ${where}`);
      else {
        const value = textOf(guid);
        const isPermaLink = attrsOf(guid).isPermaLink ?? 'true';
        if (isPermaLink !== 'true' && isPermaLink !== 'false') out.push(`E InvalidBooleanAttribute: ${where} guid isPermaLink`);
        if (isPermaLink === 'true') {
          if (!FULL_URI.test(value)) out.push(`E InvalidHttpGUID: ${where} ${value}`);
          else if (/^(tag:|urn:uuid:)/i.test(value)) out.push(`E InvalidPermalink: ${where} ${value}`);
        } else if (value.length < 9 && /^\d+$/.test(value)) out.push(`W NotSufficientlyUnique: ${where} ${value}`);
        if (guids.has(value)) out.push(`E DuplicateValue: ${where} guid ${value}`);
        guids.add(value);
      }
      const d = names.indexOf('description');
      const c = names.indexOf('content:encoded');
      if (c >= 0 && (d < 0 || d > c)) out.push(`W NeedDescriptionBeforeContent: ${where}`);
      for (const t of all(item, 'title')) {
        const html = looksLikeHtml(textOf(t));
        if (html) out.push(`W ContainsHTML: ${where} title ${html}`);
      }
      for (const t of all(item, 'category')) {
        const html = looksLikeHtml(textOf(t));
        if (html) out.push(`W ContainsHTML: ${where} category ${html}`);
      }
      for (const k of ['description', 'content:encoded']) for (const t of all(item, k)) out.push(...htmlProblems(textOf(t), `${where} ${k}`));
      for (const p of all(item, 'pubDate')) out.push(...dateProblems(textOf(p), 'rfc822', `${where} pubDate`, now));
      for (const a of all(item, 'author')) if (!/^\S+@\S+/.test(textOf(a))) out.push(`E InvalidContact: ${where} author ${textOf(a)}`);
      if (names.includes('author') && names.includes('dc:creator')) out.push(`W DuplicateItemSemantics: ${where} author and dc:creator`);
      const enclosures = all(item, 'enclosure');
      if (enclosures.length > 1) out.push(`W DuplicateEnclosure: ${where}`);
      for (const e of enclosures) {
        const a = attrsOf(e);
        for (const k of ['url', 'length', 'type']) if (a[k] === undefined) out.push(`E MissingAttribute: ${where} enclosure ${k}`);
        if (a.url !== undefined && (!/^https?:\/\//i.test(a.url) || !FULL_URI.test(a.url))) out.push(`E InvalidURLAttribute: ${where} enclosure url ${a.url}`);
        if (a.length !== undefined && !/^\d+$/.test(a.length)) out.push(`E UseZeroForUnknown: ${where} enclosure length ${a.length}`);
        if (a.type !== undefined && !MIME.test(a.type)) out.push(`E InvalidMIMEAttribute: ${where} enclosure type ${a.type}`);
      }
      for (const m of all(item, 'media:content')) {
        const a = attrsOf(m);
        if (!a.url) out.push(`E MissingAttribute: ${where} media:content url`);
        if (a.medium !== undefined && !MEDIA_MEDIUMS.has(a.medium)) out.push(`E InvalidMediaMedium: ${where} ${a.medium}`);
        if (a.type !== undefined && !MIME.test(a.type)) out.push(`E InvalidMIMEType: ${where} media:content type ${a.type}`);
      }
    });
    return out;
  }
  // Atom
  const feed = root;
  const linkProblems = (holder: XNode, where: string) => {
    const seen = new Set<string>();
    for (const l of all(holder, 'link')) {
      const a = attrsOf(l);
      if (a.href === undefined) out.push(`E MissingHref: ${where} link`);
      const rel = a.rel ?? 'alternate';
      if (!REGISTERED_RELS.has(rel) && !/^[a-z][a-z0-9+.-]*:/i.test(rel)) out.push(`W UnregisteredAtomLinkRel: ${where} ${rel}`);
      if (a.type !== undefined && !MIME.test(a.type)) out.push(`E InvalidMIMEType: ${where} link type ${a.type}`);
      if (a.length !== undefined && !/^\d+$/.test(a.length)) out.push(`E InvalidIntegerAttribute: ${where} link length ${a.length}`);
      if (rel === 'alternate') {
        const key = `${a.type ?? ''}|${a.hreflang ?? ''}`;
        if (seen.has(key)) out.push(`E DuplicateAtomLink: ${where} alternate ${key}`);
        seen.add(key);
      }
    }
  };
  const textConstruct = (n: XNode, where: string) => {
    const type = attrsOf(n).type ?? 'text';
    if (type === 'html') out.push(...htmlProblems(textOf(n), where));
    else if (type === 'text') {
      const html = looksLikeHtml(textOf(n));
      if (html) out.push(`W ContainsUndeclaredHTML: ${where} ${html}`);
    }
  };
  const idProblems = (value: string, where: string) => {
    if (!FULL_URI.test(value)) out.push(`E InvalidFullLink: ${where} id ${value}`);
    else if (/^https?:/i.test(value) && canonicalUri(value) !== value) out.push(`W NonCanonicalURI: ${where} id ${value} (canonical ${canonicalUri(value)})`);
  };
  for (const k of ['id', 'title', 'updated']) if (!one(feed, k)) out.push(`E MissingElement: feed ${k}`);
  if (one(feed, 'id')) idProblems(textOf(one(feed, 'id')), 'feed');
  const self = all(feed, 'link').find((l) => attrsOf(l).rel === 'self');
  if (!self) out.push('W MissingSelf: feed');
  else if (attrsOf(self).href !== opts.location) out.push(`W SelfDoesntMatchLocation: ${attrsOf(self).href} ≠ ${opts.location}`);
  linkProblems(feed, 'feed');
  for (const k of ['title', 'subtitle', 'rights']) for (const t of all(feed, k)) textConstruct(t, `feed ${k}`);
  for (const d of all(feed, 'updated')) out.push(...dateProblems(textOf(d), 'rfc3339', 'feed updated', now));
  for (const k of ['icon', 'logo']) for (const t of all(feed, k)) if (!FULL_URI.test(textOf(t))) out.push(`E InvalidFullLink: feed ${k}`);
  const feedHasAuthor = all(feed, 'author').length > 0;
  const ids = new Set<string>();
  const updates = new Set<string>();
  all(feed, 'entry').forEach((entry, i) => {
    const where = `entry ${i + 1}`;
    for (const k of ['id', 'title', 'updated']) if (!one(entry, k)) out.push(`E MissingElement: ${where} ${k}`);
    if (!feedHasAuthor && !one(entry, 'author')) out.push(`E MissingElement: ${where} author`);
    const id = textOf(one(entry, 'id'));
    idProblems(id, where);
    if (ids.has(id)) out.push(`W DuplicateEntries: ${where} ${id}`);
    ids.add(id);
    const updated = textOf(one(entry, 'updated'));
    if (updates.has(updated)) out.push(`W DuplicateUpdated: ${where} ${updated}`);
    updates.add(updated);
    for (const k of ['updated', 'published']) for (const d of all(entry, k)) out.push(...dateProblems(textOf(d), 'rfc3339', `${where} ${k}`, now));
    linkProblems(entry, where);
    const content = one(entry, 'content');
    if (!content) {
      if (!one(entry, 'summary')) out.push(`W MissingTextualContent: ${where}`);
      if (!all(entry, 'link').some((l) => (attrsOf(l).rel ?? 'alternate') === 'alternate')) out.push(`E MissingContentOrAlternate: ${where}`);
    }
    for (const k of ['title', 'summary', 'content', 'rights']) for (const t of all(entry, k)) textConstruct(t, `${where} ${k}`);
    for (const c of all(entry, 'category')) if (!attrsOf(c).term) out.push(`E MissingAttribute: ${where} category term`);
  });
  return out;
}

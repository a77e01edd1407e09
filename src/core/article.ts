// Article bytes → Article, or an ArticleError naming the file, the line where known, and the reason.
import { isUtf8 } from 'node:buffer';
import matter from 'gray-matter';
import yaml from 'js-yaml';
import { dateFromPath, parseDate, type DateSource } from './dates.js';
import { locate, PermalinkError, type Location } from './permalinks.js';
import type { Settings } from './settings.js';
import { toPlainText } from './text.js';

export interface Article {
  /** Path under content/ without the extension; stable, and the base of the permalink. */
  id: string;
  title: string;
  /** ISO 8601 instants. */
  date: string;
  updated: string;
  /** One list per hierarchy, parent first (Hexo's reading of `categories`). */
  categories: string[][];
  tags: string[];
  author?: string;
  image?: string;
  description?: string;
  /** Rendered from the body; not yet cleaned. */
  html: string;
  /** `draft: true` or `published: false`: parsed and checked, but kept out of every feed. */
  draft: boolean;
  /** `feed: false`: the page is published, but no feed and no listing shows the article. */
  unlisted?: boolean;
  /** The item id the article sets (`guid:` or `id:`), absolute; feeds use the URL otherwise. */
  guid?: string;
  /** Where the page is published (permalinks.ts); the default when absent. */
  location?: Location;
  /** Podcast-style attachments (`enclosures:`). */
  enclosures?: Enclosure[];
}

export interface Enclosure {
  /** Absolute http(s) URL. */
  url: string;
  /** MIME type (`audio/mpeg`). */
  type: string;
  /** Size in bytes; 0 when unknown. */
  length: number;
  title?: string;
}

export class ArticleError extends Error {
  constructor(
    readonly file: string,
    readonly reason: string,
    readonly line?: number,
  ) {
    super(`${file}${line ? `:${line}` : ''}: ${reason}`);
    this.name = 'ArticleError';
  }
}

export interface ParseInput {
  id: string;
  /** Name shown in errors and warnings (the file path or the object key). */
  file: string;
  bytes: Uint8Array;
  /**
   * The first time Syndic saw the article: the S3 engine keeps it in the article's record, the local
   * build in its cache. The last fallback for a missing date, after a date in the path; never a time
   * that changes when the same bytes are copied or uploaded again.
   */
  uploadedAt: Date;
}

export interface ParseResult {
  article: Article;
  warnings: string[];
  /** Where the date came from: the build summary reports articles not dated by their front matter. */
  dateSource: DateSource;
}

/** Byte offset of the first malformed UTF-8 sequence, or -1. */
function firstInvalidUtf8(b: Uint8Array): number {
  for (let i = 0; i < b.length; ) {
    const c = b[i]!;
    const n = c < 0x80 ? 0 : c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2 : c >= 0xf0 && c <= 0xf4 ? 3 : -1;
    if (n < 0 || i + n >= b.length + (n === 0 ? 1 : 0)) return i;
    for (let k = 1; k <= n; k++) if ((b[i + k]! & 0xc0) !== 0x80) return i;
    // Overlong three-byte forms, UTF-16 surrogates, and code points past U+10FFFF.
    if ((c === 0xe0 && b[i + 1]! < 0xa0) || (c === 0xed && b[i + 1]! > 0x9f) || (c === 0xf0 && b[i + 1]! < 0x90) || (c === 0xf4 && b[i + 1]! > 0x8f)) return i;
    i += n + 1;
  }
  return -1;
}

function lineOfOffset(b: Uint8Array, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset; i++) if (b[i] === 0x0a) line++;
  return line;
}

// Every engine but YAML throws: `---js` front matter would otherwise be evaluated as code.
const refuse = (lang: string) => () => {
  throw new Error(`front matter in ${lang} is not allowed; use YAML`);
};
const MATTER_OPTIONS = {
  language: 'yaml',
  engines: {
    // CORE_SCHEMA reads `date: 2022-04-02 20:47:38` as a string, so the site's time zone applies.
    yaml: (s: string) => yaml.load(s, { schema: yaml.CORE_SCHEMA }) as object,
    js: refuse('JavaScript'),
    javascript: refuse('JavaScript'),
    coffee: refuse('CoffeeScript'),
    coffeescript: refuse('CoffeeScript'),
    json: refuse('JSON'),
    toml: refuse('TOML'),
  },
};

function asString(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return undefined;
}

function stringList(v: unknown): string[] {
  const items = Array.isArray(v) ? v : v === undefined || v === null ? [] : [v];
  return items.map(asString).filter((s): s is string => s !== undefined).map(toPlainText).filter(Boolean);
}

/** `categories`: a hierarchy list, a list of hierarchies (nested lists), or one string. */
function categoryPaths(v: unknown): string[][] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) return [stringList(v)].filter((p) => p.length);
  const nested = v.some(Array.isArray);
  if (!nested) return [stringList(v)].filter((p) => p.length);
  return v.map((p) => stringList(p)).filter((p) => p.length);
}

function firstString(data: Record<string, unknown>, keys: string[]): string | undefined {
  for (const k of keys) {
    const s = asString(data[k])?.trim();
    if (s) return s;
  }
  return undefined;
}

const MIME = /^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+(?:\s*;\s*[a-z0-9!#$&^_.+-]+=(?:"[^"]*"|[a-z0-9!#$&^_.+-]+))*$/i;

/** `enclosures:` — a list of {url, type, length, title}, or one such map (`enclosure:`). */
function readEnclosures(v: unknown, file: string): Enclosure[] {
  if (v === undefined || v === null) return [];
  const list = Array.isArray(v) ? v : [v];
  return list.map((raw, i) => {
    const where = `enclosure ${i + 1}`;
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new ArticleError(file, `${where}: expected a map with url, type and length`);
    const o = raw as Record<string, unknown>;
    const url = asString(o.url)?.trim() ?? '';
    let u: URL | undefined;
    try {
      u = new URL(url);
    } catch {
      // reported below
    }
    if (!u || (u.protocol !== 'http:' && u.protocol !== 'https:')) throw new ArticleError(file, `${where}: url ${JSON.stringify(url)} is not an absolute http(s) URL`);
    const type = asString(o.type ?? o.mime_type)?.trim() ?? '';
    if (!MIME.test(type)) throw new ArticleError(file, `${where}: type ${JSON.stringify(type)} is not a MIME type such as audio/mpeg`);
    const lengthRaw = o.length ?? o.size ?? o.size_in_bytes ?? 0;
    const length = typeof lengthRaw === 'string' && /^\d+$/.test(lengthRaw.trim()) ? Number(lengthRaw) : lengthRaw;
    if (typeof length !== 'number' || !Number.isSafeInteger(length) || length < 0)
      throw new ArticleError(file, `${where}: length ${JSON.stringify(lengthRaw)} is not a size in bytes (0 when unknown)`);
    const title = toPlainText(asString(o.title) ?? '');
    return { url: u.href, type, length, ...(title ? { title } : {}) };
  });
}

/** The number of distinct category nodes an article is filed under (a hierarchy of 3 is 3 nodes). */
export function countCategoryNodes(paths: string[][]): number {
  const nodes = new Set<string>();
  for (const p of paths) for (let i = 1; i <= p.length; i++) nodes.add(JSON.stringify(p.slice(0, i)));
  return nodes.size;
}

// The closing `---` line, searched from the end of the opening line (lastIndex) without copying the text.
const CLOSING = /\n---[ \t]*(?:\n|$)/g;

export function parseArticle(input: ParseInput, settings: Settings, renderBody: (body: string) => string): ParseResult {
  const { file, bytes } = input;
  if (bytes.length > settings.maxArticleBytes)
    throw new ArticleError(file, `article is ${bytes.length} bytes, over the limit of ${settings.maxArticleBytes} bytes (maxArticleBytes)`);
  // The native validator is fast; the byte-by-byte scan runs only to locate an error.
  if (!isUtf8(bytes)) {
    const bad = Math.max(0, firstInvalidUtf8(bytes));
    throw new ArticleError(file, `bytes are not valid UTF-8 (byte offset ${bad})`, lineOfOffset(bytes, bad));
  }
  let decoded = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  // What a TextDecoder does: a leading byte order mark is not text.
  if (decoded.charCodeAt(0) === 0xfeff) decoded = decoded.slice(1);

  let text = decoded.replace(/^\uFEFF/, '');
  if (text.includes('\r')) text = text.replace(/\r\n?/g, '\n');
  // Scraped articles start with blank lines before the opening `---`; remember them for line numbers.
  const lead = /^(?:[ \t]*\n)*/.exec(text)![0];
  const leadLines = lead.split('\n').length - 1;
  text = text.slice(lead.length);

  const opening = /^---([^\n]*)\n/.exec(text);
  if (!opening) throw new ArticleError(file, 'no front matter: the article must start with a line `---`', leadLines + 1);
  const lang = opening[1]!.trim();
  if (lang !== '' && lang.toLowerCase() !== 'yaml')
    throw new ArticleError(file, `front matter language "${lang}" is not allowed; only YAML is read`, leadLines + 1);
  CLOSING.lastIndex = opening[0].length - 1;
  if (!CLOSING.test(text))
    throw new ArticleError(file, 'front matter is not closed by a line `---`', leadLines + 1);

  // gray-matter ends the front matter at the first `\n---` after the opening line: it is given the text
  // up to there only (given the whole article, it copies it into a Buffer and hashes it as a cache key),
  // and the body is cut here as gray-matter cuts it.
  const close = text.indexOf('\n---', opening[0].length - 1);
  let body = text.slice(close + 4);
  if (body[0] === '\r') body = body.slice(1);
  if (body[0] === '\n') body = body.slice(1);
  let parsed: { data: Record<string, unknown> };
  try {
    parsed = matter(text.slice(0, close + 4), MATTER_OPTIONS) as unknown as typeof parsed;
  } catch (e) {
    const err = e as { mark?: { line?: number }; reason?: string; message?: string };
    // js-yaml counts from 0, starting at the rest of the opening `---` line (gray-matter keeps it).
    const line = err.mark?.line !== undefined ? leadLines + 1 + err.mark.line : undefined;
    throw new ArticleError(file, `invalid YAML front matter: ${err.reason ?? err.message}`, line);
  }
  const data = parsed.data && typeof parsed.data === 'object' && !Array.isArray(parsed.data) ? parsed.data : {};

  const title = toPlainText(asString(data.title) ?? '');
  if (!title) throw new ArticleError(file, 'missing title: front matter needs a non-empty `title`');

  const warnings: string[] = [];
  let dateSource: DateSource = 'front-matter';
  let date = parseDate(data.date, settings.timezone);
  if (!date) {
    const why = data.date === undefined ? 'no date' : `unreadable date ${JSON.stringify(data.date)}`;
    const fromPath = dateFromPath(input.id, settings.timezone);
    if (fromPath) {
      date = fromPath;
      dateSource = 'path';
      warnings.push(`${file}: ${why}; using the date in its path, ${date.toISOString()}`);
    } else {
      date = input.uploadedAt;
      dateSource = 'first-seen';
      warnings.push(`${file}: ${why}; using the first time Syndic saw it, ${date.toISOString()}`);
    }
  }
  const updatedRaw = data.updated ?? data.lastmod ?? data.modified;
  let updated = parseDate(updatedRaw, settings.timezone);
  if (updatedRaw !== undefined && !updated) warnings.push(`${file}: unreadable updated date ${JSON.stringify(updatedRaw)}; ignored`);
  if (!updated || updated < date) updated = date;

  const categories = categoryPaths(data.categories ?? data.category);
  const nodes = countCategoryNodes(categories);
  if (nodes > settings.maxCategories)
    throw new ArticleError(file, `too many categories: ${nodes} category nodes, the limit is ${settings.maxCategories} (maxCategories)`);

  const unlisted = data.feed === false || data.feed === 'false';
  let guid: string | undefined;
  const rawGuid = firstString(data, ['guid', 'id']);
  if (rawGuid !== undefined) {
    if (rawGuid.startsWith('/')) {
      let path = rawGuid;
      try {
        path = decodeURI(rawGuid);
      } catch {
        // Not %-encoded: encoded below as written.
      }
      guid = settings.siteUrl + encodeURI(path);
    }
    else if (/^[a-z][a-z0-9+.-]*:\S+$/i.test(rawGuid)) guid = rawGuid;
    else throw new ArticleError(file, `guid ${JSON.stringify(rawGuid)} is not an absolute URI (https://…, urn:…, tag:…) or a path from the site root`);
  }
  const enclosures = readEnclosures(data.enclosures ?? data.enclosure, file);

  const author = toPlainText(asString(data.author) ?? (typeof data.author === 'object' && data.author ? asString((data.author as Record<string, unknown>).name) ?? '' : ''));
  const description = toPlainText(firstString(data, ['description', 'excerpt', 'summary']) ?? '');

  const slug = firstString(data, ['slug']);
  const ownPermalink = firstString(data, ['permalink', 'url']);
  let location: Location | undefined;
  try {
    if (ownPermalink !== undefined || settings.permalink)
      location = locate({ id: input.id, title, date: date.toISOString(), ...(slug ? { slug } : {}), ...(ownPermalink !== undefined ? { permalink: ownPermalink } : {}) }, settings);
  } catch (e) {
    if (e instanceof PermalinkError) throw new ArticleError(file, e.message);
    throw e;
  }

  return {
    article: {
      id: input.id,
      title,
      date: date.toISOString(),
      updated: updated.toISOString(),
      categories,
      tags: stringList(data.tags ?? data.tag),
      ...(author ? { author } : {}),
      ...(firstString(data, ['headimg', 'thumbnail', 'cover', 'image']) ? { image: firstString(data, ['headimg', 'thumbnail', 'cover', 'image'])! } : {}),
      ...(description ? { description } : {}),
      html: renderBody(body),
      draft: data.draft === true || data.draft === 'true' || data.published === false || data.published === 'false',
      ...(unlisted ? { unlisted } : {}),
      ...(guid ? { guid } : {}),
      ...(location ? { location } : {}),
      ...(enclosures.length ? { enclosures } : {}),
    },
    warnings,
    dateSource,
  };
}

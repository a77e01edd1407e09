// The HTML cleaning policy: an explicit allowlist over sanitize-html, plus the fixes that
// scraped articles need before a feed reader can show them (lazy images, relative URLs,
// dropped embeds, boilerplate blocks).
import { decodeHTMLAttribute } from 'entities';
import sanitizeHtml from 'sanitize-html';

export interface CleanOptions {
  /** Absolute URL that relative links and images resolve against (the article's permalink). */
  baseUrl: string;
  /** Simple selectors (`.cls`, `tag.cls`, `#id`, `tag`) of blocks removed with their content. */
  dropSelectors: readonly string[];
}

// The most frequent tags of scraped articles come first: sanitize-html looks tags up with indexOf.
const TEXT_TAGS = [
  'p', 'a', 'img', 'br', 'span', 'div', 'strong', 'section', 'b', 'em', 'figure', 'li', 'h2', 'h3',
  'h1', 'h4', 'h5', 'h6', 'ul', 'ol', 'dl', 'dt', 'dd', 'blockquote', 'pre', 'code',
  'table', 'caption', 'thead', 'tbody', 'tfoot', 'tr', 'th', 'td', 'colgroup', 'col', 'figcaption',
  'picture', 'source', 'video', 'audio', 'track', 'hr', 'i', 'u', 's',
  'del', 'ins', 'sub', 'sup', 'small', 'mark', 'q', 'cite', 'abbr', 'kbd', 'samp', 'var', 'time',
  // Layout containers carry no meaning, but dropping them would glue neighbouring blocks' text together.
  'article', 'details', 'summary',
];

// Removed together with everything inside them. DROP_TAG marks boilerplate matched by dropSelectors.
const DROP_TAG = 'syndic-drop';
const DROP_WITH_CONTENT = [
  'script', 'style', 'iframe', 'object', 'embed', 'form', 'noscript', 'template', 'textarea', 'select',
  'option', 'button', 'svg', 'math', 'title', 'head', 'frameset', 'frame', 'applet',
];
// Boilerplate is renamed to DROP_TAG, kept through sanitizing, then cut out with its content. (Were
// it a discarded tag, sanitize-html 2.17 would leave the rename pending and write the next closing
// tag at that depth as </syndic-drop>: `<div class=promo>x</div><p>y</p>` → `<p>y</syndic-drop>`.)
const DROP_BLOCK = new RegExp(`<${DROP_TAG}>(?:(?!<${DROP_TAG}>)[\\s\\S])*?</${DROP_TAG}>`, 'g');
/** Removes every match, again and again, until none is left (a removal can make a new match). */
function removeUntilStable(html: string, pattern: RegExp): string {
  pattern.lastIndex = 0;
  while (pattern.test(html)) {
    pattern.lastIndex = 0;
    html = html.replace(pattern, '');
  }
  return html;
}

// Elements that are pure wrappers: when nothing visible is left inside, they go too. After
// sanitizing, these carry no attributes (but a's href), so a pattern over the output is exact.
const WRAPPERS = 'p|div|section|article|span|a|strong|em|b|i|u|s|figure|figcaption|blockquote|h[1-6]|small|mark|sub|sup|del|ins|li|ul|ol|picture|details|summary|q|cite';
const EMPTY_WRAPPER = new RegExp(`<(${WRAPPERS})(?: [^<>]*)?>(?:\\s|&nbsp;|<br />)*</\\1>`, 'g');

const LAZY_SRC = ['data-src', 'data-original', 'data-actualsrc', 'data-lazy-src', 'data-url'];
const LAZY_SRCSET = ['data-srcset', 'data-lazy-srcset'];

/** Resolves a URL against the base; protocol-relative becomes https. Returns null for anything but http(s)/mailto. */
export function absoluteUrl(raw: string, base: string): string | null {
  const v = raw.trim();
  if (v === '') return null;
  try {
    const u = new URL(v.startsWith('//') ? 'https:' + v : v, base);
    if (u.protocol === 'http:' || u.protocol === 'https:' || u.protocol === 'mailto:') return u.href;
  } catch {
    // Malformed URL: treated like a forbidden scheme.
  }
  return null;
}

function absoluteSrcset(raw: string, base: string): string | null {
  const parts = raw
    .split(/,\s+|,(?=\S+\s)/)
    .map((candidate) => {
      const [url = '', ...descriptor] = candidate.trim().split(/\s+/);
      const abs = absoluteUrl(url, base);
      return abs ? [abs.replace(/,/g, '%2C'), ...descriptor].join(' ') : null;
    })
    .filter((x): x is string => x !== null);
  return parts.length ? parts.join(', ') : null;
}

interface Selector {
  tag?: string;
  cls?: string;
  id?: string;
}
function parseSelector(s: string): Selector {
  const m = /^([a-z][a-z0-9-]*)?(?:\.([\w-]+)|#([\w-]+))?$/i.exec(s.trim());
  if (!m || (!m[1] && !m[2] && !m[3])) throw new Error(`dropSelectors: unsupported selector "${s}" (use .class, tag.class, #id or tag)`);
  return { tag: m[1]?.toLowerCase(), cls: m[2], id: m[3] };
}
function matches(sel: Selector, tag: string, attribs: Record<string, string>): boolean {
  if (sel.tag && sel.tag !== tag) return false;
  if (sel.cls && !(attribs.class ?? '').split(/\s+/).includes(sel.cls)) return false;
  if (sel.id && attribs.id !== sel.id) return false;
  return true;
}

// The tags rewrite() changes; any other tag it returns as it came (unless a drop selector matches).
const REWRITTEN = ['iframe', 'embed', 'object', 'img', 'source', 'a', 'video', 'audio', 'track'];

function rewrite(tag: string, attribs: Record<string, string>, opts: CleanOptions, selectors: Selector[]) {
  if (selectors.length && selectors.some((sel) => matches(sel, tag, attribs))) return { tagName: DROP_TAG, attribs: {} };
  if (!REWRITTEN.includes(tag)) return { tagName: tag, attribs };
  const a: Record<string, string> = { ...attribs };
  const url = (name: string) => {
    if (a[name] === undefined) return;
    const abs = absoluteUrl(a[name], opts.baseUrl);
    if (abs) a[name] = abs;
    else delete a[name];
  };
  switch (tag) {
    case 'iframe':
    case 'embed':
    case 'object': {
      // A dropped embed leaves a plain link, so the reader can still reach the video.
      const src = absoluteUrl(a.src ?? a.data ?? '', opts.baseUrl);
      if (!src || src.startsWith('mailto:')) return { tagName: tag, attribs: {} };
      return { tagName: 'a', attribs: { href: src }, text: src };
    }
    case 'img':
    case 'source': {
      const lazy = LAZY_SRC.map((k) => a[k]).find((v) => v && absoluteUrl(v, opts.baseUrl));
      if (lazy) a.src = lazy;
      const lazySet = LAZY_SRCSET.map((k) => a[k]).find((v) => v);
      if (lazySet) a.srcset = lazySet;
      url('src');
      if (a.srcset !== undefined) {
        const set = absoluteSrcset(a.srcset, opts.baseUrl);
        if (set) a.srcset = set;
        else delete a.srcset;
      }
      // Image hosts in the corpus refuse hotlinks that carry a Referer.
      if (tag === 'img') a.referrerpolicy = 'no-referrer';
      break;
    }
    case 'a':
      url('href');
      break;
    case 'video':
    case 'audio':
    case 'track':
      url('src');
      url('poster');
      break;
  }
  return { tagName: tag, attribs: a };
}

// htmlparser2 (under sanitize-html) keeps its open-element stack with Array#unshift, so each level
// costs a pass over all the others: 100,000 nested <div>s take minutes. No article needs more than a
// few dozen levels, so tags deeper than this are dropped (their text is kept) before parsing.
const MAX_DEPTH = 256;
// Void elements never nest; these close themselves when a sibling opens, so they never stack deep.
const NOT_NESTING = new Set([
  'area', 'base', 'basefont', 'br', 'col', 'command', 'embed', 'frame', 'hr', 'img', 'input', 'isindex', 'keygen',
  'link', 'meta', 'param', 'source', 'track', 'wbr',
  'p', 'li', 'dt', 'dd', 'option', 'optgroup', 'tr', 'td', 'th', 'thead', 'tbody', 'tfoot', 'rt', 'rp',
]);

const TAG_OR_COMMENT = /<!--[\s\S]*?(?:-->|$)|<(\/?)([a-zA-Z][\w:-]*)\b[^>]*?(\/?)>/g;

/** Drops the tags nested deeper than MAX_DEPTH, keeping their text. Linear; unchanged below the limit. */
export function capNesting(html: string, max = MAX_DEPTH): string {
  // Fewer than max + 1 tags cannot nest deeper than max.
  let tags = 0;
  for (let i = html.indexOf('<'); i >= 0 && tags <= max; i = html.indexOf('<', i + 1)) tags++;
  if (tags <= max) return html;
  // Nor can HTML whose depth never reaches max: measured without building a new string.
  let d = 0;
  let reached = false;
  for (const m of html.matchAll(TAG_OR_COMMENT)) {
    const [, close, name, selfClose] = m;
    if (name === undefined || selfClose || NOT_NESTING.has(name.toLowerCase())) continue;
    if (close) d = Math.max(0, d - 1);
    else if (++d > max) {
      reached = true;
      break;
    }
  }
  if (!reached) return html;
  const kept: boolean[] = [];
  let depth = 0;
  return html.replace(TAG_OR_COMMENT, (tag, close: string, name: string, selfClose: string) => {
    if (name === undefined || selfClose || NOT_NESTING.has(name.toLowerCase())) return tag;
    if (close) {
      if (!kept.length) return tag;
      if (!kept.pop()) return '';
      depth--;
      return tag;
    }
    if (depth >= max) {
      kept.push(false);
      return '';
    }
    kept.push(true);
    depth++;
    return tag;
  });
}

/**
 * Whether a drop selector can match any element of this HTML. A class or id can only match if its
 * name appears in the HTML once character references are decoded as in attribute values; a bare
 * tag selector always may (an embed becomes a link, so its tag need not be in the source).
 */
function selectorsMayMatch(html: string, selectors: readonly Selector[]): boolean {
  let decoded: string | undefined;
  return selectors.some((sel) => {
    const name = sel.cls ?? sel.id;
    if (name === undefined) return true;
    if (html.includes(name)) return true;
    if (!html.includes('&')) return false;
    decoded ??= decodeHTMLAttribute(html);
    return decoded.includes(name);
  });
}

/** Transforms for the tags rewrite() changes: enough when no drop selector can match. */
const specificTransforms = (opts: CleanOptions) =>
  Object.fromEntries(REWRITTEN.map((t) => [t, (tag: string, attribs: Record<string, string>) => rewrite(tag, attribs, opts, [])]));

/**
 * Cleans untrusted article HTML into the safe subset that feeds and pages publish. Idempotent.
 * sanitize-html is given only the work that can change the result: the per-tag rewrite runs on every
 * tag only when a drop selector may match, and the nesting cap and drop pass only when they can apply.
 */
export function cleanHtml(html: string, opts: CleanOptions): string {
  const selectors = opts.dropSelectors.map(parseSelector);
  const everyTag = selectors.length > 0 && selectorsMayMatch(html, selectors);
  const out = sanitizeHtml(capNesting(html), {
    allowedTags: [...TEXT_TAGS, DROP_TAG],
    allowedAttributes: {
      a: ['href', 'title'],
      img: ['src', 'srcset', 'alt', 'title', 'width', 'height', 'referrerpolicy'],
      source: ['src', 'srcset', 'type', 'media', 'sizes'],
      video: ['src', 'poster', 'controls', 'width', 'height', 'loop', 'muted', 'playsinline'],
      audio: ['src', 'controls', 'loop'],
      track: ['src', 'kind', 'srclang', 'label'],
      ol: ['start', 'reversed', 'type'],
      li: ['value'],
      td: ['colspan', 'rowspan'],
      th: ['colspan', 'rowspan', 'scope'],
      col: ['span'],
      colgroup: ['span'],
      time: ['datetime'],
      abbr: ['title'],
      q: ['cite'],
      blockquote: ['cite'],
      del: ['datetime'],
      ins: ['datetime'],
    },
    allowedSchemes: ['http', 'https', 'mailto'],
    allowedSchemesByTag: { img: ['http', 'https'], source: ['http', 'https'], video: ['http', 'https'], audio: ['http', 'https'] },
    allowedSchemesAppliedToAttributes: ['href', 'src', 'cite', 'poster'],
    allowProtocolRelative: false,
    allowVulnerableTags: false,
    disallowedTagsMode: 'discard',
    nonTextTags: DROP_WITH_CONTENT,
    selfClosing: ['img', 'br', 'hr', 'source', 'col', 'track'],
    transformTags: everyTag
      ? {
          // The specific transforms run first and can set the link text of a dropped embed.
          iframe: (tag, attribs) => rewrite(tag, attribs, opts, selectors),
          embed: (tag, attribs) => rewrite(tag, attribs, opts, selectors),
          object: (tag, attribs) => rewrite(tag, attribs, opts, selectors),
          '*': (tag, attribs) => rewrite(tag, attribs, opts, selectors),
        }
      : specificTransforms(opts),
  });
  return removeUntilStable(out.includes(`<${DROP_TAG}>`) ? removeUntilStable(out, DROP_BLOCK) : out, EMPTY_WRAPPER).trim();
}

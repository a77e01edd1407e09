// The HTML cleaning policy: an explicit allowlist over sanitize-html, plus the fixes that
// scraped articles need before a feed reader can show them (lazy images, relative URLs,
// dropped embeds, boilerplate blocks, hidden page furniture), and code samples kept as written.
// docs/feeds.md lists every rule; test/validation/fidelity.test.ts checks that no other text is lost.
import { decodeHTML, decodeHTMLAttribute } from 'entities';
import sanitizeHtml from 'sanitize-html';

export interface CleanOptions {
  /** Absolute URL that relative links and images resolve against (the article's permalink). */
  baseUrl: string;
  /** Simple selectors (`.cls`, `tag.cls`, `#id`, `tag`) of blocks removed with their content. */
  dropSelectors: readonly string[];
}

export const TEXT_TAGS = [
  'p', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'ul', 'ol', 'li', 'dl', 'dt', 'dd', 'blockquote', 'pre', 'code',
  'table', 'caption', 'thead', 'tbody', 'tfoot', 'tr', 'th', 'td', 'colgroup', 'col', 'figure', 'figcaption',
  'a', 'img', 'picture', 'source', 'video', 'audio', 'track', 'br', 'hr', 'strong', 'em', 'b', 'i', 'u', 's',
  'del', 'ins', 'sub', 'sup', 'small', 'mark', 'q', 'cite', 'abbr', 'kbd', 'samp', 'var', 'time',
  // Layout containers carry no meaning, but dropping them would glue neighbouring blocks' text together.
  'div', 'section', 'article', 'span', 'details', 'summary',
];

// Removed together with everything inside them (outside code, see escapeMarkupInCode). DROP_TAG marks
// boilerplate matched by dropSelectors and elements hidden in the source (isHidden).
const DROP_TAG = 'syndic-drop';
export const DROP_WITH_CONTENT = [
  'script', 'style', 'iframe', 'object', 'embed', 'form', 'noscript', 'template', 'textarea', 'select',
  'option', 'button', 'svg', 'math', 'title', 'head', 'frameset', 'frame', 'applet',
];
// Boilerplate is renamed to DROP_TAG, kept through sanitizing, then cut out with its content. (Were
// it a discarded tag, sanitize-html 2.17 would leave the rename pending and write the next closing
// tag at that depth as </syndic-drop>: `<div class=promo>x</div><p>y</p>` → `<p>y</syndic-drop>`.)
const DROP_BLOCK = new RegExp(`<${DROP_TAG}>(?:(?!<${DROP_TAG}>)[\\s\\S])*?</${DROP_TAG}>`, 'g');
/** Removes every match, again and again, until none is left (a removal can make a new match). */
function removeUntilStable(html: string, pattern: RegExp, removed?: (match: string) => void): string {
  // Every match is non-empty, so a pass that finds one changes the string: test before replacing.
  pattern.lastIndex = 0;
  while (pattern.test(html)) {
    pattern.lastIndex = 0;
    html = html.replace(pattern, (m) => {
      removed?.(m);
      return '';
    });
  }
  return html;
}

/**
 * Page furniture removed by default, with its content: copy-code buttons (`复制代码`). Matched by
 * class name, like dropSelectors, but always on.
 */
export const FURNITURE_CLASSES = [
  'copy-code-btn', 'code-copy-btn', 'copy-code-button', 'code-copy-button', 'copy-btn', 'btn-copy', 'copy-button',
  'hljs-copy', 'copy-to-clipboard',
];
/** Author lines (`<span class="author">`): kept in the body, but never the start of a summary. */
export const BYLINE_CLASSES = ['author', 'byline', 'bio', 'author-info', 'author-name', 'post-author', 'article-author', 'writer'];
/** Images that decorate rather than illustrate (an avatar beside the byline): never a lead image. */
export const DECORATIVE_IMAGE_CLASSES = ['avatar', 'icon', 'emoji', 'emoticon', 'logo', 'badge', 'qrcode', 'qr-code', 'qr'];
/** Below this declared width or height, in pixels, an image is an icon or a tracker, never a lead image. */
export const MIN_LEAD_IMAGE_PX = 100;
const BYLINE_TAG = 'syndic-byline';
const BYLINE_BLOCK = new RegExp(`<${BYLINE_TAG}>(?:(?!<${BYLINE_TAG}>)[\\s\\S])*?</${BYLINE_TAG}>`, 'g');
const BYLINE_MARK = new RegExp(`</?${BYLINE_TAG}>`, 'g');

const DISPLAY_NONE = /(?:^|;)\s*display\s*:\s*none\s*(?:!\s*important\s*)?(?:;|$)/i;

/**
 * Elements the source hides, removed with their content so that cleaning never reveals them: the
 * `hidden` attribute, `aria-hidden="true"` (icons, tooltips, share pop-ups), and an inline
 * `display: none`; plus the furniture classes above.
 */
export function isHidden(attribs: Readonly<Record<string, string>>): boolean {
  return hiddenWith(attribs, classesOf(attribs));
}

/** The element's class names as the rules read them (no class attribute: none). */
const classesOf = (attribs: Readonly<Record<string, string>>): readonly string[] => (attribs.class === undefined ? [] : attribs.class.split(/\s+/));

/** isHidden, the class names already split. */
function hiddenWith(attribs: Readonly<Record<string, string>>, classes: readonly string[]): boolean {
  if (attribs.hidden !== undefined) return true;
  if ((attribs['aria-hidden'] ?? '').trim().toLowerCase() === 'true') return true;
  if (DISPLAY_NONE.test(attribs.style ?? '')) return true;
  return FURNITURE_CLASSES.some((c) => classes.includes(c));
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

function absoluteSrcset(raw: string, resolve: Resolve): string | null {
  const parts = raw
    .split(/,\s+|,(?=\S+\s)/)
    .map((candidate) => {
      const [url = '', ...descriptor] = candidate.trim().split(/\s+/);
      const abs = resolve(url);
      return abs ? [abs.replace(/,/g, '%2C'), ...descriptor].join(' ') : null;
    })
    .filter((x): x is string => x !== null);
  return parts.length ? parts.join(', ') : null;
}

/** absoluteUrl against one base, each URL resolved once (cleaning an article asks for the same ones again). */
type Resolve = (raw: string) => string | null;
function resolver(base: string): Resolve {
  const seen = new Map<string, string | null>();
  return (raw) => {
    let abs = seen.get(raw);
    if (abs === undefined) seen.set(raw, (abs = absoluteUrl(raw, base)));
    return abs;
  };
}

/** The first lazy-loading URL (data-src, data-original, …) that resolves, if any. */
function lazySrc(a: Readonly<Record<string, string>>, resolve: Resolve): string | undefined {
  for (const k of LAZY_SRC) {
    const v = a[k];
    if (v && resolve(v)) return v;
  }
  return undefined;
}

/** The absolute URL an `<img>` shows (lazy URL first, as cleaning rewrites it), or null. */
function imageSrc(a: Readonly<Record<string, string>>, resolve: Resolve): string | null {
  const abs = resolve(lazySrc(a, resolve) ?? a.src ?? '');
  return abs && !abs.startsWith('mailto:') ? abs : null;
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
function matches(sel: Selector, tag: string, attribs: Readonly<Record<string, string>>, classes: readonly string[]): boolean {
  if (sel.tag && sel.tag !== tag) return false;
  if (sel.cls && !classes.includes(sel.cls)) return false;
  if (sel.id && attribs.id !== sel.id) return false;
  return true;
}

/**
 * Whether some element of this HTML may be removed by a rule (dropSelectors, hidden, furniture) or be
 * an author line; when not, rewrite() returns every tag but those in REWRITTEN as it came. Each rule
 * needs a name in the element's class, id or style (values decoded: checked on the HTML as written and
 * decoded both ways) or an attribute named `hidden`/`aria-hidden` (names are lower-cased, never
 * decoded); a bare tag selector always may match (an embed becomes a link, so its tag need not be in
 * the source).
 */
function mayBeDroppedOrByline(html: string, selectors: readonly Selector[]): boolean {
  if (selectors.some((sel) => sel.cls === undefined && sel.id === undefined)) return true;
  const lower = html.toLowerCase();
  if (lower.includes('hidden')) return true;
  // Every FURNITURE_CLASSES name holds `copy`; every BYLINE_CLASSES name holds one of these four.
  const names = ['copy', 'author', 'byline', 'bio', 'writer', ...selectors.map((sel) => (sel.cls ?? sel.id)!)];
  const found = (t: string) => DISPLAY_NONE_ANYWHERE.test(t) || names.some((n) => t.includes(n));
  // The HTML as written first: decoded both ways only when that finds nothing.
  if (found(html)) return true;
  return html.includes('&') && !onlyInertEntities(html, lower) && (found(decodeHTML(html)) || found(decodeHTMLAttribute(html)));
}
const DISPLAY_NONE_ANYWHERE = /display\s*:\s*none/i;

// Entities whose character can be part of no name mayBeDroppedOrByline looks for (class, id and
// selector names are letters, digits, `_` and `-`; `display: none` adds white space and `:`).
const INERT_ENTITIES = ['amp;', 'lt;', 'gt;', 'quot;', 'apos;', '#39;', 'ldquo;', 'rdquo;', 'lsquo;', 'rsquo;', 'hellip;', 'mdash;', 'ndash;', 'middot;', 'times;', 'copy;', 'reg;'];

/**
 * Whether every `&` of the HTML starts one of INERT_ENTITIES (or `&nbsp;`, white space, when the
 * HTML never says `display`): then decoding it turns no text into a name the raw text lacks, since
 * each decoded character can be part of no name and the text between entities is unchanged.
 */
function onlyInertEntities(html: string, lower: string): boolean {
  const nbspInert = !lower.includes('display');
  for (let i = html.indexOf('&'); i >= 0; i = html.indexOf('&', i + 1)) {
    if (nbspInert && html.startsWith('nbsp;', i + 1)) continue;
    if (!INERT_ENTITIES.some((e) => html.startsWith(e, i + 1))) return false;
  }
  return true;
}

/** Whether an element goes, with its content, by dropSelectors or because the source hides it. */
function isDropped(tag: string, attribs: Readonly<Record<string, string>>, selectors: readonly Selector[], classes = classesOf(attribs)): boolean {
  return hiddenWith(attribs, classes) || selectors.some((sel) => matches(sel, tag, attribs, classes));
}

// Compiled once: a RegExp built per call is compiled again at every image (a fifth of cleaning's time).
const PX_ATTR = /^\s*(\d+(?:\.\d+)?)\s*(?:px)?\s*$/i;
const PX_STYLE = { width: /(?:^|;)\s*width\s*:\s*(\d+(?:\.\d+)?)px/i, height: /(?:^|;)\s*height\s*:\s*(\d+(?:\.\d+)?)px/i };

/** A declared size in pixels (`width="48"`, `style="width: 48px"`), or null. */
function declaredPx(attribs: Readonly<Record<string, string>>, dim: 'width' | 'height'): number | null {
  const m = PX_ATTR.exec(attribs[dim] ?? '') ?? PX_STYLE[dim].exec(attribs.style ?? '');
  return m ? Number(m[1]) : null;
}

/** What cleaning learns about the images while it rewrites them. */
interface ImageLog {
  dropped: string[];
  decorative: string[];
}

// The tags rewrite() changes by their name; any other tag it returns as it came unless a rule of
// isDropped or an author class applies.
const REWRITTEN = new Set(['iframe', 'embed', 'object', 'img', 'source', 'a', 'video', 'audio', 'track']);

function rewrite(tag: string, attribs: Record<string, string>, resolve: Resolve, selectors: Selector[], images: ImageLog) {
  const classes = classesOf(attribs);
  const dropped = isDropped(tag, attribs, selectors, classes);
  if (tag === 'img') {
    const src = imageSrc(attribs, resolve);
    const small = (['width', 'height'] as const).some((d) => (declaredPx(attribs, d) ?? Infinity) < MIN_LEAD_IMAGE_PX);
    if (src && dropped) images.dropped.push(src);
    else if (src && (small || DECORATIVE_IMAGE_CLASSES.some((c) => classes.includes(c)))) images.decorative.push(src);
  }
  if (dropped) return { tagName: DROP_TAG, attribs: {} };
  if (BYLINE_CLASSES.some((c) => classes.includes(c))) return { tagName: BYLINE_TAG, attribs: {} };
  // A tag rewritten by its name gets a copy of its attributes; any other comes back as it came.
  if (!REWRITTEN.has(tag)) return { tagName: tag, attribs };
  const a: Record<string, string> = { ...attribs };
  const url = (name: string) => {
    if (a[name] === undefined) return;
    const abs = resolve(a[name]);
    if (abs) a[name] = abs;
    else delete a[name];
  };
  switch (tag) {
    case 'iframe':
    case 'embed':
    case 'object': {
      // A dropped embed leaves a plain link, so the reader can still reach the video.
      const src = resolve(a.src ?? a.data ?? '');
      if (!src || src.startsWith('mailto:')) return { tagName: tag, attribs: {} };
      return { tagName: 'a', attribs: { href: src }, text: src };
    }
    case 'img':
    case 'source': {
      const lazy = lazySrc(a, resolve);
      if (lazy) a.src = lazy;
      const lazySet = LAZY_SRCSET.map((k) => a[k]).find((v) => v);
      if (lazySet) a.srcset = lazySet;
      url('src');
      if (a.srcset !== undefined) {
        const set = absoluteSrcset(a.srcset, resolve);
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
  // Nor can HTML whose depth never reaches max: measured first without building a new string (until
  // the first dropped tag, the depth below is the one the replace pass keeps).
  let d = 0;
  let reached = false;
  for (const m of html.matchAll(TAG_OR_COMMENT)) {
    const [, close, name, selfClose] = m;
    if (name === undefined || selfClose || NOT_NESTING.has(name.toLowerCase())) continue;
    if (close) d = Math.max(0, d - 1);
    else if (d++ >= max) {
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

// Elements whose content htmlparser2 (under sanitize-html) reads as raw text, never as tags.
const RAW_TEXT = new Set(['script', 'style', 'textarea', 'title', 'xmp']);
const ALLOWED = new Set(TEXT_TAGS);

/** A tag as HTML tokenizes it: from `<` to the first `>` outside a quoted attribute value, or to the end. */
interface RawTag {
  end: number;
  name: string;
  closing: boolean;
  /** Attribute values as written, first of each name; decoded by attribsOf only when a rule needs them. */
  raw: Record<string, string>;
}
function attribsOf(tag: RawTag): Record<string, string> {
  const attribs: Record<string, string> = {};
  for (const name in tag.raw) attribs[name] = decodeHTML(tag.raw[name]!);
  return attribs;
}
/** HTML's ASCII whitespace: tab, line feed, form feed, carriage return, space (a char code test, not a regex per character). */
const isSpace = (c: number) => c === 32 || c === 9 || c === 10 || c === 12 || c === 13;
function readTag(html: string, start: number): RawTag | null {
  const m = /^<(\/?)([a-zA-Z][^\t\n\f\r />]*)/.exec(html.slice(start, start + 256));
  if (!m) return null;
  const tag: RawTag = { end: html.length, name: m[2]!.toLowerCase(), closing: m[1] === '/', raw: {} };
  const n = html.length;
  let i = start + m[0].length;
  while (i < n) {
    while (i < n && (isSpace(html.charCodeAt(i)) || html[i] === '/')) i++;
    if (i >= n) break;
    if (html[i] === '>') {
      tag.end = i + 1;
      break;
    }
    let j = i + 1; // a leading `=` belongs to the name
    while (j < n && !isSpace(html.charCodeAt(j)) && html[j] !== '/' && html[j] !== '>' && html[j] !== '=') j++;
    const name = html.slice(i, j).toLowerCase();
    i = j;
    while (i < n && isSpace(html.charCodeAt(i))) i++;
    let value = '';
    if (html[i] === '=') {
      i++;
      while (i < n && isSpace(html.charCodeAt(i))) i++;
      const q = html[i];
      if (q === '"' || q === "'") {
        const close = html.indexOf(q, i + 1);
        value = html.slice(i + 1, close < 0 ? n : close);
        i = close < 0 ? n : close + 1;
      } else {
        let k = i;
        while (k < n && !isSpace(html.charCodeAt(k)) && html[k] !== '>') k++;
        value = html.slice(i, k);
        i = k;
      }
    }
    if (!(name in tag.raw)) tag.raw[name] = value;
  }
  return tag;
}

/**
 * Inside `<pre>` and `<code>`, a tag the cleaner does not allow is a code sample, not markup
 * (`<button onClick={…}>`, `<Route exact path=…>`, `List<String>`): it is escaped so that it shows as
 * the literal text the author wrote, where cleaning would otherwise delete it. The content of such an
 * element (even `<style>`) is then read as ordinary HTML. Tags the cleaner allows stay markup, and
 * elements that a rule removes (dropSelectors, hidden, furniture) stay tags so that the rule applies.
 */
export function escapeMarkupInCode(html: string, selectors: readonly Selector[] = []): string {
  // Without the start of a <pre> or <code> tag there is no code to escape in.
  if (!/<(?:pre|code)/i.test(html)) return html;
  const out: string[] = [];
  /** Open <pre>/<code> elements. */
  const code: string[] = [];
  /** Names of disallowed elements left as tags inside code (removed by a rule): their end tags stay too. */
  const kept: string[] = [];
  let last = 0;
  let i = html.indexOf('<');
  while (i >= 0 && i < html.length) {
    let next = i + 1;
    if (html.startsWith('<!--', i)) {
      const close = html.indexOf('-->', i + 4);
      next = close < 0 ? html.length : close + 3;
    } else if (html[i + 1] === '!' || html[i + 1] === '?') {
      const close = html.startsWith('<![CDATA[', i) ? html.indexOf(']]>', i) : html.indexOf('>', i);
      next = close < 0 ? html.length : close + 1;
    } else {
      const tag = readTag(html, i);
      if (tag) {
        next = tag.end;
        const inCode = code.length > 0;
        const { name } = tag;
        if (!inCode || ALLOWED.has(name)) {
          if (name === 'pre' || name === 'code') {
            if (!tag.closing) code.push(name);
            else if (code.includes(name)) code.splice(code.lastIndexOf(name));
          } else if (!inCode && !tag.closing && RAW_TEXT.has(name)) {
            const close = new RegExp(`</${name}`, 'ig');
            close.lastIndex = tag.end;
            next = close.exec(html)?.index ?? html.length;
          }
        } else if (tag.closing ? kept.includes(name) : isDropped(name, attribsOf(tag), selectors)) {
          if (tag.closing) kept.splice(kept.lastIndexOf(name), 1);
          else kept.push(name);
        } else {
          out.push(html.slice(last, i), html.slice(i, tag.end).replace(/</g, '&lt;'));
          last = tag.end;
        }
      }
    }
    i = html.indexOf('<', next);
  }
  out.push(html.slice(last));
  return out.join('');
}

export interface CleanResult {
  html: string;
  /** The same HTML without author lines (BYLINE_CLASSES): what summaries are made from. */
  summaryHtml: string;
  /** Absolute URLs of the images removed with a dropped block (dropSelectors, hidden elements). */
  droppedImages: string[];
  /** Absolute URLs of images kept but only decorating: avatars, icons, smaller than MIN_LEAD_IMAGE_PX. */
  decorativeImages: string[];
}

/** Cleans untrusted article HTML into the safe subset that feeds and pages publish. Idempotent. */
export function cleanHtml(html: string, opts: CleanOptions): string {
  return cleanHtmlWithReport(html, opts).html;
}

// The same tags as TEXT_TAGS, the most frequent in scraped articles first: sanitize-html looks each
// tag up with indexOf.
const ALLOWED_TAGS = [
  'p', 'a', 'img', 'br', 'span', 'div', 'strong', 'section', 'b', 'em', 'figure', 'li', 'h2', 'h3',
  ...TEXT_TAGS.filter((t) => !['p', 'a', 'img', 'br', 'span', 'div', 'strong', 'section', 'b', 'em', 'figure', 'li', 'h2', 'h3'].includes(t)),
  DROP_TAG, BYLINE_TAG,
];

/**
 * cleanHtml, also telling which images went with dropped blocks (so none becomes a lead image).
 * sanitize-html is given only the work that can change the result: the per-tag rewrite runs on every
 * tag only when some rule may remove an element or mark an author line (mayBeDroppedOrByline), else on
 * the REWRITTEN tags alone; code escaping, the nesting cap, the drop pass and the author-line pass run
 * only when they can apply. test/core/clean-equal.test.ts checks the output against the cleaner
 * without these shortcuts.
 */
export function cleanHtmlWithReport(html: string, opts: CleanOptions): CleanResult {
  const selectors = opts.dropSelectors.map(parseSelector);
  const images: ImageLog = { dropped: [], decorative: [] };
  const input = capNesting(escapeMarkupInCode(html, selectors));
  const resolve = resolver(opts.baseUrl);
  const all = (tag: string, attribs: Record<string, string>) => rewrite(tag, attribs, resolve, selectors, images);
  let transformTags: Record<string, (tag: string, attribs: Record<string, string>) => { tagName: string; attribs: Record<string, string>; text?: string }>;
  if (mayBeDroppedOrByline(input, selectors)) {
    transformTags = {
      // The specific transforms run first and can set the link text of a dropped embed.
      iframe: all,
      embed: all,
      object: all,
      '*': all,
    };
  } else {
    // The same calls, made only for the tags whose rewrite can differ from the tag as it came: an
    // embed goes through rewrite twice, as the specific transform and then '*' do above.
    transformTags = {};
    for (const t of REWRITTEN) transformTags[t] = all;
    for (const t of ['iframe', 'embed', 'object']) {
      transformTags[t] = (tag, attribs) => {
        const first = all(tag, attribs);
        const second = all(first.tagName, first.attribs);
        return { ...second, text: first.text } as { tagName: string; attribs: Record<string, string>; text?: string };
      };
    }
  }
  const out = sanitizeHtml(input, {
    allowedTags: ALLOWED_TAGS,
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
    transformTags,
  });
  const kept = out.includes(`<${DROP_TAG}>`) ? removeUntilStable(out, DROP_BLOCK, (block) => images.dropped.push(...imageUrls(block))) : out;
  const cleaned = removeUntilStable(kept.replace(BYLINE_MARK, ''), EMPTY_WRAPPER).trim();
  return {
    html: cleaned,
    // Without an author-line mark, both passes see the same string.
    summaryHtml: kept.includes(`${BYLINE_TAG}>`) ? removeUntilStable(removeUntilStable(kept, BYLINE_BLOCK), EMPTY_WRAPPER).trim() : cleaned,
    droppedImages: images.dropped,
    decorativeImages: images.decorative,
  };
}

/** The `src` of every `<img>` in cleaned HTML, decoded. */
export function imageUrls(cleanedHtml: string): string[] {
  return [...cleanedHtml.matchAll(/<img\b[^>]*?\ssrc="([^"]*)"/g)].map((m) => decodeHTML(m[1]!));
}

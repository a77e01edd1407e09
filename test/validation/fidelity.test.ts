// Text fidelity over the whole corpus: the visible text of every cleaned body, minus what the rules in
// docs/feeds.md remove (plus the links they leave for embeds and the code they keep as literal text),
// equals the visible text of the source. The source is read by parse5, a spec-compliant HTML parser
// independent of the cleaner's htmlparser2, and the rules are restated here from the documentation.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseFragment, type DefaultTreeAdapterMap } from 'parse5';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadSettings } from '../../src/cli/config.js';
import { parseArticle } from '../../src/core/article.js';
import { cleanHtml } from '../../src/core/clean.js';
import { permalink } from '../../src/core/entry.js';
import { renderMarkdown } from '../../src/core/markdown.js';
import type { Settings } from '../../src/core/settings.js';
import { CORPUS_DIR } from '../helpers/feeds.js';

type Node = DefaultTreeAdapterMap['node'];
type Element = DefaultTreeAdapterMap['element'];

const ROOT = path.resolve(import.meta.dirname, '../..');

// docs/feeds.md, "Cleaning": what the cleaner keeps as markup, and what it removes with its content.
const ALLOWED = new Set(
  ('p h1 h2 h3 h4 h5 h6 ul ol li dl dt dd blockquote pre code table caption thead tbody tfoot tr th td colgroup col ' +
    'figure figcaption a img picture source video audio track br hr strong em b i u s del ins sub sup small mark q cite ' +
    'abbr kbd samp var time div section article span details summary').split(' '),
);
const REMOVED_WITH_CONTENT = new Set(
  'script style iframe object embed form noscript template textarea select option button svg math title head frameset frame applet'.split(' '),
);
const EMBEDS = new Set(['iframe', 'object', 'embed']);
const RAW_TEXT = new Set(['script', 'style', 'textarea', 'title', 'xmp']);
const FURNITURE = ['copy-code-btn', 'code-copy-btn', 'copy-code-button', 'code-copy-button', 'copy-btn', 'btn-copy', 'copy-button', 'hljs-copy', 'copy-to-clipboard'];

const isElement = (n: Node): n is Element => 'tagName' in n;
const attr = (el: Element, name: string) => el.attrs.find((a) => a.name === name)?.value;

/** The rules that remove an element with its content wherever it is: dropSelectors, hidden, furniture. */
function removedByRule(el: Element, dropSelectors: readonly string[]): string | null {
  const classes = (attr(el, 'class') ?? '').split(/\s+/).filter(Boolean);
  if (attr(el, 'hidden') !== undefined) return 'hidden';
  if (attr(el, 'aria-hidden')?.trim().toLowerCase() === 'true') return 'aria-hidden';
  if (/(^|;)\s*display\s*:\s*none\s*(!\s*important\s*)?(;|$)/i.test(attr(el, 'style') ?? '')) return 'display:none';
  if (classes.some((c) => FURNITURE.includes(c))) return 'furniture';
  for (const sel of dropSelectors) {
    const m = /^([a-z][a-z0-9-]*)?(?:\.([\w-]+)|#([\w-]+))?$/i.exec(sel)!;
    if ((!m[1] || m[1].toLowerCase() === el.tagName) && (!m[2] || classes.includes(m[2])) && (!m[3] || attr(el, 'id') === m[3])) return sel;
  }
  return null;
}

/** Text as an HTML parser reads it (character references decoded). */
const decoded = (raw: string) => text(parseFragment(raw.replace(/</g, '&lt;')));
const text = (n: Node): string => ('value' in n && n.nodeName === '#text' ? n.value : 'childNodes' in n ? n.childNodes.map(text).join('') : '');

interface Removal {
  rule: string;
  text: string;
}

/**
 * The source's visible text, with the documented rules applied: removed subtrees are recorded (not
 * counted), embeds become their URL, and inside pre/code a disallowed element shows its own tags as
 * written, its content read as ordinary HTML.
 */
function expectedText(html: string, base: string, dropSelectors: readonly string[], removals: Removal[]): string {
  const walk = (n: Node, src: string, inCode: boolean): string => {
    if (n.nodeName === '#text') return (n as DefaultTreeAdapterMap['textNode']).value;
    if (!isElement(n) && !('childNodes' in n)) return '';
    if (!isElement(n)) return n.childNodes.map((c) => walk(c, src, inCode)).join('');
    const el = n;
    const rule = removedByRule(el, dropSelectors);
    if (rule) {
      removals.push({ rule, text: text(el) });
      return '';
    }
    const tag = el.tagName;
    if (inCode && !ALLOWED.has(tag)) {
      const loc = el.sourceCodeLocation;
      const start = loc?.startTag ? decoded(src.slice(loc.startTag.startOffset, loc.startTag.endOffset)) : '';
      const end = loc?.endTag ? decoded(src.slice(loc.endTag.startOffset, loc.endTag.endOffset)) : '';
      let inner: string;
      if (RAW_TEXT.has(tag) && loc?.startTag) {
        // Once its tags are literal text, a raw-text element's content is ordinary HTML.
        const raw = src.slice(loc.startTag.endOffset, loc.endTag ? loc.endTag.startOffset : loc.endOffset);
        inner = walk(parseFragment(raw, { sourceCodeLocationInfo: true }), raw, true);
      } else inner = el.childNodes.map((c) => walk(c, src, true)).join('');
      return start + inner + end;
    }
    if (REMOVED_WITH_CONTENT.has(tag)) {
      removals.push({ rule: `<${tag}>`, text: text(el) });
      if (!EMBEDS.has(tag)) return '';
      const raw = attr(el, 'src') ?? attr(el, 'data') ?? '';
      try {
        const u = new URL(raw.trim().startsWith('//') ? 'https:' + raw.trim() : raw.trim(), base);
        return raw.trim() && (u.protocol === 'http:' || u.protocol === 'https:') ? u.href : '';
      } catch {
        return '';
      }
    }
    return el.childNodes.map((c) => walk(c, src, inCode || tag === 'pre' || tag === 'code')).join('');
  };
  return walk(parseFragment(html, { sourceCodeLocationInfo: true }), html, false);
}

/** White space (including U+00A0 and U+3000) carries no text here: layout may add or drop it. */
const squash = (s: string) => s.replace(/[\s\u200b]+/g, '');

let settings: Settings;
const articles: { file: string; html: string; cleaned: string; base: string }[] = [];

beforeAll(async () => {
  settings = await loadSettings(ROOT);
  for (const file of readdirSync(CORPUS_DIR).filter((f) => f.endsWith('.md')).sort()) {
    const id = file.slice(0, -3);
    const { article } = parseArticle({ id, file, bytes: readFileSync(path.join(CORPUS_DIR, file)), uploadedAt: new Date(0) }, settings, renderMarkdown);
    const base = permalink(settings.siteUrl, id);
    articles.push({ file, html: article.html, base, cleaned: cleanHtml(article.html, { baseUrl: base, dropSelectors: settings.dropSelectors }) });
  }
});

describe('no text is lost in cleaning', () => {
  it('for every corpus article, cleaned text = source text − documented removals (+ embed links, + literal code tags)', () => {
    expect(articles).toHaveLength(90);
    const problems: string[] = [];
    for (const a of articles) {
      const removals: Removal[] = [];
      const expected = squash(expectedText(a.html, a.base, settings.dropSelectors, removals));
      const actual = squash(text(parseFragment(a.cleaned)));
      if (expected !== actual) {
        let i = 0;
        while (i < expected.length && expected[i] === actual[i]) i++;
        problems.push(`${a.file}: differs at ${i}: expected …${expected.slice(Math.max(0, i - 30), i + 60)}… got …${actual.slice(Math.max(0, i - 30), i + 60)}…`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('the rules remove exactly the furniture the issue names, and the comparison sees it (the test can fail)', () => {
    const removedIn = (file: string) => {
      const a = articles.find((x) => x.file === file)!;
      const removals: Removal[] = [];
      expectedText(a.html, a.base, settings.dropSelectors, removals);
      return removals;
    };
    // juejin-01: the copy buttons go; the JSX lines stay, as written.
    expect(removedIn('juejin-01.md').filter((r) => r.rule === 'furniture').map((r) => r.text)).toEqual(['复制代码', '复制代码']);
    const juejin = text(parseFragment(articles.find((x) => x.file === 'juejin-01.md')!.cleaned));
    expect(juejin).toContain("<button onClick={()=>{this.props.history.push('/detail/88')}}>去详情页</button>");
    expect(juejin).toContain('<Route exact path="/detail/:id" component={Detail}></Route>');
    expect(juejin).toContain('<Route exact path="/detail" component={Detail}></Route>');
    expect(juejin).not.toContain('复制代码');
    // sspai-01: the hidden side bar with its share counters and 扫码分享.
    const sspai = removedIn('sspai-01.md');
    expect(sspai.some((r) => r.rule === 'display:none' && r.text.includes('扫码分享'))).toBe(true);
    expect(text(parseFragment(articles.find((x) => x.file === 'sspai-01.md')!.cleaned))).not.toContain('扫码分享');
    // zhihu-01: the link the source hides stays hidden.
    expect(removedIn('zhihu-01.md')).toEqual([expect.objectContaining({ rule: 'hidden', text: '查看知乎原文' })]);
    expect(articles.find((x) => x.file === 'zhihu-01.md')!.cleaned).not.toContain('查看知乎原文');
    // sina-finance: the QR promo block (dropSelectors).
    expect(removedIn('sina-finance-01.md').some((r) => r.rule === '.appendQr_wrap' && r.text.includes('新浪财经APP'))).toBe(true);
    // A cleaner that lost text would be caught: drop one paragraph and compare.
    const a = articles.find((x) => x.file === 'juejin-01.md')!;
    const broken = a.cleaned.replace('隐式传参', '');
    expect(squash(text(parseFragment(broken)))).not.toBe(squash(expectedText(a.html, a.base, settings.dropSelectors, [])));
  });
});

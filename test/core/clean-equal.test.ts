// The cleaner's shortcuts (src/core/clean.ts: the per-tag rewrite only where a rule may apply, code
// escaping, nesting cap, drop and author-line passes only when they can apply) change no output:
// every corpus article and generated HTML (fixed seed) cleaned by the current cleaner and by the
// cleaner before them (test/core/clean-before.ts) give the same html, summaryHtml and image lists.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseArticle } from '../../src/core/article.js';
import { cleanHtmlWithReport } from '../../src/core/clean.js';
import { renderMarkdown } from '../../src/core/markdown.js';
import { DEFAULT_SETTINGS } from '../../src/core/settings.js';
import { CORPUS_DIR } from '../helpers/feeds.js';
import { cleanHtmlWithReport as cleanBefore } from './clean-before.js';

const SELECTOR_SETS: string[][] = [
  [],
  ['.appendQr_wrap', '.article-editor'],
  ['.promo', '#ad'],
  ['div.promo'],
  ['aside'],
  ['.author', 'span.note'],
  ['#top', 'p.x'],
];
const BASE = 'https://feeds.example.com/articles/a/';

function same(html: string, dropSelectors: readonly string[]): void {
  const opts = { baseUrl: BASE, dropSelectors };
  expect(cleanHtmlWithReport(html, opts)).toEqual(cleanBefore(html, opts));
}

describe('the cleaner with its shortcuts', () => {
  it('cleans every corpus article as before, with every selector set', () => {
    const files = readdirSync(CORPUS_DIR).filter((f) => f.endsWith('.md'));
    expect(files.length).toBeGreaterThanOrEqual(90);
    for (const f of files) {
      const bytes = new Uint8Array(readFileSync(path.join(CORPUS_DIR, f)));
      const { article } = parseArticle({ id: f.slice(0, -3), file: f, bytes, uploadedAt: new Date(0) }, DEFAULT_SETTINGS, renderMarkdown);
      for (const set of SELECTOR_SETS) same(article.html, set);
    }
  });

  it('cleans each rule alone as before: one trigger per document', () => {
    const docs = [
      '<aside>gone</aside><p>kept</p>', '<div class="promo">gone</div><p>kept</p>', '<div class="pr&#111;mo">gone</div>', '<p id="ad">gone</p>x',
      '<div class="note">x</div><span class="note">gone</span>', '<p class="x">gone</p><p>kept</p>', '<div id="top">gone</div>',
      '<p class="bio">by me</p><p>text</p>', '<p class="author">by me</p><p>text</p>', '<div class="writer">w</div>t', '<span class="byline">b</span>t',
      '<span class="a&#117;thor">by</span>t', '<div class="author-info">a</div>t', '<p hidden>gone</p>t', '<p HIDDEN>gone</p>t',
      '<p aria-hidden="true">gone</p>t', '<p aria-hidden=" TRUE ">gone</p>t', '<p style="display:none">gone</p>t', '<p style="DISPLAY : none">gone</p>t',
      '<p style="display&#58;none">gone</p>t', '<p style="display&colon;&#x20;none">gone</p>t', '<button class="copy-btn">复制代码</button><pre><code>x</code></pre>',
      '<span class="hljs-copy">c</span>t', '<PRE><Route path="/x">a</Route></PRE>', '<Code>List<String></Code>', '<pre>a <b>b</b> <x-y>c</x-y></pre>',
      '<iframe src="//v.example/x"></iframe>', '<embed src="v.mp4">', '<object data="https://o.example/o"></object>', '<iframe src="javascript:x"></iframe>',
      '<img src="a.png" width="40">', '<img class="avatar" src="a.png">', '<img data-src="//cdn.example/b.jpg" src="x.gif">', '<syndic-drop>gone</syndic-drop>t',
      '<syndic-byline>by</syndic-byline>t', '<p></p><div> <br> </div>t', '<a href="../x">l</a>',
    ];
    for (const doc of docs) for (const set of SELECTOR_SETS) same(doc, set);
  });

  // Pieces chosen to reach every shortcut's edge: rule names written plainly, entity-encoded, in
  // other attributes and in text; hidden attributes in any case; code blocks with disallowed tags;
  // embeds; the drop and author-line tags written literally; nesting past the cap.
  const word = fc.constantFrom('author', '&#97;uthor', 'au&#x74;hor', 'byline', 'bio', 'writer', 'copy-btn', 'hljs-copy', 'co&#112;y-button', 'promo', 'pr&#111;mo', 'ad', 'top', 'x', 'note', 'appendQr_wrap', 'lead', 'avatar', 'plain', '');
  const attr = fc.oneof(
    word.map((w) => ` class="${w}"`),
    fc.tuple(word, word).map(([a, b]) => ` class='${a} ${b}'`),
    word.map((w) => ` id=${w || 'x'}`),
    fc.constantFrom(' hidden', ' HIDDEN', ' aria-hidden="true"', ' aria-hidden=" TRUE "', ' aria-hidden="false"', ' data-hidden="1"'),
    fc.constantFrom(' style="display:none"', ' style="color: red; DISPLAY : none !important"', ' style="display&#58;none"', ' style="display: block"', ' style="width: 48px"'),
    fc.constantFrom(' src="img/a.png"', ' data-src="//cdn.example.com/b.jpg"', ' src="javascript:alert(1)"', ' href="../c"', ' href="mailto:a@b.c"', ' width="40"', ' srcset="a.png 1x, b.png 2x"', ' title="a &amp; b"'),
  );
  const tagName = fc.constantFrom('p', 'div', 'span', 'a', 'img', 'iframe', 'embed', 'object', 'video', 'source', 'pre', 'code', 'PRE', 'Code', 'section', 'aside', 'button', 'script', 'style', 'svg', 'syndic-drop', 'syndic-byline', 'Route', 'b', 'li', 'ul');
  const text = fc.constantFrom('text', ' ', '中文内容', 'a < b', 'x & y', '&nbsp;', 'author', 'display: none', 'hidden', '<br>', '<!-- c -->', 'List<String>', '</div>', '<', '>');
  const node: fc.Memo<string> = fc.memo((n) =>
    n <= 1
      ? text
      : fc.oneof(
          { weight: 2, arbitrary: text },
          { weight: 3, arbitrary: fc.tuple(tagName, fc.array(attr, { maxLength: 3 }), fc.array(node(n - 1), { maxLength: 4 }), fc.boolean()).map(([t, a, kids, close]) => `<${t}${a.join('')}>${kids.join('')}${close ? `</${t}>` : ''}`) },
        ),
  );
  const deep = fc.tuple(fc.integer({ min: 250, max: 270 }), fc.constantFrom('div', 'span', 'section'), node(3)).map(([d, t, inner]) => `<${t}>`.repeat(d) + inner + `</${t}>`.repeat(d));
  // Small documents often hold a single rule's trigger, so that each probe is tested alone.
  const html = fc.oneof(
    { weight: 6, arbitrary: fc.array(node(3), { maxLength: 2 }).map((xs) => xs.join('')) },
    { weight: 3, arbitrary: fc.array(node(5), { maxLength: 6 }).map((xs) => xs.join('')) },
    { weight: 1, arbitrary: deep },
  );

  it('cleans generated HTML as before (fixed seed)', () => {
    fc.assert(
      fc.property(html, fc.constantFrom(...SELECTOR_SETS), (h, set) => same(h, set)),
      { seed: 20261202, numRuns: Number(process.env.CLEAN_EQUAL_RUNS ?? 3000) },
    );
  });
});

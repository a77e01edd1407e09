// The cleaning policy: an explicit allowlist, safe URLs, the fixes scraped articles need, idempotence.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseArticle } from '../../src/core/article.js';
import { absoluteUrl, cleanHtml, cleanHtmlWithReport } from '../../src/core/clean.js';
import { renderMarkdown } from '../../src/core/markdown.js';
import { resolveSettings } from '../../src/core/settings.js';
import { CORPUS_DIR } from '../helpers/feeds.js';

const BASE = 'https://site.example/articles/a/';
const DROP = ['.appendQr_wrap', '.article-editor'];
const clean = (html: string, dropSelectors: string[] = DROP) => cleanHtml(html, { baseUrl: BASE, dropSelectors });

describe('allowlist', () => {
  it('keeps the text-structure tags', () => {
    const kept = [
      '<p>p</p>', '<h1>h</h1>', '<h2>h</h2>', '<h3>h</h3>', '<h4>h</h4>', '<h5>h</h5>', '<h6>h</h6>',
      '<ul><li>a</li></ul>', '<ol><li>a</li></ol>', '<blockquote>q</blockquote>', '<pre><code>c</code></pre>',
      '<table><thead><tr><th>h</th></tr></thead><tbody><tr><td>d</td></tr></tbody></table>',
      '<figure><img src="https://i.example/a.png" referrerpolicy="no-referrer" /><figcaption>cap</figcaption></figure>',
      '<p><a href="https://x.example/">a</a></p>', '<picture><source srcset="https://i.example/a.webp" /></picture>',
      '<video src="https://v.example/a.mp4" controls></video>', '<audio src="https://v.example/a.mp3" controls></audio>',
      '<p>a<br />b</p>', '<hr />', '<p><strong>s</strong><em>e</em><b>b</b><i>i</i><u>u</u><s>s</s><sub>1</sub><sup>2</sup></p>',
    ];
    for (const html of kept) expect(clean(html), html).toBe(html);
  });

  it('drops script, style, iframe, object, embed, form and everything inside them', () => {
    for (const tag of ['script', 'style', 'form', 'textarea', 'svg', 'math', 'noscript', 'template', 'button', 'select']) {
      const out = clean(`<p>before</p><${tag}>secret <b>bold</b> text</${tag}><p>after</p>`);
      expect(out, tag).toBe('<p>before</p><p>after</p>');
    }
    for (const tag of ['iframe', 'object']) {
      const out = clean(`<p>x</p><${tag}>fallback <b>content</b></${tag}>`);
      expect(out, tag).not.toMatch(/fallback|content|<iframe|<object/);
    }
    expect(clean('<p>x</p><embed><p>y</p>')).not.toContain('<embed');
  });

  it('drops HTML comments, including conditional ones', () => {
    expect(clean('<p>a<!-- hidden -->b</p><!--[if IE]><p>ie</p><![endif]-->')).toBe('<p>ab</p>');
  });

  it('drops every event-handler attribute, inline style, class and id', () => {
    const out = clean('<p id="i" class="c" style="color:red" onclick="x()" onmouseover="y()" data-x="1" align="center">t</p><img src="https://i.example/a.png" onerror="x()" onload="y()" class="c">');
    expect(out).toBe('<p>t</p><img src="https://i.example/a.png" referrerpolicy="no-referrer" />');
  });

  it('unwraps tags outside the allowlist but keeps their text', () => {
    expect(clean('<p><font color="red">red</font> <custom-el>x</custom-el></p>')).toBe('<p>red x</p>');
  });
});

describe('URLs', () => {
  it('keeps http, https and mailto links', () => {
    expect(clean('<a href="http://a.example/x">a</a>')).toBe('<a href="http://a.example/x">a</a>');
    expect(clean('<a href="https://a.example/x?q=1&amp;r=2">a</a>')).toBe('<a href="https://a.example/x?q=1&amp;r=2">a</a>');
    expect(clean('<a href="mailto:me@a.example">m</a>')).toBe('<a href="mailto:me@a.example">m</a>');
  });

  it('drops javascript:, data:, vbscript: and custom schemes', () => {
    for (const href of ['javascript:alert(1)', 'JaVaScRiPt:alert(1)', ' javascript:alert(1)', 'data:text/html,<script>x</script>', 'vbscript:msgbox(1)', 'heybox://open?id=1', 'file:///etc/passwd']) {
      const out = clean(`<p><a href="${href}">link</a></p>`);
      expect(out, href).not.toContain('href');
      expect(out, href).toContain('link');
    }
    expect(clean('<img src="data:image/png;base64,AAAA">')).not.toContain('data:');
  });

  it('turns protocol-relative URLs into https', () => {
    expect(clean('<img src="//i.example/a.png">')).toBe('<img src="https://i.example/a.png" referrerpolicy="no-referrer" />');
    expect(clean('<a href="//a.example/x">a</a>')).toBe('<a href="https://a.example/x">a</a>');
    expect(absoluteUrl('//h.example/p', 'http://base.example/')).toBe('https://h.example/p');
  });

  it('makes relative URLs absolute against the permalink', () => {
    expect(clean('<a href="/root">r</a>')).toBe('<a href="https://site.example/root">r</a>');
    expect(clean('<a href="sibling.html">s</a>')).toBe('<a href="https://site.example/articles/a/sibling.html">s</a>');
    expect(clean('<a href="../up">u</a>')).toBe('<a href="https://site.example/articles/up">u</a>');
    expect(clean('<img src="img/x.png">')).toBe('<img src="https://site.example/articles/a/img/x.png" referrerpolicy="no-referrer" />');
    expect(clean('<img srcset="a.png 1x, /b.png 2x">')).toContain('srcset="https://site.example/articles/a/a.png 1x, https://site.example/b.png 2x"');
  });
});

describe('images', () => {
  it('moves lazy-loaded URLs (data-src, data-original, data-actualsrc) into src', () => {
    for (const attr of ['data-src', 'data-original', 'data-actualsrc']) {
      const out = clean(`<img src="data:image/gif;base64,R0lGOD" ${attr}="//i.example/real.jpg">`);
      expect(out, attr).toBe('<img src="https://i.example/real.jpg" referrerpolicy="no-referrer" />');
    }
    expect(clean('<img src="/placeholder.gif" data-original="https://i.example/real.jpg">')).toContain('src="https://i.example/real.jpg"');
  });

  it('moves data-srcset into srcset', () => {
    expect(clean('<img data-src="https://i.example/a.jpg" data-srcset="https://i.example/a.jpg 1x, https://i.example/b.jpg 2x">')).toBe(
      '<img src="https://i.example/a.jpg" srcset="https://i.example/a.jpg 1x, https://i.example/b.jpg 2x" referrerpolicy="no-referrer" />',
    );
  });

  it('puts referrerpolicy="no-referrer" on every image, whatever it had', () => {
    expect(clean('<img src="https://i.example/a.png" referrerpolicy="unsafe-url">')).toBe('<img src="https://i.example/a.png" referrerpolicy="no-referrer" />');
    expect(clean('<img src="https://i.example/a.png">')).toContain('referrerpolicy="no-referrer"');
  });
});

describe('embeds', () => {
  it('an iframe, object or embed leaves a plain link to its source', () => {
    expect(clean('<p>Watch:</p><iframe src="//player.youku.com/embed/XNT==?x=1" allowfullscreen></iframe>')).toBe(
      '<p>Watch:</p><a href="https://player.youku.com/embed/XNT==?x=1">https://player.youku.com/embed/XNT==?x=1</a>',
    );
    expect(clean('<object data="https://v.example/movie.swf"><param name="a"></object>')).toBe('<a href="https://v.example/movie.swf">https://v.example/movie.swf</a>');
    expect(clean('<embed src="https://v.example/e.swf">')).toBe('<a href="https://v.example/e.swf">https://v.example/e.swf</a>');
  });

  it('an embed with a forbidden or missing source leaves nothing', () => {
    expect(clean('<p>a</p><iframe src="javascript:alert(1)"></iframe>')).toBe('<p>a</p>');
    expect(clean('<p>a</p><iframe srcdoc="<script>x</script>"></iframe>')).toBe('<p>a</p>');
  });
});

describe('empty wrappers and boilerplate', () => {
  it('removes wrappers left empty, including nested ones around nothing', () => {
    expect(clean('<p></p><div> </div><p>&nbsp;</p><span><br></span>text')).toBe('text');
    expect(clean('<div><p><span> <strong></strong> </span></p></div><p>kept</p>')).toBe('<p>kept</p>');
    expect(clean('<div><div><script>x</script></div></div><p>kept</p>')).toBe('<p>kept</p>');
    expect(clean('<div><p><a href="javascript:x"></a></p></div>')).toBe('');
  });

  it('keeps wrappers that hold an image, a line of text, or table cells', () => {
    expect(clean('<p><img src="https://i.example/a.png"></p>')).toBe('<p><img src="https://i.example/a.png" referrerpolicy="no-referrer" /></p>');
    expect(clean('<table><tr><td></td><td>x</td></tr></table>')).toContain('<td></td>');
    expect(clean('<p>0</p>')).toBe('<p>0</p>');
  });

  it('removes blocks matching dropSelectors with their content', () => {
    const html =
      '<p>Story</p><div class="appendQr_wrap"><div class="appendQr_normal"><img src="https://i.example/qr.png"><p>海量资讯、精准解读，尽在新浪财经APP</p></div></div>' +
      '<p class="article-editor">责任编辑：张三</p><p>End</p>';
    expect(clean(html)).toBe('<p>Story</p><p>End</p>');
    // Only when configured.
    expect(clean(html, [])).toContain('海量资讯');
  });

  it('matches dropSelectors by tag, class among several, and id', () => {
    expect(clean('<div class="a promo b">x</div><p>y</p>', ['.promo'])).toBe('<p>y</p>');
    expect(clean('<div class="promo">x</div><p class="promo">y</p>', ['p.promo'])).toBe('<div>x</div>');
    expect(clean('<div id="ad">x</div><p>y</p>', ['#ad'])).toBe('<p>y</p>');
    expect(clean('<aside>x</aside><p>y</p>', ['aside'])).toBe('<p>y</p>');
    expect(() => clean('<p>x</p>', ['div > p'])).toThrow(/unsupported selector/);
  });
});

describe('code is never lost (issue 12)', () => {
  it('keeps markup the cleaner does not allow inside <pre>/<code> as the literal text the author wrote', () => {
    expect(clean("<pre><code>{/* Home.js */}\n<button onClick={()=>{this.props.history.push('/detail/88')}}>去详情页</button>\n</code></pre>")).toBe(
      "<pre><code>{/* Home.js */}\n&lt;button onClick={()=&gt;{this.props.history.push('/detail/88')}}&gt;去详情页&lt;/button&gt;\n</code></pre>",
    );
    expect(clean('<pre><code><Route exact path="/detail/:id" component=&#123;Detail&#125;></Route></code></pre>')).toBe(
      '<pre><code>&lt;Route exact path="/detail/:id" component={Detail}&gt;&lt;/Route&gt;</code></pre>',
    );
    expect(clean('<p>Use <code>List<String></code> here</p>')).toBe('<p>Use <code>List&lt;String&gt;</code> here</p>');
    expect(clean('<pre><my-el title="<b>x</b>">y</my-el></pre>')).toBe('<pre>&lt;my-el title="&lt;b&gt;x&lt;/b&gt;"&gt;y&lt;/my-el&gt;</pre>');
  });

  it('keeps allowed markup inside code as markup, and reads a <style> or <script> sample as code, never running it', () => {
    expect(clean('<pre><code><span class="hljs-keyword">const</span> <b>x</b></code></pre>')).toBe('<pre><code><span>const</span> <b>x</b></code></pre>');
    expect(clean('<pre><code><style>\n* { <span class="hljs-attribute">padding</span>: 0; }\n</style></code></pre>')).toBe(
      '<pre><code>&lt;style&gt;\n* { <span>padding</span>: 0; }\n&lt;/style&gt;</code></pre>',
    );
    const script = clean('<pre><script>alert(1)</script></pre>');
    expect(script).toBe('<pre>&lt;script&gt;alert(1)&lt;/script&gt;</pre>');
    expect(script).not.toMatch(/<script/i);
    // Outside code, the same tags are still removed with their content.
    expect(clean('<p>a</p><script>alert(1)</script><button>b</button>')).toBe('<p>a</p>');
    // A code sample's tags end where HTML says a tag ends; an unclosed one runs to the end, as in a browser.
    expect(clean('<pre>a <x-y z="1>2">b</pre>')).toBe('<pre>a &lt;x-y z="1&gt;2"&gt;b</pre>');
  });

  it('removes copy-button furniture inside code and out, without showing its tags', () => {
    expect(clean('<pre><code>x = 1\n<span class="copy-code-btn">复制代码</span></code></pre>')).toBe('<pre><code>x = 1\n</code></pre>');
    expect(clean('<pre><code>x = 1<button class="btn copy-btn" onclick="copy()">复制代码</button></code></pre>')).toBe('<pre><code>x = 1</code></pre>');
    expect(clean('<div><button class="copy-button">Copy</button><pre>y</pre></div>')).toBe('<div><pre>y</pre></div>');
  });
});

describe('what the source hides stays hidden (issue 12)', () => {
  it('removes elements with `hidden`, aria-hidden="true" or an inline display:none, with their content', () => {
    expect(clean('<p>a</p><a href="https://z.example/" class="originUrl" hidden>查看知乎原文</a><p>b</p>')).toBe('<p>a</p><p>b</p>');
    expect(clean('<p>a<i class="fa" aria-hidden="true">icon</i>b</p><div aria-hidden="TRUE ">x</div>')).toBe('<p>ab</p>');
    expect(clean('<div style="width:1px;display:none;"><small>扫码分享</small></div><p style="DISPLAY : none !important">x</p><p>y</p>')).toBe('<p>y</p>');
    expect(clean('<pre><span hidden>secret</span>code</pre>')).toBe('<pre>code</pre>');
  });

  it('keeps what is visible: aria-hidden="false", display other than none, hidden-sounding classes', () => {
    expect(clean('<p aria-hidden="false">a</p><p style="display:block">b</p><p class="hidden-xs">c</p><p style="display:nonesuch">d</p>')).toBe(
      '<p>a</p><p>b</p><p>c</p><p>d</p>',
    );
  });

  it('reports the images that went with dropped or hidden blocks', () => {
    const r = cleanHtmlWithReport(
      '<p><img src="/kept.png"></p><div class="appendQr_wrap"><img src="https://n.sinaimg.cn/qr.png?a=1&amp;b=2"></div><img hidden data-src="//i.example/h.png">',
      { baseUrl: BASE, dropSelectors: DROP },
    );
    expect(r.html).toBe('<p><img src="https://site.example/kept.png" referrerpolicy="no-referrer" /></p>');
    expect(r.droppedImages.sort()).toEqual(['https://i.example/h.png', 'https://n.sinaimg.cn/qr.png?a=1&b=2']);
  });
});

describe('classic XSS vectors leave no script', () => {
  const vectors = [
    '<script>alert(1)</script>',
    '<SCRIPT SRC=https://xss.example/xss.js></SCRIPT>',
    '<img src=x onerror=alert(1)>',
    '<img src="x" onerror="alert(1)"//>',
    '<svg onload=alert(1)>',
    '<svg><script>alert(1)</script></svg>',
    '<math><mi xlink:href="javascript:alert(1)">x</mi></math>',
    '<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>',
    '<a href="jav&#x09;ascript:alert(1)">x</a>',
    '<a href="jav&#x0A;ascript:alert(1)">x</a>',
    '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">x</a>',
    '<a href="javascript&colon;alert(1)">x</a>',
    '<a href=" &#14; javascript:alert(1)">x</a>',
    '<scr<script>ipt>alert(1)</scr</script>ipt>',
    '<<script>script>alert(1)<</script>/script>',
    '<body onload=alert(1)>',
    '<iframe src="javascript:alert(1)"></iframe>',
    '<iframe srcdoc="&lt;script&gt;alert(1)&lt;/script&gt;"></iframe>',
    '<object data="javascript:alert(1)"></object>',
    '<embed src="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">',
    '<div style="background:url(javascript:alert(1))">x</div>',
    '<style>@import "https://xss.example/x.css";</style>',
    '<link rel="stylesheet" href="javascript:alert(1)">',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<form action="javascript:alert(1)"><input type="submit"></form>',
    '<button formaction="javascript:alert(1)">x</button>',
    '<details open ontoggle=alert(1)>x</details>',
    '<video><source onerror="alert(1)"></video>',
    '<video poster="javascript:alert(1)"></video>',
    '<table background="javascript:alert(1)"><tr><td>x</td></tr></table>',
    '<img src="x` `<script>alert(1)</script>"` `>',
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    '<!--<img src="--><img src=x onerror=alert(1)//">',
    '<a href="https://ok.example/" onclick="alert(1)">x</a>',
    '<xss onafterscriptexecute=alert(1)><script>1</script>',
    '<base href="javascript:alert(1)//">',
    '<img """><script>alert(1)</script>">',
    '<a href="vbscript:msgbox(1)">x</a>',
    '<template><script>alert(1)</script></template>',
    '<textarea><script>alert(1)</script></textarea>',
    '<title><script>alert(1)</script></title>',
  ];

  it.each(vectors)('%s', (v) => {
    const out = clean(v);
    expect(out).not.toMatch(/<script/i);
    expect(out).not.toMatch(/<[^>]*\son[a-z]+\s*=/i);
    expect(out).not.toMatch(/javascript:|vbscript:|data:text/i);
    expect(out).not.toMatch(/<(iframe|object|embed|style|svg|math|form|link|meta|base|body|input|button)\b/i);
    expect(out).not.toMatch(/ style=/i);
    expect(clean(out)).toBe(out);
  });
});

describe('idempotence', () => {
  const settings = resolveSettings({ dropSelectors: DROP });
  const corpus = readdirSync(CORPUS_DIR).filter((f) => f.endsWith('.md'));

  it('cleaning a clean corpus article changes nothing', () => {
    for (const f of corpus) {
      const { article } = parseArticle({ id: f, file: f, bytes: readFileSync(path.join(CORPUS_DIR, f)), uploadedAt: new Date(0) }, settings, renderMarkdown);
      const once = clean(article.html);
      expect(clean(once), f).toBe(once);
    }
  });

  const token = fc.constantFrom(
    '<p>', '</p>', '<div class="x">', '</div>', '<span>', '</span>', '<a href="/rel">', '<a href="javascript:x">', '</a>',
    '<img data-src="//i.example/a.jpg">', '<img src="x.png" onerror="y">', '<br>', '<hr>', '<b>', '</b>', '<em>', '</em>',
    '<strong>', '</strong>', '<pre>', '</pre>', '<code>', '</code>', '<ul>', '<li>', '</li>', '</ul>', '<table>', '<td>', '</table>',
    '<iframe src="//v.example/e">', '</iframe>', '<script>', '</script>', '<style>', '</style>', '<!-- c -->', '<!--', '-->',
    '<div class="appendQr_wrap">', '<div hidden>', '<span aria-hidden="true">', '<p style="display:none">', '<button class="copy-code-btn">',
    '</button>', '<pre><my-el a="<b>">', '</my-el>', '<code><Route path="/x">', '<blockquote>', '</blockquote>', '<figure>', '<figcaption>', '</figure>', '<h2>', '</h2>',
    '&nbsp;', '&amp;', '&lt;', '&gt;', '&quot;', '&#123;', '&', '<', '>', '"', "'", ' ', '  ', '\n', 'text', '中文', '🦈', '0',
  );

  it('cleaning generated HTML-ish strings twice equals cleaning them once', () => {
    fc.assert(
      fc.property(fc.array(token, { maxLength: 40 }), (tokens) => {
        const once = clean(tokens.join(''));
        return clean(once) === once;
      }),
      { numRuns: 1500 },
    );
  });

  it('holds for arbitrary strings too', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80, unit: fc.constantFrom('<', '>', '/', 'p', 'a', ' ', '=', '"', '&', ';', 'b', 'i', 'x', '!', '-', '\n') }), (s) => {
        const once = clean(s);
        return clean(once) === once;
      }),
      { numRuns: 1500 },
    );
  });
});

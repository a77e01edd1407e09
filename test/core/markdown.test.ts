// Body rendering: the corpus's indented raw HTML comes out as HTML; Markdown still works; deep nesting is safe.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseArticle } from '../../src/core/article.js';
import { renderMarkdown } from '../../src/core/markdown.js';
import { processArticle } from '../../src/core/pipeline.js';
import { resolveSettings } from '../../src/core/settings.js';
import { CORPUS_DIR } from '../helpers/feeds.js';

const settings = resolveSettings({});
const corpus = readdirSync(CORPUS_DIR)
  .filter((f) => f.endsWith('.md'))
  .map((f) => ({ file: f, bytes: readFileSync(path.join(CORPUS_DIR, f)) }));
/** Raw rendered body (before cleaning) of a corpus article. */
const rendered = (bytes: Uint8Array) =>
  parseArticle({ id: 'x', file: 'x.md', bytes, uploadedAt: new Date(0) }, settings, renderMarkdown).article.html;

function process(body: string) {
  const r = processArticle({ id: 'deep', file: 'deep.md', bytes: new TextEncoder().encode(`---\ntitle: Deep\n---\n${body}`), uploadedAt: new Date(0) }, settings);
  if (r.kind !== 'entry') throw new Error(`expected an entry, got ${r.kind}`);
  return r.entry.contentHtml;
}

describe('raw HTML bodies', () => {
  it('HTML indented by 12 spaces after blank lines stays HTML, never code or escaped text', () => {
    const html = renderMarkdown('<div>   \n<p>First</p>\n\n            <p>Second &amp; <b>bold</b></p>\n\n            <div class="x">Third</div>\n            \n</div>');
    expect(html).toContain('<p>Second &amp; <b>bold</b></p>');
    expect(html).toContain('<div class="x">Third</div>');
    expect(html).not.toContain('<code>');
    expect(html).not.toContain('&lt;');
  });

  it('every corpus article renders without code blocks made from indented HTML, and without escaped tags', () => {
    let indented = 0;
    for (const { file, bytes } of corpus) {
      const text = new TextDecoder().decode(bytes);
      if (/\n\n {12}</.test(text)) indented++;
      const html = rendered(bytes);
      // The corpus's only <pre> blocks are raw HTML ones; none may come from indentation.
      expect((html.match(/<pre/g) ?? []).length, file).toBe((text.match(/<pre/g) ?? []).length);
      expect(html, file).not.toMatch(/&lt;(div|p|img|span|a|br|figure|section|strong|!--)[\s>/]/);
    }
    expect(indented).toBeGreaterThan(10);
  });

  it('keeps the whitespace of raw <pre> blocks, even across blank lines, and does not read Markdown in them', () => {
    const src = '<div class="highlight"><pre class="highlight"><code>int main() {\n\n    /* a */ x * y * z;\n        return 0;\n}\n</code></pre></div>\n\nAfter *this*.';
    const html = renderMarkdown(src);
    expect(html).toContain('<pre class="highlight"><code>int main() {\n\n    /* a */ x * y * z;\n        return 0;\n}\n</code></pre>');
    expect(html).not.toMatch(/<pre[\s\S]*<(p|em)>[\s\S]*<\/pre>/);
    expect(html).toContain('After <em>this</em>.');
  });

  it('keeps the corpus <pre> code (aliyun-01) indented and free of Markdown emphasis', () => {
    const html = rendered(readFileSync(path.join(CORPUS_DIR, 'aliyun-01.md')));
    const pres = html.match(/<pre[\s\S]*?<\/pre>/g) ?? [];
    expect(pres.length).toBeGreaterThan(0);
    for (const pre of pres) {
      expect(pre).not.toMatch(/<\/?(p|em|strong)>/);
      expect(pre).toMatch(/\n {8}<span/);
    }
  });
});

describe('Markdown', () => {
  it('renders fenced code as code, with < and & escaped', () => {
    const html = renderMarkdown('Text\n\n```html\n<div onclick="x()">a & b</div>\n    <p>indented</p>\n```\n');
    expect(html).toContain('<pre><code class="language-html">&lt;div onclick=&quot;x()&quot;&gt;a &amp; b&lt;/div&gt;\n    &lt;p&gt;indented&lt;/p&gt;\n</code></pre>');
  });

  it('shows a <pre> inside fenced code as text', () => {
    expect(renderMarkdown('```\n<pre>x</pre>\n```')).toContain('&lt;pre&gt;x&lt;/pre&gt;');
    expect(renderMarkdown('Use `<pre>x</pre>` here')).toContain('<code>&lt;pre&gt;x&lt;/pre&gt;</code>');
  });

  it('renders headings, lists, links and emphasis', () => {
    const html = renderMarkdown('# Title\n\n- one\n- two\n\n[link](https://example.com) and **bold**');
    expect(html).toContain('<h1>Title</h1>');
    expect(html).toContain('<li>one</li>');
    expect(html).toContain('<a href="https://example.com">link</a>');
    expect(html).toContain('<strong>bold</strong>');
  });

  it('does not turn 4-space indented text into code', () => {
    expect(renderMarkdown('Para\n\n    still a paragraph')).not.toContain('<code>');
  });
});

describe('deeply nested input', () => {
  it('handles 100,000 nested <div>s without a stack overflow, keeping the text', () => {
    const html = process('<div>'.repeat(100_000) + 'deep text' + '</div>'.repeat(100_000));
    expect(html).toContain('deep text');
    expect(html.length).toBeLessThan(100_000);
  });

  it('handles 100,000 unclosed <b><i> and <span> tags', () => {
    expect(process('<b><i>'.repeat(50_000) + 'inner')).toContain('inner');
    expect(process('<span>'.repeat(100_000) + 'inner' + '</span>'.repeat(100_000))).toContain('inner');
  });

  it('handles 10,000 nested `>` blockquotes and 10,000 nested list markers', () => {
    expect(() => process('>'.repeat(10_000) + ' quoted')).not.toThrow();
    expect(() => process('- '.repeat(10_000) + 'item')).not.toThrow();
    expect(() => process('*'.repeat(50_000) + 'x' + '*'.repeat(50_000))).not.toThrow();
  });

  it('keeps moderately nested real structure intact', () => {
    const html = process('<div>'.repeat(40) + '<p>kept</p>' + '</div>'.repeat(40));
    expect(html).toBe('<div>'.repeat(40) + '<p>kept</p>' + '</div>'.repeat(40));
  });
});

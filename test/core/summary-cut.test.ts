// summarize reads only the start of a long article when that already holds enough text
// (src/core/summary.ts, readableCut): the summary must be the one the whole text gives, for the
// corpus and for generated HTML (fixed seed) with the shapes that could break the cut: tags
// across lines, stray `<` and `>`, author lines, bare URLs, entities, short and long texts.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseArticle } from '../../src/core/article.js';
import { cleanHtmlWithReport } from '../../src/core/clean.js';
import { renderMarkdown } from '../../src/core/markdown.js';
import { DEFAULT_SETTINGS } from '../../src/core/settings.js';
import { mediaDescription, readableCut, summarize, summaryText } from '../../src/core/summary.js';
import { truncate } from '../../src/core/text.js';
import { CORPUS_DIR } from '../helpers/feeds.js';

/** summarize as it was: the whole text, then truncate. */
const whole = (html: string, title: string, max: number) => truncate(summaryText(html) || mediaDescription(html) || title, max);

describe('summarize on the start of a long article', () => {
  it('gives the summary of the whole text for every corpus article, alone and repeated past the cut', () => {
    const files = readdirSync(CORPUS_DIR).filter((f) => f.endsWith('.md'));
    expect(files.length).toBeGreaterThanOrEqual(90);
    let cut = 0;
    for (const f of files) {
      const bytes = new Uint8Array(readFileSync(path.join(CORPUS_DIR, f)));
      const { article } = parseArticle({ id: f.slice(0, -3), file: f, bytes, uploadedAt: new Date(0) }, DEFAULT_SETTINGS, renderMarkdown);
      const html = cleanHtmlWithReport(article.html, { baseUrl: 'https://feeds.example.com/a/', dropSelectors: [] }).summaryHtml;
      for (const doc of [html, html + '\n' + html + '\n' + html]) {
        if (readableCut(doc, 1024) >= 0) cut++;
        for (const max of [10, 200, 3000]) expect(summarize(doc, doc, 'T', max)).toBe(whole(doc, 'T', max));
      }
    }
    // The cut is taken on most long articles (else this test would prove nothing about it).
    expect(cut).toBeGreaterThan(30);
  });

  it('gives the summary of the whole text for generated HTML', () => {
    const wellFormed = fc.constantFrom(
      '<p>', '</p>', '<div>', '</div>', '<br />', '<img src="a.png" alt="pic">', '<img alt="x\ny">', '<a href="https://x.example/">', '</a>',
      '<span title="a\nb">', '</span>', '\n', '\n\n', '\n\n\n', ' ', '文/张三', 'By Jane Doe', '记者 李四', 'https://example.com/x', 'www.example.org',
      '&amp;', '&nbsp;', '&lt;p&gt;', '中文内容很长的一句话，', 'Some plain text. ', 'word '.repeat(40), '长'.repeat(300), '<li>', '</li>',
      '<h2>', '</h2>', '<!-- c -->', '\u0001',
    );
    // Where the cut must not be taken: a `<` or `>` that is not a whole tag.
    const stray = fc.constantFrom('<', '>', '<p title="<x">', '<caption\n', 'caption>', '<img\n', 'a > b');
    const doc = fc.oneof(
      fc.array(wellFormed, { maxLength: 600, size: 'max' }),
      fc.tuple(fc.array(wellFormed, { maxLength: 600, size: 'max' }), stray, fc.nat(600)).map(([a, s, at]) => [...a.slice(0, at), s, ...a.slice(at)]),
    ).map((a) => a.join(''));
    let cut = 0;
    fc.assert(
      fc.property(doc, fc.constantFrom(5, 50, 200, 2100), (html, max) => {
        if (readableCut(html, 1024) >= 0) cut++;
        expect(summarize(html, html, 'T', max)).toBe(whole(html, 'T', max));
      }),
      { seed: 20261202, numRuns: 400 },
    );
    expect(cut).toBeGreaterThan(50);
  });

  it('finds no cut inside a tag or after a stray bracket', () => {
    const pad = 'x'.repeat(10);
    expect(readableCut(`<p>${pad}\n${pad}</p>`, 0)).toBe(3 + pad.length);
    expect(readableCut(`<a title="\n">x\ny`, 0)).toBe(14);
    expect(readableCut(`a > b\nc`, 0)).toBe(-1);
    expect(readableCut(`<p <b>\nc`, 0)).toBe(-1);
    expect(readableCut(`<p\n`, 0)).toBe(-1);
    expect(readableCut(`<p>abc`, 0)).toBe(-1);
  });
});

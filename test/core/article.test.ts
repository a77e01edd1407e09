// Parsing rules of issue 2: front matter as the corpus writes it, dates, fields, drafts, and every rejection.
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { ArticleError, parseArticle, type Article } from '../../src/core/article.js';
import { parseDate } from '../../src/core/dates.js';
import { renderMarkdown } from '../../src/core/markdown.js';
import { processArticle } from '../../src/core/pipeline.js';
import { resolveSettings, type Settings } from '../../src/core/settings.js';
import { buildSite } from '../../src/core/site.js';
import type { Entry } from '../../src/core/entry.js';

const UPLOADED = new Date('2023-05-06T07:08:09.000Z');
const enc = (s: string) => new TextEncoder().encode(s);

function parse(src: string | Uint8Array, settings: Partial<Settings> = {}, file = 'posts/a.md') {
  return parseArticle(
    { id: 'posts/a', file, bytes: typeof src === 'string' ? enc(src) : src, uploadedAt: UPLOADED },
    resolveSettings(settings),
    renderMarkdown,
  );
}
const article = (src: string, settings: Partial<Settings> = {}): Article => parse(src, settings).article;
const fm = (lines: string, body = 'Body') => `---\n${lines}\n---\n${body}`;

/** The ArticleError `fn` throws (fails the test when it throws nothing or something else). */
function rejection(fn: () => unknown): ArticleError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ArticleError);
    return e as ArticleError;
  }
  throw new Error('expected a rejection, but the article was accepted');
}

describe('front matter framing', () => {
  it('reads the corpus format: blank lines before `---`, no final newline', () => {
    const a = article('\n\n  \n---\ntitle: Hello\ndate: 2022-04-02 20:47:38\n---\n\n<p>Hi</p>');
    expect(a.title).toBe('Hello');
    expect(a.html).toContain('<p>Hi</p>');
  });

  it('reads a BOM before the opening `---`, and CRLF line ends', () => {
    const a = article('\uFEFF\r\n---\r\ntitle: Hello\r\ntags:\r\n  - x\r\n  - y\r\n---\r\n<p>Hi</p>\r\n');
    expect(a.title).toBe('Hello');
    expect(a.tags).toEqual(['x', 'y']);
    expect(a.html).not.toContain('\r');
  });

  it('reads two BOMs as one (the second is not text either), as before the parser took bytes', () => {
    const a = article('\uFEFF\uFEFF---\ntitle: Hello\n---\n<p>Hi</p>');
    expect(a.title).toBe('Hello');
    expect(a.html).toBe('<p>Hi</p>');
  });

  it("ends the front matter at the first line that starts with `---` (gray-matter's rule), the body after it", () => {
    // The closing line must be `---` alone somewhere (else: not closed), but an earlier `---x` line ends the YAML.
    const a = article('---\ntitle: Hello\n---x\n\n---\n\nAfter');
    expect(a.title).toBe('Hello');
    expect(a.html).toBe('<p>x</p>\n<hr>\n<p>After</p>\n');
    expect(article('---\ntitle: Hello\n---\n\n\nBody').html).toBe('<p>Body</p>\n');
    expect(article('---\ntitle: Hello\n---').html).toBe('');
  });

  it('rejects a file with no front matter, naming the file', () => {
    const e = rejection(() => parse('# Just markdown'));
    expect(e.file).toBe('posts/a.md');
    expect(e.reason).toMatch(/front matter/);
  });

  it('rejects front matter that is never closed', () => {
    expect(rejection(() => parse('---\ntitle: x\nbody')).reason).toMatch(/not closed/);
  });
});

describe('dates', () => {
  const date = (raw: string, timezone = 'UTC') => article(fm(`title: t\ndate: ${raw}`), { timezone }).date;

  it('reads RFC 1123', () => {
    expect(date('Sat, 02 Apr 2022 12:47:38 GMT')).toBe('2022-04-02T12:47:38.000Z');
    expect(date('Sat, 02 Apr 2022 12:47:38 +0800')).toBe('2022-04-02T04:47:38.000Z');
  });

  it('reads ISO 8601 with an offset, whatever the site time zone', () => {
    expect(date('2022-04-02T20:47:38+08:00', 'America/New_York')).toBe('2022-04-02T12:47:38.000Z');
    expect(date('2022-04-02T12:47:38Z', 'Asia/Shanghai')).toBe('2022-04-02T12:47:38.000Z');
    expect(date('2022-04-02T12:47:38.250-02:30')).toBe('2022-04-02T15:17:38.250Z');
  });

  it('reads `YYYY-MM-DD HH:mm:ss` in the configured time zone, UTC by default', () => {
    expect(date('2022-04-02 20:47:38', 'Asia/Shanghai')).toBe('2022-04-02T12:47:38.000Z');
    expect(date('2022-04-02 20:47:38')).toBe('2022-04-02T20:47:38.000Z');
    expect(date("'2022-04-02 20:47:38'", 'Europe/Paris')).toBe('2022-04-02T18:47:38.000Z');
  });

  it('reads an ISO date-time without offset, or a bare date, as wall-clock time in the zone', () => {
    expect(date('2022-04-02T20:47:38', 'Asia/Shanghai')).toBe('2022-04-02T12:47:38.000Z');
    expect(date('2022-04-02', 'Asia/Shanghai')).toBe('2022-04-01T16:00:00.000Z');
    expect(date('2022-04-02')).toBe('2022-04-02T00:00:00.000Z');
  });

  it('handles daylight-saving edges', () => {
    const ny = (s: string) => parseDate(s, 'America/New_York')!.toISOString();
    expect(ny('2022-03-13 01:30:00')).toBe('2022-03-13T06:30:00.000Z'); // EST, before the gap
    expect(ny('2022-03-13 03:30:00')).toBe('2022-03-13T07:30:00.000Z'); // EDT, after the gap
    // 02:30 does not exist that day: any instant within the hour around the gap is acceptable, not an error.
    const gap = Date.parse(ny('2022-03-13 02:30:00'));
    expect(Math.abs(gap - Date.parse('2022-03-13T07:00:00Z'))).toBeLessThanOrEqual(3600_000);
    // 01:30 happens twice on 6 November: either reading, never something else.
    expect(['2022-11-06T05:30:00.000Z', '2022-11-06T06:30:00.000Z']).toContain(ny('2022-11-06 01:30:00'));
    expect(ny('2022-11-06 03:00:00')).toBe('2022-11-06T08:00:00.000Z');
    expect(ny('2022-07-01 12:00:00')).toBe('2022-07-01T16:00:00.000Z');
    expect(parseDate('2022-03-27 03:30:00', 'Europe/London')!.toISOString()).toBe('2022-03-27T02:30:00.000Z');
  });

  it('rejects impossible calendar dates instead of rolling them over', () => {
    expect(parseDate('2024-02-30 10:00:00', 'UTC')).toBeNull();
    expect(parseDate('2024-01-01 25:00:00', 'UTC')).toBeNull();
    expect(parseDate('Invalid Date', 'UTC')).toBeNull();
    expect(parseDate(20220402, 'UTC')).toBeNull();
    expect(parseDate('', 'UTC')).toBeNull();
  });

  it('falls back to the first time Syndic saw the article, with a one-line warning naming the file, for a missing or unreadable date', () => {
    for (const src of [fm('title: t'), fm('title: t\ndate: Invalid Date'), fm('title: t\ndate: 20220402'), fm('title: t\ndate: yesterday')]) {
      const r = parse(src, {}, 'content/x/y.md');
      expect(r.article.date).toBe(UPLOADED.toISOString());
      expect(r.dateSource).toBe('first-seen');
      expect(r.warnings).toHaveLength(1);
      expect(r.warnings[0]).toMatch(/^content\/x\/y\.md: .*first time Syndic saw it/);
      expect(r.warnings[0]).not.toContain('\n');
    }
    expect(parse(fm('title: t\ndate: 2022-04-02')).dateSource).toBe('front-matter');
  });

  it('reads `updated`, never earlier than the date', () => {
    expect(article(fm('title: t\ndate: 2022-04-02 10:00:00\nupdated: 2022-04-03 11:00:00')).updated).toBe('2022-04-03T11:00:00.000Z');
    expect(article(fm('title: t\ndate: 2022-04-02 10:00:00')).updated).toBe('2022-04-02T10:00:00.000Z');
    expect(article(fm('title: t\ndate: 2022-04-02 10:00:00\nupdated: 2022-04-01 10:00:00')).updated).toBe('2022-04-02T10:00:00.000Z');
    const r = parse(fm('title: t\ndate: 2022-04-02 10:00:00\nupdated: nope'));
    expect(r.article.updated).toBe('2022-04-02T10:00:00.000Z');
    expect(r.warnings.join()).toContain('posts/a.md');
  });
});

describe('dates readers can trust (issue 12)', () => {
  const at = (id: string, src: string, settings: Partial<Settings> = {}, uploadedAt = UPLOADED) =>
    parseArticle({ id, file: `${id}.md`, bytes: enc(src), uploadedAt }, resolveSettings(settings), renderMarkdown);
  const dateless = fm('title: t\ndate: Invalid Date');

  it('takes a date written in the file name or the folders before the first-seen time, as midnight in the site zone', () => {
    const cases: [string, string][] = [
      ['2022-04-02-title', '2022-04-02'],
      ['posts/2022-04-02_title', '2022-04-02'],
      ['2022-04-02', '2022-04-02'],
      ['2022/04/02/title', '2022-04-02'],
      ['blog/2022/4/2/title', '2022-04-02'],
      ['2021/01/01/2022-04-02-title', '2022-04-02'],
      ['2021/12/31/x/2022/04/02/title', '2022-04-02'],
      ['2022-04-02/title', '2022-04-02'],
    ];
    for (const [id, day] of cases) {
      const r = at(id, dateless);
      expect(r.article.date, id).toBe(`${day}T00:00:00.000Z`);
      expect(r.dateSource, id).toBe('path');
      expect(r.warnings, id).toEqual([`${id}.md: unreadable date "Invalid Date"; using the date in its path, ${day}T00:00:00.000Z`]);
    }
    expect(at('2022/04/02/title', dateless, { timezone: 'Asia/Shanghai' }).article.date).toBe('2022-04-01T16:00:00.000Z');
  });

  it('ignores path dates that are not dates, then uses the first-seen time', () => {
    for (const id of ['2022-02-30-title', '2022/13/02/title', '20220402-title', 'v2022-04-02', '2022/04/title', 'title-2022-04-02', '12022-04-02-x']) {
      const r = at(id, dateless);
      expect(r.dateSource, id).toBe('first-seen');
      expect(r.article.date, id).toBe(UPLOADED.toISOString());
    }
  });

  it('a front-matter date wins over a path date, and a path date over the first-seen time', () => {
    expect(at('2022-04-02-title', fm('title: t\ndate: 2020-01-01 10:00:00')).article.date).toBe('2020-01-01T10:00:00.000Z');
    expect(at('2022-04-02-title', fm('title: t'), {}, new Date('2030-01-01T00:00:00Z')).article.date).toBe('2022-04-02T00:00:00.000Z');
  });

  it('touching every file and rebuilding changes no date: same bytes and same first-seen time give the same entry', () => {
    const settings = resolveSettings({});
    const files = [
      { id: 'dateless', src: dateless },
      { id: '2022/04/02/in-path', src: dateless },
      { id: 'dated', src: fm('title: t\ndate: Sat, 02 Apr 2022 12:47:38 GMT') },
    ];
    const firstSeen = new Date('2024-01-02T03:04:05.678Z');
    const run = () => files.map((f) => processArticle({ id: f.id, file: `${f.id}.md`, bytes: enc(f.src), uploadedAt: firstSeen }, settings));
    const once = run();
    // "touch": the bytes and the recorded first-seen time stay; nothing else is an input.
    expect(run()).toEqual(once);
    expect(once.map((p) => (p.kind === 'entry' ? [p.entry.date, p.dateSource] : p.kind))).toEqual([
      ['2024-01-02T03:04:05.678Z', 'first-seen'],
      ['2022-04-02T00:00:00.000Z', 'path'],
      ['2022-04-02T12:47:38.000Z', 'front-matter'],
    ]);
  });
});

describe('fields', () => {
  it('reads categories as a hierarchy list, a single string, or a list of hierarchies', () => {
    expect(article(fm('title: t\ncategories:\n  - 金融\n  - 新浪财经\n  - 新浪财经－国內')).categories).toEqual([['金融', '新浪财经', '新浪财经－国內']]);
    expect(article(fm('title: t\ncategories: 金融')).categories).toEqual([['金融']]);
    expect(article(fm('title: t\ncategories:\n  - [a, b]\n  - [c]')).categories).toEqual([['a', 'b'], ['c']]);
    expect(article(fm('title: t')).categories).toEqual([]);
    expect(article(fm('title: t\ncategories:')).categories).toEqual([]);
  });

  it('reads tags as a list or a single string', () => {
    expect(article(fm('title: t\ntags: [a, b]')).tags).toEqual(['a', 'b']);
    expect(article(fm('title: t\ntags: solo')).tags).toEqual(['solo']);
    expect(article(fm('title: t')).tags).toEqual([]);
  });

  it('takes the header image from headimg, then thumbnail, cover, image', () => {
    const img = (lines: string) => article(fm(`title: t\n${lines}`)).image;
    expect(img('image: /d.png\ncover: /c.png\nthumbnail: /b.png\nheadimg: /a.png')).toBe('/a.png');
    expect(img('image: /d.png\ncover: /c.png\nthumbnail: /b.png')).toBe('/b.png');
    expect(img('image: /d.png\ncover: /c.png')).toBe('/c.png');
    expect(img('image: /d.png')).toBe('/d.png');
    expect(img("headimg: ''\nimage: /d.png")).toBe('/d.png');
    expect(img('')).toBeUndefined();
  });

  it('reads the author as plain text, also from `author: {name}`', () => {
    expect(article(fm('title: t\nauthor: 新浪财经 &amp; <b>Co</b>')).author).toBe('新浪财经 & Co');
    expect(article(fm('title: t\nauthor:\n  name: Ann')).author).toBe('Ann');
    expect(article(fm('title: t')).author).toBeUndefined();
  });

  it('reads description, or excerpt, as plain text', () => {
    expect(article(fm('title: t\ndescription: <p>One &amp; two</p>')).description).toBe('One & two');
    expect(article(fm('title: t\nexcerpt: Short')).description).toBe('Short');
    expect(article(fm('title: t\ndescription: First\nexcerpt: Second')).description).toBe('First');
  });

  it('decodes character references and strips tags in titles', () => {
    expect(article(fm("title: 'A&nbsp;B &amp; C &#123;x&#125;'")).title).toBe('A B & C {x}');
    expect(article(fm("title: '<b>Bold</b> &lt;tag&gt; &quot;q&quot;'")).title).toBe('Bold <tag> "q"');
    expect(article(fm("title: '  spaced \t out  '")).title).toBe('spaced out');
  });
});

describe('drafts', () => {
  const settings = resolveSettings({});
  const proc = (src: string, id: string) => processArticle({ id, file: `${id}.md`, bytes: enc(src), uploadedAt: UPLOADED }, settings);

  it('keeps `draft: true` and `published: false` out of every feed', () => {
    const results = [
      proc(fm('title: Draft\ndraft: true\ncategories: [a]'), 'd1'),
      proc(fm('title: Unpublished\npublished: false\ncategories: [a]'), 'd2'),
      proc(fm('title: Visible\ndraft: false\npublished: true\ncategories: [a]'), 'v1'),
    ];
    expect(results.map((r) => r.kind)).toEqual(['draft', 'draft', 'entry']);
    const entries = results.flatMap((r) => (r.kind === 'entry' ? [r.entry] : [])) as Entry[];
    const feeds = buildSite(entries, settings).filter((f) => f.path.endsWith('feed.json'));
    expect(feeds.length).toBeGreaterThanOrEqual(2);
    for (const f of feeds) {
      expect(f.body).toContain('Visible');
      expect(f.body).not.toContain('Draft');
      expect(f.body).not.toContain('Unpublished');
    }
  });
});

describe('rejections name the file, the line where known, and the reason', () => {
  it('an article with no title', () => {
    for (const src of [fm('date: 2022-04-02'), fm("title: ''"), fm("title: '<b></b>'"), fm('title:')]) {
      const e = rejection(() => parse(src, {}, 'content/x.md'));
      expect(e.file).toBe('content/x.md');
      expect(e.reason).toMatch(/title/);
      expect(e.message).toContain('content/x.md');
    }
  });

  it('invalid YAML, with the line of the error in the file', () => {
    const e = rejection(() => parse('---\ntitle: x\n  bad: indentation\n---\n'));
    expect(e.reason).toMatch(/YAML/);
    expect(e.line).toBe(3);
    expect(e.message).toMatch(/^posts\/a\.md:3: /);
  });

  it('invalid YAML after leading blank lines, a BOM and CRLF, still on the right line', () => {
    const e = rejection(() => parse('\uFEFF\r\n\r\n---\r\ntitle: x\r\ntitle: y\r\n---\r\n'));
    expect(e.line).toBe(5);
    expect(e.reason).toMatch(/duplicated/);
    expect(rejection(() => parse('\n\n\n---\ntitle: x\ndate: 2022\nfoo: a: b\n---\n')).line).toBe(7);
  });

  it('bytes that are not UTF-8, with the line of the first bad byte', () => {
    const bad = [[0xff], [0xc3], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xe2, 0x82]];
    for (const seq of bad) {
      const bytes = new Uint8Array([...enc('---\ntitle: t\n---\nline4 '), ...seq, ...enc(' tail')]);
      const e = rejection(() => parse(bytes));
      expect(e.reason).toMatch(/UTF-8/);
      expect(e.line).toBe(4);
    }
  });

  it('accepts every valid UTF-8 sequence and rejects every invalid one, as a strict decoder does', () => {
    const prefix = enc('---\ntitle: t\n---\n');
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 12 }), (tail) => {
        const bytes = new Uint8Array([...prefix, ...tail]);
        let strictOk = true;
        try {
          new TextDecoder('utf-8', { fatal: true }).decode(bytes);
        } catch {
          strictOk = false;
        }
        let reason = '';
        try {
          parse(bytes);
        } catch (e) {
          reason = (e as ArticleError).reason;
        }
        return /UTF-8/.test(reason) === !strictOk;
      }),
      { numRuns: 3000 },
    );
  });

  it('an article over maxArticleBytes, rejected unread', () => {
    const src = fm('title: t', 'x'.repeat(2000));
    const e = rejection(() => parse(src, { maxArticleBytes: 1000 }));
    expect(e.reason).toMatch(/maxArticleBytes/);
    expect(parse(src, { maxArticleBytes: 5000 }).article.title).toBe('t');
  });

  it('more category nodes than maxCategories', () => {
    const cats = (n: number) => `categories:\n${Array.from({ length: n }, (_, i) => `  - [c${i}]`).join('\n')}`;
    expect(article(fm(`title: t\n${cats(10)}`)).categories).toHaveLength(10);
    const e = rejection(() => parse(fm(`title: t\n${cats(11)}`)));
    expect(e.reason).toMatch(/too many categories.*11.*10/);
    // A hierarchy of 3 names is 3 nodes.
    expect(rejection(() => parse(fm('title: t\ncategories: [a, b, c]'), { maxCategories: 2 })).reason).toMatch(/categories/);
  });
});

describe('front matter is data, never code', () => {
  const g = globalThis as { __pwned?: unknown };
  afterEach(() => {
    delete g.__pwned;
  });

  it('rejects `---js` front matter without running it', () => {
    const e = rejection(() => parse('---js\n{ title: (globalThis.__pwned = 1, "x") }\n---\nbody'));
    expect(g.__pwned).toBeUndefined();
    expect(e.reason).toMatch(/not allowed|YAML/);
    expect(e.line).toBe(1);
  });

  it('rejects every other front matter language', () => {
    const payloads: [string, string][] = [
      ['javascript', '{ title: (globalThis.__pwned = 2, "x") }'],
      ['coffee', 'title: (globalThis.__pwned = 3; "x")'],
      ['coffeescript', 'title: (globalThis.__pwned = 3; "x")'],
      ['json', '{ "title": "x" }'],
      ['toml', 'title = "x"'],
      [' js', '{ title: (globalThis.__pwned = 4, "x") }'],
      ['JS', '{ title: (globalThis.__pwned = 5, "x") }'],
    ];
    for (const [lang, body] of payloads) {
      const e = rejection(() => parse(`\n---${lang}\n${body}\n---\nbody`));
      expect(e.line, lang).toBe(2);
      expect(g.__pwned, lang).toBeUndefined();
    }
    expect(article('---yaml\ntitle: ok\n---\n').title).toBe('ok');
  });

  it('rejects YAML tags that would build functions or other JS values', () => {
    for (const tag of ['!!js/function "function () { globalThis.__pwned = 6 }"', '!!js/undefined ""', '!!js/regexp /x/', '!!python/object:os.system ["id"]']) {
      const e = rejection(() => parse(fm(`title: t\nx: ${tag}`)));
      expect(e.reason).toMatch(/YAML/);
      expect(e.line).toBe(3);
    }
    expect(g.__pwned).toBeUndefined();
  });

  it('reads YAML dates and numbers as plain values (CORE schema), not JS objects', () => {
    const a = article(fm('title: 2022\ntags: [1, true, null]'));
    expect(a.title).toBe('2022');
    expect(a.tags).toEqual(['1', 'true']);
  });
});

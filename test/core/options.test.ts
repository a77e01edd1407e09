// Issue 12, the options peers offer: per-tag feeds, `feed: false`, permalink patterns and per-article
// permalinks and ids, podcast enclosures, content mode and feed images, as settings and front matter.
import { describe, expect, it } from 'vitest';
import { ArticleError, parseArticle } from '../../src/core/article.js';
import { assignSlugPaths, entryNodes, isTagNode, nodeDir, nodeKey, TAG_NODE } from '../../src/core/categories.js';
import type { Entry } from '../../src/core/entry.js';
import { renderMarkdown } from '../../src/core/markdown.js';
import { locate } from '../../src/core/permalinks.js';
import { processArticle } from '../../src/core/pipeline.js';
import { envName, resolveSettings, settingsFromEnv, settingsToEnv, SettingsError, type Settings } from '../../src/core/settings.js';
import { buildSite, renderArticleFiles, renderNodeFiles, renderSiteFiles, siteNodes, summarize, type OutFile } from '../../src/core/site.js';
import { disposeAtomValidator, validateAtom, validateJsonFeed, w3cProblems } from '../helpers/feeds.js';
import { afterAll } from 'vitest';

afterAll(() => disposeAtomValidator());

const enc = (s: string) => new TextEncoder().encode(s);
const SITE = 'https://s.example';
const settingsWith = (over: Partial<Settings> = {}) => resolveSettings({ siteUrl: SITE, title: 'Site', ...over });

function entryFrom(id: string, frontMatter: string, over: Partial<Settings> = {}, body = '<p>Body</p>'): Entry {
  const r = processArticle({ id, file: `${id}.md`, bytes: enc(`---\ntitle: ${id}\ndate: 2022-04-02 10:00:00\n${frontMatter}\n---\n${body}`), uploadedAt: new Date(0) }, settingsWith(over));
  if (r.kind !== 'entry') throw new Error(r.kind === 'rejected' ? r.error.message : r.kind);
  return r.entry;
}
function rejectionOf(id: string, frontMatter: string, over: Partial<Settings> = {}): string {
  const r = processArticle({ id, file: `${id}.md`, bytes: enc(`---\ntitle: t\ndate: 2022-04-02 10:00:00\n${frontMatter}\n---\nx`), uploadedAt: new Date(0) }, settingsWith(over));
  if (r.kind !== 'rejected') throw new Error('expected a rejection');
  return r.error.message;
}
const file = (files: OutFile[], path: string) => files.find((f) => f.path === path)?.body;

/** Every feed in the files validates: RELAX NG, JSON Feed schema, the offline W3C rules. */
function expectValidFeeds(files: OutFile[]) {
  for (const f of files) {
    const url = `${SITE}/${f.path.split('/').map(encodeURIComponent).join('/')}`;
    if (f.path.endsWith('rss.xml')) expect(w3cProblems(f.body, { format: 'rss', location: url }), f.path).toEqual([]);
    if (f.path.endsWith('atom.xml')) {
      expect(w3cProblems(f.body, { format: 'atom', location: url }), f.path).toEqual([]);
      expect(validateAtom(f.body), f.path).toEqual([]);
    }
    if (f.path.endsWith('feed.json')) expect(validateJsonFeed(f.body), f.path).toEqual([]);
  }
}

describe('per-tag feeds (tagFeeds)', () => {
  const tagged = { tagFeeds: true };

  it('are off by default: tags stay plain categories of the items, no tags/ files', () => {
    const e = entryFrom('a', 'tags: [rust, web]');
    expect(entryNodes(e)).toEqual([[]]);
    const files = buildSite([e], settingsWith());
    expect(files.filter((f) => f.path.startsWith('tags/'))).toEqual([]);
    expect(file(files, 'index.html')).not.toContain('<h2>Tags</h2>');
  });

  it('with tagFeeds, each tag is a node whose path can never be a category path', () => {
    const e = entryFrom('a', 'categories: [tag, rust]\ntags: [rust, web, rust]', tagged);
    expect(entryNodes(e)).toEqual([[], ['tag'], ['tag', 'rust'], [TAG_NODE, 'rust'], [TAG_NODE, 'web']]);
    expect(isTagNode([TAG_NODE, 'rust'])).toBe(true);
    expect(isTagNode(['tag', 'rust'])).toBe(false);
    // A category named like the marker loses its control character when it is read.
    const forged = entryFrom('f', `categories: ["\\u0001tag", rust]`, tagged);
    expect(forged.categories).toEqual([['tag', 'rust']]);
    expect(entryNodes(forged).filter(isTagNode)).toEqual([]);
  });

  it('are written under tags/<slug>/ (slugs unique among tags only), with a page, and listed on the home page and in feeds.opml', () => {
    const settings = settingsWith(tagged);
    const entries = [
      entryFrom('a', 'categories: [rust]\ntags: [rust, Web Dev]', tagged),
      entryFrom('b', 'tags: [rust, "C++"]', tagged),
      entryFrom('c', 'tags: [JavaScript, javascript]', tagged),
    ];
    const files = buildSite(entries, settings);
    const paths = files.map((f) => f.path);
    for (const dir of ['tags/rust/', 'tags/web-dev/', 'tags/c/', 'categories/rust/'])
      for (const f of ['rss.xml', 'atom.xml', 'feed.json', 'index.html']) expect(paths, dir + f).toContain(dir + f);
    // The category `rust` and the tag `rust` do not collide; `JavaScript` and `javascript` do, and both get a hash.
    expect(paths.filter((p) => /^tags\/javascript-[0-9a-f]{6}\/rss\.xml$/.test(p))).toHaveLength(2);
    const rust = JSON.parse(file(files, 'tags/rust/feed.json')!) as { title: string; feed_url: string; home_page_url: string; items: { id: string }[] };
    expect(rust.title).toBe('#rust — Site');
    expect(rust.feed_url).toBe(`${SITE}/tags/rust/feed.json`);
    expect(rust.home_page_url).toBe(`${SITE}/tags/rust/`);
    expect(rust.items.map((i) => i.id)).toEqual([`${SITE}/articles/a/`, `${SITE}/articles/b/`]);
    const page = file(files, 'tags/rust/index.html')!;
    expect(page).toContain('<h1>#rust</h1>');
    expect(page).toContain('2 articles tagged rust.');
    expect(page).not.toContain('\u0001');
    const home = file(files, 'index.html')!;
    expect(home).toContain('<h2>Tags</h2>');
    expect(home).toContain(`<a href="${SITE}/tags/rust/">#rust</a> <span class="count">(2)</span>`);
    const opml = file(files, 'feeds.opml')!;
    expect(opml).toContain('<outline text="Tags" title="Tags">');
    expect(opml).toContain(`<outline type="rss" version="RSS2" text="#rust" title="#rust — Site" xmlUrl="${SITE}/tags/rust/rss.xml" htmlUrl="${SITE}/tags/rust/"/>`);
    // The article page links each tag to its page.
    expect(file(files, 'articles/a/index.html')).toContain(`Tags: <a href="${SITE}/tags/rust/">rust</a>, <a href="${SITE}/tags/web-dev/">Web Dev</a>`);
    for (const f of files) expect(f.body.includes('\u0001'), f.path).toBe(false);
    expectValidFeeds(files);
  });

  it('flow through the same renderers the S3 engine calls, node by node', () => {
    const settings = settingsWith(tagged);
    const entries = [entryFrom('a', 'tags: [rust]', tagged), entryFrom('b', 'tags: [rust, go]', tagged)];
    const nodes = siteNodes(entries, settings);
    const tree = summarize(nodes);
    const slugs = assignSlugPaths(tree.map((n) => n.path));
    expect(nodeDir(slugs.get(nodeKey([TAG_NODE, 'go']))!)).toBe('tags/go/');
    const full = buildSite(entries, settings);
    const piecewise = [
      ...nodes.flatMap((n) => renderNodeFiles(n, tree, settings)),
      ...entries.flatMap((e) => renderArticleFiles(e, tree, settings)),
      ...renderSiteFiles(tree, settings),
    ];
    expect(new Map(piecewise.map((f) => [f.path, f.body]))).toEqual(new Map(full.map((f) => [f.path, f.body])));
  });
});

describe('feed: false', () => {
  it('publishes the page but lists the article in no feed, no listing and no count', () => {
    const hidden = entryFrom('hidden', 'feed: false\ncategories: [news]\ntags: [x]', { tagFeeds: true });
    const shown = entryFrom('shown', 'categories: [news]');
    expect(hidden.unlisted).toBe(true);
    expect(entryNodes(hidden)).toEqual([]);
    const files = buildSite([hidden, shown], settingsWith({ tagFeeds: true }));
    expect(file(files, 'articles/hidden/index.html')).toContain('<h1>hidden</h1>');
    for (const f of files.filter((x) => !x.path.startsWith('articles/'))) expect(f.body.includes('articles/hidden/'), f.path).toBe(false);
    expect(file(files, 'index.html')).toContain('1 article.');
    expect(files.some((f) => f.path.startsWith('tags/'))).toBe(false);
    expect(entryFrom('x', "feed: 'false'").unlisted).toBe(true);
    expect(entryFrom('y', 'feed: true').unlisted).toBeUndefined();
  });
});

describe('permalinks and item ids', () => {
  const date = '2022-04-02T12:47:38.000Z';
  const hexo = { siteUrl: SITE, permalink: ':year/:month/:day/:title/', timezone: 'Asia/Shanghai' };

  it('expands a pattern from the date in the site zone, the path, the file name and the slug', () => {
    expect(locate({ id: 'a/b/Hello World', title: 'T', date }, hexo)).toEqual({ url: `${SITE}/2022/04/02/a/b/Hello%20World/`, page: '2022/04/02/a/b/Hello World/index.html' });
    const at = (permalink: string, a: Partial<Parameters<typeof locate>[0]> = {}) => locate({ id: 'posts/x y', title: 'C++ & Rust!', date, ...a }, { ...hexo, permalink }).url;
    expect(at(':year/:i_month/:i_day/:hour:minute:second-:name.html')).toBe(`${SITE}/2022/4/2/204738-x%20y.html`);
    expect(at(':section/:slug/')).toBe(`${SITE}/posts/c-rust/`);
    expect(at(':sections/:slug/', { slug: 'my-post' })).toBe(`${SITE}/posts/my-post/`);
    expect(at(':section/:name', { id: 'top' })).toBe(`${SITE}/top`);
    // Hugo's names: :filename, :slugorfilename (its default), :titleslug (its :title).
    expect(at(':sections/:slugorfilename/')).toBe(`${SITE}/posts/x%20y/`);
    expect(at(':sections/:slugorfilename/', { slug: 'given' })).toBe(`${SITE}/posts/given/`);
    expect(at(':year/:month/:titleslug/', { slug: 'ignored' })).toBe(`${SITE}/2022/04/c-rust/`);
    expect(at(':filename.html')).toBe(`${SITE}/x%20y.html`);
    // Hexo encodes like encodeURI: + & = ' stay as written, spaces and non-ASCII become %XX.
    expect(locate({ id: "C++ & Rust a=b it's +1", title: 't', date }, hexo).url).toBe(`${SITE}/2022/04/02/C++%20&%20Rust%20a=b%20it's%20+1/`);
    expect(locate({ id: '新浪财经/"100%"', title: 't', date }, hexo).url).toBe(`${SITE}/2022/04/02/%E6%96%B0%E6%B5%AA%E8%B4%A2%E7%BB%8F/%22100%25%22/`);
  });

  it('keeps today’s addresses when no pattern is set', () => {
    expect(locate({ id: 'a/C++ & b', title: 't', date }, { siteUrl: SITE, permalink: '', timezone: 'UTC' })).toEqual({
      url: `${SITE}/articles/a/C%2B%2B%20%26%20b/`,
      page: 'articles/a/C++ & b/index.html',
    });
  });

  it('takes the article’s own permalink (or url), as a path or a URL under the site', () => {
    expect(entryFrom('a', 'permalink: archives/moved-post/')).toMatchObject({ url: `${SITE}/archives/moved-post/`, page: 'archives/moved-post/index.html' });
    expect(entryFrom('b', 'url: /old/b.html')).toMatchObject({ url: `${SITE}/old/b.html`, page: 'old/b.html' });
    expect(entryFrom('c', `permalink: ${SITE}/x/%E4%BD%A0/`)).toMatchObject({ url: `${SITE}/x/%E4%BD%A0/`, page: 'x/你/index.html' });
    const files = buildSite([entryFrom('a', 'permalink: archives/moved-post/')], settingsWith());
    expect(file(files, 'archives/moved-post/index.html')).toContain(`<link rel="canonical" href="${SITE}/archives/moved-post/">`);
    expect(files.some((f) => f.path.startsWith('articles/'))).toBe(false);
  });

  it('rejects permalinks that would leave the site, take Syndic’s own files, or are not clean paths, naming the file', () => {
    for (const [fm, why] of [
      ['permalink: categories/x/', /under categories\//],
      ['permalink: tags/', /under tags\//],
      ['permalink: rss.xml', /Syndic's own files/],
      ['permalink: /feeds.opml', /Syndic's own files/],
      ['permalink: index.html', /Syndic's own files/],
      ['permalink: a/../b/', /not a clean path/],
      ['permalink: https://elsewhere.example/a/', /not under siteUrl/],
      ['permalink: /', /not a clean path/],
    ] as const) {
      const msg = rejectionOf('p', fm);
      expect(msg, fm).toMatch(/^p\.md: /);
      expect(msg, fm).toMatch(why);
    }
  });

  it('gives two articles claiming one page to the newer, deterministically; both stay in the feeds', () => {
    const older = { ...entryFrom('older', 'permalink: same/'), date: '2020-01-01T00:00:00.000Z', updated: '2020-01-01T00:00:00.000Z' };
    const newer = { ...entryFrom('newer', 'permalink: same/'), date: '2021-01-01T00:00:00.000Z', updated: '2021-01-01T00:00:00.000Z' };
    const files = buildSite([older, newer], settingsWith());
    expect(files.filter((f) => f.path === 'same/index.html')).toHaveLength(1);
    expect(file(files, 'same/index.html')).toContain('<h1>newer</h1>');
    expect(buildSite([newer, older], settingsWith()).map((f) => f.body)).toEqual(files.map((f) => f.body));
    expect((JSON.parse(file(files, 'feed.json')!) as { items: unknown[] }).items).toHaveLength(2);
  });

  it('reads guid: or id: as the item id: absolute URIs as written, paths from the site root made absolute', () => {
    expect(entryFrom('a', 'guid: https://old.example/?p=123').guid).toBe('https://old.example/?p=123');
    expect(entryFrom('b', 'id: tag:old.example,2019:post-1').guid).toBe('tag:old.example,2019:post-1');
    expect(entryFrom('c', 'id: /2019/01/02/hello world/').guid).toBe(`${SITE}/2019/01/02/hello%20world/`);
    expect(entryFrom('d', '').guid).toBeUndefined();
    expect(rejectionOf('e', 'guid: 12345')).toMatch(/^e\.md: guid "12345" is not an absolute URI/);
  });
});

describe('enclosures in front matter', () => {
  it('reads a list of {url, type, length, title}, or one map, with length 0 when unknown', () => {
    const e = entryFrom('a', 'enclosures:\n  - url: https://cdn.example/ep1.mp3\n    type: audio/mpeg\n    length: 12345678\n    title: Episode 1\n  - {url: "https://cdn.example/ep1.ogg", type: audio/ogg}');
    expect(e.enclosures).toEqual([
      { url: 'https://cdn.example/ep1.mp3', type: 'audio/mpeg', length: 12345678, title: 'Episode 1' },
      { url: 'https://cdn.example/ep1.ogg', type: 'audio/ogg', length: 0 },
    ]);
    expect(entryFrom('b', 'enclosure: {url: "https://cdn.example/v.mp4", type: video/mp4, length: "42"}').enclosures).toEqual([
      { url: 'https://cdn.example/v.mp4', type: 'video/mp4', length: 42 },
    ]);
    expectValidFeeds(buildSite([e], settingsWith()));
  });

  it('rejects an enclosure without a usable url, type or length, naming the file', () => {
    expect(rejectionOf('a', 'enclosures: [{url: "ep.mp3", type: audio/mpeg}]')).toMatch(/^a\.md: enclosure 1: url "ep\.mp3" is not an absolute http\(s\) URL/);
    expect(rejectionOf('a', 'enclosures: [{url: "https://c.example/e.mp3", type: mp3}]')).toMatch(/enclosure 1: type "mp3" is not a MIME type/);
    expect(rejectionOf('a', 'enclosures: [{url: "https://c.example/e.mp3", type: audio/mpeg, length: -1}]')).toMatch(/enclosure 1: length -1 is not a size in bytes/);
    expect(rejectionOf('a', 'enclosures: [https://c.example/e.mp3]')).toMatch(/enclosure 1: expected a map/);
  });
});

describe('the new settings', () => {
  it('default to today’s output', () => {
    const s = resolveSettings({});
    expect(s).toMatchObject({ tagFeeds: false, content: 'full', icon: '', logo: '', copyright: '', permalink: '' });
  });

  it('are validated, with the setting named', () => {
    expect(resolveSettings({ tagFeeds: 'true', content: 'summary', icon: '/favicon.png', logo: 'https://cdn.example/logo.png', permalink: '/:year/:title/' })).toMatchObject({
      tagFeeds: true, content: 'summary', icon: '/favicon.png', logo: 'https://cdn.example/logo.png', permalink: ':year/:title/',
    });
    for (const [k, v, why] of [
      ['tagFeeds', 'maybe', /expected true or false/],
      ['content', 'excerpt', /"full" or "summary"/],
      ['icon', 'favicon.png', /absolute http\(s\) URL or a path starting with \//],
      ['logo', 'ftp://x.example/l.png', /http\(s\) URL/],
      ['permalink', ':year/:slugg/', /unknown token :slugg/],
      ['permalink', ':year/:month/', /needs :title, :name or :slug/],
      ['permalink', 'tags/:title/', /categories\/ and tags\//],
    ] as const) {
      expect(() => resolveSettings({ [k]: v }), `${k}=${v}`).toThrow(SettingsError);
      expect(() => resolveSettings({ [k]: v }), `${k}=${v}`).toThrow(why);
    }
  });

  it('travel through the Lambda environment unchanged', () => {
    const s = resolveSettings({ tagFeeds: true, content: 'summary', copyright: '© Site', permalink: ':year/:title/', placeholderImageHosts: ['a.example', 'b.example/random'] });
    expect(resolveSettings(settingsFromEnv(settingsToEnv(s)))).toEqual(s);
    expect(envName('tagFeeds')).toBe('SYNDIC_TAG_FEEDS');
  });

  it('put feed images and the rights statement in every feed; paths from the site root become URLs', () => {
    const settings = settingsWith({ icon: '/favicon.png', logo: 'https://cdn.example/logo.png', copyright: '© 2024 Site' });
    const files = buildSite([entryFrom('a', 'categories: [c]')], settings);
    for (const p of ['atom.xml', 'categories/c/atom.xml']) {
      expect(file(files, p)).toContain(`<icon>${SITE}/favicon.png</icon>`);
      expect(file(files, p)).toContain('<logo>https://cdn.example/logo.png</logo>');
    }
    expect(file(files, 'rss.xml')).toContain('<copyright>© 2024 Site</copyright>');
    expect(JSON.parse(file(files, 'feed.json')!)).toMatchObject({ icon: 'https://cdn.example/logo.png', favicon: `${SITE}/favicon.png` });
    expectValidFeeds(files);
  });

  it('summary mode applies to every feed of the site', () => {
    const files = buildSite([entryFrom('a', 'categories: [c]', {}, 'Intro.\n\n<!--more-->\n\nRest.')], settingsWith({ content: 'summary' }));
    for (const p of ['rss.xml', 'categories/c/rss.xml']) expect(file(files, p)).not.toContain('content:encoded>');
    expect(file(files, 'rss.xml')).toContain('<description><![CDATA[<p>Intro.</p>]]></description>');
    // The page still shows the whole article.
    expect(file(files, 'articles/a/index.html')).toContain('Rest.');
    expectValidFeeds(files);
  });
});

describe('ArticleError stays the one rejection type', () => {
  it('for the new front matter too', () => {
    expect(() =>
      parseArticle({ id: 'x', file: 'x.md', bytes: enc('---\ntitle: t\nguid: nope\n---\n'), uploadedAt: new Date(0) }, settingsWith(), renderMarkdown),
    ).toThrow(ArticleError);
  });
});

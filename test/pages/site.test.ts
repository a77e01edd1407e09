// Pages, OPML and XSL as buildSite plans them: hostile text stays text everywhere, every link and
// autodiscovery href resolves to a planned file, the OPML lists exactly the feeds, bytes are stable,
// and the renderers honour the narrow inputs that incremental updates rely on.
import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeKey, nodesOf } from '../../src/core/categories.js';
import { permalink, type Entry } from '../../src/core/entry.js';
import { PAGE_STYLE } from '../../src/core/pages.js';
import { resolveSettings, type Settings } from '../../src/core/settings.js';
import {
  buildSite,
  LONG_CACHE,
  renderArticleFiles,
  renderNodeFiles,
  SHORT_CACHE,
  siteNodes,
  summarize,
  type OutFile,
} from '../../src/core/site.js';
import { build } from '../../src/build/publish.js';
import { headersFor } from '../../src/cli/serve.js';
import { FsStore } from '../../src/store/fs-store.js';
import {
  asArray,
  disposeAtomValidator,
  parseWithFeedsmith,
  parseWithRssParser,
  parseXml,
  validateAtom,
  validateJsonFeed,
  wellFormedXml,
} from '../helpers/feeds.js';
import { alternates, elements, parseHtml, scriptVectors, textOf } from './html.js';

const HOSTILE = `<script>alert(1)</script> "><img src=x onerror=alert(1)> ]]> ]]]]><![CDATA[> & &amp; 'q' <!--`;
const HOSTILE_AUTHOR = `"><img src=x onerror=alert(2)> <script>alert(2)</script>`;
const HOSTILE_CATS = [`<script>alert(3)</script>`, `"><img src=x onerror=alert(4)>`, `]]> & </ul>`];
const ODD_ID = 'dir/odd id ?#% 中文';
const HUB = 'https://hub.example.com/websub';

const settings: Settings = resolveSettings({
  siteUrl: 'https://example.com/blog',
  title: 'Site <b>&amp; "quoted"',
  description: 'About <i>things</i>',
  websubHub: HUB,
  timezone: 'Asia/Shanghai',
  language: 'en',
});

function entry(id: string, date: string, over: Partial<Entry> = {}): Entry {
  return {
    id,
    url: permalink(settings.siteUrl, id),
    title: `Title of ${id}`,
    date,
    updated: date,
    categories: [['Plain', 'Child']],
    tags: [],
    contentHtml: `<p>Body of ${id}</p>`,
    summary: `Summary of ${id}`,
    ...over,
  };
}

const ENTRIES: Entry[] = [
  entry('hostile', '2024-03-02T10:00:00.000Z', {
    title: HOSTILE,
    author: HOSTILE_AUTHOR,
    categories: [HOSTILE_CATS, ['Plain']],
    tags: [HOSTILE],
    summary: HOSTILE,
    // Entries hold URLs as `new URL` wrote them: `&` and `'` stay raw, `"` and `<` are encoded.
    image: { url: new URL(`https://example.com/a.png?a=1&b='x'&c="><script>alert(5)</script>`).href, type: 'image/png' },
  }),
  entry(ODD_ID, '2024-03-01T10:00:00.000Z', { author: 'Ann' }),
  entry('plain-1', '2024-02-01T10:00:00.000Z'),
  entry('plain-2', '2024-01-01T10:00:00.000Z', { categories: [['Plain', 'Other', 'Deep']] }),
];

const files = new Map<string, OutFile>(buildSite(ENTRIES, settings).map((f) => [f.path, f]));
const pages = [...files.values()].filter((f) => f.path.endsWith('.html'));
const bodyOf = (p: string) => {
  const f = files.get(p);
  if (!f) throw new Error(`no file ${p}; planned: ${[...files.keys()].join(', ')}`);
  return f.body;
};

/** The planned file a site URL names, or null if it is not under the site. */
function fileOfUrl(url: string): string | null {
  const base = settings.siteUrl + '/';
  if (!url.startsWith(base)) return null;
  const rel = new URL(url).pathname.slice(new URL(base).pathname.length).split('/').map(decodeURIComponent).join('/');
  return rel === '' || rel.endsWith('/') ? rel + 'index.html' : rel;
}

afterAll(() => disposeAtomValidator());

describe('pages', () => {
  it('plans the index, one page per category node and one per article', () => {
    const nodes = siteNodes(ENTRIES, settings);
    expect(pages.map((p) => p.path).sort()).toEqual(
      [
        ...nodes.map((n) => (n.slugs.length ? `categories/${n.slugs.join('/')}/index.html` : 'index.html')),
        ...ENTRIES.map((e) => `articles/${e.id}/index.html`),
      ].sort(),
    );
    // The raw id is the key: the odd characters live on disk, the links carry them percent-encoded.
    expect(files.has(`articles/${ODD_ID}/index.html`)).toBe(true);
    expect(bodyOf('index.html')).toContain(`href="${permalink(settings.siteUrl, ODD_ID)}"`);
    expect(permalink(settings.siteUrl, ODD_ID)).toBe('https://example.com/blog/articles/dir/odd%20id%20%3F%23%25%20%E4%B8%AD%E6%96%87/');
  });

  it('lets no hostile title, author, category, tag, summary or image URL inject markup into any page', () => {
    expect(pages.length).toBeGreaterThan(5);
    for (const p of pages) {
      const doc = parseHtml(p.body);
      expect(scriptVectors(doc), p.path).toEqual([]);
      expect(p.body, p.path).not.toMatch(/<script|<img src=x|<\/ul>\s*<\/li>\s*]]>/i);
      expect(elements(doc, 'html')[0]?.attribs.lang, p.path).toBe('en');
      expect(elements(doc, 'meta').some((m) => m.attribs['http-equiv'] === 'Content-Security-Policy' && m.attribs.content?.includes("script-src 'none'")), p.path).toBe(true);
      // The hostile site title reads back as text in the header of every page.
      expect(textOf(elements(doc, 'header')[0]!), p.path).toContain(settings.title);
    }
  });

  it('shows the hostile texts as the very same text on the article page', () => {
    const doc = parseHtml(bodyOf('articles/hostile/index.html'));
    expect(textOf(elements(doc, 'h1')[0]!)).toBe(HOSTILE);
    expect(textOf(elements(doc, 'title')[0]!)).toBe(`${HOSTILE} — ${settings.title}`);
    expect(elements(doc, 'span').find((s) => s.attribs.class === 'author') && textOf(elements(doc, 'span').find((s) => s.attribs.class === 'author')!)).toBe(HOSTILE_AUTHOR);
    const img = elements(doc, 'img');
    expect(img).toHaveLength(1);
    expect(img[0]!.attribs).toMatchObject({ src: ENTRIES[0]!.image!.url, referrerpolicy: 'no-referrer' });
    const categoryLinks = elements(doc, 'a').filter((a) => a.attribs.href?.includes('/categories/'));
    expect(categoryLinks.map(textOf)).toEqual([...HOSTILE_CATS, 'Plain']);
    expect(elements(doc, 'time')[0]!.attribs.datetime).toBe('2024-03-02T10:00:00.000Z');
    expect(textOf(elements(doc, 'time')[0]!)).toBe('2024-03-02 18:00'); // Asia/Shanghai
    expect(doc && elements(doc, 'meta').find((m) => m.attribs.name === 'description')?.attribs.content).toBe(HOSTILE);
  });

  it('lists hostile titles as text on the index and on category pages', () => {
    for (const p of ['index.html', ...pages.filter((f) => f.path.startsWith('categories/')).map((f) => f.path)]) {
      const doc = parseHtml(bodyOf(p));
      const titles = elements(doc, 'h3').map(textOf);
      if (p === 'index.html' || p.split('/').length === 3) expect(titles, p).toContain(HOSTILE);
    }
    const idx = parseHtml(bodyOf('index.html'));
    const treeNames = elements(idx, 'ul').filter((u) => u.attribs.class === 'tree').flatMap((u) => elements(u, 'a')).map(textOf);
    expect(treeNames).toEqual(expect.arrayContaining(HOSTILE_CATS));
  });

  it('gives every page a canonical link and autodiscovery of its own feeds, all resolving to planned files', () => {
    const nodes = siteNodes(ENTRIES, settings);
    for (const p of pages) {
      const doc = parseHtml(p.body);
      const canonical = elements(doc, 'link').filter((l) => l.attribs.rel === 'canonical');
      expect(canonical, p.path).toHaveLength(1);
      expect(fileOfUrl(canonical[0]!.attribs.href!), p.path).toBe(p.path);
      const alts = alternates(doc);
      expect(alts.map((a) => a.type), p.path).toEqual(['application/rss+xml', 'application/atom+xml', 'application/feed+json']);
      // A category page announces its own feeds; the index and articles announce the site's.
      const node = p.path.startsWith('categories/') ? nodes.find((n) => `categories/${n.slugs.join('/')}/index.html` === p.path)! : nodes.find((n) => n.path.length === 0)!;
      const dir = node.slugs.length ? `categories/${node.slugs.join('/')}/` : '';
      expect(alts.map((a) => fileOfUrl(a.href)), p.path).toEqual([`${dir}rss.xml`, `${dir}atom.xml`, `${dir}feed.json`]);
      for (const a of alts) {
        expect(a.title, p.path).not.toBe('');
        expect(files.get(fileOfUrl(a.href)!)?.contentType, p.path).toBe(`${a.type}; charset=utf-8`);
      }
    }
  });

  it('links only to files the site has (pages, feeds, OPML)', () => {
    for (const p of pages) {
      const doc = parseHtml(p.body);
      const hrefs = [...elements(doc, 'a'), ...elements(doc, 'link')].map((e) => e.attribs.href ?? '');
      const internal = hrefs.filter((h) => h.startsWith(settings.siteUrl));
      expect(internal.length, p.path).toBeGreaterThan(3);
      for (const h of internal) expect(files.has(fileOfUrl(h)!), `${p.path} → ${h}`).toBe(true);
    }
  });

  it('shows a category page its breadcrumb, subcategories with counts, feeds and newest entries', () => {
    const nodes = siteNodes(ENTRIES, settings);
    const plain = nodes.find((n) => nodeKey(n.path) === nodeKey(['Plain']))!;
    const doc = parseHtml(bodyOf(`categories/${plain.slugs.join('/')}/index.html`));
    expect(textOf(elements(doc, 'h1')[0]!)).toBe('Plain');
    expect(textOf(elements(doc, 'nav')[0]!)).toBe(`${settings.title} › Plain`);
    const tree = elements(doc, 'ul').find((u) => u.attribs.class === 'tree')!;
    expect(textOf(tree).replace(/\s+/g, ' ')).toMatch(/Child \(2\).*Other \(1\).*Deep \(1\)/);
    expect(elements(doc, 'h3').map(textOf)).toEqual([HOSTILE, 'Title of ' + ODD_ID, 'Title of plain-1', 'Title of plain-2']);
    const deep = nodes.find((n) => n.path.length === 3)!;
    const deepDoc = parseHtml(bodyOf(`categories/${deep.slugs.join('/')}/index.html`));
    expect(textOf(elements(deepDoc, 'nav')[0]!)).toBe(`${settings.title} › Plain › Other › Deep`);
    expect(elements(elements(deepDoc, 'nav')[0]!, 'a').map((a) => fileOfUrl(a.attribs.href!))).toEqual([
      'index.html',
      `categories/${deep.slugs[0]}/index.html`,
      `categories/${deep.slugs.slice(0, 2).join('/')}/index.html`,
    ]);
  });

  it('builds the same bytes every time and in any input order', () => {
    const again = buildSite([...ENTRIES].reverse(), settings);
    expect(again.map((f) => [f.path, f.body])).toEqual([...files.values()].map((f) => [f.path, f.body]));
  });

  it('renders each page from its narrow inputs only (what incremental updates pass)', () => {
    const nodes = siteNodes(ENTRIES, settings);
    const tree = summarize(nodes);
    for (const node of nodes.filter((n) => n.path.length > 0)) {
      const own = tree.filter((t) => node.path.every((name, i) => t.path[i] === name));
      expect(renderNodeFiles(node, own, settings)).toEqual(renderNodeFiles(node, tree, settings));
    }
    for (const e of ENTRIES) {
      const mine = new Set(nodesOf(e.categories).map(nodeKey));
      expect(renderArticleFiles(e, tree.filter((t) => mine.has(nodeKey(t.path))), settings)).toEqual(renderArticleFiles(e, tree, settings));
    }
  });

  it('stores every file with the Content-Type and Cache-Control the local server sends', () => {
    for (const f of files.values()) expect(headersFor(f.path), f.path).toEqual({ contentType: f.contentType, cacheControl: f.cacheControl });
    expect(files.get('index.html')!.cacheControl).toBe(SHORT_CACHE);
    expect(files.get('articles/hostile/index.html')!.cacheControl).toBe(LONG_CACHE);
    expect(files.get('feeds.opml')!.contentType).toBe('text/x-opml; charset=utf-8');
    expect(files.get('rss.xsl')!.contentType).toBe('text/xsl; charset=utf-8');
    expect(pages.every((p) => p.contentType === 'text/html; charset=utf-8')).toBe(true);
    // A category named "articles" is still a listing, not an article page.
    expect(headersFor('categories/articles/index.html').cacheControl).toBe(SHORT_CACHE);
  });
});

describe('feeds around the pages', () => {
  const feedsOf = (name: string) => [...files.values()].filter((f) => f.path === name || f.path.endsWith('/' + name));

  it('still parse with the hostile texts intact, carrying the XSL processing instruction', async () => {
    const rss = feedsOf('rss.xml');
    expect(rss.length).toBeGreaterThan(3);
    for (const f of rss) {
      expect(wellFormedXml(f.body), f.path).toEqual([]);
      expect(f.body.slice(0, 120), f.path).toContain('<?xml-stylesheet href="/blog/rss.xsl" type="text/xsl"?>');
      const byParser = await parseWithRssParser(f.body);
      const bySmith = parseWithFeedsmith(f.body, 'rss');
      const hostile = byParser.items.find((i) => i.id === ENTRIES[0]!.url);
      if (hostile) {
        expect(hostile.title, f.path).toBe(HOSTILE);
        expect(bySmith.items.find((i) => i.id === ENTRIES[0]!.url)?.title, f.path).toBe(HOSTILE);
      }
    }
    for (const f of feedsOf('atom.xml')) {
      expect(validateAtom(f.body), f.path).toEqual([]);
      expect(f.body.slice(0, 120), f.path).toContain('<?xml-stylesheet href="/blog/atom.xsl" type="text/xsl"?>');
      const smith = parseWithFeedsmith(f.body, 'atom').items.find((i) => i.id === ENTRIES[0]!.url);
      if (smith) expect(smith.title, f.path).toBe(HOSTILE); // type="text": the value is the text itself
      const parsed = (await parseWithRssParser(f.body)).items.find((i) => i.link === ENTRIES[0]!.url);
      if (parsed) expect(parsed.title, f.path).toBe(HOSTILE);
    }
    for (const f of feedsOf('feed.json')) {
      expect(validateJsonFeed(f.body), f.path).toEqual([]);
      const item = (JSON.parse(f.body) as { items: { id: string; title: string }[] }).items.find((i) => i.id === ENTRIES[0]!.url);
      if (item) expect(item.title).toBe(HOSTILE);
    }
  });

  it('carry rel="hub" and rel="self" links when a WebSub hub is set, and none without', () => {
    for (const f of feedsOf('rss.xml')) {
      const channel = (parseXml(f.body).rss as { channel: Record<string, unknown> }).channel;
      const links = asArray(channel['atom:link'] as { '@_rel': string; '@_href': string }[]);
      expect(links.find((l) => l['@_rel'] === 'hub')?.['@_href'], f.path).toBe(HUB);
      expect(fileOfUrl(links.find((l) => l['@_rel'] === 'self')!['@_href']), f.path).toBe(f.path);
    }
    for (const f of feedsOf('atom.xml')) {
      const links = asArray((parseXml(f.body).feed as { link: { '@_rel': string; '@_href': string }[] }).link);
      expect(links.find((l) => l['@_rel'] === 'hub')?.['@_href'], f.path).toBe(HUB);
      expect(fileOfUrl(links.find((l) => l['@_rel'] === 'self')!['@_href']), f.path).toBe(f.path);
    }
    for (const f of feedsOf('feed.json')) expect(JSON.parse(f.body).hubs, f.path).toEqual([{ type: 'WebSub', url: HUB }]);
    const noHub = buildSite(ENTRIES, { ...settings, websubHub: '' }).filter((f) => /(rss|atom)\.xml$|feed\.json$/.test(f.path));
    for (const f of noHub) expect(f.body, f.path).not.toMatch(/rel="hub"|"hubs"/);
  });

  it('point at same-origin stylesheets: /rss.xsl for a site at the root, and the XSL files exist', () => {
    const rootSite = new Map(buildSite(ENTRIES, { ...settings, siteUrl: 'https://feeds.example.org' }).map((f) => [f.path, f]));
    expect(rootSite.get('rss.xml')!.body).toContain('<?xml-stylesheet href="/rss.xsl" type="text/xsl"?>');
    expect(rootSite.get('atom.xml')!.body).toContain('<?xml-stylesheet href="/atom.xsl" type="text/xsl"?>');
    expect(rootSite.get('feed.json')!.body).not.toContain('xsl');
    for (const name of ['rss.xsl', 'atom.xsl']) {
      const xsl = files.get(name)!.body;
      expect(wellFormedXml(xsl), name).toEqual([]);
      expect(xsl).toContain('copy this URL into your feed reader');
    }
    // The page style is pasted into the XSL as XML text.
    expect(PAGE_STYLE).not.toMatch(/[<&]/);
  });
});

describe('feeds.opml', () => {
  interface Outline {
    '@_text': string;
    '@_title'?: string;
    '@_type'?: string;
    '@_xmlUrl'?: string;
    '@_htmlUrl'?: string;
    outline?: Outline | Outline[];
  }
  const opml = () => parseXml(bodyOf('feeds.opml')).opml as { '@_version': string; head: Record<string, unknown>; body: { outline: Outline | Outline[] } };
  const flatten = (o: Outline | Outline[] | undefined): Outline[] => asArray(o).flatMap((x) => [x, ...flatten(x.outline)]);

  it('is OPML 2.0 with a title and nothing from a clock', () => {
    expect(wellFormedXml(bodyOf('feeds.opml'))).toEqual([]);
    const doc = opml();
    expect(doc['@_version']).toBe('2.0');
    expect(doc.head.title).toBe(settings.title);
    expect(Object.keys(doc.head)).not.toContain('dateCreated');
    expect(Object.keys(doc.head)).not.toContain('dateModified');
  });

  it('lists exactly the RSS feeds that exist, each with the page it belongs to', () => {
    const feeds = flatten(opml().body.outline).filter((o) => o['@_xmlUrl']);
    expect(feeds.every((o) => o['@_type'] === 'rss')).toBe(true);
    expect(feeds.map((o) => fileOfUrl(o['@_xmlUrl']!)).sort()).toEqual([...files.keys()].filter((p) => p.endsWith('rss.xml')).sort());
    for (const o of feeds) expect(fileOfUrl(o['@_htmlUrl']!)).toBe(fileOfUrl(o['@_xmlUrl']!)!.replace(/rss\.xml$/, 'index.html'));
  });

  it('groups the feeds by the category tree, names exactly as written', () => {
    const top = asArray(opml().body.outline);
    expect(fileOfUrl(top[0]!['@_xmlUrl']!)).toBe('rss.xml');
    const hostileFolder = top.find((o) => o['@_text'] === HOSTILE_CATS[0])!;
    expect(hostileFolder).toBeDefined();
    const inner = asArray(hostileFolder.outline);
    expect(inner[0]!['@_text']).toBe(HOSTILE_CATS[0]);
    expect(inner[1]!['@_text']).toBe(HOSTILE_CATS[1]);
    expect(asArray(inner[1]!.outline).map((o) => o['@_text'])).toEqual([HOSTILE_CATS.slice(0, 2).join(' › '), HOSTILE_CATS.join(' › ')]);
  });
});

describe('a hostile Markdown article through `build`', () => {
  let dir: string;
  const out = new Map<string, string>();
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'syndic-pages-'));
    await mkdir(path.join(dir, 'content', 'a b'), { recursive: true });
    // Titles are plain text after parsing: entities are how markup characters reach a title.
    const md = `---
title: '&lt;script&gt;alert(1)&lt;/script&gt; &quot;&gt;&lt;img src=x onerror=alert(1)&gt; ]]&gt;'
author: '&quot;&gt;&lt;img src=x onerror=alert(2)&gt;'
date: 2024-03-01 08:00:00
categories:
  - '&lt;b&gt;News'
  - ']]> & co'
---
Hello <script>alert(9)</script> **world**
`;
    await writeFile(path.join(dir, 'content', 'a b', 'weird ?#%.md'), md);
    const result = await build({
      content: new FsStore(path.join(dir, 'content')),
      contentPrefix: '',
      out: new FsStore(path.join(dir, 'out')),
      outPrefix: '',
      settings,
      log: () => {},
    });
    expect(result.rejected).toEqual([]);
    for (const key of result.written) out.set(key, await readFile(path.join(dir, 'out', key), 'utf8'));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('keeps the decoded hostile title as text in every page and feed', async () => {
    const title = `<script>alert(1)</script> "><img src=x onerror=alert(1)> ]]>`;
    expect((JSON.parse(out.get('feed.json')!) as { items: { title: string }[] }).items[0]!.title).toBe(title);
    const page = out.get('articles/a b/weird ?#%/index.html')!;
    expect(textOf(elements(parseHtml(page), 'h1')[0]!)).toBe(title);
    for (const [key, body] of out) {
      if (key.endsWith('.html')) expect(scriptVectors(parseHtml(body)), key).toEqual([]);
      if (key.endsWith('.xml') || key.endsWith('.opml') || key.endsWith('.xsl')) expect(wellFormedXml(body), key).toEqual([]);
      if (key.endsWith('rss.xml')) expect((await parseWithRssParser(body)).items[0]?.title, key).toBe(title);
    }
  });
});

// Acceptance: `syndic build --content ../shared/corpus/articles` over the 90 real articles.
// Builds once (twice, for the byte-identity check) in beforeAll, parses every feed once, then asserts.
import { readFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSettings } from '../../src/cli/config.js';
import { execFileSync } from 'node:child_process';
import { siblingSlugs } from '../../src/core/categories.js';
import type { Entry } from '../../src/core/entry.js';
import { processArticle } from '../../src/core/pipeline.js';
import type { Settings } from '../../src/core/settings.js';
import type { Logger } from '../../src/log.js';
import { build, type BuildResult } from '../../src/build/publish.js';
import { FsStore } from '../../src/store/fs-store.js';
import { buildSite, CONTENT_TYPES } from '../../src/core/site.js';
import {
  asArray,
  ATOM_RNG,
  contentTypeProblems,
  CORPUS_DIR,
  disposeAtomValidator,
  missingItemFields,
  parseWithFeedsmith,
  parseWithRssParser,
  parseXml,
  unsafeContent,
  validateAtom,
  validateJsonFeed,
  w3cProblems,
  wellFormedXml,
  type ParsedFeed,
} from '../helpers/feeds.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const INVALID_DATE_FILES = ['dribbble-01.md', 'dribbble-02.md', 'dribbble-03.md', 'stcn-01.md'];
const QR_PROMO = '海量资讯、精准解读，尽在新浪财经APP';
const RFC822 = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} (GMT|[+-]\d{4})$/;

interface JsonFeedItem {
  id: string;
  url: string;
  title: string;
  content_html: string;
  date_published: string;
  date_modified: string;
}
interface JsonFeedDoc {
  items: JsonFeedItem[];
  feed_url: string;
}

let tmp: string;
let settings: Settings;
let result: BuildResult;
let second: BuildResult;
const warnings: string[] = [];
/** Output files of the first build, path → text. */
const files = new Map<string, string>();
/** Output files of a second build into a fresh folder. */
const filesAgain = new Map<string, string>();
const rss = new Map<string, { xml: string; feedsmith: ParsedFeed; rssParser: ParsedFeed; tree: Record<string, unknown> }>();
const atom = new Map<string, { xml: string; feedsmith: ParsedFeed; rssParser: ParsedFeed; tree: Record<string, unknown> }>();
const json = new Map<string, JsonFeedDoc>();
const parseErrors: string[] = [];

const capture: Logger = (level, msg) => {
  if (level === 'warn') warnings.push(msg);
};

async function readTree(store: FsStore, into: Map<string, string>) {
  for (const o of await store.list('')) into.set(o.key, new TextDecoder().decode((await store.get(o.key))!.body));
}

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'syndic-corpus-'));
  settings = await loadSettings(ROOT);
  const out = new FsStore(path.join(tmp, 'a'));
  const content = new FsStore(CORPUS_DIR);
  result = await build({ content, contentPrefix: '', out, outPrefix: '', settings, log: capture });
  await readTree(out, files);
  // The same content into a fresh folder, and again into the first one.
  const outB = new FsStore(path.join(tmp, 'b'));
  await build({ content, contentPrefix: '', out: outB, outPrefix: '', settings, log: () => {} });
  await readTree(outB, filesAgain);
  second = await build({ content, contentPrefix: '', out, outPrefix: '', settings, log: () => {} });

  for (const [p, body] of files) {
    const base = path.posix.basename(p);
    if (base === 'rss.xml' || base === 'atom.xml') {
      const format = base === 'rss.xml' ? 'rss' : 'atom';
      // A parser that throws fails its own test below, not the whole file.
      const failed = (parser: string, e: unknown): ParsedFeed => {
        parseErrors.push(`${p} (${parser}): ${(e as Error).message.split('\n')[0]}`);
        return { items: [], raw: null };
      };
      let feedsmith: ParsedFeed;
      let rssParser: ParsedFeed;
      try {
        feedsmith = parseWithFeedsmith(body, format);
      } catch (e) {
        feedsmith = failed('feedsmith', e);
      }
      try {
        rssParser = await parseWithRssParser(body);
      } catch (e) {
        rssParser = failed('rss-parser', e);
      }
      (format === 'rss' ? rss : atom).set(p, { xml: body, feedsmith, rssParser, tree: parseXml(body) });
    } else if (base === 'feed.json') json.set(p, JSON.parse(body) as JsonFeedDoc);
  }
});

afterAll(async () => {
  disposeAtomValidator();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

/** Expected public URL of an output file. */
const urlOf = (p: string) => `${settings.siteUrl}/${p.split('/').map(encodeURIComponent).join('/')}`;

describe('building the corpus', () => {
  it('publishes every article and rejects none', () => {
    expect(result.rejected.map((e) => e.message)).toEqual([]);
    expect(result.entries).toHaveLength(90);
    expect(result.drafts).toEqual([]);
  });

  it('dates the four `date: Invalid Date` articles by the first time Syndic saw them (no date in their paths), with a one-line warning naming each file', () => {
    for (const f of INVALID_DATE_FILES) {
      const mine = warnings.filter((w) => w.includes(f));
      expect(mine, f).toHaveLength(1);
      expect(mine[0], f).toMatch(new RegExp(`^${f.replace('.', '\\.')}: unreadable date "Invalid Date"; using the first time Syndic saw it, \\d{4}-`));
      const entry = result.entries.find((e) => e.id === f.replace(/\.md$/, ''))!;
      expect(mine[0]).toContain(entry.date);
      // The same bytes seen at the same time always give the same entry, whatever the file's mtime.
      const bytes = readFileSync(path.join(CORPUS_DIR, f));
      const firstSeen = new Date(entry.date);
      const again = processArticle({ id: entry.id, file: f, bytes, uploadedAt: firstSeen }, settings);
      expect(again.kind === 'entry' && again.dateSource).toBe('first-seen');
      expect(again.kind === 'entry' && again.entry).toEqual(entry);
    }
    expect(warnings.every((w) => INVALID_DATE_FILES.some((f) => w.includes(f)))).toBe(true);
  });

  it('writes the site feeds and the feeds of every node of every category hierarchy', () => {
    for (const f of ['rss.xml', 'atom.xml', 'feed.json']) expect(files.has(f), f).toBe(true);
    // Slugs of each node's children, computed per parent (siblings that collide get hash suffixes).
    const children = new Map<string, Set<string>>();
    for (const e of result.entries)
      for (const cats of e.categories)
        for (let i = 1; i <= cats.length; i++) {
          const parent = JSON.stringify(cats.slice(0, i - 1));
          children.set(parent, (children.get(parent) ?? new Set()).add(cats[i - 1]!));
        }
    const slugOf = (parent: string[], name: string) => siblingSlugs([...children.get(JSON.stringify(parent))!]).get(name)!;
    const nodes = new Map<string, Entry[]>();
    for (const e of result.entries)
      for (const cats of e.categories)
        for (let i = 1; i <= cats.length; i++) {
          const dir = `categories/${cats.slice(0, i).map((name, k) => slugOf(cats.slice(0, k), name)).join('/')}/`;
          nodes.set(dir, [...(nodes.get(dir) ?? []), e]);
        }
    expect(nodes.size).toBeGreaterThan(90 / 3);
    for (const [dir, entries] of nodes) {
      for (const f of ['rss.xml', 'atom.xml', 'feed.json']) expect(files.has(dir + f), dir + f).toBe(true);
      const expected = [...new Set(entries)]
        .sort((a, b) => (a.date < b.date ? 1 : a.date > b.date ? -1 : a.id < b.id ? -1 : 1))
        .slice(0, settings.feedLimit)
        .map((e) => e.url);
      expect(json.get(dir + 'feed.json')!.items.map((i) => i.url), dir).toEqual(expected);
    }
    // Nothing but the site and those nodes.
    expect(json.size).toBe(nodes.size + 1);
  });

  it('is byte-identical when built twice, and a rebuild writes nothing', () => {
    expect([...filesAgain.keys()]).toEqual([...files.keys()]);
    for (const [p, body] of files) expect(filesAgain.get(p) === body, p).toBe(true);
    expect(second.written).toEqual([]);
    expect(second.deleted).toEqual([]);
    expect(second.unchanged).toBe(files.size);
  });
});

describe('every feed is valid', () => {
  it('every XML file is well-formed', () => {
    const xmlFiles = [...files.keys()].filter((p) => /\.(xml|xsl|opml)$/.test(p));
    expect(xmlFiles.length).toBeGreaterThan(50);
    for (const p of xmlFiles) expect(wellFormedXml(files.get(p)!), p).toEqual([]);
  });

  it('every Atom feed validates against the RELAX NG grammar of RFC 4287, and every entry has an author', () => {
    expect(atom.size).toBe(json.size);
    for (const [p, f] of atom) expect(validateAtom(f.xml), p).toEqual([]);
  });

  it('every JSON feed validates against the JSON Feed 1.1 schema', () => {
    for (const p of json.keys()) expect(validateJsonFeed(files.get(p)!), p).toEqual([]);
  });

  it('every RSS and Atom feed parses with feedsmith and rss-parser, items carrying title, link, id, date and content', () => {
    expect(parseErrors).toEqual([]);
    for (const [p, f] of [...rss, ...atom]) {
      const expectedCount = json.get(p.replace(/(rss|atom)\.xml$/, 'feed.json'))!.items.length;
      for (const parsed of [f.feedsmith, f.rssParser]) {
        expect(parsed.title, p).toBeTruthy();
        expect(parsed.items, p).toHaveLength(expectedCount);
        for (const item of parsed.items) expect(missingItemFields(item), `${p} ${item.link}`).toEqual([]);
      }
      // Both parsers read the same items, in the same order, as the JSON feed.
      const urls = json.get(p.replace(/(rss|atom)\.xml$/, 'feed.json'))!.items.map((i) => i.url);
      expect(f.feedsmith.items.map((i) => i.link), p).toEqual(urls);
      expect(f.rssParser.items.map((i) => i.link), p).toEqual(urls);
      expect(f.feedsmith.items.map((i) => i.id), p).toEqual(urls);
    }
  });

  it('item titles agree across the three formats, and Atom titles are plain text (type="text")', () => {
    for (const [p, doc] of json) {
      const titles = doc.items.map((i) => i.title);
      const dir = p.slice(0, -'feed.json'.length);
      expect(rss.get(dir + 'rss.xml')!.feedsmith.items.map((i) => i.title), p).toEqual(titles);
      expect(atom.get(dir + 'atom.xml')!.feedsmith.items.map((i) => i.title), p).toEqual(titles);
      expect(atom.get(dir + 'atom.xml')!.xml.match(/<title type="(?!text")/g), p).toBeNull();
    }
  });

  it('every RSS and Atom feed: 0 errors and 0 warnings in the W3C validator rules checked offline (test/helpers/feeds.ts)', () => {
    let checked = 0;
    for (const [p, f] of rss) {
      expect(w3cProblems(f.xml, { format: 'rss', location: urlOf(p) }), p).toEqual([]);
      checked++;
    }
    for (const [p, f] of atom) {
      expect(w3cProblems(f.xml, { format: 'atom', location: urlOf(p) }), p).toEqual([]);
      checked++;
    }
    expect(checked).toBe(2 * json.size);
    expect(contentTypeProblems('rss', CONTENT_TYPES.rss)).toEqual([]);
    expect(contentTypeProblems('atom', CONTENT_TYPES.atom)).toEqual([]);
  });

  it('every Atom feed is valid for jing (RELAX NG, RFC 4287)', (ctx) => {
    const atomFiles = [...atom.keys()].map((p) => path.join(tmp, 'a', p));
    let out: string;
    try {
      out = execFileSync('jing', [ATOM_RNG, ...atomFiles], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (e) {
      const err = e as { code?: string; stdout?: string };
      if (err.code === 'ENOENT') {
        console.warn('jing is not installed (Debian: apt-get install -y jing): skipping the jing check');
        ctx.skip();
        return;
      }
      out = err.stdout ?? String(e);
    }
    expect(out.trim()).toBe('');
    expect(atomFiles.length).toBeGreaterThan(40);
  });
});

describe('item content is safe and clean', () => {
  const contents = () => {
    const out: [string, string][] = [];
    for (const [p, doc] of json) for (const i of doc.items) out.push([`${p} ${i.id}`, i.content_html]);
    for (const [p, f] of [...rss, ...atom]) for (const i of [...f.feedsmith.items, ...f.rssParser.items]) out.push([`${p} ${i.link}`, i.content ?? '']);
    return out;
  };

  it('has no script, style, iframe, event handler, javascript: URL or escaped markup', () => {
    const all = contents();
    expect(all.length).toBeGreaterThan(1000);
    for (const [where, html] of all) expect(unsafeContent(html), where).toEqual([]);
  });

  it('has no 新浪财经 QR-code promo block', async () => {
    for (const [where, html] of contents()) expect(html.includes(QR_PROMO), where).toBe(false);
    // The promo is really in the corpus, so this check can fail.
    const withPromo = (await readdir(CORPUS_DIR)).filter((f) => readFileSync(path.join(CORPUS_DIR, f), 'utf8').includes(QR_PROMO));
    expect(withPromo.length).toBeGreaterThan(0);
  });

  it('keeps images with referrerpolicy="no-referrer"', () => {
    let images = 0;
    for (const doc of json.values())
      for (const i of doc.items)
        for (const img of i.content_html.match(/<img\b[^>]*>/g) ?? []) {
          images++;
          expect(img, i.id).toContain('referrerpolicy="no-referrer"');
          expect(img, i.id).toMatch(/ src="https:\/\/|src="http:\/\//);
        }
    expect(images).toBeGreaterThan(50);
  });
});

describe('feed metadata', () => {
  it('the site feed holds at most feedLimit items, newest first, ties broken by id', () => {
    const items = json.get('feed.json')!.items;
    expect(items).toHaveLength(Math.min(settings.feedLimit, result.entries.length));
    const newest = [...result.entries]
      .sort((a, b) => (a.date < b.date ? 1 : a.date > b.date ? -1 : a.id < b.id ? -1 : 1))
      .slice(0, settings.feedLimit);
    expect(items.map((i) => i.url)).toEqual(newest.map((e) => e.url));
    for (let k = 1; k < items.length; k++) expect(items[k - 1]!.date_published >= items[k]!.date_published).toBe(true);
  });

  it('lastBuildDate and updated equal the newest item date, not the build time', () => {
    for (const [p, doc] of json) {
      const newest = doc.items.map((i) => i.date_modified).sort().at(-1)!;
      const dir = p.slice(0, -'feed.json'.length);
      const channel = (rss.get(dir + 'rss.xml')!.tree.rss as { channel: Record<string, unknown> }).channel;
      // RFC 822 dates have whole seconds.
      expect(new Date(channel.lastBuildDate as string).toISOString(), dir).toBe(new Date(Math.floor(Date.parse(newest) / 1000) * 1000).toISOString());
      const feed = atom.get(dir + 'atom.xml')!.tree.feed as Record<string, unknown>;
      expect(new Date(feed.updated as string).toISOString(), dir).toBe(new Date(newest).toISOString());
    }
  });

  it('every feed links to itself (atom:link rel="self" in RSS too) and to its HTML alternate', () => {
    for (const [p, f] of rss) {
      const channel = (f.tree.rss as { channel: Record<string, unknown> }).channel;
      const self = asArray(channel['atom:link'] as Record<string, string>[]).find((l) => l['@_rel'] === 'self');
      expect(self?.['@_href'], p).toBe(urlOf(p));
      expect(self?.['@_type'], p).toBe('application/rss+xml');
      expect(channel.link, p).toBe(urlOf(p.slice(0, -'rss.xml'.length)));
      expect(channel.language, p).toBe(settings.language);
      expect(channel.generator, p).toBeTruthy();
    }
    for (const [p, f] of atom) {
      const links = asArray((f.tree.feed as Record<string, unknown>).link as Record<string, string>[]);
      expect(links.find((l) => l['@_rel'] === 'self')?.['@_href'], p).toBe(urlOf(p));
      expect(links.find((l) => l['@_rel'] === 'alternate')?.['@_href'], p).toBe(urlOf(p.slice(0, -'atom.xml'.length)));
    }
    for (const [p, doc] of json) expect(doc.feed_url, p).toBe(urlOf(p));
  });
});

describe('RSS 2.0 rules of the W3C feed validator', () => {
  const items = () =>
    [...rss].flatMap(([p, f]) => asArray((f.tree.rss as { channel: { item?: unknown } }).channel.item).map((i) => [p, i as Record<string, unknown>] as const));

  it('the channel has title, link, description and an RFC 822 lastBuildDate', () => {
    for (const [p, f] of rss) {
      const channel = (f.tree.rss as { channel: Record<string, unknown> }).channel;
      for (const k of ['title', 'link', 'description']) expect(String(channel[k] ?? '').trim(), `${p} ${k}`).not.toBe('');
      expect(channel.lastBuildDate, p).toMatch(RFC822);
    }
  });

  it('items have RFC 822 pubDates, permalink guids, and no bare-name <author>', () => {
    const all = items();
    expect(all.length).toBeGreaterThan(200);
    for (const [p, item] of all) {
      expect(item.pubDate, p).toMatch(RFC822);
      const guid = item.guid as Record<string, string>;
      expect(guid['@_isPermaLink'], p).toBe('true');
      expect(guid['#text'], p).toBe(item.link);
      expect(guid['#text'], p).toMatch(/^https?:\/\//);
      // RSS <author> must be an e-mail address; names go into dc:creator.
      for (const a of asArray(item.author as string[])) expect(String(a), p).toMatch(/^\S+@\S+/);
    }
  });

  it('enclosures carry url, an integer length and a MIME type; media:content a url', () => {
    let enclosures = 0;
    for (const [p, item] of items()) {
      for (const enc of asArray(item.enclosure as Record<string, string>[])) {
        enclosures++;
        expect(enc['@_url'], p).toMatch(/^https?:\/\//);
        expect(enc['@_length'], p).toMatch(/^\d+$/);
        expect(enc['@_type'], p).toMatch(/^image\/(jpeg|png|gif|webp|avif|svg\+xml|bmp|x-icon)$/);
      }
      expect(asArray(item.enclosure).length, p).toBeLessThanOrEqual(1);
      for (const m of asArray(item['media:content'] as Record<string, string>[])) expect(m['@_url'], p).toMatch(/^https?:\/\//);
    }
    expect(enclosures).toBeGreaterThan(0);
  });
});

describe('Atom rules RELAX NG cannot check', () => {
  it('entry ids are unique in a feed and equal the alternate link', () => {
    for (const [p, f] of atom) {
      const ids = f.feedsmith.items.map((i) => i.id);
      expect(new Set(ids).size, p).toBe(ids.length);
      for (const i of f.feedsmith.items) expect(i.id, p).toBe(i.link);
    }
  });

  it('enclosure links have a proper image type or none at all', async () => {
    const wrong = [...atom.values()].flatMap((f) => f.xml.match(/<link rel="enclosure"[^>]*>/g) ?? []).filter((l) => / type="(?!image\/(jpeg|png|gif|webp|avif|svg\+xml|bmp|x-icon)")/.test(l));
    expect(wrong).toEqual([]);
    // The corpus has extension-less image URLs (36kr); they must not get `image/<name>` types.
    expect(await readFile(path.join(CORPUS_DIR, '36kr-01.md'), 'utf8')).toBeTruthy();
  });
});

describe('issue 12 on the published corpus', () => {
  const QR = 'https://n.sinaimg.cn/finance/cece9e13/20200514/343233024.png';
  const PLACEHOLDER = /^https?:\/\/([^/]+\.)?(picsum\.photos|placeholder\.com|placehold\.co|dummyimage\.com|loremflickr\.com)\//;

  it('no lead image is a random placeholder or the sina QR promo, in any format', () => {
    const leads: string[] = [];
    for (const doc of json.values()) for (const i of doc.items as (JsonFeedItem & { image?: string })[]) if (i.image) leads.push(i.image);
    for (const f of rss.values())
      for (const item of asArray((f.tree.rss as { channel: { item?: unknown } }).channel.item) as Record<string, Record<string, string>>[]) {
        if (item['media:content']) leads.push(item['media:content']['@_url']!);
        if (item.enclosure) leads.push(item.enclosure['@_url']!);
      }
    for (const f of atom.values()) for (const m of f.xml.matchAll(/<link rel="enclosure" href="([^"]+)"/g)) leads.push(m[1]!.replace(/&amp;/g, '&'));
    expect(leads.length).toBeGreaterThan(100);
    expect(leads.filter((u) => PLACEHOLDER.test(u) || u === QR)).toEqual([]);
    // The corpus does have them, so this can fail.
    const raw = readFileSync(path.join(CORPUS_DIR, 'stcn-01.md'), 'utf8') + readFileSync(path.join(CORPUS_DIR, 'sina-finance-01.md'), 'utf8');
    expect(raw).toContain('picsum.photos');
    expect(raw).toContain(`headimg: '${QR}'`);
  });

  it('every item has a description, image-only items included', () => {
    for (const doc of json.values()) for (const i of doc.items as (JsonFeedItem & { summary?: string })[]) expect(i.summary?.trim(), i.id).toBeTruthy();
    const acfun = [...json.values()].flatMap((d) => d.items as (JsonFeedItem & { summary?: string })[]).find((i) => i.id.endsWith('/acfun-01/'))!;
    expect(acfun.summary).toBe('1 image');
  });

  it('code and hidden text: juejin-01 keeps its JSX lines, sspai-01 and zhihu-01 show nothing the source hid', () => {
    const content = (id: string) => [...json.values()].flatMap((d) => d.items).find((i) => i.id.endsWith(`/${id}/`))!.content_html;
    expect(content('juejin-01')).toContain('&lt;button onClick={()=&gt;{this.props.history.push(\'/detail/88\')}}&gt;去详情页&lt;/button&gt;');
    expect(content('juejin-01')).toContain('&lt;Route exact path="/detail/:id" component={Detail}&gt;&lt;/Route&gt;');
    expect(content('juejin-01')).not.toContain('复制代码');
    expect(content('sspai-01')).not.toContain('扫码分享');
    expect(content('zhihu-01')).not.toContain('查看知乎原文');
  });
});

describe('the corpus with the options set (summary feeds, feed images, copyright, Hexo permalinks)', () => {
  let optFiles: Map<string, string>;
  let optSettings: Settings;

  beforeAll(async () => {
    optSettings = { ...settings, content: 'summary', icon: '/favicon.png', logo: '/logo.png', copyright: '© Syndic 示例站', permalink: ':year/:month/:day/:title/' };
    const entries: Entry[] = [];
    for (const f of (await readdir(CORPUS_DIR)).filter((x) => x.endsWith('.md')).sort()) {
      const r = processArticle({ id: f.slice(0, -3), file: f, bytes: readFileSync(path.join(CORPUS_DIR, f)), uploadedAt: new Date('2024-01-02T03:04:05.000Z') }, optSettings);
      if (r.kind === 'entry') entries.push(r.entry);
    }
    optFiles = new Map(buildSite(entries, optSettings).map((f) => [f.path, f.body]));
  });

  it('every feed is valid: RELAX NG, JSON Feed schema and the offline W3C rules', () => {
    let feeds = 0;
    for (const [p, body] of optFiles) {
      if (p.endsWith('rss.xml')) expect(w3cProblems(body, { format: 'rss', location: urlOf(p) }), p).toEqual([]);
      else if (p.endsWith('atom.xml')) {
        expect(w3cProblems(body, { format: 'atom', location: urlOf(p) }), p).toEqual([]);
        expect(validateAtom(body), p).toEqual([]);
      } else if (p.endsWith('feed.json')) expect(validateJsonFeed(body), p).toEqual([]);
      else continue;
      feeds++;
    }
    expect(feeds).toBe(3 * json.size);
  });

  it('carries summaries, not content; the images and copyright; pages at their Hexo addresses', () => {
    const site = optFiles.get('rss.xml')!;
    expect(site).not.toContain('<content:encoded>');
    expect(site).toContain(`<copyright>© Syndic 示例站</copyright>`);
    expect(optFiles.get('atom.xml')).toContain(`<icon>${settings.siteUrl}/favicon.png</icon>`);
    expect(optFiles.get('atom.xml')).not.toContain('<content ');
    // Hexo's default permalink, from each article's date in the site zone (Asia/Shanghai here).
    expect(optFiles.has('2021/12/28/sina-finance-01/index.html')).toBe(true);
    expect([...optFiles.keys()].filter((p) => p.startsWith('articles/'))).toEqual([]);
    const doc = JSON.parse(optFiles.get('feed.json')!) as { items: { url: string; content_text?: string; content_html?: string }[] };
    for (const i of doc.items) {
      expect(i.url, i.url).toMatch(new RegExp(`^${settings.siteUrl}/\\d{4}/\\d\\d/\\d\\d/[^/]+/$`));
      expect(i.content_text ?? i.content_html, i.url).toBeTruthy();
    }
  });
});

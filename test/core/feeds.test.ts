// Feed rendering: every output is checked with the same validators and parsers as the corpus (RELAX
// NG, JSON Feed schema, the W3C validator's rules), and the text a reader sees must equal the text we meant.
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { imageType, toEntry, type Entry } from '../../src/core/entry.js';
import { distinctUpdated, feedHtml, feedUpdated, renderFeeds, type FeedMeta } from '../../src/core/feeds/index.js';
import { resolveSettings } from '../../src/core/settings.js';
import { buildSite } from '../../src/core/site.js';
import {
  disposeAtomValidator,
  parseWithFeedsmith,
  parseWithRssParser,
  parseXml,
  asArray,
  validateAtom,
  validateJsonFeed,
  w3cProblems,
  wellFormedXml,
} from '../helpers/feeds.js';

afterAll(() => disposeAtomValidator());

const META: FeedMeta = {
  title: 'Site',
  description: 'About',
  homeUrl: 'https://s.example/',
  feedUrls: { rss: 'https://s.example/rss.xml', atom: 'https://s.example/atom.xml', json: 'https://s.example/feed.json' },
  language: 'zh-CN',
  author: 'Site Team',
};

function entry(over: Partial<Entry> = {}): Entry {
  const id = over.id ?? 'a';
  return {
    id,
    url: `https://s.example/articles/${id}/`,
    title: `Title ${id}`,
    date: '2022-04-02T12:47:38.000Z',
    updated: '2022-04-02T12:47:38.000Z',
    categories: [],
    tags: [],
    contentHtml: `<p>Body of ${id}</p>`,
    summary: `Body of ${id}`,
    ...over,
  };
}

/**
 * Renders, validates all three formats (with the W3C validator's rules unless the test feeds text
 * that looks like HTML on purpose), and returns what two parsers and the JSON read back.
 */
async function roundTrip(entries: Entry[], meta: FeedMeta = META, w3c = true) {
  const f = renderFeeds(meta, entries);
  expect(wellFormedXml(f.rss)).toEqual([]);
  expect(wellFormedXml(f.atom)).toEqual([]);
  expect(validateAtom(f.atom)).toEqual([]);
  expect(validateJsonFeed(f.json)).toEqual([]);
  if (w3c) {
    expect(w3cProblems(f.rss, { format: 'rss', location: meta.feedUrls.rss })).toEqual([]);
    expect(w3cProblems(f.atom, { format: 'atom', location: meta.feedUrls.atom })).toEqual([]);
  }
  const json = JSON.parse(f.json) as Record<string, unknown> & { items: Record<string, unknown>[] };
  return {
    ...f,
    jsonDoc: json,
    rssFs: parseWithFeedsmith(f.rss, 'rss'),
    rssRp: await parseWithRssParser(f.rss),
    atomFs: parseWithFeedsmith(f.atom, 'atom'),
    atomRp: await parseWithRssParser(f.atom),
  };
}


describe('escaping: text survives exactly', () => {
  it('keeps several `]]>` in content and titles from breaking the XML, and the text intact', async () => {
    const title = 'a ]]> b ]]> c ]]]]> d';
    const r = await roundTrip([entry({ title, contentHtml: '<p>x ]]> y ]]> z</p><pre>]]]]>></pre>', summary: 'one ]]> two ]]> three' })]);
    for (const p of [r.rssFs, r.rssRp]) expect(p.items[0]!.title).toBe(title);
    expect(r.atomFs.items[0]!.title).toBe(title);
    expect(r.jsonDoc.items[0]!.title).toBe(title);
    // In HTML, `]]&gt;` and `]]>` are the same text.
    for (const p of [r.rssFs, r.atomFs, r.rssRp]) expect(p.items[0]!.content!.replace(/&gt;/g, '>')).toBe('<p>x ]]> y ]]> z</p><pre>]]]]>></pre>');
  });

  it('strips control characters, U+FFFE/U+FFFF and lone surrogates, keeping tab, LF, CR and emoji', async () => {
    const bad = 'a\u0000b\u0001c\u0008d\u000Be\u000Cf\u001Fg\uFFFEh\uFFFFi\uD800j\uDC00k';
    const r = await roundTrip([entry({ title: `T ${bad} 🦈`, contentHtml: `<p>${bad}\tx\ny 🦈</p>`, summary: bad, author: `Au${bad}` })], { ...META, title: `S${bad}` }, false);
    for (const xml of [r.rss, r.atom, r.json]) expect(xml).not.toMatch(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/);
    expect(r.jsonDoc.items[0]!.title).toBe('T abcdefghijk 🦈');
    expect(r.jsonDoc.items[0]!.content_html).toBe('<p>abcdefghijk\tx\ny 🦈</p>');
    expect(r.rssFs.items[0]!.title).toBe('T abcdefghijk 🦈');
  });

  it('writes `<` and `&` in category names and tags as text, in every format', async () => {
    const names = ['R&D', 'a < b > c', 'x &amp; y', 'q"uote', '新浪财经－国內'];
    // `x &amp; y` is text that looks like HTML: the W3C validator would warn (ContainsHTML), rightly.
    const r = await roundTrip([entry({ categories: [names.slice(0, 3)], tags: names.slice(3) })], META, false);
    expect(r.jsonDoc.items[0]!.tags).toEqual(names);
    const rssCats = (r.rssFs.raw as { items: { categories: { name: string }[] }[] }).items[0]!.categories.map((c) => c.name);
    expect(rssCats).toEqual(names);
    const atomCats = (r.atomFs.raw as { entries: { categories: { term: string; label?: string }[] }[] }).entries[0]!.categories;
    expect(atomCats.map((c) => c.term)).toEqual(names);
    expect(atomCats.map((c) => c.label)).toEqual(names);
  });

  it('keeps a literal `&amp;` in text (titles, authors, feed title) as `&amp;`', async () => {
    const r = await roundTrip([entry({ title: 'Tom &amp; Jerry & co', author: 'A &amp; B' })], { ...META, title: 'S &amp; T', author: 'Team &amp; Co' }, false);
    expect(r.jsonDoc.items[0]!.title).toBe('Tom &amp; Jerry & co');
    expect(r.rssFs.items[0]!.title).toBe('Tom &amp; Jerry & co');
    expect(r.rssRp.items[0]!.title).toBe('Tom &amp; Jerry & co');
    expect(r.atomFs.items[0]!.title).toBe('Tom &amp; Jerry & co');
    expect((r.rssFs.raw as { items: { dc: { creators: string[] } }[] }).items[0]!.dc.creators).toEqual(['A &amp; B']);
    expect((r.atomFs.raw as { entries: { authors: { name: string }[] }[] }).entries[0]!.authors[0]!.name).toBe('A &amp; B');
    expect(r.rssFs.title).toBe('S &amp; T');
    expect(r.atomFs.title).toBe('S &amp; T');
    expect(r.jsonDoc.title).toBe('S &amp; T');
    expect((r.atomFs.raw as { authors: { name: string }[] }).authors[0]!.name).toBe('Team &amp; Co');
  });

  it('keeps `&` in image URLs escaped in every attribute', async () => {
    const url = 'https://i.example/a.jpg?x=1&y=2&amp=3';
    const r = await roundTrip([entry({ image: { url, type: 'image/jpeg' } })]);
    const item = (r.rssFs.raw as { items: { enclosures: { url: string }[]; media: { contents: { url: string }[] } }[] }).items[0]!;
    expect(item.enclosures[0]!.url).toBe(url);
    expect(item.media.contents[0]!.url).toBe(url);
    expect((r.atomFs.raw as { entries: { links: { rel?: string; href: string }[] }[] }).entries[0]!.links.find((l) => l.rel === 'enclosure')!.href).toBe(url);
  });
});

describe('header images', () => {
  it('reads the MIME type from the extension, and gives none when the URL does not say', () => {
    expect(imageType('https://i.example/a.jpg')).toBe('image/jpeg');
    expect(imageType('https://i.example/a.JPEG?x=1')).toBe('image/jpeg');
    expect(imageType('https://i.example/a.png#f')).toBe('image/png');
    expect(imageType('https://i.example/a.webp')).toBe('image/webp');
    expect(imageType('https://i.example/img_000')).toBeUndefined();
    expect(imageType('https://i.example/a.php?img.jpg')).toBeUndefined();
    expect(imageType('https://i.example/dir.v2/file')).toBeUndefined();
  });

  it('RSS gets an enclosure with length and type only when the type is known; Atom and JSON always link the image', async () => {
    const r = await roundTrip([
      entry({ id: 'typed', image: { url: 'https://i.example/a.jpg', type: 'image/jpeg' } }),
      entry({ id: 'untyped', image: { url: 'https://i.example/img_000' } }),
    ]);
    const rssItems = asArray((parseXml(r.rss).rss as { channel: { item: Record<string, unknown>[] } }).channel.item);
    const typed = rssItems.find((i) => String(i.link).includes('typed/') && !String(i.link).includes('untyped'))!;
    const untyped = rssItems.find((i) => String(i.link).includes('untyped'))!;
    expect(typed.enclosure).toEqual({ '@_url': 'https://i.example/a.jpg', '@_length': '0', '@_type': 'image/jpeg' });
    expect(untyped.enclosure).toBeUndefined();
    expect((untyped['media:content'] as Record<string, string>)['@_url']).toBe('https://i.example/img_000');
    expect(r.atom).toContain('<link rel="enclosure" href="https://i.example/a.jpg" type="image/jpeg"/>');
    expect(r.atom).toContain('<link rel="enclosure" href="https://i.example/img_000"/>');
    expect(r.atom).not.toMatch(/image\/img_000|image\/jpg"/);
    expect(r.jsonDoc.items.map((i) => i.image)).toEqual(['https://i.example/a.jpg', 'https://i.example/img_000']);
  });

  it('toEntry resolves the header image against the permalink and types it', () => {
    const settings = resolveSettings({ siteUrl: 'https://s.example' });
    const base = { id: 'p/q', title: 't', date: '2022-01-01T00:00:00.000Z', updated: '2022-01-01T00:00:00.000Z', categories: [], tags: [], html: '<p>x</p>', draft: false };
    expect(toEntry({ ...base, image: '//i.example/a.JPG' }, settings).image).toEqual({ url: 'https://i.example/a.JPG', type: 'image/jpeg' });
    expect(toEntry({ ...base, image: 'cover.png' }, settings).image).toEqual({ url: 'https://s.example/articles/p/q/cover.png', type: 'image/png' });
    expect(toEntry({ ...base, image: 'javascript:alert(1)' }, settings).image).toBeUndefined();
  });
});

describe('RSS specifics', () => {
  it('names authors with dc:creator, never a bare <author>', async () => {
    const r = await roundTrip([entry({ author: '新浪财经' })]);
    const item = (parseXml(r.rss).rss as { channel: { item: Record<string, unknown> } }).channel.item;
    expect(item['dc:creator']).toBe('新浪财经');
    expect(item.author).toBeUndefined();
    expect(r.rss).toContain('xmlns:dc="http://purl.org/dc/elements/1.1/"');
  });

  it('uses the permalink as a permalink guid, and links to itself with atom:link', async () => {
    const r = await roundTrip([entry()]);
    expect(r.rss).toContain('<guid isPermaLink="true">https://s.example/articles/a/</guid>');
    expect(r.rss).toContain('<atom:link href="https://s.example/rss.xml" rel="self" type="application/rss+xml"/>');
    expect(r.rssFs.items[0]!.date).toBe('Sat, 02 Apr 2022 12:47:38 GMT');
  });
});

describe('JSON Feed 1.1', () => {
  it('has the 1.1 shape: version URL, authors, language; no 1.0 `author`', async () => {
    const r = await roundTrip([entry({ author: 'Ann', tags: ['t'], image: { url: 'https://i.example/a.png', type: 'image/png' } })]);
    const doc = r.jsonDoc;
    expect(doc.version).toBe('https://jsonfeed.org/version/1.1');
    expect(doc.language).toBe('zh-CN');
    expect(doc.authors).toEqual([{ name: 'Site Team' }]);
    expect(doc.author).toBeUndefined();
    expect(doc.home_page_url).toBe('https://s.example/');
    expect(doc.feed_url).toBe('https://s.example/feed.json');
    const item = doc.items[0]!;
    expect(item.authors).toEqual([{ name: 'Ann' }]);
    expect(item.author).toBeUndefined();
    expect(item).toMatchObject({ id: 'https://s.example/articles/a/', url: 'https://s.example/articles/a/', content_html: '<p>Body of a</p>', summary: 'Body of a', date_published: '2022-04-02T12:47:38.000Z', date_modified: '2022-04-02T12:47:38.000Z', tags: ['t'], image: 'https://i.example/a.png' });
  });
});

describe('feed dates and order', () => {
  it('an empty feed is still valid, dated at the epoch (never the build time)', async () => {
    // The W3C validator calls 1970 implausible (ImplausibleDate); an empty feed has no better date,
    // and only the site's own feed can be empty (before its first article).
    const r = await roundTrip([], META, false);
    expect(r.atom).toContain('<updated>1970-01-01T00:00:00.000Z</updated>');
    expect(r.rss).toContain('<lastBuildDate>Thu, 01 Jan 1970 00:00:00 GMT</lastBuildDate>');
    expect(r.jsonDoc.items).toEqual([]);
  });

  it('updated / lastBuildDate is the latest change among the items', async () => {
    const entries = [entry({ id: 'a', date: '2022-01-05T00:00:00.000Z', updated: '2022-01-05T00:00:00.000Z' }), entry({ id: 'b', date: '2022-01-01T00:00:00.000Z', updated: '2022-03-01T10:00:00.000Z' })];
    expect(feedUpdated(entries).toISOString()).toBe('2022-03-01T10:00:00.000Z');
    const r = await roundTrip(entries);
    expect(r.atom).toContain('<updated>2022-03-01T10:00:00.000Z</updated>');
    expect(r.rss).toContain('<lastBuildDate>Tue, 01 Mar 2022 10:00:00 GMT</lastBuildDate>');
    // Each item keeps its own published and updated dates.
    expect(r.jsonDoc.items[1]).toMatchObject({ date_published: '2022-01-01T00:00:00.000Z', date_modified: '2022-03-01T10:00:00.000Z' });
    expect(r.atom).toContain('<published>2022-01-01T00:00:00.000Z</published>');
  });

  it('site and category feeds list newest first, ties broken by id, at most feedLimit items', () => {
    const settings = resolveSettings({ siteUrl: 'https://s.example', feedLimit: 3 });
    const day = (d: number) => `2022-01-0${d}T00:00:00.000Z`;
    const entries = [
      entry({ id: 'old', date: day(1), updated: day(1), categories: [['c']] }),
      entry({ id: 'tie-b', date: day(3), updated: day(3), categories: [['c']] }),
      entry({ id: 'new', date: day(4), updated: day(4) }),
      entry({ id: 'tie-a', date: day(3), updated: day(3), categories: [['c']] }),
      entry({ id: 'mid', date: day(2), updated: day(2), categories: [['c']] }),
    ];
    const files = buildSite(entries, settings);
    const ids = (p: string) => (JSON.parse(files.find((f) => f.path === p)!.body) as { items: { id: string }[] }).items.map((i) => i.id.split('/').at(-2));
    expect(ids('feed.json')).toEqual(['new', 'tie-a', 'tie-b']);
    expect(ids('categories/c/feed.json')).toEqual(['tie-a', 'tie-b', 'mid']);
    // Input order does not matter.
    const again = buildSite([...entries].reverse(), settings);
    expect(again.map((f) => f.body)).toEqual(files.map((f) => f.body));
  });
});

describe('issue 12: what readers see', () => {
  it('writes Atom titles as plain text (type="text"), so every reader shows them literally', async () => {
    const r = await roundTrip([entry({ title: '"React" 路由 & <Route> 传参' })], META, false);
    expect(r.atom).toContain('<title type="text">"React" 路由 &amp; &lt;Route&gt; 传参</title>');
    expect(r.atom).not.toContain('type="html"><![CDATA["React"');
    expect(r.atomFs.items[0]!.title).toBe('"React" 路由 & <Route> 传参');
    expect(r.atomRp.items[0]!.title).toBe('"React" 路由 & <Route> 传参');
    expect(r.atom).toContain('<title type="text">Site</title>');
  });

  it('gives every RSS item a description, before content:encoded (W3C NeedDescriptionBeforeContent)', async () => {
    const r = await roundTrip([entry({ id: 'img', contentHtml: '<p><img src="https://i.example/a.png" referrerpolicy="no-referrer" /></p>', summary: '1 image' })]);
    const item = r.rss.slice(r.rss.indexOf('<item>'));
    expect(item.indexOf('<description>')).toBeGreaterThan(0);
    expect(item.indexOf('<description>')).toBeLessThan(item.indexOf('<content:encoded>'));
    expect(r.rssFs.items[0]!.content).toContain('<img');
    expect((r.rssFs.raw as { items: { description: string }[] }).items[0]!.description).toBe('1 image');
  });

  it('never gives two items of one feed the same updated instant: the smallest id keeps it, the next move on by a millisecond', async () => {
    const t = '2022-04-02T12:47:38.000Z';
    const entries = ['c', 'a', 'b'].map((id) => entry({ id, date: t, updated: t }));
    entries.push(entry({ id: 'd', date: t, updated: '2022-04-02T12:47:38.001Z' }), entry({ id: 'e', date: '2022-01-01T00:00:00.000Z', updated: '2022-01-01T00:00:00.000Z' }));
    const r = await roundTrip(entries);
    const updated = (p: string) => /<updated>([^<]+)<\/updated>/.exec(r.atom.slice(r.atom.indexOf(`<id>https://s.example/articles/${p}/</id>`)))![1];
    expect(['a', 'b', 'c', 'd', 'e'].map(updated)).toEqual([
      // d keeps its own instant (.001); b and c step over it.
      '2022-04-02T12:47:38.000Z', '2022-04-02T12:47:38.002Z', '2022-04-02T12:47:38.003Z', '2022-04-02T12:47:38.001Z', '2022-01-01T00:00:00.000Z',
    ]);
    expect(r.jsonDoc.items.map((i) => i.date_modified)).toEqual(['c', 'a', 'b', 'd', 'e'].map(updated));
    // The feed's own updated is the latest of them; published dates are left as they are.
    expect(r.atom).toContain('<updated>2022-04-02T12:47:38.003Z</updated>\n    <generator>');
    expect(r.jsonDoc.items.map((i) => i.date_published)).toEqual([t, t, t, t, '2022-01-01T00:00:00.000Z']);
    // Deterministic: input order does not matter, the same entries give the same bytes.
    expect(distinctUpdated([...entries].reverse())).toEqual(distinctUpdated(entries));
    expect(renderFeeds(META, entries)).toEqual(renderFeeds(META, entries));
  });

  it('puts the feed icon, logo and copyright in all three formats, valid for the W3C rules', async () => {
    const meta = { ...META, icon: 'https://s.example/favicon.png', logo: 'https://s.example/logo.png', copyright: '© 2024 Site & Co' };
    const r = await roundTrip([entry()], meta);
    expect(r.atom).toContain('<icon>https://s.example/favicon.png</icon>');
    expect(r.atom).toContain('<logo>https://s.example/logo.png</logo>');
    expect(r.atom).toContain('<rights type="text">© 2024 Site &amp; Co</rights>');
    expect(r.rss).toContain('<copyright>© 2024 Site &amp; Co</copyright>');
    // The order of url, title and link inside <image> carries no meaning (feed writes title first).
    expect((parseXml(r.rss).rss as { channel: { image: unknown } }).channel.image).toMatchObject({ url: 'https://s.example/logo.png', title: 'Site', link: 'https://s.example/' });
    expect(r.jsonDoc).toMatchObject({ icon: 'https://s.example/logo.png', favicon: 'https://s.example/favicon.png' });
    // Without them: none of the elements.
    const plain = await roundTrip([entry()]);
    for (const tag of ['<icon>', '<logo>', '<rights', '<copyright>', '<image>']) expect(plain.atom + plain.rss, tag).not.toContain(tag);
    expect(plain.jsonDoc.icon).toBeUndefined();
  });

  it('in summary mode carries the summary, or the <!--more--> excerpt, instead of the content', async () => {
    const meta: FeedMeta = { ...META, content: 'summary' };
    const r = await roundTrip([entry({ id: 'plain', summary: 'A < b & c' }), entry({ id: 'more', excerptHtml: '<p>Intro <strong>bold</strong></p>', summary: 'Intro bold' })], meta);
    expect(r.rss).not.toContain('<content:encoded>');
    expect(r.atom).not.toContain('<content');
    expect(r.rss).toContain('<description><![CDATA[A &lt; b &amp; c]]></description>');
    expect(r.rss).toContain('<description><![CDATA[<p>Intro <strong>bold</strong></p>]]></description>');
    expect(r.atom).toContain('<summary type="html"><![CDATA[<p>Intro <strong>bold</strong></p>]]></summary>');
    expect(r.jsonDoc.items[0]).toMatchObject({ content_text: 'A < b & c', summary: 'A < b & c' });
    expect(r.jsonDoc.items[0]!.content_html).toBeUndefined();
    expect(r.jsonDoc.items[1]).toMatchObject({ content_html: '<p>Intro <strong>bold</strong></p>', summary: 'Intro bold' });
    for (const p of [r.rssFs, r.atomFs]) expect(p.items.map((i) => i.link)).toEqual(['https://s.example/articles/plain/', 'https://s.example/articles/more/']);
    // Full mode (the default) still carries the content, the excerpt only as nothing more.
    const full = await roundTrip([entry({ id: 'more', excerptHtml: '<p>Intro</p>', contentHtml: '<p>Intro</p><p>rest</p>' })]);
    expect(full.rssFs.items[0]!.content).toBe('<p>Intro</p><p>rest</p>');
  });

  it('uses the article’s own id in all three formats: RSS guid (not a permalink), Atom id, JSON id', async () => {
    const guid = 'https://old.example/2019/01/02/hello/';
    const r = await roundTrip([entry({ id: 'a', guid }), entry({ id: 'b', guid: 'urn:uuid:6e8bc430-9c3a-11d9-9669-0800200c9a66' })]);
    expect(r.rss).toContain(`<guid isPermaLink="false">${guid}</guid>`);
    expect(r.rss).toContain('<guid isPermaLink="false">urn:uuid:6e8bc430-9c3a-11d9-9669-0800200c9a66</guid>');
    expect(r.atomFs.items.map((i) => i.id)).toEqual([guid, 'urn:uuid:6e8bc430-9c3a-11d9-9669-0800200c9a66']);
    expect(r.jsonDoc.items.map((i) => i.id)).toEqual([guid, 'urn:uuid:6e8bc430-9c3a-11d9-9669-0800200c9a66']);
    expect(r.jsonDoc.items.map((i) => i.url)).toEqual(['https://s.example/articles/a/', 'https://s.example/articles/b/']);
    expect(r.rssFs.items.map((i) => i.link)).toEqual(['https://s.example/articles/a/', 'https://s.example/articles/b/']);
    // A guid equal to the link stays a permalink.
    expect((await roundTrip([entry({ guid: 'https://s.example/articles/a/' })])).rss).toContain('<guid isPermaLink="true">https://s.example/articles/a/</guid>');
  });

  it('publishes podcast-style attachments: one RSS enclosure, every Atom rel="enclosure", JSON Feed attachments', async () => {
    const enclosures = [
      { url: 'https://cdn.example/ep1.mp3', type: 'audio/mpeg', length: 12345678, title: 'Episode 1' },
      { url: 'https://cdn.example/ep1.ogg', type: 'audio/ogg', length: 0 },
    ];
    const r = await roundTrip([entry({ enclosures, image: { url: 'https://i.example/cover.jpg', type: 'image/jpeg' } })]);
    const rssItem = (parseXml(r.rss).rss as { channel: { item: Record<string, unknown> } }).channel.item;
    expect(rssItem.enclosure).toEqual({ '@_url': 'https://cdn.example/ep1.mp3', '@_length': '12345678', '@_type': 'audio/mpeg' });
    expect(r.atom).toContain('<link rel="enclosure" href="https://cdn.example/ep1.mp3" type="audio/mpeg" length="12345678" title="Episode 1"/>');
    expect(r.atom).toContain('<link rel="enclosure" href="https://cdn.example/ep1.ogg" type="audio/ogg"/>');
    // The lead image stays the item's image, not one more enclosure.
    expect(r.atom).not.toContain('<link rel="enclosure" href="https://i.example/cover.jpg"');
    expect((rssItem['media:content'] as Record<string, string>)['@_url']).toBe('https://i.example/cover.jpg');
    expect(r.jsonDoc.items[0]).toMatchObject({
      image: 'https://i.example/cover.jpg',
      attachments: [
        { url: 'https://cdn.example/ep1.mp3', mime_type: 'audio/mpeg', title: 'Episode 1', size_in_bytes: 12345678 },
        { url: 'https://cdn.example/ep1.ogg', mime_type: 'audio/ogg' },
      ],
    });
    const fs = (r.rssFs.raw as { items: { enclosures: { url: string }[] }[] }).items[0]!.enclosures;
    expect(fs.map((e) => e.url)).toEqual(['https://cdn.example/ep1.mp3']);
  });

  it('leaves `controls` off <video>/<audio> in feeds (W3C SecurityRiskAttr) and links the file instead', async () => {
    const html = '<p>x</p><video src="https://v.example/a.mp4?x=1&amp;y=2" controls="controls" width="100%"></video><audio controls><source src="https://v.example/b.mp3" /></audio><video src="https://v.example/c.mp4"></video>';
    expect(feedHtml(html)).toBe(
      '<p>x</p><video src="https://v.example/a.mp4?x=1&amp;y=2" width="100%"></video><a href="https://v.example/a.mp4?x=1&amp;y=2">https://v.example/a.mp4?x=1&amp;y=2</a>' +
        '<audio><source src="https://v.example/b.mp3" /></audio><a href="https://v.example/b.mp3">https://v.example/b.mp3</a><video src="https://v.example/c.mp4"></video>',
    );
    const r = await roundTrip([entry({ contentHtml: html })]);
    expect(r.jsonDoc.items[0]!.content_html).toBe(feedHtml(html));
    expect(r.rss).not.toContain('controls');
  });
});

describe('distinctUpdated, for any entries', () => {
  it('gives distinct instants, keeps every unshared instant and every group’s smallest id, ignores input order', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.tuple(fc.string({ minLength: 1, maxLength: 3 }), fc.integer({ min: 0, max: 6 })), { selector: (t) => t[0], maxLength: 25 }), (pairs) => {
        const entries = pairs.map(([id, ms]) => ({ id, updated: new Date(Date.UTC(2022, 0, 1) + ms).toISOString() }));
        const out = distinctUpdated(entries);
        const values = [...out.values()];
        if (new Set(values).size !== values.length) return false;
        for (const e of entries) {
          const sharing = entries.filter((x) => x.updated === e.updated);
          const smallest = sharing.map((x) => x.id).sort()[0];
          if ((sharing.length === 1 || e.id === smallest) && out.get(e.id) !== e.updated) return false;
          if (out.get(e.id)! < e.updated) return false;
        }
        return JSON.stringify([...distinctUpdated([...entries].reverse())].sort()) === JSON.stringify([...out].sort());
      }),
      { seed: 12, numRuns: 500 },
    );
  });
});

// The wrapper around the `feed` package (src/core/feeds/fixes.ts): each bug of feed 6.0.0 is shown in
// feed's own output (so an upgrade that fixes one makes its test fail and says which workaround can
// go), then the fix at work, alone and through renderFeeds.
import { Feed, type FeedOptions, type Item } from 'feed';
import { afterAll, describe, expect, it } from 'vitest';
import type { Entry } from '../../src/core/entry.js';
import { attrValue, cdataHtml, clean, jsonFeed11, Placeholders, rootAttributes, text, type JsonFeed10 } from '../../src/core/feeds/fixes.js';
import { renderFeeds, type FeedMeta } from '../../src/core/feeds/index.js';
import { asArray, disposeAtomValidator, parseWithFeedsmith, parseXml, validateAtom, validateJsonFeed, w3cProblems, wellFormedXml } from '../helpers/feeds.js';

afterAll(() => disposeAtomValidator());

const OPTIONS: FeedOptions = { id: 'https://s.example/atom.xml', title: 'Site', description: 'About', link: 'https://s.example/', updated: new Date('2022-04-02T12:47:38Z'), feedLinks: { rss: 'https://s.example/rss.xml', atom: 'https://s.example/atom.xml' }, author: { name: 'Team' } };
const ITEM: Item = { title: 'T', link: 'https://s.example/a/', date: new Date('2022-04-02T12:47:38Z'), description: 'd', content: '<p>c</p>' };

/** feed's own output for one item (and feed options) changed by `over`. */
function raw(format: 'rss2' | 'atom1' | 'json1', item: Partial<Item> = {}, options: Partial<FeedOptions> = {}): string {
  const f = new Feed({ ...OPTIONS, ...options });
  f.addItem({ ...ITEM, ...item });
  return f[format]();
}

const rssItem = (xml: string) => (parseXml(xml).rss as { channel: { item: Record<string, unknown> } }).channel.item;
const atomEntry = (xml: string) => (parseXml(xml).feed as { entry: Record<string, unknown> }).entry;
const none = () => '';

const META: FeedMeta = {
  title: 'Site',
  description: 'About',
  homeUrl: 'https://s.example/',
  feedUrls: { rss: 'https://s.example/rss.xml', atom: 'https://s.example/atom.xml', json: 'https://s.example/feed.json' },
  language: 'zh-CN',
  author: 'Site Team',
};
const entry = (over: Partial<Entry> = {}): Entry => ({
  id: 'a',
  url: 'https://s.example/articles/a/',
  title: 'Title',
  date: '2022-04-02T12:47:38.000Z',
  updated: '2022-04-02T12:47:38.000Z',
  categories: [],
  tags: [],
  contentHtml: '<p>Body</p>',
  summary: 'Body',
  ...over,
});

describe('1. element text: xml-js turns `&amp;` into `&`', () => {
  it('feed loses a literal `&amp;`; text() keeps it', () => {
    expect(rssItem(raw('rss2', { category: [{ name: 'x &amp; y' }] })).category).toBe('x & y');
    expect(rssItem(raw('rss2', { category: [{ name: text('x &amp; y') }] })).category).toBe('x &amp; y');
    expect(text('a &amp; b & c')).toBe('a &amp;amp; b & c');
  });
});

describe('2. attribute values feed does not escape', () => {
  it('a stylesheet href is written as given: `?>` ends the instruction early, `&` and `<` break its pseudo-attribute grammar; attrValue() escapes it', () => {
    expect(wellFormedXml(raw('rss2', {}, { stylesheet: '/rss.xsl?x=1&y=2?>' }))).not.toEqual([]);
    expect(raw('rss2', {}, { stylesheet: '/rss.xsl?v=1&x=<2>' })).toContain('<?xml-stylesheet href="/rss.xsl?v=1&x=<2>" type="text/xsl"?>');
    const xml = raw('rss2', {}, { stylesheet: attrValue('/rss.xsl?v=1&x=<2>"?>') });
    expect(wellFormedXml(xml)).toEqual([]);
    expect(xml).toContain('<?xml-stylesheet href="/rss.xsl?v=1&amp;x=&lt;2&gt;&quot;?&gt;" type="text/xsl"?>');
  });

  it('a `<` in an Atom category breaks the XML (feed escapes only `&`); sanitizedAttr() + restore() fix it', () => {
    expect(wellFormedXml(raw('atom1', { category: [{ term: 'a < b & c' }] }))).not.toEqual([]);
    const fx = new Placeholders(none);
    const xml = fx.restore(raw('atom1', { category: [{ term: fx.sanitizedAttr('a < b & c'), name: fx.sanitizedAttr('x &amp; <y>') }] }));
    expect(wellFormedXml(xml)).toEqual([]);
    expect(atomEntry(xml).category).toEqual({ '@_term': 'a < b & c', '@_label': 'x &amp; <y>' });
  });

  it('extension attributes are written as given: attrValue() escapes the media:content URL', () => {
    const url = 'https://i.example/a.jpg?x=1&y=2';
    expect(wellFormedXml(raw('rss2', { extensions: [{ name: 'media:content', objects: { _attributes: { url } } }] }, {}).replace('<rss ', '<rss xmlns:media="http://search.yahoo.com/mrss/" '))).not.toEqual([]);
    const r = renderFeeds(META, [entry({ image: { url, type: 'image/jpeg' } })]);
    expect((rssItem(r.rss)['media:content'] as Record<string, string>)['@_url']).toBe(url);
  });
});

describe('3. CDATA: xml-js splits only the first `]]>`', () => {
  it('two `]]>` in content break the XML; cdataHtml() writes them `]]&gt;`', () => {
    const html = '<p>a ]]> b ]]> c</p>';
    expect(wellFormedXml(raw('rss2', { content: html }))).not.toEqual([]);
    expect(cdataHtml(html)).toBe('<p>a ]]&gt; b ]]&gt; c</p>');
    expect(wellFormedXml(raw('rss2', { content: cdataHtml(html) }))).toEqual([]);
  });

  it('plain text in a CDATA title keeps every `]]>` through cdataText()', () => {
    const title = 'a ]]> b ]]> c ]]]]> d';
    expect(wellFormedXml(raw('rss2', { title }))).not.toEqual([]);
    const fx = new Placeholders(none);
    const xml = fx.restore(raw('rss2', { title: fx.cdataText(title) }));
    expect(wellFormedXml(xml)).toEqual([]);
    expect(rssItem(xml).title).toBe(title);
  });
});

describe('4. characters XML forbids', () => {
  it('feed writes them through; clean() drops them and keeps tab, newlines and emoji', () => {
    expect(wellFormedXml(raw('atom1', { title: 'a\u0001b' }))).not.toEqual([]);
    expect(clean('a\u0000b\u0001c\uFFFEd\uD800e\t\n\r🦈')).toBe('abcde\t\n\r🦈');
  });
});

describe('5. URLs feed passes through new URL()', () => {
  const ids = ['https://old.example?p=123', 'HTTPS://Old.Example/Post', 'https://old.example/文章/', 'https://old.example:443/a'];

  it('feed rewrites item ids, so readers would see old items as new', () => {
    for (const id of ids) expect(atomEntry(raw('atom1', { id })).id, id).not.toBe(id);
    expect(() => raw('atom1', { id: 'https://[x]/' })).toThrow();
  });

  it('Placeholders.url() leaves a URL new URL() keeps as it is, and puts any other back exactly', () => {
    const fx = new Placeholders(none);
    expect(fx.url('https://s.example/a/?x=1&y=2')).toBe('https://s.example/a/?x=1&y=2');
    for (const id of [...ids, 'https://[x]/']) {
      const xml = fx.restore(raw('atom1', { id: fx.url(id), link: fx.url(id) }));
      expect(atomEntry(xml).id, id).toBe(id);
      expect((atomEntry(xml).link as Record<string, string>)['@_href'], id).toBe(id);
    }
  });

  it('the stand-in host is one no input of the document mentions', () => {
    const fx = new Placeholders(() => 'see https://syndic-0.invalid/0/ and syndic-1.invalid');
    const token = fx.url('https://old.example?p=1');
    expect(token).toBe('https://syndic-2.invalid/0/');
    expect(fx.restore(`<id>${token}</id><p>https://syndic-0.invalid/0/</p>`)).toBe('<id>https://old.example?p=1</id><p>https://syndic-0.invalid/0/</p>');
  });

  it('through renderFeeds, an article’s own id stays as written in all three formats', async () => {
    const guid = 'https://Old.Example?p=1&q=2';
    const r = renderFeeds(META, [entry({ guid })]);
    expect(wellFormedXml(r.rss)).toEqual([]);
    expect(validateAtom(r.atom)).toEqual([]);
    expect(parseWithFeedsmith(r.rss, 'rss').items[0]!.id).toBe(guid);
    expect(parseWithFeedsmith(r.atom, 'atom').items[0]!.id).toBe(guid);
    expect((JSON.parse(r.json) as { items: { id: string }[] }).items[0]!.id).toBe(guid);
  });
});

describe('6. elements feed writes the wrong way, or cannot write', () => {
  it('feed writes Atom entry titles as type="html" CDATA; an element placeholder makes them plain text', () => {
    expect(raw('atom1', { title: 'A & B' })).toContain('<title type="html"><![CDATA[A & B]]></title>');
    const fx = new Placeholders(none);
    const xml = fx.restore(raw('atom1', { title: fx.element('<title type="text">A &amp; &lt;B&gt;</title>') }, { title: fx.element('<title type="text">Site</title>') }));
    expect(xml).toContain('<title type="text">A &amp; &lt;B&gt;</title>');
    expect(xml).toContain('<title type="text">Site</title>');
    expect(validateAtom(xml)).toEqual([]);
  });

  it('feed invents enclosure types from the extension and writes one enclosure per kind', () => {
    expect(raw('atom1', { enclosure: { url: 'https://i.example/a.jpg' } })).toContain('type="image/jpg"');
    expect(raw('atom1', { enclosure: { url: 'https://i.example/img_000' } })).toContain('type="image//img_000"');
    expect(raw('rss2', { enclosure: { url: 'https://cdn.example/ep.mp3' } })).toContain('type="image/mp3"');
    // Through renderFeeds: every attachment with its own type, in the entry's place of `rights`.
    const enclosures = [
      { url: 'https://cdn.example/ep.mp3', type: 'audio/mpeg', length: 5, title: 'A & B' },
      { url: 'https://cdn.example/ep.ogg?x=1&y=2', type: 'audio/ogg', length: 0 },
    ];
    const r = renderFeeds(META, [entry({ enclosures })]);
    expect(validateAtom(r.atom)).toEqual([]);
    const links = asArray(atomEntry(r.atom).link as Record<string, string>[]).filter((l) => l['@_rel'] === 'enclosure');
    expect(links).toEqual([
      { '@_rel': 'enclosure', '@_href': 'https://cdn.example/ep.mp3', '@_type': 'audio/mpeg', '@_length': '5', '@_title': 'A & B' },
      { '@_rel': 'enclosure', '@_href': 'https://cdn.example/ep.ogg?x=1&y=2', '@_type': 'audio/ogg' },
    ]);
    expect(r.atom).not.toContain('<rights');
  });

  it('a placeholder feed writes where no fix expects it fails loudly instead of publishing it', () => {
    const fx = new Placeholders(none);
    expect(() => fx.restore(raw('rss2', { title: fx.element('<title>x</title>') }, { stylesheet: fx.element('x') }))).toThrow(/placeholder/);
  });

  it('article text cannot forge a placeholder: U+0000 never reaches feed', async () => {
    const r = renderFeeds(META, [entry({ title: 'x \u0000e0\u0000 \u00000\u0000 y', summary: '\u00000\u0000' })]);
    expect(r.atom).toContain('<title type="text">x e0 0 y</title>');
    expect((JSON.parse(r.json) as { items: { title: string }[] }).items[0]!.title).toBe('x e0 0 y');
  });
});

describe('7. root attributes feed leaves out', () => {
  it('RSS declares dc only when an item has content: dc:creator in a summary feed would not be XML', () => {
    const creator = { extensions: [{ name: 'dc:creator', objects: { _text: 'Ann' } }], content: undefined };
    expect(wellFormedXml(raw('rss2', creator))).toEqual(['libxml2: Namespace prefix dc on creator is not defined']);
    const r = renderFeeds({ ...META, content: 'summary' }, [entry({ author: 'Ann' })]);
    expect(r.rss).not.toContain('<content:encoded>');
    expect(wellFormedXml(r.rss)).toEqual([]);
    expect(w3cProblems(r.rss, { format: 'rss', location: META.feedUrls.rss })).toEqual([]);
  });

  it('Atom gets no xml:lang; rootAttributes() adds what is missing and nothing twice', () => {
    expect(raw('atom1')).toContain('<feed xmlns="http://www.w3.org/2005/Atom">');
    const xml = '<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><feed a="b"/></feed>';
    expect(rootAttributes(xml, 'feed', { xmlns: 'x', 'xml:lang': 'zh-CN', q: 'a"<&' })).toBe('<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom" xml:lang="zh-CN" q="a&quot;&lt;&amp;"><feed a="b"/></feed>');
    expect(renderFeeds(META, []).atom).toContain('<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="zh-CN">');
  });

  it('feed writes a person’s name as RSS <author>, which must be an e-mail address', () => {
    expect(w3cProblems(raw('rss2', { author: [{ name: 'Ann' }] }), { format: 'rss', location: 'https://s.example/rss.xml' })).toContain('E InvalidContact: item 1 author Ann');
    const item = rssItem(renderFeeds(META, [entry({ author: 'Ann' })]).rss);
    expect(item.author).toBeUndefined();
    expect(item['dc:creator']).toBe('Ann');
  });
});

describe('8. JSON Feed: feed writes 1.0', () => {
  it('version 1, `author`, `tags: []`, and no summary when the content is empty', () => {
    const v1 = JSON.parse(raw('json1', { id: 'https://s.example/a/', content: '', author: [{ name: 'Ann' }], category: [] })) as JsonFeed10 & { items: Record<string, unknown>[] };
    expect(v1.version).toBe('https://jsonfeed.org/version/1');
    expect(v1.author).toEqual({ name: 'Team' });
    expect(v1.items[0]).toMatchObject({ author: { name: 'Ann' }, tags: [], content_html: '' });
    expect(v1.items[0]!.summary).toBeUndefined();
    expect(validateJsonFeed(v1)).not.toEqual([]);
  });

  it('jsonFeed11() maps it to 1.1, valid for the 1.1 schema', () => {
    const v1 = JSON.parse(raw('json1', { id: 'https://s.example/a/', content: '', author: [{ name: 'Ann' }], category: [] })) as JsonFeed10;
    const doc = jsonFeed11(v1, {
      language: 'zh-CN',
      favicon: 'https://s.example/favicon.png',
      hub: 'https://hub.example/',
      items: [{ summary: 'd', plainText: false, attachments: [{ url: 'https://cdn.example/a.mp3', mime_type: 'audio/mpeg' }] }],
    });
    expect(validateJsonFeed(doc)).toEqual([]);
    expect(doc).toMatchObject({ version: 'https://jsonfeed.org/version/1.1', language: 'zh-CN', authors: [{ name: 'Team' }], favicon: 'https://s.example/favicon.png', hubs: [{ type: 'WebSub', url: 'https://hub.example/' }] });
    expect(doc.author).toBeUndefined();
    const item = (doc.items as Record<string, unknown>[])[0]!;
    expect(item).toMatchObject({ authors: [{ name: 'Ann' }], summary: 'd', content_html: '', attachments: [{ url: 'https://cdn.example/a.mp3', mime_type: 'audio/mpeg' }] });
    expect(item.tags).toBeUndefined();
    expect(item.author).toBeUndefined();
    // Plain text is content_text.
    const text = jsonFeed11(v1, { language: 'en', items: [{ summary: 'd', plainText: true }] });
    expect((text.items as Record<string, unknown>[])[0]).toMatchObject({ content_text: '' });
  });
});

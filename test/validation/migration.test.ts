// Moving a Hexo blog to Syndic re-runs nothing for existing subscribers: with Hexo's permalink
// pattern, every article keeps the RSS guid, Atom id and JSON id that Hexo's feed plugins gave it.
// The expected ids are what real Hexo wrote (hexo-fixture/README.md says how and with which versions).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { decodeXML } from 'entities';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Entry } from '../../src/core/entry.js';
import { processArticle } from '../../src/core/pipeline.js';
import { resolveSettings, type Settings } from '../../src/core/settings.js';
import { buildSite } from '../../src/core/site.js';
import { asArray, parseXml, w3cProblems } from '../helpers/feeds.js';

const FIXTURE = path.join(import.meta.dirname, 'hexo-fixture');
const POSTS = path.join(FIXTURE, 'source/_posts');

/** Title → id, as one feed file lists its items. */
type Ids = Map<string, string>;

/** An element's text as an XML reader has it (fast-xml-parser leaves numeric references like `&#39;`). */
const text = (v: unknown) => decodeXML(typeof v === 'object' && v !== null ? String((v as Record<string, unknown>)['#text']) : String(v));

function hexoIds(): { rss: Ids; atom: Ids; json: Ids } {
  const rssItems = asArray((parseXml(readFileSync(path.join(FIXTURE, 'public/rss2.xml'), 'utf8')).rss as { channel: { item: unknown } }).channel.item) as Record<string, unknown>[];
  const atomEntries = asArray((parseXml(readFileSync(path.join(FIXTURE, 'public/atom.xml'), 'utf8')).feed as { entry: unknown }).entry) as Record<string, unknown>[];
  const jsonItems = (JSON.parse(readFileSync(path.join(FIXTURE, 'public/feed.json'), 'utf8')) as { items: { title: string; guid: string }[] }).items;
  return {
    rss: new Map(rssItems.map((i) => [text(i.title), text(i.guid)])),
    atom: new Map(atomEntries.map((e) => [text(e.title), text(e.id)])),
    json: new Map(jsonItems.map((i) => [i.title, i.guid])),
  };
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

/** The fixture posts as Syndic reads them: `source/_posts/` uploaded as `content/`. */
function posts(): { id: string; file: string; bytes: Uint8Array }[] {
  return walk(POSTS)
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((f) => ({ id: path.relative(POSTS, f).slice(0, -3).split(path.sep).join('/'), file: path.relative(POSTS, f), bytes: readFileSync(f) }));
}

/** What Syndic publishes for the posts: title → the three item ids, read back from the feeds. */
function syndicIds(settings: Settings, edit: (p: { id: string; bytes: Uint8Array }) => Uint8Array = (p) => p.bytes) {
  const entries: Entry[] = [];
  for (const p of posts()) {
    const r = processArticle({ id: p.id, file: p.file, bytes: edit(p), uploadedAt: new Date('2024-01-01T00:00:00Z') }, settings);
    if (r.kind !== 'entry') throw new Error(`${p.file}: ${r.kind === 'rejected' ? r.error.message : r.kind}`);
    entries.push(r.entry);
  }
  const files = new Map(buildSite(entries, settings).map((f) => [f.path, f.body]));
  const rssItems = asArray((parseXml(files.get('rss.xml')!).rss as { channel: { item: unknown } }).channel.item) as Record<string, unknown>[];
  const atomEntries = asArray((parseXml(files.get('atom.xml')!).feed as { entry: unknown }).entry) as Record<string, unknown>[];
  const jsonItems = (JSON.parse(files.get('feed.json')!) as { items: { title: string; id: string }[] }).items;
  return {
    files,
    rss: new Map(rssItems.map((i) => [text(i.title), text(i.guid)])) as Ids,
    rssPermaLink: rssItems.map((i) => (i.guid as Record<string, string>)['@_isPermaLink']),
    atom: new Map(atomEntries.map((e) => [text(e.title), text(e.id)])) as Ids,
    json: new Map(jsonItems.map((i) => [i.title, i.id])) as Ids,
  };
}

// The site as the fixture's _config.yml describes it, in Syndic's settings.
const settings = resolveSettings({ siteUrl: 'https://blog.example.com', timezone: 'Asia/Shanghai', permalink: ':year/:month/:day/:title/', feedLimit: 50 });
// Hexo read `date: 2022-04-02T20:00:00Z` (a YAML timestamp with an offset) as 20:00 in its zone;
// Syndic honours the offset. docs/feeds.md: such articles take one `permalink:` line.
const LATE_NIGHT = 'Late night in UTC';

let hexo: ReturnType<typeof hexoIds>;
let ours: ReturnType<typeof syndicIds>;
beforeAll(() => {
  hexo = hexoIds();
  ours = syndicIds(settings);
});

describe('migrating a Hexo site (hexo-generator-feed 3.0.0, hexo-generator-json-feed 1.0.0, permalink :year/:month/:day/:title/)', () => {
  it('the fixture is real Hexo output over the same posts', () => {
    expect(posts()).toHaveLength(11);
    expect(hexo.rss.size).toBe(11);
    expect(hexo.atom.size).toBe(11);
    expect(hexo.json.size).toBe(11);
    expect([...hexo.rss.values()].every((id) => id.startsWith('https://blog.example.com/'))).toBe(true);
    expect(readFileSync(path.join(FIXTURE, 'public/atom.xml'), 'utf8')).toContain('<generator uri="https://hexo.io/">Hexo</generator>');
  });

  it('keeps every RSS guid, Atom id and JSON id Hexo gave (10 of 11 with no change to the posts)', () => {
    const titles = [...hexo.rss.keys()].filter((t) => t !== LATE_NIGHT);
    expect(titles).toHaveLength(10);
    for (const t of titles) {
      expect(ours.rss.get(t), `RSS guid of ${t}`).toBe(hexo.rss.get(t));
      expect(ours.atom.get(t), `Atom id of ${t}`).toBe(hexo.atom.get(t));
      expect(ours.json.get(t), `JSON id of ${t}`).toBe(hexo.json.get(t));
    }
    // Hexo's guids carry no isPermaLink, which means true: so do Syndic's.
    expect(new Set(ours.rssPermaLink)).toEqual(new Set(['true']));
    // The hard cases are among them: + & = ' in a file name, CJK paths, an article's own permalink, a date-only date.
    expect(ours.rss.get("C++ & Rust: a=b, it's +1")).toBe("https://blog.example.com/2022/04/02/notes/C++%20&%20Rust%20a=b%20it's%20+1/");
    expect(ours.rss.get('Moved post')).toBe('https://blog.example.com/archives/moved-post/');
    expect(ours.rss.get('Date only')).toBe('https://blog.example.com/2020/02/29/date-only/');
  });

  it('a date written with an explicit offset needs the one documented line, then matches too', () => {
    expect(ours.rss.get(LATE_NIGHT)).toBe('https://blog.example.com/2022/04/03/late-night/');
    expect(hexo.rss.get(LATE_NIGHT)).toBe('https://blog.example.com/2022/04/02/late-night/');
    const fixed = syndicIds(settings, (p) => (p.id === 'late-night' ? new TextEncoder().encode(new TextDecoder().decode(p.bytes).replace('---\n', '---\npermalink: 2022/04/02/late-night/\n')) : p.bytes));
    for (const [k, ids] of [['rss', fixed.rss], ['atom', fixed.atom], ['json', fixed.json]] as const) expect(ids.get(LATE_NIGHT), k).toBe(hexo[k].get(LATE_NIGHT));
  });

  it('the migrated feeds are valid, and the pages are where Hexo had them', () => {
    const url = (p: string) => `https://blog.example.com/${p.split('/').map(encodeURIComponent).join('/')}`;
    for (const [p, body] of ours.files) {
      if (p.endsWith('rss.xml')) expect(w3cProblems(body, { format: 'rss', location: url(p) }), p).toEqual([]);
      if (p.endsWith('atom.xml')) expect(w3cProblems(body, { format: 'atom', location: url(p) }), p).toEqual([]);
    }
    expect(ours.files.has('2021/12/28/金融/新浪财经/新浪财经－国內/"100种方法刑事你"的女书记登门道歉，当事人：没诚意/index.html')).toBe(true);
    expect(ours.files.has('archives/moved-post/index.html')).toBe(true);
  });

  it('without the pattern the ids would all change (the test can fail)', () => {
    const plain = syndicIds(resolveSettings({ siteUrl: 'https://blog.example.com', timezone: 'Asia/Shanghai', feedLimit: 50 }));
    const same = [...hexo.rss].filter(([t, id]) => plain.rss.get(t) === id).map(([t]) => t);
    expect(same).toEqual(['Moved post']);
  });
});

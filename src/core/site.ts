// Plans the public files: which feeds (and, later, pages) exist for a set of entries, and their bytes.
// Pure: the same entries and settings always give the same files.
import { assignSlugPaths, entryNodes, isTagNode, nodeDir, nodeKey, nodeLabel, TAG_NODE, type NodePath } from './categories.js';
import type { Entry } from './entry.js';
import { compareEntries } from './order.js';
import { renderFeeds, type FeedMeta } from './feeds/index.js';
import { articlePagePath, FEED_FILES } from './layout.js';
import { renderOpml } from './opml.js';
import { renderArticlePage, renderCategoryPage, renderIndexPage, type Crumb, type FeedLinks, type PageNode } from './pages.js';
import type { Settings } from './settings.js';
import { ATOM_XSL, RSS_XSL, XSL_FILES, stylesheetHrefs } from './xsl.js';

export interface OutFile {
  /** Path relative to the public root. */
  path: string;
  body: string;
  contentType: string;
  cacheControl: string;
}

export const CONTENT_TYPES = {
  rss: 'application/rss+xml; charset=utf-8',
  atom: 'application/atom+xml; charset=utf-8',
  json: 'application/feed+json; charset=utf-8',
  html: 'text/html; charset=utf-8',
  opml: 'text/x-opml; charset=utf-8',
  xsl: 'text/xsl; charset=utf-8',
} as const;

// Feeds and listings change with every upload: a few minutes, then revalidate (ETag) in the background.
export const SHORT_CACHE = 'public, max-age=300, stale-while-revalidate=600';
// An article page changes only when its article does.
export const LONG_CACHE = 'public, max-age=3600, stale-while-revalidate=86400';

/** A category node (or the site, path []) with its newest entries. */
export interface SiteNode {
  path: NodePath;
  slugs: string[];
  /** Newest first, at most feedLimit. */
  entries: Entry[];
  /** How many published articles the node holds in all. */
  count: number;
}

export function nodeUrl(settings: Settings, slugs: readonly string[]): string {
  return `${settings.siteUrl}/${nodeDir(slugs).split('/').map(encodeURIComponent).join('/')}`;
}

/** A feed image setting as a URL: absolute as written, or a path from the site root. */
const siteLink = (settings: Settings, link: string) => (link.startsWith('/') ? settings.siteUrl + link : link);

export function feedMeta(node: Pick<SiteNode, 'path' | 'slugs'>, settings: Settings): FeedMeta {
  const base = nodeUrl(settings, node.slugs);
  const label = nodeLabel(node.path);
  return {
    title: node.path.length ? `${label} — ${settings.title}` : settings.title,
    description: node.path.length ? `${settings.description} · ${label}` : settings.description,
    homeUrl: base,
    feedUrls: { rss: base + FEED_FILES.rss, atom: base + FEED_FILES.atom, json: base + FEED_FILES.json },
    language: settings.language,
    author: settings.author,
    ...(settings.websubHub ? { hub: settings.websubHub } : {}),
    stylesheets: stylesheetHrefs(settings.siteUrl),
    ...(settings.icon ? { icon: siteLink(settings, settings.icon) } : {}),
    ...(settings.logo ? { logo: siteLink(settings, settings.logo) } : {}),
    ...(settings.copyright ? { copyright: settings.copyright } : {}),
    content: settings.content,
  };
}

/** The three feeds of one node. */
export function renderNodeFeeds(node: SiteNode, settings: Settings): OutFile[] {
  const feeds = renderFeeds(feedMeta(node, settings), node.entries);
  const dir = nodeDir(node.slugs);
  return (Object.keys(FEED_FILES) as (keyof typeof FEED_FILES)[]).map((f) => ({
    path: dir + FEED_FILES[f],
    body: feeds[f],
    contentType: CONTENT_TYPES[f],
    cacheControl: SHORT_CACHE,
  }));
}

/** What the whole-site listings need to know of a node: no entries, so it stays small. */
export interface NodeSummary {
  path: NodePath;
  slugs: string[];
  count: number;
}

const bySlugPath = (a: { slugs: string[] }, b: { slugs: string[] }) => {
  const x = a.slugs.join('/');
  const y = b.slugs.join('/');
  return x < y ? -1 : x > y ? 1 : 0;
};

/** Groups published entries into nodes: the site and every category node, with slugs assigned. */
export function siteNodes(entries: readonly Entry[], settings: Settings): SiteNode[] {
  const byNode = new Map<string, { path: NodePath; entries: Entry[] }>([[nodeKey([]), { path: [], entries: [] }]]);
  for (const e of entries) {
    for (const path of entryNodes(e)) {
      const k = nodeKey(path);
      let n = byNode.get(k);
      if (!n) byNode.set(k, (n = { path, entries: [] }));
      n.entries.push(e);
    }
  }
  const slugs = assignSlugPaths([...byNode.values()].map((n) => n.path));
  return [...byNode.values()]
    .map((n) => ({
      path: n.path,
      slugs: slugs.get(nodeKey(n.path))!,
      entries: [...n.entries].sort(compareEntries).slice(0, settings.feedLimit),
      count: n.entries.length,
    }))
    .sort(bySlugPath);
}

// The three renderers below are the whole contract between the pure core and the engine:
// a full build calls each of them for everything; an incremental update calls them only for the
// nodes and the article an upload touched, so their inputs must stay this narrow:
// - a node's files depend on that node, its entries, and the summaries of its own descendants
//   (the root node's page may show the whole tree, since every upload touches the root);
// - an article's files depend on the entry and the slugs of its own nodes;
// - the site files depend on the tree of node summaries only.

// Pages link to each other through these: a node's URL and feeds, known from its path and slugs alone.
const OPML_FILE = 'feeds.opml';
const PAGE_FILE = 'index.html';
const opmlUrl = (settings: Settings) => `${settings.siteUrl}/${OPML_FILE}`;
const feedLinks = (node: Pick<SiteNode, 'path' | 'slugs'>, settings: Settings): FeedLinks => {
  const m = feedMeta(node, settings);
  return { title: m.title, feedUrls: m.feedUrls };
};
const pageNode = (n: NodeSummary, settings: Settings): PageNode => ({
  path: n.path,
  count: n.count,
  url: nodeUrl(settings, n.slugs),
  feeds: feedLinks(n, settings),
});
const isDescendant = (n: NodeSummary, of: NodePath) => n.path.length > of.length && of.every((name, i) => n.path[i] === name);

function renderNodePage(node: SiteNode, tree: readonly NodeSummary[], settings: Settings): string {
  const home = nodeUrl(settings, []);
  const siteFeeds = feedLinks({ path: [], slugs: [] }, settings);
  const descendants = tree.filter((n) => isDescendant(n, node.path)).map((n) => pageNode(n, settings));
  if (node.path.length === 0) {
    return renderIndexPage({ settings, url: home, feeds: siteFeeds, opmlUrl: opmlUrl(settings), entries: node.entries, count: node.count, nodes: descendants });
  }
  // Ancestors are the prefixes of the node's own path and slugs: no other node's summary is needed.
  // A tag's page has the home page only.
  const crumbs: Crumb[] = [{ name: settings.title, url: home }];
  if (!isTagNode(node.path)) for (let i = 1; i < node.path.length; i++) crumbs.push({ name: node.path[i - 1]!, url: nodeUrl(settings, node.slugs.slice(0, i)) });
  return renderCategoryPage({
    settings,
    homeUrl: home,
    opmlUrl: opmlUrl(settings),
    siteFeeds,
    url: nodeUrl(settings, node.slugs),
    path: node.path,
    label: nodeLabel(node.path),
    crumbs,
    feeds: feedLinks(node, settings),
    count: node.count,
    entries: node.entries,
    descendants,
  });
}

/** Every file of one node: its feeds and its page (the site's is `index.html`, with the whole tree). */
export function renderNodeFiles(node: SiteNode, tree: readonly NodeSummary[], settings: Settings): OutFile[] {
  return [
    ...renderNodeFeeds(node, settings),
    { path: nodeDir(node.slugs) + PAGE_FILE, body: renderNodePage(node, tree, settings), contentType: CONTENT_TYPES.html, cacheControl: SHORT_CACHE },
  ];
}

/** The paths of the files renderNodeFiles gives a node with these slugs. */
export function nodeFilePaths(slugs: readonly string[]): string[] {
  const dir = nodeDir(slugs);
  return [...Object.values(FEED_FILES).map((f) => dir + f), dir + PAGE_FILE];
}

/** The file of an article's page, relative to the public root (a permalink may have moved it). */
export function articlePagePathOf(entry: Pick<Entry, 'id' | 'page'>): string {
  return entry.page ?? articlePagePath(entry.id);
}

/** Every file of one published article: its page. */
export function renderArticleFiles(entry: Entry, tree: readonly NodeSummary[], settings: Settings): OutFile[] {
  const slugsOf = new Map(tree.map((n) => [nodeKey(n.path), n.slugs]));
  // With tag feeds, each tag links to its page.
  const tagLinks = entry.tagFeeds
    ? entry.tags.flatMap((t) => {
        const slugs = slugsOf.get(nodeKey([TAG_NODE, t]));
        return slugs ? [{ name: t, url: nodeUrl(settings, slugs) }] : [];
      })
    : [];
  // One trail of links per hierarchy; a level missing from the tree (it should not be) stays unlinked.
  const categories = entry.categories.map((h) =>
    h.flatMap((name, i) => {
      const slugs = slugsOf.get(nodeKey(h.slice(0, i + 1)));
      return slugs ? [{ name, url: nodeUrl(settings, slugs) }] : [];
    }),
  ).filter((trail) => trail.length > 0);
  const body = renderArticlePage({
    settings,
    homeUrl: nodeUrl(settings, []),
    opmlUrl: opmlUrl(settings),
    feeds: feedLinks({ path: [], slugs: [] }, settings),
    entry,
    categories,
    ...(tagLinks.length ? { tagLinks } : {}),
  });
  return [{ path: articlePagePathOf(entry), body, contentType: CONTENT_TYPES.html, cacheControl: LONG_CACHE }];
}

/** Files that depend on the set of nodes only: the OPML list and the feeds' XSL stylesheets. */
export function renderSiteFiles(tree: readonly NodeSummary[], settings: Settings): OutFile[] {
  return [
    { path: OPML_FILE, body: renderOpml({ title: settings.title, nodes: tree.map((n) => pageNode(n, settings)) }), contentType: CONTENT_TYPES.opml, cacheControl: SHORT_CACHE },
    { path: XSL_FILES.rss, body: RSS_XSL, contentType: CONTENT_TYPES.xsl, cacheControl: SHORT_CACHE },
    { path: XSL_FILES.atom, body: ATOM_XSL, contentType: CONTENT_TYPES.xsl, cacheControl: SHORT_CACHE },
  ];
}

export function summarize(nodes: readonly SiteNode[]): NodeSummary[] {
  return nodes.map((n) => ({ path: n.path, slugs: n.slugs, count: n.count })).sort(bySlugPath);
}

/** Every public file of a site built from these entries (drafts already removed). */
export function buildSite(entries: readonly Entry[], settings: Settings): OutFile[] {
  const nodes = siteNodes(entries, settings);
  const tree = summarize(nodes);
  // Two articles whose permalinks name one page: the newer (feed order) has it, so the result never
  // depends on write order. Both stay in the feeds.
  const pages = new Set<string>();
  const articles = [...entries].sort(compareEntries).filter((e) => {
    const p = articlePagePathOf(e);
    if (pages.has(p)) return false;
    pages.add(p);
    return true;
  });
  return [
    ...nodes.flatMap((node) => renderNodeFiles(node, tree, settings)),
    ...articles.flatMap((e) => renderArticleFiles(e, tree, settings)),
    ...renderSiteFiles(tree, settings),
  ];
}

// Plans the public files: which feeds (and, later, pages) exist for a set of entries, and their bytes.
// Pure: the same entries and settings always give the same files.
import { assignSlugPaths, nodeDir, nodeKey, nodesOf, type NodePath } from './categories.js';
import { compareEntries, type Entry } from './entry.js';
import { renderFeeds, type FeedMeta } from './feeds.js';
import { FEED_FILES } from './layout.js';
import type { Settings } from './settings.js';

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

export function feedMeta(node: Pick<SiteNode, 'path' | 'slugs'>, settings: Settings): FeedMeta {
  const base = nodeUrl(settings, node.slugs);
  return {
    title: node.path.length ? `${node.path.join(' › ')} — ${settings.title}` : settings.title,
    description: node.path.length ? `${settings.description} · ${node.path.join(' › ')}` : settings.description,
    homeUrl: base,
    feedUrls: { rss: base + FEED_FILES.rss, atom: base + FEED_FILES.atom, json: base + FEED_FILES.json },
    language: settings.language,
    author: settings.author,
    ...(settings.websubHub ? { hub: settings.websubHub } : {}),
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
    for (const path of nodesOf(e.categories)) {
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

/** Every file of one node: its feeds (and its page). */
export function renderNodeFiles(node: SiteNode, tree: readonly NodeSummary[], settings: Settings): OutFile[] {
  void tree;
  return renderNodeFeeds(node, settings);
}

/** Every file of one published article (its page). */
export function renderArticleFiles(entry: Entry, tree: readonly NodeSummary[], settings: Settings): OutFile[] {
  void entry;
  void tree;
  void settings;
  return [];
}

/** Files that depend on the set of nodes only (OPML, stylesheets). */
export function renderSiteFiles(tree: readonly NodeSummary[], settings: Settings): OutFile[] {
  void tree;
  void settings;
  return [];
}

export function summarize(nodes: readonly SiteNode[]): NodeSummary[] {
  return nodes.map((n) => ({ path: n.path, slugs: n.slugs, count: n.count })).sort(bySlugPath);
}

/** Every public file of a site built from these entries (drafts already removed). */
export function buildSite(entries: readonly Entry[], settings: Settings): OutFile[] {
  const nodes = siteNodes(entries, settings);
  const tree = summarize(nodes);
  return [
    ...nodes.flatMap((node) => renderNodeFiles(node, tree, settings)),
    ...[...entries].sort(compareEntries).flatMap((e) => renderArticleFiles(e, tree, settings)),
    ...renderSiteFiles(tree, settings),
  ];
}

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
    .sort((a, b) => (a.slugs.join('/') < b.slugs.join('/') ? -1 : a.slugs.join('/') > b.slugs.join('/') ? 1 : 0));
}

/** Every public file of a site built from these entries (drafts already removed). */
export function buildSite(entries: readonly Entry[], settings: Settings): OutFile[] {
  return siteNodes(entries, settings).flatMap((node) => renderNodeFeeds(node, settings));
}

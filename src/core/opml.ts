// OPML 2.0 subscription list: every node's RSS feed, grouped by the category tree, so a reader can
// import them all at once. RSS only: readers that import one outline per format subscribe twice.
// No dateCreated: the file changes only when the set of feeds does.
import { isTagNode, nodeLabel } from './categories.js';
import type { PageNode } from './pages.js';
import { escapeHtml, stripXmlInvalid } from './text.js';

/** Escaped for an XML attribute (escapeHtml's entities are all XML's), with XML-invalid characters dropped. */
const attr = (s: string) => escapeHtml(stripXmlInvalid(s));

const keyOf = (path: readonly string[]) => JSON.stringify(path);

export interface OpmlInput {
  title: string;
  /** The site (path []) and every category node. */
  nodes: readonly PageNode[];
}

/** A feed: `text` names it inside its folder (its category path), `title` is the feed's own title. */
function feedOutline(n: PageNode, siteTitle: string, indent: string): string {
  const text = n.path.length ? nodeLabel(n.path) : siteTitle;
  return `${indent}<outline type="rss" version="RSS2" text="${attr(text)}" title="${attr(n.feeds.title)}" xmlUrl="${attr(n.feeds.feedUrls.rss)}" htmlUrl="${attr(n.url)}"/>`;
}

export function renderOpml(p: OpmlInput): string {
  const children = new Map<string, PageNode[]>();
  for (const n of p.nodes) {
    if (n.path.length === 0) continue;
    const k = keyOf(n.path.slice(0, -1));
    children.set(k, [...(children.get(k) ?? []), n]);
  }
  // A node with subcategories becomes a folder holding its own feed first, then its children;
  // readers treat outlines with xmlUrl as feeds and those without as folders.
  const render = (n: PageNode, depth: number): string[] => {
    const indent = '  '.repeat(depth);
    const kids = children.get(keyOf(n.path)) ?? [];
    if (!kids.length) return [feedOutline(n, p.title, indent)];
    const name = attr(n.path[n.path.length - 1]!);
    return [
      `${indent}<outline text="${name}" title="${name}">`,
      feedOutline(n, p.title, indent + '  '),
      ...kids.flatMap((k) => render(k, depth + 1)),
      `${indent}</outline>`,
    ];
  };
  const root = p.nodes.find((n) => n.path.length === 0);
  // Tag feeds (settings.tagFeeds) go in a folder of their own, after the categories.
  const tags = p.nodes.filter((n) => isTagNode(n.path));
  const lines = [
    ...(root ? [feedOutline(root, p.title, '    ')] : []),
    ...(children.get(keyOf([])) ?? []).flatMap((n) => render(n, 2)),
    ...(tags.length ? ['    <outline text="Tags" title="Tags">', ...tags.map((n) => feedOutline(n, p.title, '      ')), '    </outline>'] : []),
  ];
  return `<?xml version="1.0" encoding="utf-8"?>
<opml version="2.0">
  <head>
    <title>${attr(p.title)}</title>
    <docs>http://opml.org/spec2.opml</docs>
  </head>
  <body>
${lines.join('\n')}
  </body>
</opml>
`;
}

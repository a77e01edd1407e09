// Category hierarchy nodes and their URL slugs. Feed URLs are a promise to subscribers, so a
// node's slug depends only on its name and its siblings' names, never on upload order.
import { createHash } from 'node:crypto';

/** A node is the path of names from the top category down; [] is the site itself. */
export type NodePath = readonly string[];

export const nodeKey = (path: NodePath): string => JSON.stringify(path);

/**
 * The first segment of a tag node's path: `[TAG_NODE, 'rust']` is the node of the tag `rust`. It
 * starts with U+0001, which no category name can hold (names pass through toPlainText, which drops
 * every XML-invalid character), so a tag node can never be taken for a category node.
 */
export const TAG_NODE = '\u0001tag';

export const isTagNode = (path: NodePath): boolean => path.length === 2 && path[0] === TAG_NODE;

/** How pages, feed titles and feeds.opml name a node: `金融 › 新浪财经` for a category, `#rust` for a tag. */
export const nodeLabel = (path: NodePath): string => (isTagNode(path) ? `#${path[1]}` : path.join(' › '));

/**
 * Every node an entry belongs to, parents first, the site ([]) included, then its tags' nodes when
 * it has tag feeds: the one place that says which feeds list an entry (the full build, the
 * incremental engine and the rebuild all ask here). An unlisted entry (`feed: false`) is in none.
 */
export function entryNodes(entry: { categories: readonly (readonly string[])[]; tags?: readonly string[]; tagFeeds?: boolean; unlisted?: boolean }): NodePath[] {
  if (entry.unlisted) return [];
  const nodes = nodesOf(entry.categories);
  if (entry.tagFeeds) for (const t of new Set(entry.tags ?? [])) nodes.push([TAG_NODE, t]);
  return nodes;
}

/** Every node an article with these hierarchies belongs to, parents first, root ([]) included. */
export function nodesOf(categories: readonly (readonly string[])[]): NodePath[] {
  const seen = new Map<string, NodePath>([[nodeKey([]), []]]);
  for (const p of categories) for (let i = 1; i <= p.length; i++) seen.set(nodeKey(p.slice(0, i)), p.slice(0, i));
  return [...seen.values()];
}

export function shortHash(s: string): string {
  return createHash('sha256').update(s).digest('hex').slice(0, 6);
}

const MAX_SLUG = 60;

/**
 * NFKC, lower case, and every character that is not a letter, mark, digit or `_` becomes `-`
 * (so white space, `/`, `\`, `.`, `?`, `#`, `%` can never shape a path); runs of `-` collapse.
 */
export function slugify(name: string): string {
  let s = name.normalize('NFKC').toLowerCase().replace(/[^\p{L}\p{M}\p{N}_]+/gu, '-').replace(/^-+|-+$/g, '');
  if (s === '') return shortHash(name);
  if (Array.from(s).length > MAX_SLUG) s = Array.from(s).slice(0, MAX_SLUG - 7).join('').replace(/-+$/, '') + '-' + shortHash(name);
  return s;
}

/**
 * Slugs for sibling names: a name whose slug another sibling shares gets a hash suffix, and so do
 * all the others sharing it, so the result does not depend on which name arrived first.
 */
export function siblingSlugs(names: readonly string[]): Map<string, string> {
  const bySlug = new Map<string, string[]>();
  for (const n of new Set(names)) {
    const s = slugify(n);
    bySlug.set(s, [...(bySlug.get(s) ?? []), n]);
  }
  const out = new Map<string, string>();
  for (const [s, group] of bySlug) for (const n of group) out.set(n, group.length > 1 ? `${s}-${shortHash(n)}` : s);
  return out;
}

/** Slug paths for a set of nodes (every ancestor of a node must be in the set). */
export function assignSlugPaths(nodes: readonly NodePath[]): Map<string, string[]> {
  const children = new Map<string, string[]>();
  for (const n of nodes) {
    if (n.length === 0) continue;
    const parent = nodeKey(n.slice(0, -1));
    children.set(parent, [...(children.get(parent) ?? []), n[n.length - 1]!]);
  }
  const slugsByParent = new Map<string, Map<string, string>>();
  for (const [parent, names] of children) slugsByParent.set(parent, siblingSlugs(names));
  const out = new Map<string, string[]>();
  const sorted = [...nodes].sort((a, b) => a.length - b.length);
  for (const n of sorted) {
    if (n.length === 0 || (n.length === 1 && n[0] === TAG_NODE)) {
      out.set(nodeKey(n), [...n]);
      continue;
    }
    const parentSlugs = out.get(nodeKey(n.slice(0, -1))) ?? (n[0] === TAG_NODE ? [TAG_NODE] : []);
    const slug = slugsByParent.get(nodeKey(n.slice(0, -1)))!.get(n[n.length - 1]!)!;
    out.set(nodeKey(n), [...parentSlugs, slug]);
  }
  return out;
}

/** The folder of a node's feeds relative to the public root: '' for the site, `categories/a/b/`, `tags/t/`. */
export function nodeDir(slugs: readonly string[]): string {
  if (slugs[0] === TAG_NODE) return `tags/${slugs.slice(1).join('/')}/`;
  return slugs.length ? `categories/${slugs.join('/')}/` : '';
}

// The node tree as the renderers see it: which nodes exist (count > 0, and always the site), their
// slugs, and which nodes an upload moved.
import { assignSlugPaths, nodeKey, type NodePath } from '../core/categories.js';
import { summarize, type NodeSummary } from '../core/site.js';
import type { TreeNode, TreeState } from './state.js';

/** The NodeSummary[] that buildSite would pass for the same members: same nodes, slugs and order. */
export function treeSummaries(tree: TreeState): NodeSummary[] {
  const live = tree.nodes.filter((n) => n.path.length === 0 || n.count > 0);
  if (!live.some((n) => n.path.length === 0)) live.push({ path: [], count: 0, rev: 0 });
  const slugs = assignSlugPaths(live.map((n) => n.path));
  return summarize(live.map((n) => ({ path: n.path, slugs: slugs.get(nodeKey(n.path))!, count: n.count, entries: [] })));
}

const isWithin = (path: NodePath, ancestor: NodePath) => ancestor.length <= path.length && ancestor.every((s, i) => path[i] === s);

/**
 * What of the tree a node's files depend on (the contract in core/site.ts): its own slugs and the
 * summaries of its descendants; for the site, the whole tree. Equal views render equal files.
 */
export function nodeView(summaries: readonly NodeSummary[], path: NodePath): string {
  return JSON.stringify(summaries.filter((s) => isWithin(s.path, path)));
}

/** What an article's files depend on: the slugs of its nodes. */
export function articleView(summaries: readonly NodeSummary[], nodes: readonly NodePath[]): string {
  const keys = new Set(nodes.map(nodeKey));
  return JSON.stringify(summaries.filter((s) => keys.has(nodeKey(s.path))).map((s) => s.slugs));
}

export function slugsOf(summaries: readonly NodeSummary[], path: NodePath): string[] | undefined {
  const k = nodeKey(path);
  return summaries.find((s) => nodeKey(s.path) === k)?.slugs;
}

/** Nodes present in both trees whose slugs differ (a sibling with a colliding name came or went). */
export function movedNodes(before: readonly NodeSummary[], after: readonly NodeSummary[]): NodePath[] {
  const old = new Map(before.map((s) => [nodeKey(s.path), s.slugs.join('/')]));
  return after.filter((s) => old.has(nodeKey(s.path)) && old.get(nodeKey(s.path)) !== s.slugs.join('/')).map((s) => s.path);
}

/** Copies counts into the tree; a count read from an older index rev never replaces a newer one. */
export function mergeCounts(tree: TreeState, counts: readonly TreeNode[]): TreeState | null {
  const byKey = new Map(tree.nodes.map((n) => [nodeKey(n.path), n]));
  let changed = false;
  for (const c of counts) {
    const cur = byKey.get(nodeKey(c.path));
    if (cur && c.rev <= cur.rev) continue;
    byKey.set(nodeKey(c.path), { path: c.path, count: c.count, rev: c.rev });
    changed = true;
  }
  if (!changed) return null;
  const nodes = [...byKey.values()].sort((a, b) => (nodeKey(a.path) < nodeKey(b.path) ? -1 : nodeKey(a.path) > nodeKey(b.path) ? 1 : 0));
  return { ...tree, rev: tree.rev + 1, nodes };
}

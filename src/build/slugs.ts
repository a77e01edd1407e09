// What an article page is rendered from, besides its entry: the slugs of the nodes it links. Light
// on purpose (no parser, no renderer), so a build that finds nothing changed loads none of them.
import { entryNodes, slugify, type NodePath } from '../core/categories.js';
import { digest } from './files.js';

// A worker sees the same few category names thousands of times.
const slugOf = new Map<string, string>();

/** The slugs a node gets when none of its names collides with a sibling's (the common case). */
export const ownSlugs = (p: NodePath): string[] =>
  p.map((name) => {
    let s = slugOf.get(name);
    if (s === undefined) slugOf.set(name, (s = slugify(name)));
    return s;
  });

/** What entryNodes reads of an entry, as kept in an article's record. */
export type NodeInput = Parameters<typeof entryNodes>[0];

/** The part of an entry (or record) that says which nodes list it: categories, tags with tag feeds, `feed: false`. */
export function nodeInput(e: { categories?: readonly (readonly string[])[]; tags?: readonly string[]; tagFeeds?: boolean; unlisted?: boolean }): NodeInput {
  return {
    categories: e.categories ?? [],
    ...(e.tagFeeds && e.tags?.length ? { tags: e.tags, tagFeeds: true } : {}),
    ...(e.unlisted ? { unlisted: true } : {}),
  };
}

/**
 * Digest of the slugs of every node an article's page links (its categories' and, with tag feeds,
 * its tags'): with the entry's digest, all its page is rendered from.
 */
export function slugSignature(e: NodeInput, slugsOf: (p: NodePath) => readonly string[] | undefined): string {
  return digest(JSON.stringify(linkedNodes(e).map((p) => slugsOf(p) ?? null)));
}

/** The nodes an article's page links: those of entryNodes, even for an unlisted article (its page still shows its categories). */
export const linkedNodes = (e: NodeInput): NodePath[] => entryNodes({ ...e, unlisted: false });

/** Why an article over maxArticleBytes is rejected unread (the Lambda path says the same, publish.ts). */
export function oversizeReason(size: number, max: number): string {
  return `article is ${size} bytes, over the limit of ${max} bytes (maxArticleBytes)`;
}

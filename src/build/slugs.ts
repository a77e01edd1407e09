// What an article page is rendered from, besides its entry: the slugs of its category nodes. Light
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

/** Digest of the slugs of an article's nodes: with the entry's digest, all its page is rendered from. */
export function slugSignature(categories: readonly (readonly string[])[], slugsOf: (p: NodePath) => readonly string[]): string {
  return digest(JSON.stringify(entryNodes({ categories }).map(slugsOf)));
}

/** Why an article over maxArticleBytes is rejected unread (the Lambda path says the same, publish.ts). */
export function oversizeReason(size: number, max: number): string {
  return `article is ${size} bytes, over the limit of ${max} bytes (maxArticleBytes)`;
}

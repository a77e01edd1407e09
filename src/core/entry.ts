// Article → Entry: what a feed item and a page need, cleaned and made absolute. Entries are
// plain JSON, so the Lambda can keep them as state and render feeds without re-parsing.
import type { Article } from './article.js';
import { absoluteUrl, cleanHtml } from './clean.js';
import type { Settings } from './settings.js';
import { escapeHtml, toPlainText, truncate } from './text.js';

export interface Entry {
  id: string;
  url: string;
  title: string;
  date: string;
  updated: string;
  author?: string;
  categories: string[][];
  tags: string[];
  image?: { url: string; type?: string };
  contentHtml: string;
  summary: string;
}

const IMAGE_TYPES: Record<string, string> = {
  jpg: 'image/jpeg', jpeg: 'image/jpeg', jfif: 'image/jpeg', png: 'image/png', gif: 'image/gif', webp: 'image/webp',
  avif: 'image/avif', svg: 'image/svg+xml', bmp: 'image/bmp', ico: 'image/x-icon',
};

/** MIME type from the URL's file extension; undefined when the URL does not say (`.../img_000`). */
export function imageType(url: string): string | undefined {
  const ext = /\.([a-z0-9]+)$/i.exec(new URL(url).pathname)?.[1]?.toLowerCase();
  return ext ? IMAGE_TYPES[ext] : undefined;
}

/** `<siteUrl>/articles/<id>/`, each path segment percent-encoded. */
export function permalink(siteUrl: string, id: string): string {
  return `${siteUrl}/articles/${id.split('/').map(encodeURIComponent).join('/')}/`;
}

export function toEntry(article: Article, settings: Settings): Entry {
  const url = permalink(settings.siteUrl, article.id);
  const cleaned = cleanHtml(article.html, { baseUrl: url, dropSelectors: settings.dropSelectors });
  // Some scraped bodies are empty (`<p></p>`): readers show an item without content as broken,
  // and Atom and RSS parsers drop the element, so the title stands in for the body.
  const contentHtml = cleaned || `<p>${escapeHtml(article.title)}</p>`;
  const summarySource = article.description || toPlainText(contentHtml);
  const imageUrl = article.image ? absoluteUrl(article.image, url) : null;
  const image = imageUrl && !imageUrl.startsWith('mailto:') ? { url: imageUrl, ...(imageType(imageUrl) ? { type: imageType(imageUrl)! } : {}) } : undefined;
  return {
    id: article.id,
    url,
    title: article.title,
    date: article.date,
    updated: article.updated,
    ...(article.author ? { author: article.author } : {}),
    categories: article.categories,
    tags: article.tags,
    ...(image ? { image } : {}),
    contentHtml,
    summary: truncate(summarySource, settings.summaryLength),
  };
}

/** Feed order: newest first, ties broken by id so that every build agrees. */
export function compareEntries(a: Pick<Entry, 'date' | 'id'>, b: Pick<Entry, 'date' | 'id'>): number {
  return a.date < b.date ? 1 : a.date > b.date ? -1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

// Article → Entry: what a feed item and a page need, cleaned and made absolute. Entries are
// plain JSON, so the Lambda can keep them as state and render feeds without re-parsing.
import type { Article, Enclosure } from './article.js';
import { absoluteUrl, cleanHtmlWithReport, imageUrls, type CleanResult } from './clean.js';
import { articlePagePath } from './layout.js';
import { defaultLocation } from './permalinks.js';
import type { Settings } from './settings.js';
import { summarize } from './summary.js';
import { escapeHtml, truncate } from './text.js';

// The feed order lives apart, so that ordering and rendering entries never loads the cleaner.
export { compareEntries } from './order.js';

export interface Entry {
  id: string;
  url: string;
  title: string;
  date: string;
  updated: string;
  author?: string;
  categories: string[][];
  tags: string[];
  /** The lead image (see leadImage). */
  image?: { url: string; type?: string };
  contentHtml: string;
  /** Plain text, never empty (see summary.ts). */
  summary: string;
  /** The cleaned HTML before `<!--more-->`, when the article marks an excerpt. */
  excerptHtml?: string;
  /** The item id the article sets (`guid:`/`id:`); feeds use `url` when absent. */
  guid?: string;
  /** The page's file under the public root, when a permalink moved it from `articles/<id>/index.html`. */
  page?: string;
  /** Podcast-style attachments: RSS enclosure, Atom rel="enclosure", JSON Feed attachments. */
  enclosures?: Enclosure[];
  /** `feed: false`: the page is published, but the article is in no feed and no listing. */
  unlisted?: true;
  /** settings.tagFeeds: each tag of the article is a node with its own feeds (categories.ts). */
  tagFeeds?: true;
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

/** `<siteUrl>/articles/<id>/`, each path segment percent-encoded (the default location, permalinks.ts). */
export function permalink(siteUrl: string, id: string): string {
  return defaultLocation(siteUrl, id).url;
}

/** `host` or `host/path-prefix`: does the URL point there (the host or any subdomain)? */
export function urlMatches(url: string, patterns: readonly string[]): boolean {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  const host = u.hostname.toLowerCase();
  return patterns.some((p) => {
    const [h = '', ...rest] = p.trim().toLowerCase().replace(/^https?:\/\//, '').split('/');
    const prefix = rest.length ? '/' + rest.join('/') : '';
    return h !== '' && (host === h || host.endsWith('.' + h)) && u.pathname.toLowerCase().startsWith(prefix);
  });
}

// Image URLs that name an icon, a tracker or a formula rather than a picture.
const JUNK_IMAGE = /(?:^|[/_.-])(?:favicon|spacer|pixel|blank|1x1|transparent|tracking|tracker|beacon|emoji|emoticons?|smilies|smiley|equation)(?:[/_.-]|$)|\.ico$/i;

/**
 * The lead image, or none (no lead image is better than a wrong one):
 * 1. the front matter's (headimg, thumbnail, cover, image), unless it is a random placeholder
 *    (settings.placeholderImageHosts) or the body shows it only where cleaning removed it (a promo
 *    block matched by dropSelectors, a hidden element) or only as decoration (an avatar, an icon);
 * 2. else the first image of the cleaned body that is not a placeholder, not decoration (avatar,
 *    icon, smaller than MIN_LEAD_IMAGE_PX) and whose URL does not name an icon, a tracker or a formula.
 */
export function leadImage(frontMatter: string | undefined, cleaned: CleanResult, baseUrl: string, settings: Pick<Settings, 'placeholderImageHosts'>): string | undefined {
  const placeholder = (u: string) => urlMatches(u, settings.placeholderImageHosts);
  const dropped = new Set(cleaned.droppedImages);
  const decorative = new Set(cleaned.decorativeImages);
  const body = imageUrls(cleaned.html);
  const shownAsContent = (u: string) => body.includes(u) && !decorative.has(u);
  const fm = frontMatter ? absoluteUrl(frontMatter, baseUrl) : null;
  if (fm && !fm.startsWith('mailto:') && !placeholder(fm)) {
    const removed = dropped.has(fm) || decorative.has(fm);
    if (!removed || shownAsContent(fm)) return fm;
  }
  return body.find((u) => !placeholder(u) && !decorative.has(u) && !JUNK_IMAGE.test(new URL(u).pathname));
}

const MORE = /<!--\s*more\s*-->/i;

export function toEntry(article: Article, settings: Settings): Entry {
  const url = article.location?.url ?? permalink(settings.siteUrl, article.id);
  const page = article.location && article.location.page !== articlePagePath(article.id) ? article.location.page : undefined;
  const opts = { baseUrl: url, dropSelectors: settings.dropSelectors };
  const cleaned = cleanHtmlWithReport(article.html, opts);
  // Some scraped bodies are empty (`<p></p>`): readers show an item without content as broken,
  // and Atom and RSS parsers drop the element, so the title stands in for the body.
  const contentHtml = cleaned.html || `<p>${escapeHtml(article.title)}</p>`;
  const more = MORE.exec(article.html);
  const excerpt = more ? cleanHtmlWithReport(article.html.slice(0, more.index), opts) : undefined;
  const summary = article.description
    ? truncate(article.description, settings.summaryLength)
    : summarize((excerpt?.html ? excerpt : cleaned).summaryHtml, contentHtml, article.title, settings.summaryLength);
  const imageUrl = leadImage(article.image, cleaned, url, settings);
  const image = imageUrl ? { url: imageUrl, ...(imageType(imageUrl) ? { type: imageType(imageUrl)! } : {}) } : undefined;
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
    summary,
    ...(excerpt?.html ? { excerptHtml: excerpt.html } : {}),
    ...(article.guid ? { guid: article.guid } : {}),
    ...(page ? { page } : {}),
    ...(article.enclosures?.length ? { enclosures: article.enclosures } : {}),
    ...(article.unlisted ? { unlisted: true as const } : {}),
    ...(settings.tagFeeds && article.tags.length ? { tagFeeds: true as const } : {}),
  };
}


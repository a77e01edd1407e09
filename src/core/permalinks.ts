// Where an article is published: its page URL and the file that holds the page. By default
// `articles/<id>/`; a site-wide pattern (settings.permalink, Hexo- and Hugo-style tokens) or the
// article's own `permalink:` moves it, so a site migrated from another generator keeps its URLs,
// and feed readers their item ids. docs/feeds.md has the token table and the migration mappings.
import { slugify } from './categories.js';
import { zonedParts } from './dates.js';
import { articlePagePath } from './layout.js';
import type { Settings } from './settings.js';

export interface Location {
  /** The page's absolute URL: the item link, and the item id unless the article sets its own. */
  url: string;
  /** The page's file, relative to the public root. */
  page: string;
}

export class PermalinkError extends Error {}

/** `<siteUrl>/articles/<id>/`, each path segment percent-encoded (the default since the first release). */
export function defaultLocation(siteUrl: string, id: string): Location {
  return { url: `${siteUrl}/articles/${id.split('/').map(encodeURIComponent).join('/')}/`, page: articlePagePath(id) };
}

// Paths Syndic writes itself: an article may not take them.
const RESERVED_FIRST = new Set(['categories', 'tags']);
const RESERVED_FILES = new Set(['index.html', 'rss.xml', 'atom.xml', 'feed.json', 'feeds.opml', 'rss.xsl', 'atom.xsl']);

/**
 * A path segment encoded as Hexo encodes permalinks (`encodeURI`): spaces, `%`, non-ASCII and the
 * few characters a URL cannot hold are percent-encoded; `+ & = , ; : @ $ ! ' ( ) *` stay as written.
 */
const encodeSegment = (seg: string) => encodeURI(seg).replace(/\?/g, '%3F').replace(/#/g, '%23');

/** The page of a path as written (`a/b/`, `a/b.html`, `a/b`), after checking it is safe and free. */
function pageOf(path: string): string {
  const segs = path.split('/');
  const inner = path.endsWith('/') ? segs.slice(0, -1) : segs;
  if (!inner.length || inner.some((s) => s === '' || s === '.' || s === '..' || /[\\\u0000-\u001f\u007f]/.test(s)))
    throw new PermalinkError(`permalink "${path}" is not a clean path (empty, "." or ".." segments, backslashes or control characters)`);
  if (RESERVED_FIRST.has(inner[0]!.toLowerCase())) throw new PermalinkError(`permalink "${path}" is under ${inner[0]}/, where Syndic writes its own feeds`);
  if (inner.length === 1 && RESERVED_FILES.has(inner[0]!.toLowerCase())) throw new PermalinkError(`permalink "${path}" is one of Syndic's own files`);
  if (path.endsWith('/')) return `${path}index.html`;
  if (/\.html?$/i.test(path)) return path;
  return `${path}/index.html`;
}

export interface Locatable {
  id: string;
  title: string;
  /** ISO instant. */
  date: string;
  slug?: string;
  /** The article's own `permalink:` (or `url:`): a path from the site root, or a URL under siteUrl. */
  permalink?: string;
}

/** The article's URL and page: its own permalink, else the site's pattern, else the default. */
export function locate(a: Locatable, settings: Pick<Settings, 'siteUrl' | 'permalink' | 'timezone'>): Location {
  let path: string;
  if (a.permalink !== undefined) {
    let p = a.permalink.trim();
    if (/^[a-z][a-z0-9+.-]*:/i.test(p)) {
      if (!p.startsWith(settings.siteUrl + '/')) throw new PermalinkError(`permalink "${p}" is not under siteUrl ${settings.siteUrl}`);
      p = p.slice(settings.siteUrl.length);
      try {
        p = decodeURI(p);
      } catch {
        throw new PermalinkError(`permalink "${a.permalink}" has a malformed %-escape`);
      }
    }
    path = p.replace(/^\/+/, '');
  } else if (settings.permalink) {
    const t = zonedParts(new Date(a.date), settings.timezone);
    const folders = a.id.split('/').slice(0, -1);
    const name = a.id.split('/').at(-1)!;
    const values: Record<string, string> = {
      year: t.year, month: t.month, day: t.day, i_month: String(Number(t.month)), i_day: String(Number(t.day)),
      hour: t.hour, minute: t.minute, second: t.second,
      title: a.id, name, filename: name, slug: a.slug ? a.slug : slugify(a.title), slugorfilename: a.slug ? a.slug : name,
      titleslug: slugify(a.title), section: folders[0] ?? '', sections: folders.join('/'),
    };
    path = settings.permalink.replace(/:([a-z_]+)/g, (m, k: string) => values[k] ?? m).replace(/\/{2,}/g, '/').replace(/^\//, '');
  } else return defaultLocation(settings.siteUrl, a.id);
  const page = pageOf(path);
  return { url: `${settings.siteUrl}/${path.split('/').map(encodeSegment).join('/')}`, page };
}

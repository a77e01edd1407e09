// The HTML pages: the site's index, one page per category node, one per article. Pure templates over
// plain data (site.ts computes URLs and feed links), so a page depends only on what it is given.
// Every text from an article or the settings goes through escapeHtml; the one exception is
// entry.contentHtml, which clean.ts has already sanitized. No JavaScript, and a CSP that forbids it.
import { isTagNode, type NodePath } from './categories.js';
import type { Entry } from './entry.js';
import type { FeedMeta } from './feeds/index.js';
import type { Settings } from './settings.js';
import { escapeHtml } from './text.js';

/** A node's feeds as pages show them: the feed title and its three URLs. */
export type FeedLinks = Pick<FeedMeta, 'title' | 'feedUrls'>;

/** A category node as listings show it. */
export interface PageNode {
  path: NodePath;
  count: number;
  url: string;
  feeds: FeedLinks;
}

export interface Crumb {
  name: string;
  url: string;
}

const esc = escapeHtml;

const FEED_KINDS = [
  { key: 'rss', label: 'RSS', type: 'application/rss+xml' },
  { key: 'atom', label: 'Atom', type: 'application/atom+xml' },
  { key: 'json', label: 'JSON Feed', type: 'application/feed+json' },
] as const;

// Readable on a phone, light and dark. Kept free of `<` and `&` so xsl.ts can embed it in XML as is.
export const PAGE_STYLE = `
:root{color-scheme:light dark;--fg:#1f2328;--bg:#fff;--muted:#59636e;--link:#0550ae;--line:#d1d9e0;--soft:#f6f8fa}
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--bg:#0d1117;--muted:#9198a1;--link:#58a6ff;--line:#3d444d;--soft:#161b22}}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{margin:0 auto;max-width:46rem;padding:.75rem 1rem 2rem;color:var(--fg);background:var(--bg);overflow-wrap:break-word;
font:1.0625rem/1.7 system-ui,-apple-system,"Segoe UI","PingFang SC","Hiragino Sans GB","Microsoft YaHei","Noto Sans CJK SC",sans-serif}
a{color:var(--link);text-decoration-thickness:1px;text-underline-offset:.15em}
h1{font-size:1.6rem;line-height:1.3;margin:.5rem 0}
h2{font-size:1.2rem;margin:1.75rem 0 .5rem;padding-bottom:.25rem;border-bottom:1px solid var(--line)}
h3{font-size:1.05rem;line-height:1.4;margin:0}
img,video,audio,iframe{max-width:100%;height:auto}
pre{overflow-x:auto;padding:.75rem;background:var(--soft);border-radius:6px;font-size:.9rem;line-height:1.5}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.92em}
table{display:block;max-width:100%;overflow-x:auto;border-collapse:collapse}
td,th{border:1px solid var(--line);padding:.25rem .5rem}
blockquote{margin:1rem 0;padding:0 1rem;border-left:3px solid var(--line);color:var(--muted)}
.site{display:flex;flex-wrap:wrap;gap:.25rem 1rem;align-items:baseline;justify-content:space-between;padding-bottom:.5rem;border-bottom:1px solid var(--line)}
.site a{color:var(--fg);font-weight:600;text-decoration:none}
.muted,.meta,.crumbs,.count,footer{color:var(--muted);font-size:.9rem}
.crumbs{margin:.75rem 0 0}
.categories{list-style:none;padding:0;margin:.25rem 0}
.subscribe{display:flex;flex-wrap:wrap;gap:.5rem;margin:.75rem 0;padding:0;list-style:none}
.subscribe a{display:inline-block;padding:.2rem .7rem;border:1px solid var(--line);border-radius:999px;text-decoration:none;font-size:.9rem;background:var(--soft)}
.hint{padding:.75rem 1rem;border-radius:6px;background:var(--soft);border:1px solid var(--line);font-size:.95rem}
.hint code{word-break:break-all}
.entries{list-style:none;padding:0;margin:0}
.entries li{padding:.75rem 0;border-bottom:1px solid var(--line)}
.entries p{margin:.25rem 0 0}
.summary{font-size:.95rem}
.tree,.tree ul{list-style:none;margin:0;padding:0}
.tree ul{padding-left:1.1rem;border-left:1px solid var(--line);margin-left:.3rem}
.tree li{margin:.35rem 0}
.feeds{font-size:.8rem;white-space:nowrap}
.feeds a{margin-left:.35rem}
.cover{display:block;margin:1rem 0;border-radius:6px}
.content{margin-top:1rem}
.content img{display:block;margin:.75rem auto}
footer{margin-top:2.5rem;padding-top:.75rem;border-top:1px solid var(--line)}
`;

// Date and time in the site's zone, built from numeric parts so the bytes do not depend on locale data.
const dateFormats = new Map<string, Intl.DateTimeFormat>();
const EN_US = /^(\d{2})\/(\d{2})\/(\d{4}), (\d{2}):(\d{2})$/;
export function displayDate(iso: string, timeZone: string): string {
  let f = dateFormats.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' });
    dateFormats.set(timeZone, f);
  }
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  // format() is several times faster than formatToParts(); its en-US shape is checked, never assumed.
  const m = EN_US.exec(f.format(d));
  if (m) return `${m[3]}-${m[1]}-${m[2]} ${m[4]}:${m[5]}`;
  const p: Record<string, string> = {};
  for (const part of f.formatToParts(d)) p[part.type] = part.value;
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}`;
}

function alternateLinks(feeds: FeedLinks): string {
  return FEED_KINDS.map(
    (k) => `<link rel="alternate" type="${k.type}" title="${esc(`${feeds.title} (${k.label})`)}" href="${esc(feeds.feedUrls[k.key])}">`,
  ).join('\n');
}

function subscribeLinks(feeds: FeedLinks): string {
  const items = FEED_KINDS.map((k) => `<li><a href="${esc(feeds.feedUrls[k.key])}" type="${k.type}">${k.label}</a></li>`);
  return `<ul class="subscribe" aria-label="Feeds">\n${items.join('\n')}\n</ul>`;
}

function smallFeedLinks(feeds: FeedLinks): string {
  return `<span class="feeds">${FEED_KINDS.map((k) => `<a href="${esc(feeds.feedUrls[k.key])}" type="${k.type}">${k.label}</a>`).join('')}</span>`;
}

function layout(p: { settings: Settings; title: string; description: string; canonical: string; homeUrl: string; feeds: FeedLinks; head?: string; body: string }): string {
  return `<!doctype html>
<html lang="${esc(p.settings.language)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="script-src 'none'; object-src 'none'; base-uri 'none'">
<meta name="referrer" content="no-referrer">
<title>${esc(p.title)}</title>
<meta name="description" content="${esc(p.description)}">
<meta name="generator" content="Syndic">
<link rel="canonical" href="${esc(p.canonical)}">
${alternateLinks(p.feeds)}${p.head ? '\n' + p.head : ''}
<style>${PAGE_STYLE}</style>
</head>
<body>
<header class="site"><a href="${esc(p.homeUrl)}">${esc(p.settings.title)}</a></header>
<main>
${p.body}
</main>
</body>
</html>
`;
}

function entryList(entries: readonly Entry[], settings: Settings): string {
  if (!entries.length) return '<p class="muted">No articles yet.</p>';
  const items = entries.map((e) => {
    const meta = [`<time datetime="${esc(e.date)}">${esc(displayDate(e.date, settings.timezone))}</time>`];
    if (e.author) meta.push(esc(e.author));
    return `<li><article>
<h3><a href="${esc(e.url)}">${esc(e.title)}</a></h3>
<p class="meta">${meta.join(' · ')}</p>${e.summary ? `\n<p class="summary">${esc(e.summary)}</p>` : ''}
</article></li>`;
  });
  return `<ol class="entries">\n${items.join('\n')}\n</ol>`;
}

const keyOf = (path: NodePath) => JSON.stringify(path);

/** Nested list of the nodes under `parent`, each with its count and feeds. */
function nodeTree(nodes: readonly PageNode[], parent: NodePath): string {
  const children = new Map<string, PageNode[]>();
  for (const n of nodes) {
    if (n.path.length === 0) continue;
    const k = keyOf(n.path.slice(0, -1));
    children.set(k, [...(children.get(k) ?? []), n]);
  }
  const render = (path: NodePath): string => {
    const kids = children.get(keyOf(path));
    if (!kids?.length) return '';
    const items = kids.map(
      (n) =>
        `<li><a href="${esc(n.url)}">${esc(n.path[n.path.length - 1]!)}</a> <span class="count">(${n.count})</span> ${smallFeedLinks(n.feeds)}${render(n.path)}</li>`,
    );
    return `\n<ul>\n${items.join('\n')}\n</ul>`;
  };
  const inner = render(parent);
  return inner ? `<ul class="tree">${inner.slice('\n<ul>'.length)}` : '';
}

function footer(settings: Settings, siteFeeds: FeedLinks, opmlUrl: string): string {
  return `<footer>
<p>Subscribe to everything on ${esc(settings.title)}: <a href="${esc(siteFeeds.feedUrls.rss)}" type="application/rss+xml">RSS</a> · <a href="${esc(siteFeeds.feedUrls.atom)}" type="application/atom+xml">Atom</a> · <a href="${esc(siteFeeds.feedUrls.json)}" type="application/feed+json">JSON Feed</a> · <a href="${esc(opmlUrl)}" type="text/x-opml">all feeds (OPML)</a></p>
</footer>`;
}

const plural = (n: number) => `${n} article${n === 1 ? '' : 's'}`;

export interface IndexPageInput {
  settings: Settings;
  url: string;
  feeds: FeedLinks;
  opmlUrl: string;
  /** The site's newest entries. */
  entries: readonly Entry[];
  count: number;
  /** Every category node. */
  nodes: readonly PageNode[];
}

/** The tags that have feeds, each with its count and feed links. */
function tagList(nodes: readonly PageNode[]): string {
  const tags = nodes.filter((n) => isTagNode(n.path));
  if (!tags.length) return '';
  const items = tags.map((n) => `<li><a href="${esc(n.url)}">#${esc(n.path[1]!)}</a> <span class="count">(${n.count})</span> ${smallFeedLinks(n.feeds)}</li>`);
  return `\n<section>\n<h2>Tags</h2>\n<ul class="tree">\n${items.join('\n')}\n</ul>\n</section>`;
}

export function renderIndexPage(p: IndexPageInput): string {
  const { settings } = p;
  const tree = nodeTree(p.nodes, []);
  const body = `<h1>${esc(settings.title)}</h1>
<p>${esc(settings.description)}</p>
<p class="muted">${plural(p.count)}. Subscribe to all of them, to one category below, or import every feed at once into your reader from <a href="${esc(p.opmlUrl)}" type="text/x-opml">feeds.opml</a>.</p>
${subscribeLinks(p.feeds)}
<section>
<h2>Categories</h2>
${tree || '<p class="muted">No categories yet.</p>'}
</section>${tagList(p.nodes)}
<section>
<h2>Newest articles</h2>
${entryList(p.entries, settings)}
</section>
${footer(settings, p.feeds, p.opmlUrl)}`;
  return layout({
    settings,
    title: settings.title,
    description: settings.description,
    canonical: p.url,
    homeUrl: p.url,
    feeds: p.feeds,
    head: `<link rel="outline" type="text/x-opml" title="${esc(`${settings.title} (OPML)`)}" href="${esc(p.opmlUrl)}">`,
    body,
  });
}

export interface CategoryPageInput {
  settings: Settings;
  homeUrl: string;
  opmlUrl: string;
  siteFeeds: FeedLinks;
  url: string;
  path: NodePath;
  /** How the node is named in text (nodeLabel): `a › b`, or `#tag`. */
  label?: string;
  /** The home page and every ancestor, outermost first. */
  crumbs: readonly Crumb[];
  feeds: FeedLinks;
  count: number;
  entries: readonly Entry[];
  /** The node's descendants (their paths start with `path`). */
  descendants: readonly PageNode[];
}

export function renderCategoryPage(p: CategoryPageInput): string {
  const { settings } = p;
  const name = p.path[p.path.length - 1] ?? settings.title;
  const crumbs = p.crumbs.map((c) => `<a href="${esc(c.url)}">${esc(c.name)}</a>`);
  const tree = nodeTree(p.descendants, p.path);
  const label = p.label ?? p.path.join(' › ');
  const shown = p.entries.length < p.count ? ` The feeds carry the newest ${p.entries.length}.` : '';
  const where = isTagNode(p.path) ? `tagged ${esc(name)}` : `in ${esc(label)}`;
  const body = `<nav class="crumbs" aria-label="Breadcrumb">${[...crumbs, `<span aria-current="page">${esc(isTagNode(p.path) ? label : name)}</span>`].join(' › ')}</nav>
<h1>${esc(isTagNode(p.path) ? label : name)}</h1>
<p class="muted">${plural(p.count)} ${where}.${shown}</p>
${subscribeLinks(p.feeds)}${tree ? `\n<section>\n<h2>Subcategories</h2>\n${tree}\n</section>` : ''}
<section>
<h2>Newest articles</h2>
${entryList(p.entries, settings)}
</section>
${footer(settings, p.siteFeeds, p.opmlUrl)}`;
  return layout({
    settings,
    title: `${label} — ${settings.title}`,
    description: `${settings.description} · ${label}`,
    canonical: p.url,
    homeUrl: p.homeUrl,
    feeds: p.feeds,
    body,
  });
}

export interface ArticlePageInput {
  settings: Settings;
  homeUrl: string;
  opmlUrl: string;
  /** The site-wide feeds: an article page's alternates. */
  feeds: FeedLinks;
  entry: Entry;
  /** One list of links per category hierarchy of the entry, outermost first. */
  categories: readonly (readonly Crumb[])[];
  /** With tag feeds: each tag and its page. */
  tagLinks?: readonly Crumb[];
}

export function renderArticlePage(p: ArticlePageInput): string {
  const { settings, entry: e } = p;
  const meta = [`<time datetime="${esc(e.date)}">${esc(displayDate(e.date, settings.timezone))}</time>`];
  if (e.author) meta.push(`<span class="author">${esc(e.author)}</span>`);
  if (e.updated !== e.date) meta.push(`updated <time datetime="${esc(e.updated)}">${esc(displayDate(e.updated, settings.timezone))}</time>`);
  const cats = p.categories.length
    ? `\n<ul class="crumbs categories" aria-label="Categories">${p.categories
        .map((h) => `<li>${h.map((c) => `<a href="${esc(c.url)}">${esc(c.name)}</a>`).join(' › ')}</li>`)
        .join('')}</ul>`
    : '';
  const tags = p.tagLinks?.length
    ? `\n<p class="meta">Tags: ${p.tagLinks.map((t) => `<a href="${esc(t.url)}">${esc(t.name)}</a>`).join(', ')}</p>`
    : e.tags.length
      ? `\n<p class="meta">Tags: ${e.tags.map(esc).join(', ')}</p>`
      : '';
  const cover = e.image ? `\n<img class="cover" src="${esc(e.image.url)}" alt="" referrerpolicy="no-referrer">` : '';
  const body = `<article>
<h1>${esc(e.title)}</h1>
<p class="meta">${meta.join(' · ')}</p>${cats}${cover}
<div class="content">
${e.contentHtml}
</div>${tags}
</article>
${footer(settings, p.feeds, p.opmlUrl)}`;
  return layout({
    settings,
    title: `${e.title} — ${settings.title}`,
    description: e.summary,
    canonical: e.url,
    homeUrl: p.homeUrl,
    feeds: p.feeds,
    body,
  });
}

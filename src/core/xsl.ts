// XSL stylesheets that let a browser show an RSS or Atom feed as a page: its title, a hint to copy
// the URL into a feed reader, and the items. Feeds point at them with `<?xml-stylesheet?>`; browsers
// apply only same-origin stylesheets, hence root-relative hrefs under the site's own path.
// Summaries (and Atom's type="html" titles) are escaped HTML text in our feeds, so they are written
// with disable-output-escaping: the result is the escaped text, displayed as text, never markup.
import { PAGE_STYLE } from './pages.js';

export const XSL_FILES = { rss: 'rss.xsl', atom: 'atom.xsl' } as const;

/** Root-relative hrefs of the stylesheets: `/rss.xsl`, or `/blog/rss.xsl` for a site at `/blog`. */
export function stylesheetHrefs(siteUrl: string): { rss: string; atom: string } {
  const base = new URL(siteUrl).pathname.replace(/\/+$/, '');
  return { rss: `${base}/${XSL_FILES.rss}`, atom: `${base}/${XSL_FILES.atom}` };
}

const HEAD = (title: string) => `<head>
<meta charset="utf-8"/>
<meta name="viewport" content="width=device-width, initial-scale=1"/>
<meta name="referrer" content="no-referrer"/>
<title>${title}</title>
<style>${PAGE_STYLE}</style>
</head>`;

const HINT = (selfUrl: string) => `<p class="hint"><strong>This is a web feed.</strong> To subscribe, copy this URL into your feed reader:<br/><code>${selfUrl}</code></p>`;

interface FeedView {
  /** Namespace declarations and excluded prefixes of the feed format. */
  namespaces: string;
  /** Named templates the format needs. */
  templates?: string;
  lang: string;
  format: string;
  title: string;
  selfHref: string;
  heading: string;
  subtitle: string;
  homeHref: string;
  items: string;
  itemHref: string;
  itemTitle: string;
  itemMeta: string;
  itemSummary: string;
}

/** One stylesheet: the page every feed format shares, with the XPath of each part filled in. */
const feedStylesheet = (v: FeedView) => `<?xml version="1.0" encoding="utf-8"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
  ${v.namespaces}>
<xsl:output method="html" encoding="utf-8" doctype-system="about:legacy-compat"/>
${v.templates ?? ''}<xsl:template match="/">
<html>
<xsl:if test="${v.lang}"><xsl:attribute name="lang"><xsl:value-of select="${v.lang}"/></xsl:attribute></xsl:if>
${HEAD(`<xsl:value-of select="${v.title}"/> (${v.format})`)}
<body>
${HINT(`<xsl:value-of select="${v.selfHref}"/>`)}
<header>
<h1>${v.heading}</h1>
<p class="muted">${v.subtitle}</p>
<p><a href="{${v.homeHref}}">Open the web page of this feed</a></p>
</header>
<main>
<ol class="entries">
<xsl:for-each select="${v.items}">
<li><article>
<h3><a href="{${v.itemHref}}">${v.itemTitle}</a></h3>
<p class="meta">${v.itemMeta}</p>
<p class="summary">${v.itemSummary}</p>
</article></li>
</xsl:for-each>
</ol>
</main>
</body>
</html>
</xsl:template>
</xsl:stylesheet>
`;

export const RSS_XSL = feedStylesheet({
  namespaces: `xmlns:atom="http://www.w3.org/2005/Atom" xmlns:dc="http://purl.org/dc/elements/1.1/"
  exclude-result-prefixes="atom dc"`,
  lang: '/rss/channel/language',
  format: 'RSS',
  title: '/rss/channel/title',
  selfHref: "/rss/channel/atom:link[@rel='self']/@href",
  heading: '<xsl:value-of select="/rss/channel/title"/>',
  subtitle: '<xsl:value-of select="/rss/channel/description"/>',
  homeHref: '/rss/channel/link',
  items: '/rss/channel/item',
  itemHref: 'link',
  itemTitle: '<xsl:value-of select="title"/>',
  itemMeta: '<xsl:value-of select="pubDate"/><xsl:if test="dc:creator"> · <xsl:value-of select="dc:creator"/></xsl:if>',
  itemSummary: '<xsl:value-of select="description" disable-output-escaping="yes"/>',
});

const atomText = (node: string) => `<xsl:call-template name="text"><xsl:with-param name="node" select="${node}"/></xsl:call-template>`;

export const ATOM_XSL = feedStylesheet({
  namespaces: `xmlns:atom="http://www.w3.org/2005/Atom" exclude-result-prefixes="atom"`,
  templates: `<xsl:template name="text">
<xsl:param name="node"/>
<xsl:choose>
<xsl:when test="$node/@type = 'html'"><xsl:value-of select="$node" disable-output-escaping="yes"/></xsl:when>
<xsl:otherwise><xsl:value-of select="$node"/></xsl:otherwise>
</xsl:choose>
</xsl:template>
`,
  lang: '/atom:feed/@xml:lang',
  format: 'Atom',
  title: '/atom:feed/atom:title',
  selfHref: "/atom:feed/atom:link[@rel='self']/@href",
  heading: atomText('/atom:feed/atom:title'),
  subtitle: atomText('/atom:feed/atom:subtitle'),
  homeHref: "/atom:feed/atom:link[@rel='alternate']/@href",
  items: '/atom:feed/atom:entry',
  itemHref: "atom:link[not(@rel) or @rel='alternate']/@href",
  itemTitle: atomText('atom:title'),
  itemMeta:
    '<xsl:value-of select="substring(atom:published, 1, 10)"/><xsl:text> </xsl:text><xsl:value-of select="substring(atom:published, 12, 5)"/> UTC<xsl:if test="atom:author/atom:name"> · <xsl:value-of select="atom:author/atom:name"/></xsl:if>',
  itemSummary: atomText('atom:summary'),
});

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

export const RSS_XSL = `<?xml version="1.0" encoding="utf-8"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
  xmlns:atom="http://www.w3.org/2005/Atom" xmlns:dc="http://purl.org/dc/elements/1.1/"
  exclude-result-prefixes="atom dc">
<xsl:output method="html" encoding="utf-8" doctype-system="about:legacy-compat"/>
<xsl:template match="/">
<html>
<xsl:if test="/rss/channel/language"><xsl:attribute name="lang"><xsl:value-of select="/rss/channel/language"/></xsl:attribute></xsl:if>
${HEAD('<xsl:value-of select="/rss/channel/title"/> (RSS)')}
<body>
${HINT('<xsl:value-of select="/rss/channel/atom:link[@rel=\'self\']/@href"/>')}
<header>
<h1><xsl:value-of select="/rss/channel/title"/></h1>
<p class="muted"><xsl:value-of select="/rss/channel/description"/></p>
<p><a href="{/rss/channel/link}">Open the web page of this feed</a></p>
</header>
<main>
<ol class="entries">
<xsl:for-each select="/rss/channel/item">
<li><article>
<h3><a href="{link}"><xsl:value-of select="title"/></a></h3>
<p class="meta"><xsl:value-of select="pubDate"/><xsl:if test="dc:creator"> · <xsl:value-of select="dc:creator"/></xsl:if></p>
<p class="summary"><xsl:value-of select="description" disable-output-escaping="yes"/></p>
</article></li>
</xsl:for-each>
</ol>
</main>
</body>
</html>
</xsl:template>
</xsl:stylesheet>
`;

export const ATOM_XSL = `<?xml version="1.0" encoding="utf-8"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
  xmlns:atom="http://www.w3.org/2005/Atom" exclude-result-prefixes="atom">
<xsl:output method="html" encoding="utf-8" doctype-system="about:legacy-compat"/>
<xsl:template name="text">
<xsl:param name="node"/>
<xsl:choose>
<xsl:when test="$node/@type = 'html'"><xsl:value-of select="$node" disable-output-escaping="yes"/></xsl:when>
<xsl:otherwise><xsl:value-of select="$node"/></xsl:otherwise>
</xsl:choose>
</xsl:template>
<xsl:template match="/">
<html>
<xsl:if test="/atom:feed/@xml:lang"><xsl:attribute name="lang"><xsl:value-of select="/atom:feed/@xml:lang"/></xsl:attribute></xsl:if>
${HEAD('<xsl:value-of select="/atom:feed/atom:title"/> (Atom)')}
<body>
${HINT('<xsl:value-of select="/atom:feed/atom:link[@rel=\'self\']/@href"/>')}
<header>
<h1><xsl:call-template name="text"><xsl:with-param name="node" select="/atom:feed/atom:title"/></xsl:call-template></h1>
<p class="muted"><xsl:call-template name="text"><xsl:with-param name="node" select="/atom:feed/atom:subtitle"/></xsl:call-template></p>
<p><a href="{/atom:feed/atom:link[@rel='alternate']/@href}">Open the web page of this feed</a></p>
</header>
<main>
<ol class="entries">
<xsl:for-each select="/atom:feed/atom:entry">
<li><article>
<h3><a href="{atom:link[not(@rel) or @rel='alternate']/@href}"><xsl:call-template name="text"><xsl:with-param name="node" select="atom:title"/></xsl:call-template></a></h3>
<p class="meta"><xsl:value-of select="substring(atom:published, 1, 10)"/><xsl:text> </xsl:text><xsl:value-of select="substring(atom:published, 12, 5)"/> UTC<xsl:if test="atom:author/atom:name"> · <xsl:value-of select="atom:author/atom:name"/></xsl:if></p>
<p class="summary"><xsl:call-template name="text"><xsl:with-param name="node" select="atom:summary"/></xsl:call-template></p>
</article></li>
</xsl:for-each>
</ol>
</main>
</body>
</html>
</xsl:template>
</xsl:stylesheet>
`;

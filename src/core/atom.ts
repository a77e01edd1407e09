// Atom 1.0 (RFC 4287). Titles are plain text (`type="text"`), so every reader shows them exactly;
// summaries are escaped text in `type="html"`, so text that looks like markup stays text.
import type { FeedItem, FeedMeta } from './feeds.js';
import { GENERATOR } from './feeds.js';
import { escapeHtml } from './text.js';
import { cdataHtml, el, empty, lines, rfc3339, xmlAttr } from './xml.js';

function entry(it: FeedItem): string {
  const e = it.entry;
  const enclosures = e.enclosures?.length
    ? e.enclosures.map((a) => empty('link', { rel: 'enclosure', href: a.url, type: a.type, length: a.length || undefined, title: a.title }))
    : e.image
      ? [empty('link', { rel: 'enclosure', href: e.image.url, type: e.image.type })]
      : [];
  return `<entry>
${lines(2, [
  el('title', e.title, { type: 'text' }),
  el('id', it.id),
  empty('link', { rel: 'alternate', type: 'text/html', href: e.url }),
  el('updated', it.updated),
  el('published', rfc3339(e.date)),
  `<summary type="html">${cdataHtml(it.excerptHtml ?? escapeHtml(e.summary))}</summary>`,
  it.contentHtml !== undefined ? `<content type="html">${cdataHtml(it.contentHtml)}</content>` : '',
  e.author ? `<author>\n${lines(3, [el('name', e.author)])}\n        </author>` : '',
  ...it.categories.map((c) => empty('category', { term: c, label: c })),
  ...enclosures,
])}
    </entry>`;
}

export function renderAtom(meta: FeedMeta, items: readonly FeedItem[], updated: Date): string {
  const head = [
    el('id', meta.feedUrls.atom),
    el('title', meta.title, { type: 'text' }),
    el('subtitle', meta.description, { type: 'text' }),
    el('updated', rfc3339(updated)),
    el('generator', GENERATOR),
    `<author>\n${lines(2, [el('name', meta.author)])}\n    </author>`,
    empty('link', { rel: 'alternate', type: 'text/html', href: meta.homeUrl }),
    empty('link', { rel: 'self', type: 'application/atom+xml', href: meta.feedUrls.atom }),
    meta.hub ? empty('link', { rel: 'hub', href: meta.hub }) : '',
    el('icon', meta.icon),
    el('logo', meta.logo),
    el('rights', meta.copyright || undefined, { type: 'text' }),
  ];
  const pi = meta.stylesheets?.atom ? `<?xml-stylesheet href="${xmlAttr(meta.stylesheets.atom)}" type="text/xsl"?>` : '';
  return `<?xml version="1.0" encoding="utf-8"?>${pi}
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="${xmlAttr(meta.language)}">
${lines(1, [...head, ...items.map(entry)])}
</feed>
`;
}

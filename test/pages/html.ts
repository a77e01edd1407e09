// DOM helpers for page tests: a real HTML parser (htmlparser2, what sanitize-html uses), so checks
// see what a browser would build, not what a regular expression guesses.
import { parseDocument } from 'htmlparser2';
import type { Document, Element } from 'domhandler';
import { DomUtils } from 'htmlparser2';

export function parseHtml(html: string): Document {
  return parseDocument(html, { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true });
}

/** Elements under `root` (named `name`, or all), in document order. */
export function elements(root: Document | Element, name?: string): Element[] {
  return DomUtils.findAll((e) => (name ? e.name === name : true), root.children);
}

export function textOf(e: Element): string {
  return DomUtils.textContent(e);
}

/** What could run script in a page: script elements, on* attributes, javascript: URLs, and injected `<img src=x>`. */
export function scriptVectors(doc: Document): string[] {
  const found: string[] = [];
  for (const e of elements(doc)) {
    if (e.name === 'script') found.push(`<script> ${textOf(e).slice(0, 40)}`);
    for (const [k, v] of Object.entries(e.attribs)) {
      if (k.startsWith('on')) found.push(`<${e.name} ${k}="${v}">`);
      if (/^\s*javascript:/i.test(v)) found.push(`<${e.name} ${k}="${v}">`);
    }
    if (e.name === 'img' && e.attribs.src === 'x') found.push('<img src=x>');
  }
  return found;
}

/** `<link rel="alternate">` feeds of a page: type, title and href. */
export function alternates(doc: Document): { type: string; title: string; href: string }[] {
  return elements(doc, 'link')
    .filter((l) => l.attribs.rel === 'alternate')
    .map((l) => ({ type: l.attribs.type ?? '', title: l.attribs.title ?? '', href: l.attribs.href ?? '' }));
}

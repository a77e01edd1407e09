// The few XML writing rules every feed needs, in one place: text and attribute escaping, CDATA
// sections that no `]]>` can break, no character XML forbids, and dates in the two feed formats.
import { stripXmlInvalid } from './text.js';

/** Character data: `&`, `<` and `>` escaped, XML-invalid characters dropped. */
export function xmlText(s: string): string {
  return stripXmlInvalid(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A double-quoted attribute value. */
export function xmlAttr(s: string): string {
  return xmlText(s).replace(/"/g, '&quot;');
}

/**
 * HTML in a CDATA section. A `>` written as `&gt;` means the same in HTML, so `]]>` becomes
 * `]]&gt;` and can never close the section.
 */
export function cdataHtml(html: string): string {
  return `<![CDATA[${stripXmlInvalid(html).replace(/]]>/g, ']]&gt;')}]]>`;
}

/** An element with text content (escaped), or nothing when the text is undefined. */
export function el(name: string, text: string | undefined, attrs: Record<string, string | number | undefined> = {}): string {
  if (text === undefined) return '';
  return `<${name}${attributes(attrs)}>${xmlText(text)}</${name}>`;
}

/** An empty element. */
export function empty(name: string, attrs: Record<string, string | number | undefined>): string {
  return `<${name}${attributes(attrs)}/>`;
}

function attributes(attrs: Record<string, string | number | undefined>): string {
  return Object.entries(attrs)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${k}="${xmlAttr(String(v))}"`)
    .join('');
}

/** Lines indented by `depth` levels of 4 spaces, empty ones dropped. */
export function lines(depth: number, parts: readonly string[]): string {
  const pad = '    '.repeat(depth);
  return parts
    .filter((p) => p !== '')
    .map((p) => pad + p)
    .join('\n');
}

/** RFC 822 / RFC 2822 date as RSS wants it: `Sat, 02 Apr 2022 12:47:38 GMT`. */
export function rfc822(iso: string | Date): string {
  return new Date(iso).toUTCString();
}

/** RFC 3339 date as Atom and JSON Feed want it, always in UTC with milliseconds. */
export function rfc3339(iso: string | Date): string {
  return new Date(iso).toISOString();
}

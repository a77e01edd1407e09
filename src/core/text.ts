// Plain-text helpers shared by parsing, feeds and pages.
import { decodeHTML } from 'entities';

// Characters XML 1.0 forbids (C0 controls but tab/LF/CR, U+FFFE/U+FFFF, lone surrogates).
// A single one makes every strict feed parser reject the whole feed.
// Every alternative starts with a character class, so the engine skips ahead cheaply (a leading
// lookbehind made it try all three at every position: twice as slow on a 5 MB article).
const XML_INVALID = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|[\uDC00-\uDFFF](?<![\uD800-\uDBFF][\uDC00-\uDFFF])/g;

export function stripXmlInvalid(s: string): string {
  return s.replace(XML_INVALID, '');
}

/** Markup → plain text: drop tags and comments, decode character references, fold white space. */
export function toPlainText(s: string): string {
  const noTags = s
    .replace(/<!--[\s\S]*?(-->|$)/g, '')
    .replace(/<(script|style)\b[\s\S]*?(<\/\1\s*>|$)/gi, ' ')
    .replace(/<\/?[a-zA-Z][^>]*>/g, ' ');
  return stripXmlInvalid(decodeHTML(noTags)).replace(/\s+/g, ' ').trim();
}

/** Escapes text for HTML element content and double-quoted attributes. */
export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** Cuts plain text at a word (or CJK character) boundary near `max` characters, adding an ellipsis. */
export function truncate(s: string, max: number): string {
  // Only the first max + 1 code points matter, and 2 × (max + 1) code units always hold them:
  // splitting all of a 5 MB article's text into an array took 0.2 s and tens of MB.
  const chars = Array.from(s.length > 2 * (max + 1) ? s.slice(0, 2 * (max + 1)) : s);
  if (chars.length <= max) return s;
  let cut = chars.slice(0, max).join('');
  // Prefer a break at the last space if it is not too far back (Latin text); CJK text has none.
  const space = cut.lastIndexOf(' ');
  if (space > max * 0.6) cut = cut.slice(0, space);
  return cut.replace(/[\s,.;:!?，。；：！？、]+$/u, '') + '…';
}

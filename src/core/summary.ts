// Plain-text summaries from cleaned HTML, for feeds that show a description and for page listings.
// A summary starts with what the article says: author lines and bare URLs are skipped, and an item
// with no text at all is described by its images (alt texts, or "2 images").
import { decodeHTML } from 'entities';
import { stripXmlInvalid, truncate } from './text.js';

// Tags that end a line of text. Inline tags (a, strong, span…) join their text without a space.
const BLOCK = /<\/?(?:p|div|section|article|h[1-6]|ul|ol|li|dl|dt|dd|blockquote|pre|table|caption|thead|tbody|tfoot|tr|th|td|figure|figcaption|details|summary|hr|br|video|audio|picture)\b[^>]*>/g;

/** The lines of text of cleaned HTML, in order, each with its white space folded. */
export function textBlocks(cleanedHtml: string): string[] {
  return cleanedHtml
    .replace(/<img\b[^>]*>/g, '\n')
    .replace(BLOCK, '\n')
    .split('\n')
    .map((line) => stripXmlInvalid(decodeHTML(line.replace(/<[^>]*>/g, ''))).replace(/\s+/g, ' ').trim())
    .filter(Boolean);
}

// An author line: short, and either introduced like one ("文/", "记者", "By Jane Doe") or naming a
// reporter or editor. Only the first lines of an article are tested.
const BYLINE_MAX = 40;
const BYLINE_LEAD = 3;
const BYLINE_START = /^[\s►▶▷■□●○◆◇★☆|｜【[（(]*(?:文|图|作者|记者|编辑|责编|撰文|来源|原创|出品|摄影)\s*[:：/|｜\s]/u;
const BYLINE_WORD = /记者|作者|编辑|撰文|通讯员/u;
const BYLINE_EN = /^(?:by|written by|words by|text by|posted by)\s+\p{Lu}[\p{L}.'’-]*(?:\s+(?:\p{Lu}[\p{L}.'’-]*|and|&))*\s*$/iu;

export function isByline(line: string): boolean {
  if (Array.from(line).length > BYLINE_MAX) return false;
  return BYLINE_START.test(line) || BYLINE_WORD.test(line) || BYLINE_EN.test(line);
}

/** A URL standing as text: a player link left by a dropped embed, a pasted address. */
const BARE_URL = /(?:https?:\/\/|www\.)[^\s<>"]+/gi;

/** The summary text of cleaned HTML: author lines at the start and bare URLs left out. Maybe empty. */
export function summaryText(cleanedHtml: string): string {
  const lines = textBlocks(cleanedHtml)
    .map((l) => l.replace(BARE_URL, ' ').replace(/\s+/g, ' ').trim())
    .filter(Boolean);
  let start = 0;
  while (start < Math.min(lines.length, BYLINE_LEAD) && isByline(lines[start]!)) start++;
  return lines.slice(start).join(' ');
}

const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : 's'}`;

/**
 * What describes an item with no text: its images' alt texts, else how many images, videos and
 * audio clips it holds ("2 images, 1 video"); empty when it holds none.
 */
export function mediaDescription(cleanedHtml: string): string {
  const alts = [...new Set([...cleanedHtml.matchAll(/<img\b[^>]*?\salt="([^"]*)"/g)].map((m) => decodeHTML(m[1]!).replace(/\s+/g, ' ').trim()).filter(Boolean))];
  if (alts.length) return alts.join(' · ');
  const count = (re: RegExp) => (cleanedHtml.match(re) ?? []).length;
  return [
    [count(/<img\b/g), 'image'],
    [count(/<video\b/g), 'video'],
    [count(/<audio\b/g), 'audio clip'],
  ]
    .filter(([n]) => (n as number) > 0)
    .map(([n, one]) => plural(n as number, one as string))
    .join(', ');
}

/** A summary that is never empty: the text, else the media, else the title; cut at `max` characters. */
export function summarize(summaryHtml: string, fullHtml: string, title: string, max: number): string {
  return truncate(summaryText(summaryHtml) || mediaDescription(fullHtml) || title, max);
}

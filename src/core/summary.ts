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

/** The summary's lines of cleaned HTML: its text blocks, bare URLs left out. */
function summaryLines(cleanedHtml: string): string[] {
  return textBlocks(cleanedHtml)
    .map((l) => l.replace(BARE_URL, ' ').replace(/\s+/g, ' ').trim())
    .filter(Boolean);
}

/** The lines joined, the author lines among the first BYLINE_LEAD left out. */
function joinAfterBylines(lines: readonly string[]): string {
  let start = 0;
  while (start < Math.min(lines.length, BYLINE_LEAD) && isByline(lines[start]!)) start++;
  return lines.slice(start).join(' ');
}

/** The summary text of cleaned HTML: author lines at the start and bare URLs left out. Maybe empty. */
export function summaryText(cleanedHtml: string): string {
  return joinAfterBylines(summaryLines(cleanedHtml));
}

/**
 * A line feed at or after `from` where the HTML before it can be read alone, or -1: up to there,
 * `<` and `>` alternate (every `<` closed by the next `>` with no `<` between, no stray `>`) and the
 * line feed is outside a tag. Then no pattern of textBlocks (each runs from a `<` to the next `>`)
 * reaches across it, so the text blocks of the part before it are the first text blocks of the
 * whole. Linear: each character is looked at a bounded number of times.
 */
export function readableCut(html: string, from: number): number {
  const n = html.length;
  let nl = html.indexOf('\n', from);
  let i = 0;
  while (nl >= 0) {
    const lt = html.indexOf('<', i);
    const textEnd = lt < 0 ? n : lt;
    const gt = html.indexOf('>', i);
    if (gt >= 0 && gt < textEnd) return -1; // a stray `>`
    if (nl < i) nl = html.indexOf('\n', i);
    if (nl >= 0 && nl < textEnd) return nl;
    if (lt < 0 || gt < 0) return -1;
    const next = html.indexOf('<', lt + 1);
    if (next >= 0 && next < gt) return -1; // a `<` inside a tag
    i = gt + 1;
  }
  return -1;
}

// Where summarize first looks for a cut, then 4 times further each time the text before it is too
// short: a summary needs a few hundred characters of text, which the first kilobyte or two of most
// articles hold (the extra reads add at most a third to reading the whole).
const FIRST_CUT = 1024;

/**
 * summaryText, cut to at least `need` characters when the whole text is longer: what truncate(…,
 * max) reads of it when need is 2 × (max + 1). Reads only the start of the HTML when that already
 * gives enough text after the author lines (the lines, thus the text, are a prefix of the whole's).
 */
function summaryTextAtLeast(cleanedHtml: string, need: number): string {
  for (let from = FIRST_CUT; from < cleanedHtml.length; from *= 4) {
    const cut = readableCut(cleanedHtml, from);
    if (cut < 0) break;
    const lines = summaryLines(cleanedHtml.slice(0, cut));
    // With fewer lines than BYLINE_LEAD, a later line could still change which are author lines.
    if (lines.length >= BYLINE_LEAD) {
      const text = joinAfterBylines(lines);
      if (text.length > need) return text;
    }
  }
  return summaryText(cleanedHtml);
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
  // truncate reads at most 2 × (max + 1) code units of a longer text.
  return truncate(summaryTextAtLeast(summaryHtml, 2 * (max + 1)) || mediaDescription(fullHtml) || title, max);
}

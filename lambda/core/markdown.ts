// Article body → HTML. Bodies are Markdown that mostly carries raw HTML copied from RSS items.
import MarkdownIt from 'markdown-it';

// `html: true` passes raw HTML through to the cleaner, which is the real safety boundary.
// Indented code blocks are off: scraped bodies indent raw HTML by 12 spaces after blank lines,
// and CommonMark would show those lines as code. Fenced code still works.
const md = new MarkdownIt({ html: true, linkify: false, typographer: false }).disable('code');

/**
 * CommonMark recognises an HTML block only when its first tag is indented by at most 3 spaces.
 * Dedent lines that start with a tag, except inside fenced code or <pre>, where spaces matter.
 */
export function dedentHtmlLines(body: string): string {
  let fence: string | null = null;
  let preDepth = 0;
  return body
    .split('\n')
    .map((line) => {
      const fenceMatch = /^\s{0,3}(`{3,}|~{3,})/.exec(line);
      if (fenceMatch) {
        const mark = fenceMatch[1]!;
        if (fence === null) fence = mark;
        else if (mark[0] === fence[0] && mark.length >= fence.length) fence = null;
        return line;
      }
      if (fence !== null) return line;
      const out = preDepth === 0 && /^[ \t]+</.test(line) ? line.trimStart() : line;
      preDepth += (line.match(/<pre[\s>]/gi) ?? []).length - (line.match(/<\/pre\s*>/gi) ?? []).length;
      if (preDepth < 0) preDepth = 0;
      return out;
    })
    .join('\n');
}

export function renderMarkdown(body: string): string {
  return md.render(dedentHtmlLines(body));
}

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
      // A line without `<` opens or closes no <pre>: skip the two scans (most lines are text).
      if (line.includes('<')) preDepth += (line.match(/<pre[\s>]/gi) ?? []).length - (line.match(/<\/pre\s*>/gi) ?? []).length;
      if (preDepth < 0) preDepth = 0;
      return out;
    })
    .join('\n');
}

// Raw `<pre>` blocks are HTML, not Markdown: a blank line inside one ends CommonMark's HTML block,
// and the rest would lose its indentation and grow <p> and <em> (`/* a */ x * y`). So each complete
// `<pre>…</pre>` outside fenced code is swapped for a one-line placeholder and put back after rendering.
const PRE_BLOCK = /<pre\b[^>]*>[\s\S]*?<\/pre\s*>/gi;
const placeholder = (i: number) => `<pre data-syndic-pre="${i}"></pre>`;

function protectPre(body: string): { text: string; blocks: string[] } {
  const blocks: string[] = [];
  const out: string[] = [];
  let chunk: string[] = [];
  let fence: string | null = null;
  const flush = () => {
    if (chunk.length) out.push(chunk.join('\n').replace(PRE_BLOCK, (m) => placeholder(blocks.push(m) - 1)));
    chunk = [];
  };
  for (const line of body.split('\n')) {
    const fenceMatch = /^\s{0,3}(`{3,}|~{3,})/.exec(line);
    if (fenceMatch) {
      const mark = fenceMatch[1]!;
      if (fence === null) {
        flush();
        fence = mark;
      } else if (mark[0] === fence[0] && mark.length >= fence.length) fence = null;
      out.push(line);
    } else if (fence !== null) out.push(line);
    else chunk.push(line);
  }
  flush();
  return { text: out.join('\n'), blocks };
}

export function renderMarkdown(body: string): string {
  const { text, blocks } = protectPre(body);
  const html = md.render(dedentHtmlLines(text));
  if (!blocks.length) return html;
  // A placeholder inside an inline code span comes back escaped: restore it escaped too.
  return html
    .replace(/<pre data-syndic-pre="(\d+)"><\/pre>/g, (m, i: string) => blocks[Number(i)] ?? m)
    .replace(/&lt;pre data-syndic-pre=&quot;(\d+)&quot;&gt;&lt;\/pre&gt;/g, (m, i: string) =>
      blocks[Number(i)] === undefined ? m : md.utils.escapeHtml(blocks[Number(i)]!),
    );
}

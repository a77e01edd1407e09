// Cleaning throughput on the real corpus: every body rendered to HTML once, then cleanHtml over
// all of them, pass after pass. Also the whole per-article pipeline (processArticle) on the same
// files, which is what an upload pays before rendering feeds.
//   node --import tsx bench/child/clean.ts [passes=9]   → one JSON line (MB/s per timed pass)
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadSettings } from '../../src/cli/config.js';
import { parseArticle } from '../../src/core/article.js';
import { cleanHtml } from '../../src/core/clean.js';
import { permalink } from '../../src/core/entry.js';
import { renderMarkdown } from '../../src/core/markdown.js';
import { processArticle } from '../../src/core/pipeline.js';
import { CORPUS_DIR } from '../generate.js';

const passes = Number(process.argv[2] ?? 9);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const settings = await loadSettings(root);
const files = (await readdir(CORPUS_DIR)).filter((f) => f.endsWith('.md')).sort();
const inputs = await Promise.all(
  files.map(async (f) => ({ id: f.slice(0, -3), file: f, bytes: new Uint8Array(await readFile(path.join(CORPUS_DIR, f))), uploadedAt: new Date(0) })),
);
const html = inputs.map((i) => ({ html: parseArticle(i, settings, renderMarkdown).article.html, baseUrl: permalink(settings.siteUrl, i.id) }));
const htmlMb = html.reduce((n, h) => n + Buffer.byteLength(h.html), 0) / 1e6;
const articleMb = inputs.reduce((n, i) => n + i.bytes.length, 0) / 1e6;

function timed(fn: () => void): number[] {
  for (let w = 0; w < 2; w++) fn(); // warm up the JIT
  const out: number[] = [];
  for (let p = 0; p < passes; p++) {
    const t = performance.now();
    fn();
    out.push(performance.now() - t);
  }
  return out;
}

const cleanMs = timed(() => {
  for (const h of html) cleanHtml(h.html, { baseUrl: h.baseUrl, dropSelectors: settings.dropSelectors });
});
const pipelineMs = timed(() => {
  for (const i of inputs) processArticle(i, settings);
});
console.log(
  JSON.stringify({
    articles: inputs.length,
    htmlMb,
    articleMb,
    cleanMbPerS: cleanMs.map((ms) => htmlMb / (ms / 1000)),
    pipelineMbPerS: pipelineMs.map((ms) => articleMb / (ms / 1000)),
    pipelineArticlesPerS: pipelineMs.map((ms) => inputs.length / (ms / 1000)),
  }),
);

// Peak memory of one article at the size limit, in a fresh process: read the file, run the
// pipeline every upload takes (processArticle), render the node feeds it lands in.
//   node --import tsx bench/child/large-article.ts <file>   → one JSON line
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadSettings } from '../../src/cli/config.js';
import { processArticle } from '../../src/core/pipeline.js';
import { buildSite } from '../../src/core/site.js';

const file = process.argv[2]!;
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const settings = await loadSettings(root);
const bytes = new Uint8Array(await readFile(file));
const baselineKb = process.resourceUsage().maxRSS;
const start = performance.now();
const p = processArticle({ id: 'largest', file, bytes, uploadedAt: new Date(0) }, settings);
if (p.kind !== 'entry') throw new Error(`largest article was not published: ${JSON.stringify(p)}`);
const files = buildSite([p.entry], settings);
const ms = performance.now() - start;
console.log(JSON.stringify({ bytes: bytes.length, ms, files: files.length, baselineKb, maxRssKb: process.resourceUsage().maxRSS }));

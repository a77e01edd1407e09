// One full build in a fresh process, so its peak RSS is its own: `syndic build`'s engine
// (build() over two FsStores) from a folder of articles into an empty folder.
//   node --import tsx bench/child/full-build.ts <contentDir> <outDir>   → one JSON line
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadSettings } from '../../src/cli/config.js';
import { silentLogger } from '../../src/log.js';
import { build } from '../../src/build/publish.js';
import { FsStore } from '../../src/store/fs-store.js';

const [contentDir, outDir] = process.argv.slice(2) as [string, string];
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const settings = await loadSettings(root);
await rm(outDir, { recursive: true, force: true });
const start = performance.now();
const result = await build({ content: new FsStore(contentDir), contentPrefix: '', out: new FsStore(outDir), outPrefix: '', settings, log: silentLogger });
const ms = performance.now() - start;
console.log(JSON.stringify({ ms, articles: result.entries.length, rejected: result.rejected.length, files: result.written.length, maxRssKb: process.resourceUsage().maxRSS }));

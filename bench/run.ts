// `npm run bench`: local builds through the real bin (cold, incremental, watch mode, and Hugo on the
// same articles), one incremental upload against a local S3, the Lambda bundle, cleaning throughput
// and the memory of the largest article. Every figure is a median over repeated runs (min and max
// beside it); each build and memory run is a fresh Node process, so peak RSS belongs to that run
// alone. Prints a Markdown table; writes bench/results.{json,md}.
//
//   npm run bench                              everything (about 10 minutes on 2 idle cores)
//   npm run bench -- --only build,hugo         some sections: build, incremental, watch, hugo,
//                                              upload, bulk, bundle, clean, memory
//   npm run bench -- --only upload,bulk        the S3 path alone (bulk: bench/bulk-import.ts)
import { mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { bundleHandler } from '../scripts/bundle.js';
import { DATA_DIR, generate, makeLargeArticle } from './generate.js';
import { coldBuilds, hugoBuilds, incrementalBuilds, summarize, warmBuild, watchLatency, type ColdResult, type HugoResult, type IncrementalResult, type WatchResult } from './local.js';
import { cli, mb, ROOT, runChild, summary, type Summary } from './stats.js';
import { compileCli } from './compiled.js';
import { benchUpload, uploadBytesLines, type UploadResult } from './upload.js';
import { benchBulkImport, bulkLines, type BulkResult } from './bulk-import.js';

const SECTIONS = ['build', 'incremental', 'watch', 'hugo', 'compiled', 'upload', 'bulk', 'bundle', 'clean', 'memory'] as const;
type Section = (typeof SECTIONS)[number];

const { values } = parseArgs({ options: { only: { type: 'string' }, articles: { type: 'string' } } });
const only = new Set((values.only?.split(',') ?? SECTIONS) as Section[]);
for (const s of only) if (!SECTIONS.includes(s)) throw new Error(`unknown section ${s}; use ${SECTIONS.join(',')}`);

const log = (msg: string) => console.error(`[bench] ${msg}`);

// Targets from the issue; a row without a target is context.
const CAPPED_HEAP_MB = 128;
const TARGETS = {
  buildRate10k: 2000, // articles/s at N = 10,000, through the real bin
  buildRssMb: 300,
  addOneMs: 500,
  unchangedMs: 1000,
  reloadMs: 300,
  bundleBytes: 1024 * 1024,
  loadMs: 150,
  largestRssMb: 256,
};

interface MemorySummary {
  maxRssMb: Summary;
  baselineMb: Summary;
  ms: Summary;
}

interface Row {
  measure: string;
  unit: string;
  value: Summary;
  target?: string;
  met?: boolean;
}

const results: {
  machine: { cpus: number; cpuModel: string; node: string; platform: string; memoryGb: number };
  command: string;
  startedAt: string;
  durationS?: number;
  rows: Row[];
  build?: ColdResult[];
  incremental?: IncrementalResult;
  watch?: WatchResult;
  hugo?: (HugoResult & { ratio: number | null; syndicMs: number | null }) | { skipped: string };
  compiled?: { entry: string; build: ColdResult; incremental: IncrementalResult; watch: WatchResult };
  upload?: UploadResult | { skipped: string };
  bulk?: BulkResult;
  bundle?: { bytes: number; loadMs: Summary; sdkMs: Summary; totalMs: Summary; processMs: Summary };
  clean?: { corpusHtmlMb: number; cleanMbPerS: Summary; pipelineMbPerS: Summary; pipelineArticlesPerS: Summary };
  memory?: { bytes: number; lambda: MemorySummary; capped: MemorySummary; cli: MemorySummary };
} = {
  machine: {
    cpus: os.availableParallelism(),
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    node: process.version,
    platform: `${os.platform()} ${os.arch()}`,
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
  },
  command: 'npm run bench' + (values.only || values.articles ? ' --' : '') + (values.only ? ` --only ${values.only}` : '') + (values.articles ? ` --articles ${values.articles}` : ''),
  startedAt: new Date().toISOString(),
  rows: [],
};
const started = performance.now();

async function repeat<T>(times: number, fn: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < times; i++) out.push(await fn(i)); // one at a time: runs must not compete for the CPU
  return out;
}

async function dataset(n: number): Promise<string> {
  const dir = path.join(DATA_DIR, `articles-${n}`);
  log(`generating ${n} articles into ${path.relative(ROOT, dir)}`);
  await generate(n, dir);
  made.add(n);
  return dir;
}

// `--articles N` makes a quick smaller run (its results go to bench/data, like any partial run).
const BIG = Number(values.articles ?? 10000);
const RUNS = 3;

async function benchBuild() {
  results.build = [];
  const hugo = only.has('hugo');
  for (const n of [...new Set([Math.min(1000, BIG), BIG])]) {
    const dir = await dataset(n);
    let entry: ColdResult;
    if (n === BIG && hugo) {
      // Syndic and Hugo take turns, so both see the same load on a shared machine.
      const runs: ColdResult[] = [];
      const hugoRuns: HugoResult[] = [];
      for (let i = 0; i < RUNS; i++) {
        runs.push(await coldBuilds(dir, n, 1, log, i + 1));
        const h = await hugoBuilds(dir, n, 1, log, i === 0, i + 1);
        if (h) hugoRuns.push(h);
      }
      entry = mergeCold(runs);
      if (hugoRuns.length) recordHugo(mergeHugo(hugoRuns), entry);
      else results.hugo = { skipped: 'hugo is not on the PATH (Debian package `hugo`)' };
    } else entry = await coldBuilds(dir, n, RUNS, log);
    results.build.push(entry);
    const label = `Full build, ${n.toLocaleString('en-US')} articles`;
    results.rows.push(
      { measure: `${label}: throughput (process wall time)`, unit: 'articles/s', value: entry.rate, ...(n === BIG ? { target: `≥ ${TARGETS.buildRate10k}`, met: entry.rate.median >= TARGETS.buildRate10k } : {}) },
      { measure: `${label}: process wall time (start to exit)`, unit: 's', value: scale(entry.processMs, 1 / 1000) },
      { measure: `${label}: build time as the summary line reports it`, unit: 's', value: scale(entry.engineMs, 1 / 1000) },
      ...(entry.maxRssMb ? [{ measure: `${label}: peak RSS`, unit: 'MB', value: entry.maxRssMb, ...(n === BIG ? { target: `≤ ${TARGETS.buildRssMb}`, met: entry.maxRssMb.median <= TARGETS.buildRssMb } : {}) }] : []),
      ...(entry.cpuS ? [{ measure: `${label}: CPU time (user + system, all threads)`, unit: 's', value: entry.cpuS }] : []),
    );
  }
}

function mergeCold(runs: ColdResult[]): ColdResult {
  const samples = runs.flatMap((r) => r.samples);
  const s = summarize(samples);
  return {
    ...runs[0]!,
    samples,
    processMs: s.processMs,
    engineMs: summary(samples.map((x) => x.engineMs)),
    rate: summary(samples.map((x) => runs[0]!.n / (x.ms / 1000))),
    maxRssMb: s.maxRssMb,
    cpuS: s.cpuS,
    loadavg: s.loadavg,
  };
}

function mergeHugo(runs: HugoResult[]): HugoResult {
  const samples = runs.flatMap((r) => r.samples);
  return { ...runs[0]!, samples, ...summarize(samples) };
}

function recordHugo(h: HugoResult, syndic: ColdResult | undefined) {
  const ratio = syndic ? syndic.processMs.median / h.processMs.median : null;
  results.hugo = { ...h, ratio, syndicMs: syndic?.processMs.median ?? null };
  log(`hugo: ${(h.processMs.median / 1000).toFixed(2)} s median; syndic/hugo time ratio ${ratio?.toFixed(2) ?? 'n/a'}`);
  results.rows.push(
    { measure: `Hugo (${h.version.split(' ')[1] ?? h.version}), same ${h.n.toLocaleString('en-US')} articles: \`${h.command}\``, unit: 's', value: scale(h.processMs, 1 / 1000) },
    ...(h.maxRssMb ? [{ measure: 'Hugo: peak RSS', unit: 'MB', value: h.maxRssMb }] : []),
    ...(h.cpuS ? [{ measure: 'Hugo: CPU time (user + system)', unit: 's', value: h.cpuS }] : []),
    ...(ratio !== null ? [{ measure: 'Syndic full build time ÷ Hugo build time (medians, same run; below 1 means Syndic is faster)', unit: 'ratio', value: summary([ratio]), target: '< 1', met: ratio < 1 }] : []),
  );
}

async function benchHugo() {
  if (results.hugo) return; // measured with the 10,000 builds, turn about
  const dir = await dataset(BIG);
  const h = await hugoBuilds(dir, BIG, RUNS, log);
  if (!h) {
    results.hugo = { skipped: 'hugo is not on the PATH (Debian package `hugo`)' };
    log('hugo: skipped, not on the PATH');
    return;
  }
  recordHugo(h, results.build?.find((b) => b.n === BIG));
}

async function benchIncremental() {
  const dir = await ensureDataset(BIG);
  const r = await incrementalBuilds(dir, BIG, 5, log);
  results.incremental = r;
  const label = `${BIG.toLocaleString('en-US')} articles, warm cache`;
  results.rows.push(
    { measure: `One article added to ${label}: process wall time`, unit: 'ms', value: r.addOne.processMs, target: `≤ ${TARGETS.addOneMs}`, met: r.addOne.processMs.median <= TARGETS.addOneMs },
    { measure: 'One article added: build time as the summary line reports it', unit: 'ms', value: r.addOne.engineMs },
    { measure: `One article edited, ${label}: process wall time`, unit: 'ms', value: r.editOne.processMs },
    { measure: 'One article edited: build time as the summary line reports it', unit: 'ms', value: r.editOne.engineMs },
    {
      measure: `Unchanged rebuild, ${label}: process wall time (files written: ${[...new Set(r.unchanged.written)].join(', ')})`,
      unit: 'ms',
      value: r.unchanged.processMs,
      target: `≤ ${TARGETS.unchangedMs}, 0 written`,
      met: r.unchanged.processMs.median <= TARGETS.unchangedMs && r.unchanged.written.every((w) => w === 0),
    },
    { measure: 'Unchanged rebuild: build time as the summary line reports it', unit: 'ms', value: r.unchanged.engineMs },
  );
}

async function benchWatch() {
  const dir = await ensureDataset(BIG);
  // A warm output and cache, as after a first `syndic start`.
  if (!results.incremental) await warmBuild(dir, BIG);
  const w = await watchLatency(dir, BIG, 10, log);
  results.watch = w;
  results.rows.push(
    { measure: `Watch mode, ${BIG.toLocaleString('en-US')} articles: article saved → reload event sent to the page`, unit: 'ms', value: w.toReloadMs, target: `≤ ${TARGETS.reloadMs}`, met: w.toReloadMs.median <= TARGETS.reloadMs },
    { measure: 'Watch mode: article saved → its new page served', unit: 'ms', value: w.toNewPageMs },
  );
}

/** The same measurements through a compiled copy of the CLI (plain node, no tsx): bench/compiled.ts. */
async function benchCompiled() {
  const dir = await ensureDataset(BIG);
  const entry = await compileCli();
  log(`compiled the CLI into ${entry}`);
  Object.assign(cli, { entry, label: '-compiled' });
  try {
    const build = await coldBuilds(dir, BIG, RUNS, log);
    const incremental = await incrementalBuilds(dir, BIG, 5, log);
    const watch = await watchLatency(dir, BIG, 10, log);
    results.compiled = { entry, build, incremental, watch };
    const n = BIG.toLocaleString('en-US');
    results.rows.push(
      { measure: `Compiled CLI (\`node ${entry}\`, no tsx): full build, ${n} articles, throughput`, unit: 'articles/s', value: build.rate, target: `≥ ${TARGETS.buildRate10k}`, met: build.rate.median >= TARGETS.buildRate10k },
      { measure: 'Compiled CLI: full build, process wall time', unit: 's', value: scale(build.processMs, 1 / 1000) },
      ...(build.maxRssMb ? [{ measure: 'Compiled CLI: full build, peak RSS', unit: 'MB', value: build.maxRssMb, target: `≤ ${TARGETS.buildRssMb}`, met: build.maxRssMb.median <= TARGETS.buildRssMb }] : []),
      ...(build.cpuS ? [{ measure: 'Compiled CLI: full build, CPU time (user + system)', unit: 's', value: build.cpuS }] : []),
      { measure: 'Compiled CLI: one article added, process wall time', unit: 'ms', value: incremental.addOne.processMs, target: `≤ ${TARGETS.addOneMs}`, met: incremental.addOne.processMs.median <= TARGETS.addOneMs },
      { measure: 'Compiled CLI: one article edited, process wall time', unit: 'ms', value: incremental.editOne.processMs },
      {
        measure: `Compiled CLI: unchanged rebuild, process wall time (files written: ${[...new Set(incremental.unchanged.written)].join(', ')})`,
        unit: 'ms',
        value: incremental.unchanged.processMs,
        target: `≤ ${TARGETS.unchangedMs}, 0 written`,
        met: incremental.unchanged.processMs.median <= TARGETS.unchangedMs && incremental.unchanged.written.every((w) => w === 0),
      },
      { measure: 'Compiled CLI: watch mode, article saved → reload event', unit: 'ms', value: watch.toReloadMs, target: `≤ ${TARGETS.reloadMs}`, met: watch.toReloadMs.median <= TARGETS.reloadMs },
    );
  } finally {
    Object.assign(cli, { entry: 'bin/syndic.js', label: '' });
  }
}

const made = new Set<number>();
/** The dataset of N articles, generated once per bench run. */
async function ensureDataset(n: number): Promise<string> {
  const dir = path.join(DATA_DIR, `articles-${n}`);
  if (!made.has(n)) await dataset(n);
  return dir;
}

async function benchBundle() {
  const file = path.join(DATA_DIR, 'bundle', 'handler.mjs');
  const bytes = await bundleHandler(file);
  const samples = await repeat(10, () => runChild<{ ms: number; sdkMs: number; totalMs: number }>('bench/child/load-bundle.mjs', [file]));
  results.bundle = {
    bytes,
    loadMs: summary(samples.map((s) => s.ms)),
    sdkMs: summary(samples.map((s) => s.sdkMs)),
    totalMs: summary(samples.map((s) => s.totalMs)),
    processMs: summary(samples.map((s) => s.processMs)),
  };
  log(`bundle: ${bytes} bytes, import ${results.bundle.loadMs.median.toFixed(0)} ms (+ AWS SDK ${results.bundle.sdkMs.median.toFixed(0)} ms)`);
  results.rows.push(
    { measure: 'Lambda bundle size (minified, without @aws-sdk/*)', unit: 'bytes', value: summary([bytes]), target: '< 1 MB', met: bytes < TARGETS.bundleBytes },
    { measure: 'Lambda bundle cold import, its own code (AWS SDK already loaded)', unit: 'ms', value: results.bundle.loadMs, target: `< ${TARGETS.loadMs}`, met: results.bundle.loadMs.median < TARGETS.loadMs },
    { measure: 'AWS SDK (@aws-sdk/client-s3) cold import, provided by the runtime', unit: 'ms', value: results.bundle.sdkMs },
    { measure: 'Cold import, SDK and bundle together', unit: 'ms', value: results.bundle.totalMs },
    { measure: 'Whole node process (start, both imports, exit)', unit: 'ms', value: results.bundle.processMs },
  );
}

async function benchClean() {
  const r = await runChild<{ htmlMb: number; cleanMbPerS: number[]; pipelineMbPerS: number[]; pipelineArticlesPerS: number[] }>('bench/child/clean.ts', ['9']);
  results.clean = {
    corpusHtmlMb: r.htmlMb,
    cleanMbPerS: summary(r.cleanMbPerS),
    pipelineMbPerS: summary(r.pipelineMbPerS),
    pipelineArticlesPerS: summary(r.pipelineArticlesPerS),
  };
  log(`clean: ${results.clean.cleanMbPerS.median.toFixed(2)} MB/s`);
  results.rows.push(
    { measure: `Cleaning (cleanHtml) on the corpus's ${r.htmlMb.toFixed(2)} MB of HTML`, unit: 'MB/s', value: results.clean.cleanMbPerS },
    { measure: 'Whole article pipeline (parse, Markdown, clean) on the corpus', unit: 'MB/s', value: results.clean.pipelineMbPerS },
    { measure: 'Whole article pipeline on the corpus', unit: 'articles/s', value: results.clean.pipelineArticlesPerS },
  );
}

async function benchMemory() {
  const file = path.join(DATA_DIR, 'largest.md');
  // The default maxArticleBytes: the largest article an upload may carry.
  const limit = 5 * 1024 * 1024;
  await mkdir(DATA_DIR, { recursive: true });
  await writeFile(file, await makeLargeArticle(limit));
  // The handler's upload path, bundled as deployed (plain node, no tsx): what the Lambda needs.
  const bundle = path.join(DATA_DIR, 'bundle', 'largest-upload.mjs');
  await bundleHandler(bundle, 'bench/child/largest-upload.ts');
  type Mem = { bytes: number; ms: number; baselineKb: number; maxRssKb: number };
  const lambda = await repeat(3, () => runChild<Mem>(bundle, [file]));
  // The same with V8's old space capped: V8 grows its heap lazily when the machine has memory to
  // spare, so the uncapped peak says more about the machine than about what the function needs.
  const capped = await repeat(3, () => runChild<Mem>(bundle, [file], [`--max-old-space-size=${CAPPED_HEAP_MB}`]));
  // The same article through `syndic build`'s shape (tsx, every file of the site held at once).
  const cli = await repeat(3, () => runChild<Mem>('bench/child/large-article.ts', [file]));
  const bytes = lambda[0]!.bytes;
  const mem = (s: Mem[]) => ({
    maxRssMb: summary(s.map((x) => mb(x.maxRssKb))),
    baselineMb: summary(s.map((x) => mb(x.baselineKb))),
    ms: summary(s.map((x) => x.ms)),
  });
  results.memory = { bytes, lambda: mem(lambda), capped: mem(capped), cli: mem(cli) };
  const l = results.memory.lambda;
  const c = results.memory.cli;
  log(`largest article (${bytes} bytes): handler ${l.maxRssMb.median.toFixed(0)} MB peak, build shape ${c.maxRssMb.median.toFixed(0)} MB`);
  const size = `${(bytes / 2 ** 20).toFixed(2)} MiB`;
  results.rows.push(
    { measure: `Largest article (${size}) uploaded: peak RSS of the handler (bundled, fresh process)`, unit: 'MB', value: l.maxRssMb, target: `< ${TARGETS.largestRssMb}`, met: l.maxRssMb.median < TARGETS.largestRssMb },
    { measure: 'Largest article uploaded: RSS before the event (Node and the bundle loaded)', unit: 'MB', value: l.baselineMb },
    { measure: 'Largest article uploaded: handler time', unit: 's', value: scale(l.ms, 1 / 1000) },
    { measure: `Largest article uploaded, node --max-old-space-size=${CAPPED_HEAP_MB}: peak RSS`, unit: 'MB', value: results.memory.capped.maxRssMb, target: `< ${TARGETS.largestRssMb}`, met: results.memory.capped.maxRssMb.median < TARGETS.largestRssMb },
    { measure: `Largest article uploaded, node --max-old-space-size=${CAPPED_HEAP_MB}: handler time`, unit: 's', value: scale(results.memory.capped.ms, 1 / 1000) },
    { measure: `Largest article in \`syndic build\`'s shape (tsx; all its site's files held at once): peak RSS`, unit: 'MB', value: c.maxRssMb },
    { measure: "Largest article in `syndic build`'s shape: RSS before (Node, tsx, modules)", unit: 'MB', value: c.baselineMb },
  );
}

function scale(s: Summary, k: number): Summary {
  return { median: s.median * k, min: s.min * k, max: s.max * k, runs: s.runs };
}

const fmt = (v: number) => (Math.abs(v) >= 100 ? Math.round(v).toLocaleString('en-US') : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2));

export function markdown(r: typeof results): string {
  const lines = [
    `Machine: ${r.machine.cpus} CPUs (${r.machine.cpuModel}), ${r.machine.memoryGb} GB, ${r.machine.platform}, Node ${r.machine.node}. Command: \`${r.command}\`. Run ${r.startedAt}${r.durationS ? `, took ${Math.round(r.durationS)} s` : ''}.`,
    '',
    '| Measurement | Unit | Median | Min | Max | Runs | Target | Met |',
    '|---|---|--:|--:|--:|--:|---|---|',
    ...r.rows.map((row) => `| ${row.measure} | ${row.unit} | ${fmt(row.value.median)} | ${fmt(row.value.min)} | ${fmt(row.value.max)} | ${row.value.runs} | ${row.target ?? ''} | ${row.met === undefined ? '' : row.met ? 'yes' : '**no**'} |`),
  ];
  const commands = [
    ...(r.build ?? []).map((b) => `- cold build, ${b.n.toLocaleString('en-US')} articles (output and cache folders removed before each run): \`${b.command}\``),
    ...(r.incremental ? [`- incremental and unchanged builds: the same command on the warm output and cache`] : []),
    ...(r.watch ? [`- watch mode: \`${r.watch.command}\`, an article saved ${r.watch.saves} times, timed until the \`reload\` event and until the new page is served`] : []),
    ...(r.hugo && !('skipped' in r.hugo) ? [`- Hugo: \`${r.hugo.command}\` (${r.hugo.version}; the same articles as a Hugo site, bench/hugo.ts; ${r.hugo.files.toLocaleString('en-US')} files written, output folder removed before each run)`] : []),
  ];
  if (r.compiled) commands.push(`- compiled CLI: the same commands with \`node ${r.compiled.entry}\` in place of \`node bin/syndic.js\` (src/ compiled file by file with esbuild, bench/compiled.ts)`);
  if (commands.length) lines.push('', 'Commands (from the repository root; GNU time reports peak RSS and CPU time):', ...commands);
  const loads = [...(r.build ?? []).flatMap((b) => b.loadavg), ...(r.hugo && !('skipped' in r.hugo) ? r.hugo.loadavg : []), ...(r.incremental?.loadavg ?? []), ...(r.watch?.loadavg ?? [])];
  if (loads.length) lines.push('', `1-minute load average when the runs started: ${Math.min(...loads).toFixed(1)} to ${Math.max(...loads).toFixed(1)} (${r.machine.cpus} CPUs; above ${r.machine.cpus}, other processes were competing for them).`);
  if (r.hugo && 'skipped' in r.hugo) lines.push('', `Hugo: skipped (${r.hugo.skipped}).`);
  if (r.upload && 'skipped' in r.upload) lines.push('', `Incremental upload: skipped (${r.upload.skipped}).`);
  else if (r.upload) {
    const u = r.upload;
    lines.push(
      '',
      `One incremental upload handled by the real handler (S3 event) against a local S3 server (s3rver) holding N articles; ${u.uploads} uploads per N, alternately a new article and an edit of it, filed under ${u.categoryNodes} category nodes, after ${u.warmup} warm-up uploads. Requests are counted per upload by a proxy in front of the server; latency is measured around the handler call and includes the proxy hop.`,
      '',
      '| N | Latency median (ms) | p95 (ms) | min | max | GET | PUT | LIST | DELETE | HEAD | Total | Bound 14 + 11 × (nodes + 1) (docs/lambda.md) | Within |',
      '|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|',
      ...u.byN.map((x) => `| ${x.n.toLocaleString('en-US')} | ${fmt(x.latencyMs.median)} | ${fmt(x.p95Ms)} | ${fmt(x.latencyMs.min)} | ${fmt(x.latencyMs.max)} | ${x.requests.GET} | ${x.requests.PUT} | ${x.requests.LIST} | ${x.requests.DELETE} | ${x.requests.HEAD} | ${x.requests.total} | ${u.budget} | ${x.requests.total <= u.budget ? 'yes' : '**no**'} |`),
      '',
      `Requests at the largest N equal those at the smallest: ${u.countsFlat ? 'yes' : '**no**'}. Latency ratio (median, largest N over smallest): ${u.latencyRatio.toFixed(2)}.`,
      ...uploadBytesLines(u),
    );
  }
  if (r.bulk) lines.push(...bulkLines(r.bulk));
  return lines.join('\n') + '\n';
}

log(`sections: ${[...only].join(', ')}`);
if (only.has('build')) await benchBuild();
if (only.has('hugo')) await benchHugo();
if (only.has('incremental')) await benchIncremental();
if (only.has('watch')) await benchWatch();
if (only.has('compiled')) await benchCompiled();
if (only.has('upload')) {
  try {
    results.upload = await benchUpload(log);
  } catch (e) {
    results.upload = { skipped: (e as Error).message };
    log(`upload: skipped: ${(e as Error).message}`);
  }
}
if (only.has('bulk')) results.bulk = await benchBulkImport(log);
if (only.has('bundle')) await benchBundle();
if (only.has('clean')) await benchClean();
if (only.has('memory')) await benchMemory();
results.durationS = (performance.now() - started) / 1000;

const md = markdown(results);
console.log('\n' + md);
// A partial run (--only) never overwrites the reference results: it goes to the ignored data folder.
const base = values.only || values.articles ? path.join(DATA_DIR, 'results.partial') : path.join(ROOT, 'bench/results');
await mkdir(path.dirname(base), { recursive: true });
await writeFile(`${base}.json`, JSON.stringify(results, null, 2) + '\n');
await writeFile(`${base}.md`, md);
log(`wrote ${path.relative(ROOT, base)}.json and .md in ${Math.round(results.durationS)} s total`);

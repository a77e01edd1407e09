// The local build measured as users run it: every figure comes from the real bin
// (`node bin/syndic.js build|start ...`) in its own process, with GNU time for its peak RSS.
// - cold: empty output and cache folders, N generated articles;
// - incremental: one new article, one edited article, nothing changed (on a warm output and cache);
// - watch: `syndic start --watch`, an article saved, until the `reload` event (and the new page);
// - hugo: the same articles as a Hugo site, `hugo --quiet`, in the same run.
import { spawn } from 'node:child_process';
import http from 'node:http';
import { readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { categoryPaths, DATA_DIR, makeArticle, readCorpus } from './generate.js';
import { hugoVersion, makeHugoSite } from './hugo.js';
import { cli, mb, parseSummary, ROOT, runBin, summary, type BinRun, type Summary } from './stats.js';

type Log = (msg: string) => void;
const load = () => os.loadavg()[0]!;

export interface RunSample {
  ms: number;
  maxRssMb: number | null;
  cpuS: number | null;
  loadavg: number;
}

/** Summaries over samples (several single-run results of one measurement merged, when runs interleave). */
export function summarize(samples: readonly RunSample[]) {
  const rss = samples.map((s) => s.maxRssMb).filter((x): x is number => x !== null);
  const cpu = samples.map((s) => s.cpuS).filter((x): x is number => x !== null);
  return {
    processMs: summary(samples.map((s) => s.ms)),
    maxRssMb: rss.length ? summary(rss) : null,
    cpuS: cpu.length ? summary(cpu) : null,
    loadavg: samples.map((s) => s.loadavg),
  };
}

export interface ColdResult {
  n: number;
  command: string;
  samples: (RunSample & { engineMs: number })[];
  processMs: Summary;
  engineMs: Summary;
  rate: Summary;
  maxRssMb: Summary | null;
  cpuS: Summary | null;
  files: number;
  loadavg: number[];
}

export const dirsFor = (n: number) => ({ out: path.join(DATA_DIR, `out-${n}${cli.label}`), cache: path.join(DATA_DIR, `cache-${n}${cli.label}`) });

function buildArgs(content: string, n: number): string[] {
  const { out, cache } = dirsFor(n);
  return ['build', '--content', path.relative(ROOT, content), '--out', path.relative(ROOT, out), '--cache-dir', path.relative(ROOT, cache)];
}

function checked<T extends BinRun>(r: T, what: string): T {
  if (r.code !== 0) throw new Error(`${what} exited ${r.code}: ${r.stderr.slice(-2000)}`);
  return r;
}

/** Cold builds of `content` (N articles): output and cache removed before each run (not timed). */
export async function coldBuilds(content: string, n: number, runs: number, log: Log, first = 1): Promise<ColdResult> {
  const { out, cache } = dirsFor(n);
  const samples: (BinRun & { engineS: number; written: number })[] = [];
  const loadavg: number[] = [];
  let command = '';
  for (let i = 0; i < runs; i++) {
    await rm(out, { recursive: true, force: true });
    await rm(cache, { recursive: true, force: true });
    loadavg.push(load());
    const r = checked(await runBin(buildArgs(content, n)), 'syndic build');
    command = r.command;
    const s = parseSummary(r.stdout);
    if (s.published !== n || s.parsed !== n) throw new Error(`cold build of ${n}: ${r.stdout}`);
    samples.push({ ...r, engineS: s.engineS, written: s.written });
    log(`syndic build, ${n} articles, cold #${i + first}: ${(r.ms / 1000).toFixed(2)} s (${Math.round(n / (r.ms / 1000))} articles/s), ${r.maxRssKb ? mb(r.maxRssKb).toFixed(0) : '?'} MB, ${r.cpuS?.toFixed(1)} CPU s, load ${loadavg[i]!.toFixed(1)}`);
  }
  const rss = samples.map((s) => s.maxRssKb).filter((x): x is number => x !== null);
  const cpu = samples.map((s) => s.cpuS).filter((x): x is number => x !== null);
  return {
    n,
    command,
    samples: samples.map((s, i) => ({ ms: s.ms, maxRssMb: s.maxRssKb === null ? null : mb(s.maxRssKb), cpuS: s.cpuS, loadavg: loadavg[i]!, engineMs: s.engineS * 1000 })),
    processMs: summary(samples.map((s) => s.ms)),
    engineMs: summary(samples.map((s) => s.engineS * 1000)),
    rate: summary(samples.map((s) => n / (s.ms / 1000))),
    maxRssMb: rss.length ? summary(rss.map(mb)) : null,
    cpuS: cpu.length ? summary(cpu) : null,
    files: samples[0]!.written,
    loadavg,
  };
}

/** One build of `content` into its bench output (warm or not), untimed. */
export async function warmBuild(content: string, n: number): Promise<void> {
  checked(await runBin(buildArgs(content, n)), 'syndic build');
}

export interface IncrementalResult {
  n: number;
  command: string;
  addOne: { processMs: Summary; engineMs: Summary; written: number[]; parsed: number[] };
  editOne: { processMs: Summary; engineMs: Summary; written: number[]; parsed: number[] };
  unchanged: { processMs: Summary; engineMs: Summary; written: number[]; parsed: number[] };
  loadavg: number[];
}

/** On the output and cache of a cold build of `content`: unchanged rebuilds, one article added, one edited. */
export async function incrementalBuilds(content: string, n: number, runs: number, log: Log): Promise<IncrementalResult> {
  const { out } = dirsFor(n);
  const args = buildArgs(content, n);
  // A warm start: the last cold build's output, or a new one.
  const warm = checked(await runBin(args), 'syndic build');
  log(`warm-up build: ${parseSummary(warm.stdout).parsed} parsed, ${(warm.ms / 1000).toFixed(2)} s`);
  const loadavg: number[] = [];
  const measure = async (label: string, prepare: (i: number) => Promise<void>) => {
    const rows: { ms: number; engineS: number; written: number; parsed: number }[] = [];
    for (let i = 0; i < runs; i++) {
      await prepare(i);
      loadavg.push(load());
      const r = checked(await runBin(args), `syndic build (${label})`);
      const s = parseSummary(r.stdout);
      rows.push({ ms: r.ms, engineS: s.engineS, written: s.written, parsed: s.parsed });
      log(`${label} #${i + 1}: ${r.ms.toFixed(0)} ms (engine ${(s.engineS * 1000).toFixed(0)} ms), ${s.parsed} parsed, ${s.written} written`);
    }
    return {
      processMs: summary(rows.map((r) => r.ms)),
      engineMs: summary(rows.map((r) => r.engineS * 1000)),
      written: rows.map((r) => r.written),
      parsed: rows.map((r) => r.parsed),
    };
  };
  const unchanged = await measure('unchanged rebuild', async () => {});
  const corpus = await readCorpus();
  const paths = categoryPaths(corpus);
  const added: string[] = [];
  const addOne = await measure('one article added', async (i) => {
    const a = makeArticle(n + i, corpus, paths);
    added.push(path.join(content, a.path));
    await writeFile(path.join(content, a.path), a.bytes);
  });
  const target = path.join(content, makeArticle(7, corpus, paths).path);
  const original = await readFile(target, 'utf8');
  const editOne = await measure('one article edited', async (i) => {
    await writeFile(target, original.replace(/^title: (.*)$/m, `title: $1 (edit ${i + 1})`));
  });
  // Back to the N articles the other sections expect.
  await writeFile(target, original);
  for (const f of added) await rm(f);
  checked(await runBin(args), 'syndic build');
  void out;
  return { n, command: `node ${cli.entry} ${args.join(' ')}`, addOne, editOne, unchanged, loadavg };
}

export interface WatchResult {
  n: number;
  command: string;
  saves: number;
  toReloadMs: Summary;
  toNewPageMs: Summary;
  loadavg: number[];
}

/** `syndic start --watch` on the warm output: an article saved, until its reload event and its new page. */
export async function watchLatency(content: string, n: number, saves: number, log: Log): Promise<WatchResult> {
  const { out, cache } = dirsFor(n);
  const args = [cli.entry, 'start', '--watch', '--content', path.relative(ROOT, content), '--out', path.relative(ROOT, out), '--cache-dir', path.relative(ROOT, cache), '--port', '0'];
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, SYNDIC_LOG_JSON: '' } });
  try {
    let stdout = '';
    const base = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
        const url = /Serving .* on (http:\/\/127\.0\.0\.1:\d+)\//.exec(stdout)?.[1];
        if (url && stdout.includes('Watching ')) resolve(url);
      });
      child.on('exit', (code) => reject(new Error(`syndic start exited ${code}: ${stdout}`)));
    });
    // The event stream: each `reload` event's data, with the time it arrived.
    const events: { at: number; written: string[] }[] = [];
    let wake: (() => void) | undefined;
    await new Promise<void>((resolve, reject) => {
      http
        .get(`${base}/__syndic/events`, (res) => {
          res.setEncoding('utf8');
          let buf = '';
          res.on('data', (chunk: string) => {
            buf += chunk;
            resolve();
            let end;
            while ((end = buf.indexOf('\n\n')) >= 0) {
              const block = buf.slice(0, end);
              buf = buf.slice(end + 2);
              const data = /^event: reload\ndata: (.*)$/m.exec(block)?.[1];
              if (data) {
                events.push({ at: performance.now(), written: (JSON.parse(data) as { written: string[] }).written });
                wake?.();
              }
            }
          });
        })
        .on('error', reject);
    });
    const corpus = await readCorpus();
    const paths = categoryPaths(corpus);
    const toReload: number[] = [];
    const toPage: number[] = [];
    const loadavg: number[] = [];
    for (let i = 0; i < saves; i++) {
      const a = makeArticle(11 + i, corpus, paths);
      const file = path.join(content, a.path);
      const original = await readFile(file, 'utf8');
      const title = `watch edit ${i + 1}`;
      const page = `articles/${a.path.replace(/\.md$/, '')}/index.html`;
      loadavg.push(load());
      const t0 = performance.now();
      await writeFile(file, original.replace(/^title: .*$/m, `title: ${title}`));
      let ev: { at: number; written: string[] } | undefined;
      while (!(ev = events.find((e) => e.at >= t0 && e.written.includes(page)))) await new Promise<void>((r) => (wake = r));
      const body = await (await fetch(`${base}/${page.replace(/index\.html$/, '')}`)).text();
      const t2 = performance.now();
      if (!body.includes(`<h1>${title}</h1>`)) throw new Error(`watch: the page after reload does not show ${title}`);
      toReload.push(ev.at - t0);
      toPage.push(t2 - t0);
      log(`watch save #${i + 1}: reload event after ${(ev.at - t0).toFixed(0)} ms, new page served after ${(t2 - t0).toFixed(0)} ms`);
      await writeFile(file, original);
      // Let that rebuild (and the cache write after it) finish, as between two saves by a person.
      const count = events.length;
      while (events.length === count) await new Promise<void>((r) => (wake = r));
      await new Promise((r) => setTimeout(r, 300));
    }
    return { n, command: `node ${args.join(' ')}`, saves, toReloadMs: summary(toReload), toNewPageMs: summary(toPage), loadavg };
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
}

export interface HugoResult {
  version: string;
  n: number;
  command: string;
  samples: RunSample[];
  processMs: Summary;
  maxRssMb: Summary | null;
  cpuS: Summary | null;
  files: number;
  loadavg: number[];
}

/** `hugo --quiet` over the same articles (as a Hugo site), into an emptied folder each run; null without Hugo. */
export async function hugoBuilds(content: string, n: number, runs: number, log: Log, makeSite = true, first = 1): Promise<HugoResult | null> {
  const version = await hugoVersion();
  if (!version) return null;
  const site = path.join(DATA_DIR, `hugo-${n}`);
  const out = path.join(DATA_DIR, `hugo-out-${n}`);
  const { existsSync } = await import('node:fs');
  // Also when the site is missing: Hugo may have been installed after an earlier turn found none.
  if (makeSite || !existsSync(site)) await makeHugoSite(content, site);
  const { mkdtemp } = await import('node:fs/promises');
  const samples: { ms: number; rssKb: number | null; cpuS: number | null }[] = [];
  const loadavg: number[] = [];
  // Hugo resolves a relative --destination against --source: both absolute.
  const hugoArgs = ['--quiet', '--source', site, '--destination', out];
  for (let i = 0; i < runs; i++) {
    await rm(out, { recursive: true, force: true });
    const dir = await mkdtemp(path.join(os.tmpdir(), 'syndic-bench-hugo-'));
    const tfile = path.join(dir, 'time');
    const timed = existsSync('/usr/bin/time');
    const argv = timed ? ['/usr/bin/time', '-o', tfile, '-f', '%M %U %S', 'hugo', ...hugoArgs] : ['hugo', ...hugoArgs];
    loadavg.push(load());
    const start = performance.now();
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn(argv[0]!, argv.slice(1), { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
      child.on('error', reject);
      child.on('close', resolve);
    });
    const ms = performance.now() - start;
    if (code !== 0) throw new Error(`hugo exited ${code}`);
    let rssKb: number | null = null;
    let cpuS: number | null = null;
    if (timed) {
      const [rss, user, sys] = (await readFile(tfile, 'utf8')).trim().split('\n').pop()!.split(' ').map(Number);
      rssKb = rss ?? null;
      cpuS = (user ?? 0) + (sys ?? 0);
    }
    await rm(dir, { recursive: true, force: true });
    samples.push({ ms, rssKb, cpuS });
    log(`hugo, ${n} articles #${i + first}: ${(ms / 1000).toFixed(2)} s, ${rssKb ? mb(rssKb).toFixed(0) : '?'} MB, ${cpuS?.toFixed(1)} CPU s, load ${loadavg[i]!.toFixed(1)}`);
  }
  const { readdir } = await import('node:fs/promises');
  const count = async (d: string): Promise<number> => {
    let k = 0;
    for (const e of await readdir(d, { withFileTypes: true })) k += e.isDirectory() ? await count(path.join(d, e.name)) : 1;
    return k;
  };
  const files = await count(out);
  await rm(out, { recursive: true, force: true });
  const rss = samples.map((s) => s.rssKb).filter((x): x is number => x !== null);
  const cpu = samples.map((s) => s.cpuS).filter((x): x is number => x !== null);
  return {
    version,
    n,
    command: `hugo ${hugoArgs.join(' ')}`,
    samples: samples.map((s, i) => ({ ms: s.ms, maxRssMb: s.rssKb === null ? null : mb(s.rssKb), cpuS: s.cpuS, loadavg: loadavg[i]! })),
    processMs: summary(samples.map((s) => s.ms)),
    maxRssMb: rss.length ? summary(rss.map(mb)) : null,
    cpuS: cpu.length ? summary(cpu) : null,
    files,
    loadavg,
  };
}

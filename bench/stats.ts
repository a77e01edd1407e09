// Small statistics and child-process helpers shared by the bench runner.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface Summary {
  median: number;
  min: number;
  max: number;
  runs: number;
}

/** Nearest-rank percentile (p in 0..100) of the values. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export function summary(values: readonly number[]): Summary {
  return { median: median(values), min: Math.min(...values), max: Math.max(...values), runs: values.length };
}

const exec = promisify(execFile);

/**
 * Runs a script in a fresh Node process (TypeScript through tsx unless it is .mjs) and parses the
 * JSON object it prints on its last line. Also returns the wall time of the whole process.
 */
export async function runChild<T>(script: string, args: readonly string[], nodeFlags: readonly string[] = []): Promise<T & { processMs: number }> {
  const flags = script.endsWith('.mjs') ? [...nodeFlags] : [...nodeFlags, '--import', 'tsx'];
  const start = performance.now();
  const { stdout } = await exec(process.execPath, [...flags, path.resolve(ROOT, script), ...args], { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 });
  const processMs = performance.now() - start;
  const last = stdout.trim().split('\n').pop() ?? '';
  return { ...(JSON.parse(last) as T), processMs };
}

export const mb = (kb: number) => kb / 1024;

export interface BinRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Spawn to exit, measured here. */
  ms: number;
  /** From GNU time when it exists (/usr/bin/time), else null. */
  maxRssKb: number | null;
  cpuS: number | null;
}

const GNU_TIME = '/usr/bin/time';

/** The CLI entry the bench runs: the real bin, or a compiled bundle of the same sources (compiled.ts). */
export const cli = { entry: 'bin/syndic.js', label: '' };

/**
 * Runs the real CLI (`node bin/syndic.js ...args`) as a user would, under GNU time for its peak RSS
 * (all its threads; ru_maxrss of the process) and CPU time. `command` is the line to print.
 */
export async function runBin(args: readonly string[]): Promise<BinRun & { command: string }> {
  const { existsSync } = await import('node:fs');
  const { mkdtemp, readFile, rm } = await import('node:fs/promises');
  const os = await import('node:os');
  const { spawn } = await import('node:child_process');
  const bin = ['node', cli.entry, ...args];
  const timed = existsSync(GNU_TIME);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'syndic-bench-time-'));
  const tfile = path.join(dir, 'time');
  const argv = timed ? [GNU_TIME, '-o', tfile, '-f', '%M %U %S', process.execPath, ...bin.slice(1)] : [process.execPath, ...bin.slice(1)];
  const start = performance.now();
  const r = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { cwd: ROOT, env: { ...process.env, SYNDIC_LOG_JSON: '' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
  const ms = performance.now() - start;
  let maxRssKb: number | null = null;
  let cpuS: number | null = null;
  if (timed) {
    const [rss, user, sys] = (await readFile(tfile, 'utf8')).trim().split('\n').pop()!.split(' ').map(Number);
    maxRssKb = rss ?? null;
    cpuS = user !== undefined && sys !== undefined ? user + sys : null;
  }
  await rm(dir, { recursive: true, force: true });
  return { ...r, ms, maxRssKb, cpuS, command: bin.map((a) => (/[\s"']/.test(a) ? JSON.stringify(a) : a)).join(' ') };
}

/** The numbers of `syndic build`'s summary line. */
export function parseSummary(stdout: string): { published: number; written: number; unchanged: number; removed: number; engineS: number; parsed: number } {
  const m = /built (\d+) articles .*: (\d+) files written, (\d+) unchanged, (\d+) removed in ([\d.]+) s \((\d+) parsed/.exec(stdout);
  if (!m) throw new Error(`no summary line in: ${stdout.slice(-500)}`);
  const [published, written, unchanged, removed, engineS, parsed] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  return { published, written, unchanged, removed, engineS, parsed };
}

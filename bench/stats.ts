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

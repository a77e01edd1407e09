// Runs the real `bin/syndic.js` as a child process, as a user would, and collects its output.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * `options.cwd`: the folder it runs in (default: the checkout, whose syndic.config.json applies).
 * `options.root`: the checkout whose bin/syndic.js runs (default: this repository).
 */
export function runSyndic(args: string[], env: Record<string, string> = {}, options: { cwd?: string; root?: string } = {}): Promise<CliRun> {
  const root = options.root ?? ROOT;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(root, 'bin/syndic.js'), ...args], { cwd: options.cwd ?? root, env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

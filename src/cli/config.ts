// Where the CLI finds its settings: cdk.json's `syndic` context (the same the stack deploys), then flags.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { resolveSettings, type Settings } from '../core/settings.js';

export async function loadSettings(cwd: string, overrides: Partial<Record<string, unknown>> = {}, configFile?: string): Promise<Settings> {
  const file = configFile ?? path.join(cwd, 'cdk.json');
  let context: Record<string, unknown> | undefined;
  try {
    const json = JSON.parse(await readFile(file, 'utf8')) as { context?: { syndic?: Record<string, unknown> } };
    context = json.context?.syndic;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT' || configFile) throw new Error(`cannot read settings from ${file}: ${(e as Error).message}`);
  }
  return resolveSettings(context, overrides);
}

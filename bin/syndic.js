#!/usr/bin/env node
// The `syndic` command. An installed package runs the JavaScript compiled at pack time (dist/); a
// checkout of the repository, where src/ is present, runs the TypeScript sources through tsx.
import { existsSync } from 'node:fs';

const source = new URL('../src/cli/cli.ts', import.meta.url);
let cli;
if (existsSync(source)) {
  const { register } = await import('tsx/esm/api');
  register();
  cli = await import(source.href);
} else {
  cli = await import('../dist/cli/cli.js');
}
// main() prints its own one-line errors and returns the exit code (see src/cli/cli.ts).
process.exit(await cli.main(process.argv.slice(2)));

#!/usr/bin/env node
// The `syndic` command. An installed package runs the JavaScript compiled at pack time (dist/); a
// checkout of the repository, where src/ is present, runs a bundle of its sources that
// scripts/cli-bundle.mjs keeps up to date (made again with esbuild whenever a file under src/ changed).
import { existsSync } from 'node:fs';

let cli;
if (existsSync(new URL('../src/cli/cli.ts', import.meta.url))) {
  // --debug prints stacks: let them name the sources, not the bundle.
  if (process.argv.includes('--debug') || /^(1|true)$/i.test(process.env.SYNDIC_DEBUG ?? '')) process.setSourceMapsEnabled(true);
  const { cliEntry } = await import('../scripts/cli-bundle.mjs');
  cli = await import(await cliEntry());
} else {
  cli = await import('../dist/cli/cli.js');
}
// main() prints its own one-line errors and returns the exit code (see src/cli/cli.ts).
process.exit(await cli.main(process.argv.slice(2)));

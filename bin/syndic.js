#!/usr/bin/env node
// Runs the TypeScript CLI through tsx, so there is no separate compile step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/cli.ts');
try {
  process.exit(await main(process.argv.slice(2)));
} catch (e) {
  console.error(`error: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
}

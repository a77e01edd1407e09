// A compiled copy of the CLI for the bench: every source file turned into plain JavaScript with
// esbuild (one .js per .ts, no bundling, as a compile step at pack time would do), run with plain
// `node`, no tsx. It stands for what the published package runs (dist/, compiled file by file); its
// numbers beside those of bin/syndic.js (which runs scripts/cli-bundle.mjs's esbuild bundle of src/,
// its parser and feed packages included) show what the bundle saves at start-up.
import { readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { build } from 'esbuild';
import { DATA_DIR } from './generate.js';
import { ROOT } from './stats.js';

export const COMPILED_DIR = path.join(DATA_DIR, 'compiled');

async function sources(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await sources(p)));
    else if (e.name.endsWith('.ts')) out.push(p);
  }
  return out;
}

/** Compiles src/ into bench/data/compiled/src and writes the entry beside it; returns the entry, relative to the root. */
export async function compileCli(): Promise<string> {
  await rm(COMPILED_DIR, { recursive: true, force: true });
  await build({
    entryPoints: await sources(path.join(ROOT, 'src')),
    outdir: path.join(COMPILED_DIR, 'src'),
    outbase: path.join(ROOT, 'src'),
    bundle: false,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'warning',
  });
  const entry = path.join(COMPILED_DIR, 'syndic.mjs');
  // What bin/syndic.js does, minus tsx.
  await writeFile(entry, `import { main } from './src/cli/cli.js';\nprocess.exit(await main(process.argv.slice(2)));\n`);
  return path.relative(ROOT, entry);
}

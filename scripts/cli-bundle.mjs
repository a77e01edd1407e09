// The checkout's compiled CLI: src/cli/cli.ts and the build worker bundled with esbuild into
// node_modules/.cache/syndic/<stamp>/, where <stamp> digests the path, size and mtime of every file
// and folder under src/ (and package.json, package-lock.json): a changed, added, removed or renamed source gives a new
// stamp, so the bin never runs stale code. Each bundle is written into a temporary folder and renamed
// into place, so a concurrent run sees a whole bundle or none. bin/syndic.js calls cliEntry() only in a
// checkout (when src/ exists); `npm install`/`npm ci` run this file (the `prepare` script) so the first
// run does not wait for it. An installed package runs dist/ and never loads this file or esbuild.
//
//   node scripts/cli-bundle.mjs [--prepare]   builds the bundle if it is stale, prints its entry
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, utimesSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CACHE = path.join(ROOT, 'node_modules/.cache/syndic');
/** Packages left out of the bundle (loaded from node_modules when a command needs them). */
const EXTERNAL = ['@aws-sdk/*', 'chokidar', 'serve-static', 'esbuild', 'tsx', 'tsx/*'];
/** Bundles not used for this long are removed when a new one is made (a watch session may still hold one). */
const KEEP_MS = 24 * 3600 * 1000;

/** Digest of the path, size and mtime of everything under src/, and of package.json and package-lock.json. */
function sourceStamp() {
  const h = createHash('sha256');
  const add = (p) => {
    const st = statSync(p);
    h.update(`${path.relative(ROOT, p)}\0${st.size}\0${st.mtimeMs}\n`);
    if (st.isDirectory()) for (const name of readdirSync(p).sort()) add(path.join(p, name));
  };
  add(path.join(ROOT, 'src'));
  add(path.join(ROOT, 'package.json'));
  // The lock file names the bundled packages' own dependencies (htmlparser2 under sanitize-html...).
  if (existsSync(path.join(ROOT, 'package-lock.json'))) add(path.join(ROOT, 'package-lock.json'));
  add(fileURLToPath(import.meta.url));
  return h.digest('hex').slice(0, 16);
}

/** Ends the process with a one-line error (a source that does not compile, esbuild not installed). */
function fail(what, detail) {
  process.stderr.write(`error: ${what}\n${detail ? `${detail}\n` : ''}`);
  process.exit(1);
}

async function bundle(dir) {
  const { build } = await import('esbuild').catch(() => fail('bin/syndic.js runs src/ bundled with esbuild, which is not installed, run npm install'));
  const tmp = `${dir}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  try {
    await build({
      absWorkingDir: ROOT,
      entryPoints: { cli: 'src/cli/cli.ts', worker: 'src/build/worker.ts' },
      outdir: tmp,
      outExtension: { '.js': '.mjs' },
      bundle: true,
      // Chunks keep the sources' lazy imports lazy (the parser and renderers load only when a build needs them).
      splitting: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      // The parser, cleaner and feed packages are bundled too: one file loads in a third of the time
      // that resolving and compiling their hundred-odd modules takes (about 60 against 200 ms, measured).
      // Those the build never loads, or that read files beside their own, stay in node_modules.
      external: EXTERNAL,
      banner: { js: "import { createRequire as __syndicRequire } from 'node:module'; const require = __syndicRequire(import.meta.url);" },
      // Stacks name the sources (src/cli/cli.ts:42): bin/syndic.js turns source maps on in a checkout.
      sourcemap: 'linked',
      sourcesContent: false,
      logLevel: 'silent',
    }).catch((e) => {
      const errors = (e.errors ?? []).map((m) => `${m.location ? `${m.location.file}:${m.location.line}:${m.location.column}: ` : ''}${m.text}`);
      rmSync(tmp, { recursive: true, force: true });
      fail(`src/ does not compile (${errors.length} error${errors.length === 1 ? '' : 's'}), fix it and run again`, errors.join('\n') || String(e));
    });
    try {
      renameSync(tmp, dir);
    } catch (e) {
      // Another run made the same bundle first: use that one.
      if (!existsSync(path.join(dir, 'cli.mjs'))) throw e;
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  const now = Date.now();
  for (const name of readdirSync(CACHE)) {
    const p = path.join(CACHE, name);
    if (p === dir || !/^[0-9a-f]{16}(\..*\.tmp)?$/.test(name)) continue;
    // Another run may rename or remove its temporary folder between the listing and this stat.
    const st = statSync(p, { throwIfNoEntry: false });
    if (st && now - st.mtimeMs > KEEP_MS) rmSync(p, { recursive: true, force: true });
  }
}

/** The file URL of the bundled CLI for the current sources, bundling them first if needed. */
export async function cliEntry() {
  const dir = path.join(CACHE, sourceStamp());
  const entry = path.join(dir, 'cli.mjs');
  if (existsSync(entry)) {
    const now = new Date();
    try {
      utimesSync(dir, now, now); // marks it used (see KEEP_MS)
    } catch {
      // not ours to touch: it stays until its owner's next bundle removes it
    }
  } else {
    mkdirSync(CACHE, { recursive: true });
    await bundle(dir);
  }
  return pathToFileURL(entry).href;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  // `--prepare` (npm's prepare script): an install without devDependencies has no esbuild; the
  // install goes on, and the bin says what is missing when it runs.
  if (process.argv.includes('--prepare') && !(await import('esbuild').then(() => true, () => false))) {
    console.log('syndic: esbuild is not installed, the bin will bundle src/ once it is (npm install)');
  } else {
    console.log(fileURLToPath(await cliEntry()));
  }
}

// Bundles the Lambda handler the way the stack deploys it (infra/publisher.ts): one minified ESM
// file for Node, the AWS SDK left out because the runtime provides it.
//
//   npx tsx scripts/bundle.ts [outfile]     (default dist/handler.mjs)
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Writes the bundle to `outfile` and returns its size in bytes. `entry` defaults to the handler. */
export async function bundleHandler(outfile: string, entry = 'src/lambda/handler.ts'): Promise<number> {
  const result = await build({
    entryPoints: [path.resolve(root, entry)],
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    minify: true,
    external: ['@aws-sdk/*'],
    // Lets CommonJS dependencies that call require() run inside the ESM bundle.
    banner: { js: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);" },
    metafile: true,
    logLevel: 'warning',
  });
  return Object.values(result.metafile.outputs)[0]!.bytes;
}

const invoked = process.argv[1] ? path.resolve(process.argv[1]) : '';
if (invoked === fileURLToPath(import.meta.url)) {
  const out = path.resolve(process.argv[2] ?? path.join(root, 'dist/handler.mjs'));
  const bytes = await bundleHandler(out);
  console.log(`${out}: ${bytes} bytes`);
}

// Cold module load of the Lambda bundle in a fresh Node process (plain JS: no loader in the way).
// The AWS SDK is imported first and timed on its own: Lambda's runtime provides it, so the bundle's
// own figure is the import after it; the total is what a cold start pays for both.
//   node bench/child/load-bundle.mjs <bundle.mjs>   → one JSON line
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const bundle = process.argv[2];
// Resolve the SDK from the bundle's location, as the bundle's own import would.
const sdk = pathToFileURL(createRequire(bundle).resolve('@aws-sdk/client-s3')).href;
const t0 = performance.now();
await import(sdk);
const t1 = performance.now();
const mod = await import(pathToFileURL(bundle).href);
const t2 = performance.now();
if (typeof mod.handler !== 'function') throw new Error('bundle exports no handler');
console.log(JSON.stringify({ sdkMs: t1 - t0, ms: t2 - t1, totalMs: t2 - t0, sinceProcessStartMs: t2 }));

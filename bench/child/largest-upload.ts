// Peak memory of the Lambda handling the upload of the largest allowed article, in a fresh process:
// the real handler (bundled like the deployed function) given the S3 event, over a local folder
// Store instead of S3 so that only the function's own memory is measured.
//   node bench/data/bundle/largest-upload.mjs <article.md>   → one JSON line
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { handle } from '../../src/lambda/handler.js';
import { silentLogger } from '../../src/log.js';
import { encodeEventKey } from '../../src/lambda/s3-events.js';
import { FsStore } from '../../src/store/fs-store.js';

const bytes = await readFile(process.argv[2]!);
const dir = await mkdtemp(path.join(os.tmpdir(), 'syndic-bench-largest-'));
const key = 'content/uploads/largest.md';
await mkdir(path.join(dir, 'content/uploads'), { recursive: true });
await writeFile(path.join(dir, key), bytes);
const store = new FsStore(dir);
const event = { Records: [{ eventSource: 'aws:s3', eventName: 'ObjectCreated:Put', s3: { bucket: { name: 'bench' }, object: { key: encodeEventKey(key), size: bytes.length } } }] };
const baselineKb = process.resourceUsage().maxRSS;
const start = performance.now();
const result = await handle(event, { storeFor: () => store, log: silentLogger });
const ms = performance.now() - start;
const maxRssKb = process.resourceUsage().maxRSS;
await rm(dir, { recursive: true, force: true });
const status = result.action === 'sync' ? result.outcomes[0]?.status : result.action;
if (status !== 'published') throw new Error(`largest article was not published: ${JSON.stringify(result).slice(0, 300)}`);
console.log(JSON.stringify({ bytes: bytes.length, ms, baselineKb, maxRssKb }));

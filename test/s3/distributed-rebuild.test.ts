// The Step Functions rebuild run in-process, step by step through the real handler: rebuild-start,
// rebuild-map over the listing in batches of 3 (one batch killed midway and retried, as the engine
// retries a failed child), rebuild-reduce. Its public/ and state/ must be byte-identical to the
// single-invocation rebuild's, and public/ to what `syndic build` makes of the same articles.
import { mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSettings } from '../../src/cli/config.js';
import type { Settings } from '../../src/core/settings.js';
import { handle } from '../../src/lambda/handler.js';
import type { ListedItem } from '../../src/lambda/rebuild.js';
import { recordKey } from '../../src/lambda/state.js';
import { mapLimit } from '../../src/lambda/nodes.js';
import { silentLogger } from '../../src/log.js';
import type { Store } from '../../src/store/store.js';
import { FsStore } from '../../src/store/fs-store.js';
import { FaultStore } from '../helpers/fault-store.js';
import { builtFiles } from './harness.js';
import { ROOT, runSyndic } from '../helpers/run-cli.js';
import { startS3Server, type TestS3Server } from '../helpers/s3-server.js';

const CORPUS = path.resolve(ROOT, '../shared/corpus/articles');

let s3: TestS3Server;
let tmp: string;
let settings: Settings;
beforeAll(async () => {
  s3 = await startS3Server();
  tmp = await mkdtemp(path.join(os.tmpdir(), 'syndic-dist-'));
  settings = await loadSettings(ROOT, { feedLimit: 5 });
});
afterAll(async () => {
  await s3?.stop();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

/** Every object under a prefix → its ETag (the bytes, by MD5). */
async function etags(store: Store, prefix: string): Promise<Map<string, string>> {
  return new Map((await store.list(prefix)).map((o) => [o.key, o.etag]));
}

describe('the distributed rebuild (Step Functions steps, in-process)', () => {
  it('gives the same public/ and state/ as the single-invocation rebuild and the same public/ as syndic build', { timeout: 600_000 }, async () => {
    const bucket = 'dist';
    const store = await s3.createBucket(bucket);
    const files = (await readdir(CORPUS)).filter((f) => f.endsWith('.md')).sort();
    await mapLimit(files, 8, async (f) => store.put(`content/${f}`, await readFile(path.join(CORPUS, f))));
    const opts = { storeFor: (b: string) => (b === bucket ? store : store), settings, log: silentLogger };

    // The ItemReader's view: ListObjectsV2 items of content/ (as JSON, dates as strings).
    const items: ListedItem[] = (await store.list('content/')).map((o) => ({ Key: o.key, ETag: o.etag, Size: o.size, LastModified: o.lastModified.toISOString() }));
    const start = await handle({ action: 'rebuild-start', bucket }, opts);
    const epoch = start.action === 'rebuild-start' ? start.epoch : -1;
    expect(epoch).toBe(1);
    const batches: ListedItem[][] = [];
    for (let i = 0; i < items.length; i += 3) batches.push(items.slice(i, i + 3));
    expect(batches.length).toBe(30);
    let killed = 0;
    for (const [n, b] of batches.entries()) {
      if (n === 12) continue; // mapped only after a reduce that must refuse to run without it
      if (n === 7) {
        // This child dies midway (the page of its second article written, its output not yet).
        const dying = new FaultStore(store, { at: 9, mode: 'answer-lost' });
        await expect(handle({ action: 'rebuild-map', bucket, epoch, items: b }, { ...opts, storeFor: () => dying, parallel: 1 })).rejects.toThrow();
        expect(dying.requests.filter((r) => r.op === 'PUT' && r.result !== 'dead').length).toBeGreaterThan(0);
        killed++;
      }
      const res = await handle({ action: 'rebuild-map', bucket, epoch, items: b }, opts);
      expect(res.action).toBe('rebuild-map');
      // Small answers only (Step Functions payloads are limited to 256 KB).
      expect(JSON.stringify(res).length).toBeLessThan(300);
    }
    // A reduce with a batch missing deletes nothing: it refuses, and runs once the batch is mapped.
    const publicBefore = await etags(store, 'public/');
    await expect(handle({ action: 'rebuild-reduce', bucket, epoch }, opts)).rejects.toThrow(/3 article keys were not mapped/);
    expect(await etags(store, 'public/')).toEqual(publicBefore);
    await handle({ action: 'rebuild-map', bucket, epoch, items: batches[12]! }, opts);
    // A retried (duplicate) child redoes nothing wrong.
    await handle({ action: 'rebuild-map', bucket, epoch, items: batches[3]! }, opts);
    const reduce = await handle({ action: 'rebuild-reduce', bucket, epoch }, opts);
    expect(reduce.action).toBe('rebuild-reduce');
    expect(JSON.stringify(reduce).length).toBeLessThan(1000);
    expect(killed).toBe(1);
    const distPublic = await etags(store, 'public/');
    const distState = await etags(store, 'state/');
    expect([...distState.keys()].filter((k) => k.startsWith('state/rebuild/') && k !== 'state/rebuild/epoch.json')).toEqual([]);

    // The same bucket from scratch with the single-invocation rebuild.
    for (const k of [...distPublic.keys(), ...distState.keys()]) await store.delete(k);
    const single = await handle({ action: 'rebuild', bucket }, opts);
    expect(single.action === 'rebuild' && single.result.published).toBe(90);
    expect(await etags(store, 'public/')).toEqual(distPublic);
    expect(await etags(store, 'state/')).toEqual(distState);

    // syndic build over a folder of the same articles; the four dateless ones (date: Invalid Date)
    // take the file's mtime, so give each the time the bucket first saw it (its record's firstSeen).
    const content = path.join(tmp, 'content');
    const out = path.join(tmp, 'out');
    await mkdir(content, { recursive: true });
    await mapLimit(files, 8, async (f) => {
      const file = path.join(content, f);
      await writeFile(file, await readFile(path.join(CORPUS, f)));
      const rec = JSON.parse(Buffer.from((await store.get(recordKey(f.slice(0, -3))))!.body).toString()) as { firstSeen: string };
      const t = new Date(rec.firstSeen);
      await utimes(file, t, t);
    });
    const built = await runSyndic(['build', '--content', content, '--out', out, '--feed-limit', '5']);
    expect(built.code, built.stderr).toBe(0);
    expect(await builtFiles(out)).toEqual(distPublic);

    // The same steps in-process over the filesystem store (as a local rebuild runs them): each file
    // dated as the bucket dated its object, so the dateless articles get the same first-seen time.
    const fsStore = new FsStore(path.join(tmp, 'fs-bucket'));
    await mapLimit(items, 8, async (i) => {
      await fsStore.put(i.Key, (await store.get(i.Key))!.body);
      const t = new Date(i.LastModified as string);
      await utimes(path.join(fsStore.root, i.Key), t, t);
    });
    const fsOpts = { ...opts, storeFor: () => fsStore };
    const fsItems: ListedItem[] = (await fsStore.list('content/')).map((o) => ({ Key: o.key, ETag: o.etag, Size: o.size, LastModified: o.lastModified.toISOString() }));
    const fsStart = await handle({ action: 'rebuild-start', bucket }, fsOpts);
    const fsEpoch = fsStart.action === 'rebuild-start' ? fsStart.epoch : -1;
    for (let i = 0; i < fsItems.length; i += 7) await handle({ action: 'rebuild-map', bucket, epoch: fsEpoch, items: fsItems.slice(i, i + 7) }, fsOpts);
    await handle({ action: 'rebuild-reduce', bucket, epoch: fsEpoch }, fsOpts);
    expect(await etags(fsStore, 'public/')).toEqual(distPublic);
    expect(await etags(fsStore, 'state/')).toEqual(distState);
  });
});

describe('rebuild-map items: LastModified as the ItemReader gives it', () => {
  it('a number (seconds since the epoch) and an ISO string give the same state and public files', { timeout: 120_000 }, async () => {
    const bucket = 'dist-lastmod';
    const store = await s3.createBucket(bucket);
    const small = { ...settings, maxArticleBytes: 2000 };
    const opts = { storeFor: () => store, settings: small, log: silentLogger };
    await store.put('content/dup.md', `---\ntitle: Dup\ndate: 2024-01-02T00:00:00Z\n---\n\nbody\n`);
    await store.put('content/dup.html', `---\ntitle: Dup html\ndate: 2024-01-02T00:00:00Z\n---\n\nbody\n`);
    await store.put('content/big.md', `---\ntitle: Big\ndate: 2024-01-03T00:00:00Z\n---\n\n${'x'.repeat(3000)}\n`);
    await store.put('content/nodate.md', `---\ntitle: No date\n---\n\nbody\n`);
    const listed = await store.list('content/');
    const run = async (shape: (d: Date) => string | number) => {
      const items: ListedItem[] = listed.map((o) => ({ Key: o.key, ETag: o.etag, Size: o.size, LastModified: shape(o.lastModified) }));
      const start = await handle({ action: 'rebuild-start', bucket }, opts);
      const epoch = start.action === 'rebuild-start' ? start.epoch : -1;
      await handle({ action: 'rebuild-map', bucket, epoch, items }, opts);
      await handle({ action: 'rebuild-reduce', bucket, epoch }, opts);
      const state = new Map<string, string>();
      for (const o of await store.list('state/')) if (!o.key.startsWith('state/rebuild/')) state.set(o.key, Buffer.from((await store.get(o.key))!.body).toString());
      return { pub: await etags(store, 'public/'), state };
    };
    const asNumber = await run((d) => Math.floor(d.getTime() / 1000));
    // Error records carry the object's time (seconds), not 1970.
    const errors = [...asNumber.state].filter(([k]) => k.startsWith('state/errors/')).map(([, v]) => JSON.parse(v) as { key: string; time: string });
    expect(errors.map((e) => e.key).sort()).toEqual(['content/big.md', 'content/dup.html']);
    for (const e of errors) expect(e.time).toBe(new Date(Math.floor(listed.find((o) => o.key === e.key)!.lastModified.getTime() / 1000) * 1000).toISOString());
    for (const k of [...asNumber.pub.keys(), ...asNumber.state.keys()]) await store.delete(k);
    const asString = await run((d) => d.toISOString());
    expect(asString.pub).toEqual(asNumber.pub);
    // firstSeen of a record is when it was first made: made from scratch twice, it is the object's time both times.
    expect(asString.state).toEqual(asNumber.state);
  });
});

// The deployable artifact and the operator commands, end to end against the local S3 server:
// the esbuild bundle of the handler answers a rebuild event; `syndic upload` and `syndic rebuild` work.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { settingsToEnv } from '../../src/core/settings.js';
import { bundleHandler } from '../../scripts/bundle.js';
import { ROOT, runSyndic } from '../helpers/run-cli.js';
import { startS3Server, type TestS3Server } from '../helpers/s3-server.js';
import { article, jsonFeed, settingsFor, titles } from './harness.js';

let s3: TestS3Server;
let tmp: string;
beforeAll(async () => {
  s3 = await startS3Server();
  // Inside the repo, so that the bundle finds the (external) AWS SDK in node_modules, as on Lambda.
  await mkdir(path.join(ROOT, '.tmp'), { recursive: true });
  tmp = await mkdtemp(path.join(ROOT, '.tmp', 's3-test-'));
});
afterAll(async () => {
  await s3?.stop();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

const syndic = runSyndic;

describe('the Lambda bundle', () => {
  it('builds into one ESM file without @aws-sdk/* and handles a rebuild event', async () => {
    const out = path.join(tmp, 'handler.mjs');
    const bytes = await bundleHandler(out);
    console.log(`handler bundle: ${bytes} bytes (minified ESM, @aws-sdk/* external)`);
    expect(bytes).toBeGreaterThan(10_000);
    expect(bytes).toBeLessThan(3_000_000);

    const store = await s3.createBucket('bundled');
    await store.put('content/b.md', article({ title: 'Bundled', date: '2024-01-01T00:00:00Z', categories: ['X'] }));
    const env = { ...settingsToEnv(settingsFor()), SYNDIC_BUCKET: 'bundled', AWS_ENDPOINT_URL_S3: s3.endpoint };
    const saved = { ...process.env };
    Object.assign(process.env, env);
    try {
      const mod = (await import(pathToFileURL(out).href)) as { handler: (e: unknown) => Promise<{ action: string }> };
      const res = await mod.handler({ action: 'rebuild' });
      expect(res.action).toBe('rebuild');
    } finally {
      for (const k of Object.keys(env)) if (saved[k] === undefined) delete process.env[k];
      Object.assign(process.env, saved);
    }
    expect(titles(await jsonFeed(store, 'categories/x/'))).toEqual(['Bundled']);
  });
});

describe('syndic upload, rebuild and reconcile', () => {
  it('uploads files under content/, rebuilds the bucket showing progress, and reconciles it', async () => {
    const store = await s3.createBucket('cli');
    const file = path.join(tmp, 'post one.md');
    await writeFile(file, article({ title: 'From the CLI', date: '2024-02-01T00:00:00Z', categories: ['Cli'] }));
    const common = ['--bucket', 'cli', '--endpoint', s3.endpoint, '--site-url', 'https://feeds.example.com'];
    const up = await syndic(['upload', file, ...common]);
    expect(up.code).toBe(0);
    expect(await store.get('content/post one.md')).not.toBeNull();

    const first = await syndic(['rebuild', ...common]);
    expect(first.code).toBe(0);
    expect(first.stderr).toMatch(/read: 1\/1/);
    expect(first.stdout).toMatch(/1 articles \(1 published/);
    expect(titles(await jsonFeed(store))).toEqual(['From the CLI']);
    const again = await syndic(['rebuild', ...common]);
    expect(again.stdout).toMatch(/public\/: 0 written/);
    // The scheduled repair: nothing unfinished; a marker of a (maybe) running invocation is left alone.
    const clean = await syndic(['reconcile', ...common]);
    expect(clean.code, clean.stderr).toBe(0);
    expect(clean.stdout).toMatch(/reconciled s3:\/\/cli: 0 unfinished invocations, 0 keys redone/);
    await store.put('state/pending/running.json', JSON.stringify({ keys: ['content/post one.md'] }));
    const young = await syndic(['reconcile', ...common]);
    expect(young.stdout).toMatch(/1 markers younger than 15 minutes/);
    expect(await store.get('state/pending/running.json')).not.toBeNull();
  });
});

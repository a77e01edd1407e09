// The S3 side of the CLI: `syndic rebuild`, `syndic reconcile`, `syndic upload`.
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError, UsageError } from '../errors.js';
import { articleIdFromPath, CONTENT_PREFIX, DEPLOYMENT_KEY } from '../core/layout.js';
import type { Settings } from '../core/settings.js';
import type { Logger } from '../log.js';
import { mapLimit } from '../build/publish.js';
import { rebuild } from '../lambda/rebuild.js';
import { createS3Client, S3Store } from '../store/s3-store.js';
import { feedUrl, notifyHub } from '../lambda/websub.js';

const DEV_BUCKET = 'syndic-dev';

const stderrLogger: Logger = (level, msg, fields) => {
  if (level === 'debug' || level === 'info') return;
  console.error(`${level}: ${msg}${fields?.key ? ` (${String(fields.key)})` : ''}`);
};

function storeFrom(values: Record<string, unknown>): S3Store {
  const bucket = (values.bucket as string | undefined) ?? process.env.SYNDIC_BUCKET ?? DEV_BUCKET;
  const endpoint = (values.endpoint as string | undefined) ?? process.env.AWS_ENDPOINT_URL_S3;
  return new S3Store(createS3Client(endpoint ? { endpoint } : {}), bucket);
}

/**
 * The key of an uploaded file, so that an article keeps its id (the path below content/):
 *  1. a file inside the content folder: the prefix + its path below that folder
 *     (`content/2024/hello.md` → `content/2024/hello.md`);
 *  2. else a relative path that stays inside the current folder: the prefix + that path as typed
 *     (`2024/hello.md` → `content/2024/hello.md`);
 *  3. else (an absolute path elsewhere, or one through `..`): the prefix + the file name.
 */
export function uploadKey(file: string, opts: { cwd: string; contentDir: string; prefix: string }): string {
  const abs = path.resolve(opts.cwd, file);
  const below = (root: string) => {
    const rel = path.relative(path.resolve(opts.cwd, root), abs);
    return rel && !rel.startsWith('..' + path.sep) && rel !== '..' && !path.isAbsolute(rel) ? rel : null;
  };
  const rel = below(opts.contentDir) ?? (path.isAbsolute(file) ? null : below('.')) ?? path.basename(abs);
  return opts.prefix + rel.split(path.sep).join('/');
}

/** The files named on the command line, a folder standing for every article file below it. */
async function expandFiles(args: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const arg of args) {
    let st;
    try {
      st = await stat(arg);
    } catch {
      throw new UsageError(`${arg} does not exist`, 'name article files or folders to upload');
    }
    if (!st.isDirectory()) {
      out.push(arg);
      continue;
    }
    const names = (await readdir(arg, { recursive: true })).filter((rel) => articleIdFromPath(rel.split(path.sep).join('/')) !== null).sort();
    const files = names.map((rel) => path.join(arg, rel));
    const isFile = await mapLimit(files, 16, async (f) => (await stat(f)).isFile());
    const found = files.filter((_, i) => isFile[i]);
    out.push(...found);
  }
  return out;
}

/** `syndic reconcile --bucket B`: the scheduled repair, run by hand (finishes what unfinished invocations left). */
export async function runReconcile(values: Record<string, unknown>, settings: Settings): Promise<number> {
  const store = storeFrom(values);
  const { reconcile } = await import('../lambda/reconcile.js');
  const r = await reconcile({ store, settings, log: stderrLogger });
  console.log(
    `reconciled ${store.name}: ${r.markers} unfinished invocations, ${r.keys} keys redone (${r.failed} failed), ` +
      `public/: ${r.written} written, ${r.deleted} removed${r.young ? `; ${r.young} markers younger than 15 minutes left for their invocations` : ''}`,
  );
  return r.failed ? 1 : 0;
}

/**
 * `syndic rebuild`: where the rebuild runs. An explicit --state-machine (or
 * $SYNDIC_REBUILD_STATE_MACHINE) wins; else the state machine the stack recorded in the bucket
 * (DEPLOYMENT_KEY, written at deploy by infra/rebuild.ts); else, or with --in-process, this process.
 */
export async function runRebuildCommand(values: Record<string, unknown>, settings: () => Promise<Settings>): Promise<number> {
  const explicit = (values.stateMachine as string | undefined) ?? process.env.SYNDIC_REBUILD_STATE_MACHINE;
  if (values.inProcess && values.stateMachine) throw new UsageError('--in-process and --state-machine exclude each other', 'pass one of them');
  if (values.inProcess) return runS3Command('rebuild', [], values, await settings());
  if (explicit) return runRemoteRebuild(explicit, values);
  const store = storeFrom(values);
  const marker = await store.get(DEPLOYMENT_KEY);
  if (!marker) {
    process.stderr.write(`no ${DEPLOYMENT_KEY} in ${store.name} (no rebuild state machine deployed for it): rebuilding in this process\n`);
    return runS3Command('rebuild', [], values, await settings());
  }
  const { parseDeployment } = await import('./rebuild-execution.js');
  let d;
  try {
    d = parseDeployment(Buffer.from(marker.body).toString('utf8'), store.bucket);
  } catch (e) {
    throw new ConfigError(
      `${store.name}/${DEPLOYMENT_KEY} ${(e as Error).message}`,
      'deploy the stack again to rewrite it, or pass --state-machine ARN (the RebuildStateMachineArn output) or --in-process',
    );
  }
  process.stderr.write(`rebuilding on ${d.stateMachineArn} (from ${store.name}/${DEPLOYMENT_KEY}; --in-process rebuilds in this process)\n`);
  return runRemoteRebuild(d.stateMachineArn, values, d.region);
}

/**
 * Starts an execution of the deployed rebuild state machine (Distributed Map over content/, then
 * the reduce) and prints its progress until it ends.
 */
export async function runRemoteRebuild(stateMachineArn: string, values: Record<string, unknown>, region?: string): Promise<number> {
  const { formatProgress, startAndFollowRebuild } = await import('./rebuild-execution.js');
  const bucket = (values.bucket as string | undefined) ?? process.env.SYNDIC_BUCKET ?? DEV_BUCKET;
  const poll = values.poll !== undefined ? Number(values.poll) * 1000 : undefined;
  const outcome = await startAndFollowRebuild({
    stateMachineArn,
    bucket,
    ...(region ? { region } : {}),
    ...(poll !== undefined ? { pollMs: poll } : {}),
    onProgress: (p) => process.stderr.write(`${formatProgress(p)}\n`),
  });
  console.log(`rebuild ${outcome.executionArn}: ${outcome.status}`);
  return outcome.status === 'SUCCEEDED' ? 0 : 3;
}

export async function runS3Command(command: string, files: string[], values: Record<string, unknown>, settings: Settings): Promise<number> {
  const store = storeFrom(values);
  if (command === 'upload') {
    if (files.length === 0) throw new UsageError('syndic upload needs at least one file', 'e.g. syndic upload content/2024/hello.md --bucket B');
    const prefix = String(values.prefix ?? CONTENT_PREFIX);
    const contentDir = String(values.content ?? 'content');
    const all = await expandFiles(files);
    if (all.length === 0) throw new UsageError(`no article files (.md, .markdown, .html) in ${files.join(', ')}`, 'name article files or folders to upload');
    await mapLimit(all, 8, async (file) => {
      const key = uploadKey(file, { cwd: process.cwd(), contentDir, prefix });
      await store.put(key, await readFile(file), { contentType: 'text/markdown; charset=utf-8' });
      console.log(`uploaded ${file} → ${store.name}/${key}`);
    });
    return 0;
  }
  // rebuild
  const started = Date.now();
  let last = 0;
  const result = await rebuild({
    store,
    settings,
    log: stderrLogger,
    onProgress: (phase, done, total) => {
      if (done === total || Date.now() - last > 200) {
        last = Date.now();
        process.stderr.write(`\r${phase}: ${done}/${total}   ${done === total ? '\n' : ''}`);
      }
    },
  });
  const notified = await notifyHub(settings.websubHub, result.changedFeeds.map((p) => feedUrl(settings, p)), stderrLogger);
  console.log(
    `rebuilt ${store.name}: ${result.articles} articles (${result.published} published, ${result.drafts} drafts, ${result.rejected} rejected); ` +
      `public/: ${result.written.length} written, ${result.unchanged} unchanged, ${result.deleted.length} removed; ` +
      `state/: ${result.stateWritten} written, ${result.stateDeleted} removed${notified ? `; ${notified} WebSub pings` : ''} in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  return 0;
}

// The Lambda function. Events (docs/lambda.md, "Events"): S3 notifications, directly or in SQS
// batches → incremental updates (one invocation applies the whole batch); `{ action: 'reconcile' }`
// → the scheduled repair; `{ action: 'rebuild' }` → the single-invocation rebuild; `rebuild-start`,
// `rebuild-map`, `rebuild-reduce` → the steps of the Step Functions rebuild. Settings come from
// SYNDIC_* environment variables.
import type { S3Client } from '@aws-sdk/client-s3';
import { resolveSettings, settingsFromEnv, type Settings } from '../core/settings.js';
import { processBatch, type ArticleOutcome } from './incremental.js';
import { jsonLogger, type Logger } from '../log.js';
import { rebuild, rebuildMap, rebuildReduce, rebuildStart, type ListedItem, type MapSummary, type RebuildResult, type ReduceSummary } from './rebuild.js';
import { reconcile, type ReconcileSummary } from './reconcile.js';
import { isS3Event, objectRefs, type ObjectRef, type S3EventRecord } from './s3-events.js';
import { createS3Client, S3Store } from '../store/s3-store.js';
import type { Store } from '../store/store.js';
import { feedUrl, notifyHub } from './websub.js';

export interface HandlerDeps {
  /** Store for a bucket (tests and `npm run dev` pass the local server's). */
  storeFor?: (bucket: string) => Store;
  settings?: Settings;
  log?: Logger;
  env?: Record<string, string | undefined>;
  /** Requests in flight per invocation (the fault-injection tests pass 1 for a reproducible order). */
  parallel?: number;
  /** Reconcile: only markers at least this old (default 15 minutes). */
  markerAgeMs?: number;
  /** Ids from which a batch lists their range instead of asking per id (ranges.ts; tests lower it). */
  rangeMin?: number;
  /** Article bytes per batch before an SQS batch is split (BATCH_BYTES; tests lower it). */
  batchBytes?: number;
  /** Members below which a node takes new members in its WHOLE partition (state.ts WHOLE_LIMIT; tests lower it). */
  wholeLimit?: number;
}

export type RebuildEvent = { action: 'rebuild'; bucket?: string };
export type ReconcileEvent = { action: 'reconcile'; bucket?: string };
/** `input`: the execution's input, as the state machine passes it; a `bucket` in it must be this function's. */
export type RebuildStartEvent = { action: 'rebuild-start'; bucket?: string; input?: unknown };
export type RebuildMapEvent = { action: 'rebuild-map'; bucket: string; epoch: number; items: ListedItem[] };
export type RebuildReduceEvent = { action: 'rebuild-reduce'; bucket: string; epoch: number };
export interface SqsRecord {
  eventSource: 'aws:sqs';
  messageId: string;
  body: string;
}
export type HandlerEvent =
  | { Records: S3EventRecord[] }
  | { Records: SqsRecord[] }
  | RebuildEvent
  | ReconcileEvent
  | RebuildStartEvent
  | RebuildMapEvent
  | RebuildReduceEvent;

export type HandlerResult =
  | { action: 'rebuild'; bucket: string; result: RebuildResult; hubNotified: number }
  | { action: 'sync'; outcomes: ArticleOutcome[]; hubNotified: number; batchItemFailures?: { itemIdentifier: string }[] }
  | { action: 'reconcile'; bucket: string; result: ReconcileSummary; hubNotified: number }
  | { action: 'rebuild-start'; bucket: string; epoch: number }
  | ({ action: 'rebuild-map'; bucket: string; epoch: number } & MapSummary)
  | ({ action: 'rebuild-reduce'; bucket: string; epoch: number; hubNotified: number } & Omit<ReduceSummary, 'written' | 'deleted' | 'changedFeeds'> & {
        written: number;
        deleted: number;
        changedFeeds: number;
      });

/**
 * A rebuild step asked for a bucket other than the one this function is deployed for (its
 * SYNDIC_BUCKET): the state machine fails at once (no retry matches it) instead of rebuilding a
 * bucket its role was not written for, or the wrong one.
 */
export class BucketMismatch extends Error {
  override name = 'BucketMismatch';
}

let client: S3Client | undefined;
const defaultStoreFor = (bucket: string) => new S3Store((client ??= createS3Client()), bucket);

const isSqs = (e: unknown): e is { Records: SqsRecord[] } =>
  isS3Event(e) && e.Records.length > 0 && e.Records.every((r) => (r as unknown as SqsRecord).eventSource === 'aws:sqs');

/** The handler with its dependencies passed in: `handler` below is this with the real ones. */
export async function handle(event: HandlerEvent | unknown, deps: HandlerDeps = {}): Promise<HandlerResult> {
  const env = deps.env ?? process.env;
  const settings = deps.settings ?? resolveSettings(settingsFromEnv(env));
  const log = deps.log ?? jsonLogger;
  const storeFor = deps.storeFor ?? defaultStoreFor;
  const announce = (feeds: Iterable<string>) => notifyHub(settings.websubHub, [...feeds].map((p) => feedUrl(settings, p)), log);
  const action = typeof event === 'object' && event !== null ? (event as { action?: unknown }).action : undefined;
  const bucketOf = (e: { bucket?: string }) => {
    const bucket = e.bucket ?? env.SYNDIC_BUCKET;
    if (!bucket) throw new Error(`${String(action)}: no bucket in the event and SYNDIC_BUCKET is not set`);
    return bucket;
  };
  const opt = deps.parallel ? { parallel: deps.parallel } : {};
  /** The bucket of a Step Functions rebuild step: the deployed one, or the step fails. */
  const stepBucket = (e: { bucket?: string; input?: unknown }) => {
    const bucket = bucketOf(e);
    const deployed = env.SYNDIC_BUCKET;
    if (deployed && bucket !== deployed) throw new BucketMismatch(`${String(action)}: the event names bucket ${bucket}, this function is deployed for ${deployed}`);
    const asked = typeof e.input === 'object' && e.input !== null ? (e.input as { bucket?: unknown }).bucket : undefined;
    if (asked !== undefined && asked !== bucket)
      throw new BucketMismatch(`the execution's input names bucket ${JSON.stringify(asked)}, but this state machine rebuilds ${bucket} only: start the state machine of that bucket's stack`);
    return bucket;
  };

  switch (action) {
    case 'rebuild': {
      const bucket = bucketOf(event as RebuildEvent);
      const result = await rebuild({ store: storeFor(bucket), settings, log });
      log('info', 'rebuild done', { bucket, ...result, written: result.written.length, deleted: result.deleted.length, changedFeeds: result.changedFeeds.length });
      return { action: 'rebuild', bucket, result, hubNotified: await announce(result.changedFeeds) };
    }
    case 'reconcile': {
      const bucket = bucketOf(event as ReconcileEvent);
      const store = storeFor(bucket);
      const result = await reconcile({ store, settings, log, ...opt, ...(deps.markerAgeMs !== undefined ? { olderThanMs: deps.markerAgeMs } : {}) });
      return { action: 'reconcile', bucket, result, hubNotified: 0 };
    }
    case 'rebuild-start': {
      const bucket = stepBucket(event as RebuildStartEvent);
      const { epoch } = await rebuildStart(storeFor(bucket));
      log('info', 'rebuild started', { bucket, epoch });
      return { action: 'rebuild-start', bucket, epoch };
    }
    case 'rebuild-map': {
      const e = event as RebuildMapEvent;
      const bucket = stepBucket(e);
      const s = await rebuildMap(storeFor(bucket), settings, log, e.epoch, e.items ?? [], opt);
      return { action: 'rebuild-map', bucket, epoch: e.epoch, ...s };
    }
    case 'rebuild-reduce': {
      const e = event as RebuildReduceEvent;
      const bucket = stepBucket(e);
      const r = await rebuildReduce(storeFor(bucket), settings, log, e.epoch, opt);
      log('info', 'rebuild done', { bucket, epoch: e.epoch, ...r, written: r.written.length, deleted: r.deleted.length, changedFeeds: r.changedFeeds.length });
      const hubNotified = await announce(r.changedFeeds);
      return { action: 'rebuild-reduce', bucket, epoch: e.epoch, ...r, written: r.written.length, deleted: r.deleted.length, changedFeeds: r.changedFeeds.length, hubNotified };
    }
  }
  if (!isS3Event(event)) throw new Error(`unsupported event: ${JSON.stringify(event).slice(0, 200)}`);

  // SQS: each message is an S3 notification; a message fails (and comes back) only for its own keys.
  const messages: { id: string | null; refs: ObjectRef[] }[] = [];
  if (isSqs(event)) {
    for (const r of event.Records) {
      let body: unknown;
      try {
        body = JSON.parse(r.body);
      } catch {
        log('error', 'message is not JSON; dropped', { messageId: r.messageId });
        continue;
      }
      if ((body as { Event?: string })?.Event === 's3:TestEvent') continue;
      if (!isS3Event(body)) {
        log('error', 'message is not an S3 notification; dropped', { messageId: r.messageId });
        continue;
      }
      messages.push({ id: r.messageId, refs: objectRefs(body) });
    }
  } else messages.push({ id: null, refs: objectRefs(event as { Records: S3EventRecord[] }) });

  // One batch per bucket: every node it touches is written once. A batch holds the entries of its
  // articles until it ends: past BATCH_BYTES of articles (as the notifications size them) it is split
  // into batches run one after the other, so memory is bounded by that, not by the batch size.
  const byBucket = new Map<string, ObjectRef[]>();
  for (const m of messages)
    for (const r of m.refs) {
      const refs = byBucket.get(r.bucket);
      if (refs) refs.push(r);
      else byBucket.set(r.bucket, [r]);
    }
  const outcomes = new Map<string, ArticleOutcome>();
  const changedFeeds = new Set<string>();
  for (const [bucket, keys] of [...byBucket].flatMap(([b, refs]) => bySize(refs, deps.batchBytes ?? BATCH_BYTES).map((c) => [b, c] as const))) {
    const res = await processBatch(storeFor(bucket), keys, settings, log, { ...opt, ...(deps.rangeMin ? { rangeMin: deps.rangeMin } : {}), ...(deps.wholeLimit !== undefined ? { wholeLimit: deps.wholeLimit } : {}) });
    for (const o of res.outcomes) outcomes.set(`${bucket}\n${o.key}`, o);
    for (const f of res.effects.changedFeeds) changedFeeds.add(f);
  }
  const failedKey = (r: ObjectRef) => outcomes.get(`${r.bucket}\n${r.key}`)?.status === 'failed';
  const all = messages.flatMap((m) => m.refs.map((r) => outcomes.get(`${r.bucket}\n${r.key}`)!));
  const hubNotified = await announce(changedFeeds);
  if (isSqs(event)) {
    const batchItemFailures = messages.filter((m) => m.refs.some(failedKey)).map((m) => ({ itemIdentifier: m.id! }));
    return { action: 'sync', outcomes: all, hubNotified, batchItemFailures };
  }
  // A direct S3 event: a retriable failure fails the invocation, so Lambda retries it.
  const failed = all.find((o) => o.status === 'failed');
  if (failed) throw new Error(`${failed.key}: ${failed.error ?? 'failed'} (retried)`);
  return { action: 'sync', outcomes: all, hubNotified };
}

/**
 * Bytes of articles (as their notifications size them) from which a batch is split: what one
 * processBatch holds is about its articles' entries, a few times their size. 1,000 articles of a
 * typical size (a few KB) are one batch; 1,000 at maxArticleBytes (5 MiB) are not.
 */
export const BATCH_BYTES = 48 * 2 ** 20;

/** The keys of `refs` in order, cut where the sizes so far would pass `budget` (every chunk has at least one key). */
export function bySize(refs: readonly ObjectRef[], budget: number): string[][] {
  const out: string[][] = [];
  let cur: string[] = [];
  let bytes = 0;
  for (const r of refs) {
    if (cur.length && bytes + (r.size ?? 0) > budget) {
      out.push(cur);
      cur = [];
      bytes = 0;
    }
    cur.push(r.key);
    bytes += r.size ?? 0;
  }
  if (cur.length) out.push(cur);
  return out;
}

/** The Lambda entry point (bundled by the CDK stack). */
export async function handler(event: unknown): Promise<HandlerResult> {
  return handle(event);
}

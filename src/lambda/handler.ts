// The Lambda function: S3 event notifications for content/ → incremental updates; `{ "action":
// "rebuild" }` → a full rebuild. Settings come from SYNDIC_* environment variables (README, "The Lambda function").
import type { S3Client } from '@aws-sdk/client-s3';
import { resolveSettings, settingsFromEnv, type Settings } from '../core/settings.js';
import { syncArticle, type ArticleOutcome } from './incremental.js';
import { jsonLogger, type Logger } from '../log.js';
import { rebuild, type RebuildResult } from './rebuild.js';
import { isS3Event, objectRefs, type S3EventRecord } from './s3-events.js';
import { createS3Client, S3Store } from '../store/s3-store.js';
import type { Store } from '../store/store.js';
import { feedUrl, notifyHub } from './websub.js';

export interface HandlerDeps {
  /** Store for a bucket (tests and `npm run dev` pass the local server's). */
  storeFor?: (bucket: string) => Store;
  settings?: Settings;
  log?: Logger;
  env?: Record<string, string | undefined>;
}

export type RebuildEvent = { action: 'rebuild'; bucket?: string };
export type HandlerEvent = { Records: S3EventRecord[] } | RebuildEvent;

export type HandlerResult =
  | { action: 'rebuild'; bucket: string; result: RebuildResult; hubNotified: number }
  | { action: 'sync'; outcomes: ArticleOutcome[]; hubNotified: number };

let client: S3Client | undefined;
const defaultStoreFor = (bucket: string) => new S3Store((client ??= createS3Client()), bucket);

/** The handler with its dependencies passed in: `handler` below is this with the real ones. */
export async function handle(event: HandlerEvent | unknown, deps: HandlerDeps = {}): Promise<HandlerResult> {
  const env = deps.env ?? process.env;
  const settings = deps.settings ?? resolveSettings(settingsFromEnv(env));
  const log = deps.log ?? jsonLogger;
  const storeFor = deps.storeFor ?? defaultStoreFor;

  if (typeof event === 'object' && event !== null && (event as RebuildEvent).action === 'rebuild') {
    const bucket = (event as RebuildEvent).bucket ?? env.SYNDIC_BUCKET;
    if (!bucket) throw new Error('rebuild: no bucket in the event and SYNDIC_BUCKET is not set');
    const result = await rebuild({ store: storeFor(bucket), settings, log });
    log('info', 'rebuild done', { bucket, ...result, written: result.written.length, deleted: result.deleted.length, changedFeeds: result.changedFeeds.length });
    const hubNotified = await notifyHub(settings.websubHub, result.changedFeeds.map((p) => feedUrl(settings, p)), log);
    return { action: 'rebuild', bucket, result, hubNotified };
  }
  if (!isS3Event(event)) throw new Error(`unsupported event: ${JSON.stringify(event).slice(0, 200)}`);

  // Records one after the other: each is level-triggered, so order does not matter for the result,
  // and one invocation never races itself.
  const outcomes: ArticleOutcome[] = [];
  const changedFeeds = new Set<string>();
  for (const ref of objectRefs(event)) {
    const outcome = await syncArticle(storeFor(ref.bucket), ref.key, settings, log);
    outcomes.push(outcome);
    if (outcome.status === 'ignored') continue;
    for (const f of outcome.changedFeeds) changedFeeds.add(f);
  }
  const hubNotified = await notifyHub(settings.websubHub, [...changedFeeds].map((p) => feedUrl(settings, p)), log);
  return { action: 'sync', outcomes, hubNotified };
}

/** The Lambda entry point (bundled by the CDK stack). */
export async function handler(event: unknown): Promise<HandlerResult> {
  return handle(event);
}

// Shared pieces of the S3 integration tests: articles, events, and reading what got published.
import { resolveSettings, type Settings } from '../../src/core/settings.js';
import { handle, type HandlerResult } from '../../src/lambda/handler.js';
import { silentLogger, type Logger } from '../../src/log.js';
import { rebuild } from '../../src/lambda/rebuild.js';
import { encodeEventKey } from '../../src/lambda/s3-events.js';
import type { Store } from '../../src/store/store.js';

export const settingsFor = (over: Partial<Settings> = {}): Settings =>
  resolveSettings({ siteUrl: 'https://feeds.example.com', title: 'Test', timezone: 'UTC', feedLimit: 20, ...over });

export function article(o: { title: string; date: string; categories?: string[]; body?: string; draft?: boolean }): string {
  const cats = o.categories?.length ? `categories:\n${o.categories.map((c) => ` - ${c}`).join('\n')}\n` : '';
  return `---\ntitle: '${o.title.replace(/'/g, "''")}'\ndate: ${o.date}\n${cats}${o.draft ? 'draft: true\n' : ''}---\n\n${o.body ?? `<p>${o.title} body</p>`}\n`;
}

/** An S3 notification as AWS sends it: keys URL-encoded with `+` for spaces. */
export function s3Event(bucket: string, keys: string[], eventName = 'ObjectCreated:Put') {
  return { Records: keys.map((key) => ({ eventName, s3: { bucket: { name: bucket }, object: { key: encodeEventKey(key) } } })) };
}

export function runner(store: Store, bucket: string, settings: Settings, log: Logger = silentLogger) {
  return {
    /** One invocation for these keys. */
    event: (...keys: string[]): Promise<HandlerResult> => handle(s3Event(bucket, keys), { storeFor: () => store, settings, log }),
    upload: async (key: string, body: string) => {
      await store.put(key, body);
      return handle(s3Event(bucket, [key]), { storeFor: () => store, settings, log });
    },
    remove: async (key: string) => {
      await store.delete(key);
      return handle(s3Event(bucket, [key], 'ObjectRemoved:Delete'), { storeFor: () => store, settings, log });
    },
    rebuild: () => rebuild({ store, settings, log }),
    /** The Lambda's `{ action: 'rebuild' }` event (with WebSub pings). */
    rebuildEvent: () => handle({ action: 'rebuild', bucket }, { storeFor: () => store, settings, log }),
  };
}

/** Every object under a prefix → its body as text. */
export async function snapshot(store: Store, prefix = 'public/'): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const o of await store.list(prefix)) out.set(o.key.slice(prefix.length), Buffer.from((await store.get(o.key))!.body).toString('utf8'));
  return out;
}

export interface JsonFeed {
  title: string;
  items: { id: string; url: string; title: string; date_published?: string }[];
}

export async function jsonFeed(store: Store, dir = ''): Promise<JsonFeed | null> {
  const obj = await store.get(`public/${dir}feed.json`);
  return obj ? (JSON.parse(Buffer.from(obj.body).toString('utf8')) as JsonFeed) : null;
}

export const titles = (f: JsonFeed | null) => (f ? f.items.map((i) => i.title) : null);

// The S3 side of the CLI: `syndic rebuild`, `syndic reconcile`, `syndic upload`.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { CONTENT_PREFIX } from '../core/layout.js';
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

export async function runS3Command(command: string, files: string[], values: Record<string, unknown>, settings: Settings): Promise<number> {
  const store = storeFrom(values);
  if (command === 'upload') {
    if (files.length === 0) {
      console.error('usage: syndic upload FILE... [--bucket B] [--endpoint URL] [--prefix content/]');
      return 2;
    }
    const prefix = String(values.prefix ?? CONTENT_PREFIX);
    await mapLimit(files, 8, async (file) => {
      const key = prefix + path.basename(file);
      await store.put(key, await readFile(file), { contentType: 'text/markdown; charset=utf-8' });
      console.log(`uploaded ${file} → ${store.name}/${key}`);
    });
    return 0;
  }
  if (command === 'reconcile') {
    const { reconcile } = await import('../lambda/reconcile.js');
    const r = await reconcile({ store, settings, log: stderrLogger });
    console.log(
      `reconciled ${store.name}: ${r.markers} unfinished invocations, ${r.keys} keys redone (${r.failed} failed), ` +
        `public/: ${r.written} written, ${r.deleted} removed${r.young ? `; ${r.young} markers younger than 15 minutes left for their invocations` : ''}`,
    );
    return r.failed ? 1 : 0;
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

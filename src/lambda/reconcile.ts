// The scheduled repair (`{ "action": "reconcile" }`, `syndic reconcile`): every invocation leaves an
// intent marker under state/pending/ before it changes anything and deletes it when it is done, so
// the markers left behind name exactly the keys whose work may be unfinished. Reconcile redoes those
// keys through the incremental path (which re-checks everything they touch) and then deletes the
// markers: its cost is proportional to what lags, not to the archive.
import type { Settings } from '../core/settings.js';
import type { Logger } from '../log.js';
import type { Store } from '../store/store.js';
import { processBatch } from './incremental.js';
import { PENDING_STATE, readJson, type PendingMarker } from './state.js';

/** Markers younger than this may belong to a running invocation (the function's timeout is 5 minutes). */
export const DEFAULT_MARKER_AGE_MS = 15 * 60 * 1000;

export interface ReconcileSummary {
  markers: number;
  keys: number;
  failed: number;
  /** Markers skipped because their invocation may still be running. */
  young: number;
  written: number;
  deleted: number;
}

export async function reconcile(opts: {
  store: Store;
  settings: Settings;
  log: Logger;
  /** Only markers at least this old (default 15 minutes); tests pass 0. */
  olderThanMs?: number;
  now?: Date;
  parallel?: number;
}): Promise<ReconcileSummary> {
  const { store, settings, log } = opts;
  const now = (opts.now ?? new Date()).getTime();
  const age = opts.olderThanMs ?? DEFAULT_MARKER_AGE_MS;
  const all = await store.list(PENDING_STATE);
  const old = all.filter((m) => now - m.lastModified.getTime() >= age);
  const markers = await Promise.all(old.map(async (m) => ({ key: m.key, value: (await readJson<PendingMarker>(store, m.key)).value })));
  const keys = [...new Set(markers.flatMap((m) => m.value?.keys ?? []))].sort();
  const summary: ReconcileSummary = { markers: old.length, keys: keys.length, failed: 0, young: all.length - old.length, written: 0, deleted: 0 };
  if (!markers.length) return summary;
  const res = await processBatch(store, keys, settings, log, opts.parallel ? { parallel: opts.parallel } : {});
  const failed = new Set(res.outcomes.filter((o) => o.status === 'failed').map((o) => o.key));
  summary.failed = failed.size;
  summary.written = res.effects.written.size;
  summary.deleted = res.effects.deleted.size;
  // A marker goes once all of its keys are done (a failed key keeps its marker for the next run).
  await Promise.all(markers.filter((m) => !(m.value?.keys ?? []).some((k) => failed.has(k))).map((m) => store.delete(m.key)));
  log(failed.size ? 'warn' : 'info', 'reconcile done', { ...summary });
  return summary;
}

// Feed order. Apart from entry.ts, which loads the cleaner: the build's main thread orders entries
// and renders feeds and pages without ever loading sanitize-html.
import type { Entry } from './entry.js';

/** Feed order: newest first, ties broken by id so that every build agrees. */
export function compareEntries(a: Pick<Entry, 'date' | 'id'>, b: Pick<Entry, 'date' | 'id'>): number {
  return a.date < b.date ? 1 : a.date > b.date ? -1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

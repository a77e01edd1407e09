// `syndic check`: parses and cleans every article as a build would, reports, and writes nothing.
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { readArticles } from '../build/publish.js';
import type { Settings } from '../core/settings.js';
import { UsageError } from '../errors.js';
import type { Logger } from '../log.js';
import { FsStore } from '../store/fs-store.js';

export interface CheckOptions {
  /** Articles folder. */
  content: string;
  /** An empty (but existing) folder is fine. */
  allowEmpty?: boolean;
}

const warnLogger: Logger = (level, msg) => {
  if (level === 'warn' || level === 'error') console.error(`${level}: ${msg}`);
};

/** Returns the exit code: 0 when every article would be published (or is a draft), 1 when any is rejected. */
export async function runCheck(options: CheckOptions, settings: Settings): Promise<number> {
  const dir = path.resolve(options.content);
  const st = await stat(dir).catch(() => null);
  if (!st) throw new UsageError(`content folder ${options.content} does not exist`, 'pass --content DIR, or write a first article with syndic new "Title"');
  if (!st.isDirectory()) throw new UsageError(`${options.content} is not a folder`, 'pass the articles folder with --content DIR');
  const read = await readArticles(new FsStore(dir), '', settings, warnLogger);
  const total = read.entries.length + read.drafts.length + read.rejected.length;
  if (total === 0 && !options.allowEmpty)
    throw new UsageError(`no articles (.md, .markdown, .html) in ${options.content}`, 'pass --content DIR, or --allow-empty if that is intended');
  for (const err of read.rejected) console.error(`rejected: ${err.message}`);
  console.log(`checked ${total} articles in ${dir}: ${read.entries.length} ok, ${read.drafts.length} drafts, ${read.rejected.length} rejected (nothing written)`);
  return read.rejected.length ? 1 : 0;
}

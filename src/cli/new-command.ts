// `syndic new "Title"`: writes a ready article into the content folder, never over an existing file.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { articleFileName, articleTemplate, categoryPath } from '../core/scaffold.js';
import type { Settings } from '../core/settings.js';
import { IoError, UsageError } from '../errors.js';

export interface NewOptions {
  title: string;
  /** `A/B/C` specs, one per hierarchy. */
  categories: string[];
  content: string;
  /** File name without `.md`; default: the title's slug. */
  slug?: string;
}

/** Returns the path written (relative to the working folder when inside it). */
export async function runNew(options: NewOptions, settings: Settings, now = new Date()): Promise<string> {
  const title = options.title.trim();
  if (!title) throw new UsageError('the title is empty', 'e.g. syndic new "My first article"');
  if (options.slug !== undefined && !options.slug.trim()) throw new UsageError('--slug is empty', 'give a file name, e.g. --slug first-article');
  const file = path.join(path.resolve(options.content), articleFileName(title, options.slug));
  const shown = path.relative(process.cwd(), file).startsWith('..') ? file : path.relative(process.cwd(), file);
  const text = articleTemplate({ title, categories: options.categories.map(categoryPath), now, timeZone: settings.timezone });
  try {
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, text, { flag: 'wx' }); // wx: fails if the file exists, so nothing is overwritten
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new UsageError(`${shown} already exists and was left as it is`, 'pick another title, or a file name with --slug NAME');
    throw new IoError(`cannot write ${shown} (${code ?? (e as Error).message})`, 'check that the content folder is writable');
  }
  return shown;
}

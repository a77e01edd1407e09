// Bytes of one uploaded file → the Entry that feeds publish, or the reason it was rejected.
// The one path every shell (CLI build, Lambda upload, rebuild) takes for an article.
import { ArticleError, parseArticle } from './article.js';
import { toEntry, type Entry } from './entry.js';
import type { DateSource } from './dates.js';
import { renderMarkdown } from './markdown.js';
import type { Settings } from './settings.js';

/**
 * What became of one article. `dateSource` says where its date came from: anything but
 * 'front-matter' is an article without a readable date, which the build summary reports.
 */
export type Processed =
  | { kind: 'entry'; entry: Entry; warnings: string[]; dateSource: DateSource }
  | { kind: 'draft'; warnings: string[]; dateSource: DateSource }
  | { kind: 'rejected'; error: ArticleError };

export function processArticle(
  input: { id: string; file: string; bytes: Uint8Array; uploadedAt: Date },
  settings: Settings,
): Processed {
  try {
    const { article, warnings, dateSource } = parseArticle(input, settings, renderMarkdown);
    if (article.draft) return { kind: 'draft', warnings, dateSource };
    return { kind: 'entry', entry: toEntry(article, settings), warnings, dateSource };
  } catch (e) {
    if (e instanceof ArticleError) return { kind: 'rejected', error: e };
    // Anything else thrown while reading an article is still that article's fault, not the build's.
    return { kind: 'rejected', error: new ArticleError(input.file, `could not be processed: ${(e as Error).message}`) };
  }
}

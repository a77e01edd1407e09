// `syndic build`: the build command's shell over the local engine (src/build/folder.ts): options,
// progress, warnings, the summary line, and errors as one line with their exit code.
import path from 'node:path';
import { FolderBuilder, type FolderBuildResult } from '../build/folder.js';
import type { Settings } from '../core/settings.js';
import { SyndicError } from '../errors.js';
import { jsonLogger, type Logger } from '../log.js';
import { progressReporter } from './progress.js';

/** Human-friendly log lines on a terminal: warnings and errors go to stderr. */
export const cliLogger: Logger = (level, msg, fields) => {
  if (level === 'debug') return;
  if (process.env.SYNDIC_LOG_JSON) return jsonLogger(level, msg, fields);
  (level === 'info' ? console.log : console.error)(level === 'info' ? msg : `${level}: ${msg}`);
};

/** The default cache folder, relative to the working directory (the project root). */
export const DEFAULT_CACHE_DIR = '.syndic-cache';

export interface BuildCommandOptions {
  /** Articles folder. */
  content: string;
  /** Output folder. */
  out: string;
  /** Build an empty site when the content folder is missing or holds no article (default: refuse, exit 2). */
  allowEmpty?: boolean;
  /** Cache folder (default `.syndic-cache` in the working directory); null: no cache, every build is cold. */
  cacheDir?: string | null;
  /** Progress display: 'auto' (a bar on a terminal, plain lines otherwise; the default) or 'none'. */
  progress?: 'auto' | 'bar' | 'lines' | 'none';
  /** `syndic start` only: rebuild on every change under the content folder and reload open pages. */
  watch?: boolean;
}

/** The engine for these options; `syndic start --watch` keeps one for the whole session. */
export function folderBuilder(options: BuildCommandOptions, settings: Settings, onProgress?: (done: number, total: number) => void): FolderBuilder {
  const cacheDir = options.cacheDir === undefined ? DEFAULT_CACHE_DIR : options.cacheDir;
  return new FolderBuilder({
    contentDir: path.resolve(options.content),
    outDir: path.resolve(options.out),
    cacheDir: cacheDir === null ? null : path.resolve(cacheDir),
    settings,
    allowEmpty: options.allowEmpty,
    keepWorkers: options.watch,
    onProgress: onProgress && ((p) => onProgress(p.done, p.total)),
  });
}

const seconds = (ms: number) => (ms < 10_000 ? (ms / 1000).toFixed(2) : (ms / 1000).toFixed(1));

/** Prints a build's warnings, rejections and one summary line; returns the exit code (1 if any article was rejected). */
export function report(result: FolderBuildResult, outDir: string, log: Logger = cliLogger): number {
  for (const w of result.warnings) log('warn', w);
  for (const err of result.rejected) console.error(`rejected: ${err.message}`);
  console.log(
    `built ${result.published} articles (${result.drafts.length} drafts, ${result.rejected.length} rejected) into ${outDir}: ` +
      `${result.written.length} files written, ${result.unchanged} unchanged, ${result.deleted.length} removed ` +
      `in ${seconds(result.ms)} s (${result.processed} parsed, ${result.fromCache} from cache${result.assets ? `, ${result.assets} assets` : ''})`,
  );
  if (result.dateless.length) {
    const by = (source: string) => result.dateless.filter((d) => d.source === source).map((d) => d.file);
    const parts = [
      ...(by('path').length ? [`dated by their path: ${by('path').join(', ')}`] : []),
      ...(by('first-seen').length ? [`dated by when Syndic first saw them: ${by('first-seen').join(', ')}`] : []),
    ];
    console.log(`${result.dateless.length} article${result.dateless.length === 1 ? '' : 's'} without a readable date (${parts.join('; ')})`);
  }
  return result.rejected.length ? 1 : 0;
}

/** Prints a SyndicError as one line and returns its exit code; anything else is rethrown. */
export function reportError(e: unknown): number {
  if (!(e instanceof SyndicError)) throw e;
  console.error(`error: ${e.message}`);
  return e.exitCode;
}

/** `syndic build` (and the build half of `syndic start`): returns the exit code. */
export async function runBuild(options: BuildCommandOptions, settings: Settings): Promise<number> {
  const progress = progressReporter({ stream: process.stderr, mode: options.progress ?? 'auto' });
  const builder = folderBuilder(options, settings, progress.update);
  try {
    const result = await builder.build();
    progress.end();
    return report(result, path.resolve(options.out));
  } catch (e) {
    progress.end();
    return reportError(e);
  } finally {
    await builder.close();
  }
}

// `syndic build`: the build command's shell over the engine (src/build), with its log and summary.
import path from 'node:path';
import { build } from '../build/publish.js';
import type { Settings } from '../core/settings.js';
import { jsonLogger, type Logger } from '../log.js';
import { FsStore } from '../store/fs-store.js';

/** Human-friendly log lines on a terminal: warnings and errors go to stderr. */
export const cliLogger: Logger = (level, msg, fields) => {
  if (level === 'debug') return;
  if (process.env.SYNDIC_LOG_JSON) return jsonLogger(level, msg, fields);
  (level === 'info' ? console.log : console.error)(level === 'info' ? msg : `${level}: ${msg}`);
};

export interface BuildCommandOptions {
  /** Articles folder. */
  content: string;
  /** Output folder. */
  out: string;
}

/** `syndic build` (and the build half of `syndic start`): returns the exit code. */
export async function runBuild(options: BuildCommandOptions, settings: Settings): Promise<number> {
  const contentDir = path.resolve(options.content);
  const outDir = path.resolve(options.out);
  const result = await build({
    content: new FsStore(contentDir),
    contentPrefix: '',
    out: new FsStore(outDir),
    outPrefix: '',
    settings,
    log: cliLogger,
  });
  for (const err of result.rejected) console.error(`rejected: ${err.message}`);
  console.log(
    `built ${result.entries.length} articles (${result.drafts.length} drafts, ${result.rejected.length} rejected) into ${outDir}: ` +
      `${result.written.length} files written, ${result.unchanged} unchanged, ${result.deleted.length} removed`,
  );
  return result.rejected.length ? 1 : 0;
}


// A category node's share of a local build's last step, the same in a worker thread and inline:
// render its feeds and page, and write those whose bytes changed. Light (no parser): the thread that
// runs the build renders nodes too, and never loads the parser for them.
import path from 'node:path';
import { renderNodeFiles, type NodeSummary, type SiteNode } from '../core/site.js';
import type { TaskContext } from './article-task.js';
import { digest, writeAtomic, type FileRecord } from './files.js';

/** One category node's files to render (its feeds and page), each compared with the digest of the file there now. */
export interface NodeTask {
  node: SiteNode;
  /** The digest of each file of the node that the output holds intact (path → digest). */
  prev: Record<string, string>;
}

export interface NodeFileResult {
  path: string;
  file: FileRecord;
  /** False when the bytes were the ones already there (`file` is then the old record's digest only). */
  written: boolean;
}

/** A node file that could not be written (the build stops on it, as on an article page's). */
export class NodeWriteError extends Error {}

/**
 * Renders a node's files and writes those whose bytes changed, the same in a worker thread and
 * inline: the tail of a build spreads its nodes over the threads. An I/O error is thrown.
 */
export function runNodeTask(task: NodeTask, tree: readonly NodeSummary[], ctx: TaskContext, dirs: Set<string>): NodeFileResult[] {
  return renderNodeFiles(task.node, tree, ctx.settings).map((f) => {
    const body = Buffer.from(f.body);
    const hash = digest(body);
    const prev = task.prev[f.path];
    if (prev === hash) return { path: f.path, file: { hash, size: body.length, mtimeMs: 0 }, written: false };
    try {
      return { path: f.path, file: { hash, ...writeAtomic(ctx.outDir, f.path, body, dirs, prev === undefined) }, written: true };
    } catch (e) {
      throw new NodeWriteError(`cannot write ${path.join(ctx.outDir, f.path)} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
  });
}

// `syndic start [--watch]`: build, serve the output folder, and with --watch rebuild through the
// same incremental engine on every change under the content folder, then tell open pages to reload
// over server-sent events. The reload script is added to HTML pages only as the local server sends
// them (and the page's CSP is relaxed to allow that one same-origin script); built files never
// carry it.
import type http from 'node:http';
import path from 'node:path';
import type { FSWatcher } from 'chokidar';
import type { FolderBuilder, FolderBuildResult } from '../build/folder.js';
import { FEED_FILES } from '../core/layout.js';
import type { Settings } from '../core/settings.js';
import { cliLogger, folderBuilder, report, reportError, type BuildCommandOptions } from './build-command.js';
import { progressReporter } from './progress.js';
import { createServer, listen } from './serve.js';

export interface StartOptions extends BuildCommandOptions {
  port: number;
  host: string;
}

export const EVENTS_PATH = '/__syndic/events';
const SCRIPT_PATH = '/__syndic/live-reload.js';
// Reloads the page when a rebuild changed files; EventSource reconnects by itself after a restart.
const SCRIPT = `new EventSource(${JSON.stringify(EVENTS_PATH)}).addEventListener('reload', () => location.reload());\n`;

/** The server side of live reload: the event stream, the script, and what HTML pages get. */
export class LiveReload {
  private readonly clients = new Set<http.ServerResponse>();
  private sequence = 0;
  private readonly keepAlive: NodeJS.Timeout;

  constructor() {
    // A comment line now and then keeps proxies and idle timeouts from closing the stream.
    this.keepAlive = setInterval(() => {
      for (const c of this.clients) c.write(': keep-alive\n\n');
    }, 15_000);
    this.keepAlive.unref();
  }

  route = (req: http.IncomingMessage, res: http.ServerResponse): boolean => {
    const url = (req.url ?? '').split('?')[0];
    if (url === EVENTS_PATH) {
      res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store', Connection: 'keep-alive' });
      res.write(`: syndic live reload\n\n`);
      this.clients.add(res);
      req.on('close', () => this.clients.delete(res));
      return true;
    }
    if (url === SCRIPT_PATH) {
      res.writeHead(200, { 'Content-Type': 'text/javascript; charset=utf-8', 'Cache-Control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : SCRIPT);
      return true;
    }
    return false;
  };

  /** The page as served in a watch session: its CSP allows this one same-origin script, which it loads. */
  transformHtml = (html: string): string => {
    const csp = html.replace(/(<meta http-equiv="Content-Security-Policy" content="[^"]*?)script-src 'none'/, "$1script-src 'self'");
    const tag = `<script src="${SCRIPT_PATH}"></script>`;
    return csp.includes('</body>') ? csp.replace('</body>', `${tag}\n</body>`) : csp + tag;
  };

  /** Sends one `reload` event (with what changed) to every open page. */
  reload(data: { written: string[]; deleted: string[] }): void {
    const payload = `id: ${++this.sequence}\nevent: reload\ndata: ${JSON.stringify({ build: this.sequence, ...data })}\n\n`;
    for (const c of this.clients) c.write(payload);
  }

  close(): void {
    clearInterval(this.keepAlive);
    for (const c of this.clients) c.end();
    this.clients.clear();
  }
}

/** Rebuilds after changes settle (editors write a file in several steps), one build at a time. */
function rebuilder(build: () => Promise<void>, quietMs = 25): () => void {
  let timer: NodeJS.Timeout | undefined;
  let running = false;
  let again = false;
  const run = async () => {
    timer = undefined;
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      await build();
    } finally {
      running = false;
      if (again) {
        again = false;
        schedule();
      }
    }
  };
  const schedule = () => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(run, quietMs);
  };
  return schedule;
}

const seconds = (ms: number) => `${Math.round(ms)} ms`;

function printRebuild(result: FolderBuildResult): void {
  for (const w of result.fresh.warnings) cliLogger('warn', w);
  for (const err of result.fresh.rejected) console.error(`rejected: ${err.message}`);
  console.log(
    `rebuilt in ${seconds(result.ms)}: ${result.written.length} files written, ${result.deleted.length} removed ` +
      `(${result.processed} parsed; ${result.published} articles, ${result.rejected.length} rejected)`,
  );
}

/**
 * `syndic start`: build, then serve until interrupted (the promise never resolves then), with
 * `options.watch` rebuilding and reloading pages on every change under the content folder.
 * Returns an exit code only when the first build fails (2 or 3).
 */
export async function runStart(options: StartOptions, settings: Settings): Promise<number> {
  const outDir = path.resolve(options.out);
  const contentDir = path.resolve(options.content);
  const progress = progressReporter({ stream: process.stderr, mode: options.progress ?? 'auto' });
  const builder: FolderBuilder = folderBuilder(options, settings, progress.update);
  let status: number;
  try {
    const first = await builder.build();
    progress.end();
    status = report(first, outDir);
  } catch (e) {
    progress.end();
    await builder.close();
    return reportError(e);
  }
  if (!options.watch) await builder.close();

  const live = options.watch ? new LiveReload() : undefined;
  const server = createServer(outDir, live ? { route: live.route, transformHtml: live.transformHtml } : {});
  const url = await listen(server, options.port, options.host);
  console.log(`\nServing ${outDir} on ${url}/`);
  for (const f of Object.values(FEED_FILES)) console.log(`  ${url}/${f}`);
  console.log(`  ${url}/categories/<category>/.../rss.xml (one folder per category node)`);
  if (status !== 0) console.error('Some articles were rejected (see above); the others are served.');

  let watcher: FSWatcher | undefined;
  if (live) {
    // What the watcher reported since the last rebuild: only these paths are looked at again.
    let changed = new Set<string>();
    const schedule = rebuilder(async () => {
      const paths = changed;
      changed = new Set();
      try {
        const result = await builder.build({ persist: false, changed: paths });
        printRebuild(result);
        if (result.written.length || result.deleted.length) live.reload({ written: result.written, deleted: result.deleted });
        builder.persist();
      } catch (e) {
        // A failed rebuild (content folder gone, disk full) is reported; the session goes on.
        try {
          reportError(e);
        } catch (other) {
          console.error(`error: rebuild failed: ${(other as Error).message}`);
        }
      }
    });
    // The output and cache folders may sit inside the content folder: their changes are ours.
    const ignored = [outDir, ...(options.cacheDir === null ? [] : [path.resolve(options.cacheDir ?? '.syndic-cache')])];
    const { watch } = await import('chokidar');
    watcher = watch(contentDir, {
      ignoreInitial: true,
      atomic: false,
      ignored: (p: string) => ignored.some((d) => p === d || p.startsWith(d + path.sep)) || (p !== contentDir && path.basename(p).startsWith('.')),
    });
    watcher.on('all', (_event, p) => {
      changed.add(p);
      schedule();
    });
    watcher.on('error', (e) => console.error(`warn: watching ${contentDir}: ${(e as Error).message}`));
    await new Promise<void>((resolve) => watcher!.once('ready', () => resolve()));
    console.log(`Watching ${contentDir} for changes; open pages reload after each rebuild.`);
  }
  console.log('Press Ctrl+C to stop.');
  const stop = async () => {
    await watcher?.close();
    live?.close();
    server.close();
    builder.persist();
    await builder.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return new Promise<number>(() => {}); // serve until interrupted
}

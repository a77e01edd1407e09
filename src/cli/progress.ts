// Build progress for people: a bar with counts, rate and time left on a terminal; on anything else
// (CI logs, pipes) a plain line every few seconds. Short builds show nothing.

export interface ProgressOptions {
  /** The stream to draw on (stderr, so stdout stays the summary). */
  stream: NodeJS.WriteStream;
  /** 'auto': a bar on a TTY, else lines; 'none': nothing. */
  mode?: 'auto' | 'bar' | 'lines' | 'none';
  /** Nothing is shown before this many ms (a quick build stays quiet). */
  delayMs?: number;
  /** Between two plain lines. */
  lineEveryMs?: number;
  now?: () => number;
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

function eta(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  if (seconds < 60) return `${Math.ceil(seconds)} s`;
  return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
}

/** Returns `update(done, total)` and `end()`; call update as often as you like, it draws at most 10 times a second. */
export function progressReporter(opts: ProgressOptions): { update: (done: number, total: number) => void; end: () => void } {
  const now = opts.now ?? (() => performance.now());
  const mode = opts.mode === 'auto' || opts.mode === undefined ? (opts.stream.isTTY ? 'bar' : 'lines') : opts.mode;
  const start = now();
  const delay = opts.delayMs ?? (mode === 'bar' ? 300 : 2000);
  const every = mode === 'bar' ? 100 : (opts.lineEveryMs ?? 2000);
  let last = -Infinity;
  let drawn = false;
  const line = (done: number, total: number) => {
    const s = (now() - start) / 1000;
    const rate = s > 0 ? done / s : 0;
    const left = rate > 0 ? (total - done) / rate : Infinity;
    return { rate, left };
  };
  return {
    update(done, total) {
      if (mode === 'none') return;
      const t = now();
      if (t - start < delay || t - last < every || done >= total) return;
      last = t;
      const { rate, left } = line(done, total);
      if (mode === 'bar') {
        const width = 24;
        const filled = Math.round((done / total) * width);
        opts.stream.write(`\r\x1b[K[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${fmt(done)}/${fmt(total)} articles  ${fmt(rate)}/s  ETA ${eta(left)}`);
        drawn = true;
      } else {
        opts.stream.write(`progress: ${fmt(done)}/${fmt(total)} articles (${fmt(rate)}/s, about ${eta(left)} left)\n`);
      }
    },
    end() {
      if (drawn) opts.stream.write('\r\x1b[K');
      drawn = false;
    },
  };
}

// Build progress: a bar with counts, rate and time left on a terminal, a plain line now and then
// elsewhere, nothing for a quick build. Driven by a fake clock and stream.
import { describe, expect, it } from 'vitest';
import { progressReporter } from '../../src/cli/progress.js';

function fakeStream(isTTY: boolean) {
  const writes: string[] = [];
  const stream = { isTTY, write: (s: string) => writes.push(s) } as unknown as NodeJS.WriteStream;
  return { stream, writes };
}

describe('progress', () => {
  it('on a terminal: nothing at first, then a bar with counts, rate and ETA at most ten times a second, cleared at the end', () => {
    let t = 0;
    const { stream, writes } = fakeStream(true);
    const p = progressReporter({ stream, now: () => t });
    t = 100;
    p.update(50, 10_000);
    expect(writes).toEqual([]); // a quick build shows nothing
    t = 1000;
    p.update(2000, 10_000);
    t = 1050;
    p.update(2100, 10_000); // too soon after the last
    t = 2000;
    p.update(4000, 10_000);
    expect(writes).toHaveLength(2);
    expect(writes[0]).toMatch(/^\r\x1b\[K\[#{5}\.{19}\] 2,000\/10,000 articles {2}2,000\/s {2}ETA 4 s$/);
    expect(writes[1]).toMatch(/4,000\/10,000 articles {2}2,000\/s {2}ETA 3 s$/);
    p.end();
    expect(writes.at(-1)).toBe('\r\x1b[K');
  });

  it('elsewhere: one plain line every few seconds, never a bar, and no clearing', () => {
    let t = 0;
    const { stream, writes } = fakeStream(false);
    const p = progressReporter({ stream, now: () => t });
    for (let done = 1; done <= 9000; done++) {
      t = done; // one article per ms: 9 s in all
      p.update(done, 9000);
    }
    p.end();
    expect(writes.length).toBeGreaterThanOrEqual(3);
    expect(writes.length).toBeLessThanOrEqual(4);
    for (const w of writes) expect(w).toMatch(/^progress: [\d,]+\/9,000 articles \([\d,]+\/s, about \d+ s left\)\n$/);
  });

  it("'none' shows nothing", () => {
    let t = 0;
    const { stream, writes } = fakeStream(true);
    const p = progressReporter({ stream, mode: 'none', now: () => t });
    t = 10_000;
    p.update(1, 2);
    p.end();
    expect(writes).toEqual([]);
  });
});

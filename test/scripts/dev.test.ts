// `npm run dev` seeds its local bucket from the content folder on start, keeping each article's path
// below content/, and publishes it through the real handler; a restart uploads only what changed.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDev } from '../../scripts/dev.js';
import { resolveSettings } from '../../src/core/settings.js';

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'syndic-devloop-'));
});
afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

const article = (title: string) => `---\ntitle: ${title}\ndate: 2024-03-01 08:00:00\ncategories: [Dev]\n---\nbody\n`;

describe('npm run dev', () => {
  it('seeds the bucket from content/ and serves the feeds of those articles', async () => {
    const content = path.join(tmp, 'content');
    await mkdir(path.join(content, '2024'), { recursive: true });
    await writeFile(path.join(content, '2024/hello.md'), article('Hello'));
    await writeFile(path.join(content, 'top.md'), article('Top'));
    await writeFile(path.join(content, 'notes.txt'), 'not an article');
    const opts = { s3Port: 0, httpPort: 0, content, dir: path.join(tmp, 'dev'), settings: resolveSettings({ title: 'Dev' }) };

    const dev = await startDev(opts);
    try {
      expect(dev.seeded).toBe(2);
      expect((await dev.store.list('content/')).map((o) => o.key).sort()).toEqual(['content/2024/hello.md', 'content/top.md']);
      await dev.idle();
      const feed = (await (await fetch(`${dev.site}/feed.json`)).json()) as { items: { title: string; url: string }[] };
      expect(feed.items.map((i) => i.title).sort()).toEqual(['Hello', 'Top']);
      expect(feed.items.map((i) => i.url)).toContain(`${dev.site}/articles/2024/hello/`);
    } finally {
      await dev.stop();
    }

    // Restart on the same data: only the changed article is uploaded again.
    await writeFile(path.join(content, 'top.md'), article('Top, edited'));
    const again = await startDev(opts);
    try {
      expect(again.seeded).toBe(1);
    } finally {
      await again.stop();
    }
  });
});

// The bench's input must be the same on every machine, and valid: otherwise its numbers compare nothing.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { kindOf } from '../../bench/count-proxy.js';
import { categoryPaths, generate, makeLargeArticle, readCorpus } from '../../bench/generate.js';
import { parseArticle } from '../../src/core/article.js';
import { renderMarkdown } from '../../src/core/markdown.js';
import { resolveSettings } from '../../src/core/settings.js';

const dirs: string[] = [];
const tmp = async () => {
  const d = await mkdtemp(path.join(os.tmpdir(), 'syndic-bench-gen-'));
  dirs.push(d);
  return d;
};
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('bench article generator', () => {
  it('writes the same bytes on every run, and articles that parse with unique titles, spread dates and 3-level categories', async () => {
    const [a, b] = [await tmp(), await tmp()];
    const files = await generate(120, a);
    expect(await generate(120, b)).toEqual(files);
    for (const f of files) expect((await readFile(path.join(a, f))).equals(await readFile(path.join(b, f)))).toBe(true);

    const settings = resolveSettings({});
    const articles = await Promise.all(
      files.map(async (f) => parseArticle({ id: f, file: f, bytes: new Uint8Array(await readFile(path.join(a, f))), uploadedAt: new Date(0) }, settings, renderMarkdown)),
    );
    expect(articles.every((r) => r.warnings.length === 0)).toBe(true);
    expect(new Set(articles.map((r) => r.article.title)).size).toBe(120);
    expect(new Set(files).size).toBe(120);
    expect(articles.every((r) => r.article.categories.length === 1 && r.article.categories[0]!.length === 3)).toBe(true);
    const years = new Set(articles.map((r) => r.article.date.slice(0, 4)));
    expect(years.size).toBeGreaterThanOrEqual(4);
  });

  it('draws categories from about 30 real three-level paths of the corpus', async () => {
    const corpus = await readCorpus();
    const paths = categoryPaths(corpus);
    expect(paths).toHaveLength(30);
    const real = new Set(corpus.map((c) => c.categories.join('/')));
    expect(paths.every((p) => p.length === 3 && real.has(p.join('/')))).toBe(true);
  });

  it('makes the largest article just under the size limit, not over it', async () => {
    const limit = 5 * 1024 * 1024;
    const bytes = await makeLargeArticle(limit);
    expect(bytes.length).toBeLessThanOrEqual(limit);
    expect(bytes.length).toBeGreaterThan(limit * 0.95);
  });
});

describe('request counting proxy', () => {
  it('tells S3 operations apart on path-style URLs', () => {
    expect(kindOf('GET', '/bucket/content/a.md')).toBe('GET');
    expect(kindOf('GET', '/bucket?list-type=2&prefix=content%2F')).toBe('LIST');
    expect(kindOf('GET', '/bucket/')).toBe('LIST');
    expect(kindOf('PUT', '/bucket/public/rss.xml?x-id=PutObject')).toBe('PUT');
    expect(kindOf('HEAD', '/bucket/state/tree.json')).toBe('HEAD');
    expect(kindOf('DELETE', '/bucket/public/old/rss.xml')).toBe('DELETE');
    expect(kindOf('POST', '/bucket?delete')).toBe('POST');
  });
});

// Article assets, locally, through the real bin: files beside an article that it links relatively are
// published where those links resolve (under the article's page folder), served with their
// Content-Type, copied again when they change and removed when their source goes; files nobody
// links, and files of other types, stay private.
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import type http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assetRefs, assetSource, isAssetPath } from '../../src/core/assets.js';
import { createServer, listen } from '../../src/cli/serve.js';
import { runSyndic } from '../helpers/run-cli.js';

const SITE = 'http://127.0.0.1:8080';
let tmp: string;
let content: string;
let out: string;
const syndic = () => runSyndic(['build', '--content', content, '--out', out, '--cache-dir', path.join(tmp, 'cache')], { SYNDIC_LOG_JSON: '' });

const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');
const POST = `---
title: A post with pictures
date: 2024-02-03 04:05:06
categories: [Pictures]
image: img/cover.jpg
---
<p><img src="img/pic.png" alt="pic"></p>
<p><img src="../shared/logo.svg"> <a href="files/paper.pdf">the paper</a> and <a href="img/missing.png">a missing one</a></p>
<audio src="audio/talk.mp3" controls></audio>
<p><a href="../other/">another article</a> and <a href="https://example.org/x.png">elsewhere</a></p>
`;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'syndic-assets-'));
  content = path.join(tmp, 'content');
  out = path.join(tmp, 'public');
  for (const d of ['2024/img', '2024/files', '2024/audio', 'shared']) await mkdir(path.join(content, d), { recursive: true });
  await writeFile(path.join(content, '2024/post.md'), POST);
  await writeFile(path.join(content, '2024/img/pic.png'), PNG);
  await writeFile(path.join(content, '2024/img/cover.jpg'), 'jpeg bytes');
  await writeFile(path.join(content, '2024/img/unused.png'), PNG);
  await writeFile(path.join(content, '2024/files/paper.pdf'), '%PDF-1.4');
  await writeFile(path.join(content, '2024/audio/talk.mp3'), 'ID3');
  await writeFile(path.join(content, '2024/secret.env'), 'TOKEN=x');
  await writeFile(path.join(content, 'shared/logo.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
});

afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe('the asset mapping (pure)', () => {
  it('resolves a public path under the page folder back to the file beside the article', () => {
    expect(assetSource('2024/post', 'articles/2024/post/img/pic.png')).toBe('2024/img/pic.png');
    expect(assetSource('2024/post', 'articles/2024/shared/logo.svg')).toBe('shared/logo.svg');
    expect(assetSource('post', 'articles/post/a.png')).toBe('a.png');
    expect(assetSource('2024/post', 'articles/2024/post/index.html')).toBeNull(); // not an asset type
    expect(assetSource('post', 'articles/../x.png')).toBeNull();
    expect(isAssetPath('a/.hidden/x.png')).toBe(false);
    expect(isAssetPath('a/x.md')).toBe(false);
    const refs = assetRefs(
      { id: 'd/n', contentHtml: `<img src="${SITE}/articles/d/n/a%20b.png?v=1" srcset="${SITE}/articles/d/n/s.png 2x, https://x.org/y.png 1x"><a href="${SITE}/articles/d/n/">self</a>`, image: { url: `${SITE}/articles/d/c.webp` } },
      SITE,
    );
    expect(refs).toEqual([
      { publicPath: 'articles/d/c.webp', sourcePath: 'c.webp' },
      { publicPath: 'articles/d/n/a b.png', sourcePath: 'd/a b.png' },
      { publicPath: 'articles/d/n/s.png', sourcePath: 'd/s.png' },
    ]);
  });
});

describe('article assets in a local build', () => {
  let server: http.Server;
  let base: string;

  beforeAll(async () => {
    const r = await syndic();
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/, 5 assets\)/);
    server = createServer(out);
    base = await listen(server, 0, '127.0.0.1');
  });

  afterAll(async () => {
    await new Promise((r) => server?.close(r));
  });

  it('publishes each linked file where the link resolves, and nothing else', async () => {
    const page = await readFile(path.join(out, 'articles/2024/post/index.html'), 'utf8');
    expect(page).toContain(`src="${SITE}/articles/2024/post/img/pic.png"`);
    expect((await readFile(path.join(out, 'articles/2024/post/img/pic.png'))).equals(PNG)).toBe(true);
    expect(await readFile(path.join(out, 'articles/2024/post/img/cover.jpg'), 'utf8')).toBe('jpeg bytes');
    expect(await readFile(path.join(out, 'articles/2024/shared/logo.svg'), 'utf8')).toContain('<svg');
    expect(await readFile(path.join(out, 'articles/2024/post/files/paper.pdf'), 'utf8')).toBe('%PDF-1.4');
    expect(await readFile(path.join(out, 'articles/2024/post/audio/talk.mp3'), 'utf8')).toBe('ID3');
    for (const never of ['articles/2024/post/img/unused.png', 'articles/2024/post/img/missing.png', 'articles/2024/post/secret.env', 'articles/2024/secret.env', '2024/img/pic.png'])
      await expect(stat(path.join(out, never)), never).rejects.toThrow();
  });

  it('serves them with their Content-Type', async () => {
    const types: Record<string, string> = {
      'articles/2024/post/img/pic.png': 'image/png',
      'articles/2024/post/img/cover.jpg': 'image/jpeg',
      'articles/2024/shared/logo.svg': 'image/svg+xml',
      'articles/2024/post/files/paper.pdf': 'application/pdf',
      'articles/2024/post/audio/talk.mp3': 'audio/mpeg',
    };
    for (const [p, type] of Object.entries(types)) {
      const res = await fetch(`${base}/${p}`);
      expect(res.status, p).toBe(200);
      expect(res.headers.get('content-type'), p).toBe(type);
      await res.arrayBuffer();
    }
    expect((await fetch(`${base}/articles/2024/shared/logo.svg`)).headers.get('content-security-policy')).toMatch(/default-src 'none'/);
  });

  it('copies an asset again when it changes, and removes it when its source or its link goes', async () => {
    const NEW = Buffer.concat([PNG, Buffer.from('more')]);
    await writeFile(path.join(content, '2024/img/pic.png'), NEW);
    let r = await syndic();
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/ 1 files written/);
    expect((await readFile(path.join(out, 'articles/2024/post/img/pic.png'))).equals(NEW)).toBe(true);

    await rm(path.join(content, '2024/files/paper.pdf'));
    await writeFile(path.join(content, '2024/post.md'), POST.replace('<audio src="audio/talk.mp3" controls></audio>', ''));
    r = await syndic();
    expect(r.code, r.stderr).toBe(0);
    await expect(stat(path.join(out, 'articles/2024/post/files/paper.pdf'))).rejects.toThrow();
    await expect(stat(path.join(out, 'articles/2024/post/files'))).rejects.toThrow();
    await expect(stat(path.join(out, 'articles/2024/post/audio/talk.mp3'))).rejects.toThrow();
    expect((await readFile(path.join(out, 'articles/2024/post/img/pic.png'))).equals(NEW)).toBe(true);

    // The article itself goes: so do all its assets.
    await rm(path.join(content, '2024/post.md'));
    await writeFile(path.join(content, 'keep.md'), '---\ntitle: Keep\ndate: 2024-01-01\n---\nx\n');
    r = await syndic();
    expect(r.code, r.stderr).toBe(0);
    await expect(stat(path.join(out, 'articles/2024'))).rejects.toThrow();
  });
});

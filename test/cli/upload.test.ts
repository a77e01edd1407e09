// `syndic upload` keeps an article's folders below content/ (so its id and URL stay the same),
// against the real local S3 server, through the real bin; and the key rule on its own.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uploadKey } from '../../src/cli/s3-commands.js';
import { runSyndic } from '../helpers/run-cli.js';
import { startS3Server, type TestS3Server } from '../helpers/s3-server.js';

describe('uploadKey', () => {
  const opts = { cwd: '/site', contentDir: 'content', prefix: 'content/' };
  it('keeps the path below the content folder, else the relative path as typed, else the file name', () => {
    expect(uploadKey('content/2024/hello.md', opts)).toBe('content/2024/hello.md');
    expect(uploadKey('/site/content/2024/hello.md', opts)).toBe('content/2024/hello.md');
    expect(uploadKey('./content/a b.md', opts)).toBe('content/a b.md');
    expect(uploadKey('2024/hello.md', opts)).toBe('content/2024/hello.md');
    expect(uploadKey('drafts/x.md', opts)).toBe('content/drafts/x.md');
    expect(uploadKey('/tmp/elsewhere/post.md', opts)).toBe('content/post.md');
    expect(uploadKey('../other/post.md', opts)).toBe('content/post.md');
    expect(uploadKey('..x/post.md', opts)).toBe('content/..x/post.md'); // a folder named `..x` is inside
    expect(uploadKey('articles/2024/x.md', { ...opts, contentDir: 'articles', prefix: 'p/' })).toBe('p/2024/x.md');
  });
});

describe('syndic upload', () => {
  let s3: TestS3Server;
  let tmp: string;
  beforeAll(async () => {
    s3 = await startS3Server();
    tmp = await mkdtemp(path.join(os.tmpdir(), 'syndic-upload-'));
  });
  afterAll(async () => {
    await s3?.stop();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it('keeps folders below content/, uploads folders of articles, and prints no SDK warning', async () => {
    const site = path.join(tmp, 'site');
    const elsewhere = path.join(tmp, 'elsewhere');
    for (const d of ['content/2024', 'content/2025/03', 'drafts']) await mkdir(path.join(site, d), { recursive: true });
    await mkdir(elsewhere);
    const body = '---\ntitle: T\n---\nbody\n';
    for (const f of ['content/2024/hello.md', 'content/2025/03/deep.md', 'content/notes.txt', 'drafts/x.md']) await writeFile(path.join(site, f), body);
    await writeFile(path.join(elsewhere, 'post.md'), body);
    const bucket = await s3.createBucket('upload-keys');
    const keys = async () => (await bucket.list('')).map((o) => o.key).sort();
    const upload = (args: string[], cwd: string) => runSyndic(['upload', ...args, '--bucket', 'upload-keys', '--endpoint', s3.endpoint], { SYNDIC_DEBUG: '' }, { cwd });

    const inContent = await upload(['content/2024/hello.md'], site);
    expect(inContent.code, inContent.stderr).toBe(0);
    expect(inContent.stderr).toBe('');
    expect(await keys()).toEqual(['content/2024/hello.md']);

    // Typed from inside content/ (the example), from the project root, and from elsewhere.
    expect((await upload(['2024/hello.md'], path.join(site, 'content'))).code).toBe(0);
    expect((await upload(['drafts/x.md', path.join(elsewhere, 'post.md')], site)).code).toBe(0);
    expect(await keys()).toEqual(['content/2024/hello.md', 'content/drafts/x.md', 'content/post.md']);

    // A folder: every article file below it (not notes.txt), each keeping its path.
    const folder = await upload(['content'], site);
    expect(folder.code, folder.stderr).toBe(0);
    expect(folder.stderr).toBe('');
    expect(await keys()).toEqual(['content/2024/hello.md', 'content/2025/03/deep.md', 'content/drafts/x.md', 'content/post.md']);

    const missing = await upload(['nope.md'], site);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe('error: nope.md does not exist, name article files or folders to upload\n');
  });
});

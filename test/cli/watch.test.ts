// `syndic start --watch` as a user runs it: the real bin serves the site, a change under content/
// (create, edit, rename, delete) rebuilds it, and open pages get a `reload` server-sent event. The
// test waits on the events themselves, never on time.
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/run-cli.js';
import { CORPUS_DIR } from '../helpers/feeds.js';

const BIN = path.join(ROOT, 'bin/syndic.js');

interface Reload {
  build: number;
  written: string[];
  deleted: string[];
}

/** The event stream of a watch session: resolves each `reload` event in order. */
class Events {
  private readonly seen: Reload[] = [];
  private waiters: (() => void)[] = [];
  readonly ready: Promise<void>;
  private req: http.ClientRequest;

  constructor(url: string) {
    let opened!: () => void;
    this.ready = new Promise((r) => (opened = r));
    this.req = http.get(url, (res) => {
      expect(res.headers['content-type']).toMatch(/^text\/event-stream/);
      res.setEncoding('utf8');
      let buf = '';
      res.on('data', (chunk: string) => {
        buf += chunk;
        opened();
        let end;
        while ((end = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, end);
          buf = buf.slice(end + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (event === 'reload' && data) {
            this.seen.push(JSON.parse(data) as Reload);
            for (const w of this.waiters.splice(0)) w();
          }
        }
      });
    });
  }

  /** The first reload event not yet taken that satisfies `match` (earlier non-matching ones are skipped). */
  async next(match: (r: Reload) => boolean): Promise<Reload> {
    for (;;) {
      const i = this.seen.findIndex(match);
      if (i >= 0) return this.seen.splice(0, i + 1)[i]!;
      this.seen.length = 0;
      await new Promise<void>((r) => this.waiters.push(r));
    }
  }

  close(): void {
    this.req.destroy();
  }
}

let tmp: string;
let content: string;
let out: string;
let child: ChildProcess;
let base: string;
let events: Events;
let stdout = '';

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'syndic-watch-'));
  content = path.join(tmp, 'content');
  out = path.join(tmp, 'public');
  await mkdir(path.join(content, 'news'), { recursive: true });
  await copyFile(path.join(CORPUS_DIR, '36kr-01.md'), path.join(content, '36kr-01.md'));
  child = spawn(process.execPath, [BIN, 'start', '--watch', '--content', content, '--out', out, '--cache-dir', path.join(tmp, 'cache'), '--port', '0'], {
    cwd: ROOT,
    env: { ...process.env, SYNDIC_LOG_JSON: '' },
  });
  child.stderr!.on('data', (d: Buffer) => process.stderr.write(d));
  base = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      stdout += d.toString();
      const url = /Serving .* on (http:\/\/127\.0\.0\.1:\d+)\//.exec(stdout)?.[1];
      if (url && stdout.includes('Watching ')) resolve(url);
    });
    child.on('exit', (code) => reject(new Error(`syndic start exited with ${code}: ${stdout}`)));
  });
  events = new Events(`${base}/__syndic/events`);
  await events.ready;
});

afterAll(async () => {
  events?.close();
  child?.kill();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

const article = (title: string, body: string) => `---\ntitle: ${title}\ndate: 2024-05-01 10:00:00\ncategories: [Watch, Live]\n---\n<p>${body}</p>\n`;
const get = async (p: string) => {
  const res = await fetch(base + p);
  return { status: res.status, type: res.headers.get('content-type'), body: await res.text() };
};

describe('syndic start --watch', () => {
  it('serves pages with the reload script, which the built files never carry', async () => {
    const page = await get('/');
    expect(page.status).toBe(200);
    expect(page.body).toContain('<script src="/__syndic/live-reload.js"></script>');
    expect(page.body).toContain("script-src 'self'");
    const file = await readFile(path.join(out, 'index.html'), 'utf8');
    expect(file).not.toContain('<script');
    expect(file).toContain("script-src 'none'");
    const script = await get('/__syndic/live-reload.js');
    expect(script.type).toMatch(/^text\/javascript/);
    expect(script.body).toContain('/__syndic/events');
    // Feeds are served as built.
    expect((await get('/rss.xml')).body).toBe(await readFile(path.join(out, 'rss.xml'), 'utf8'));
  });

  it('rebuilds on create, edit, rename and delete, and sends a reload after each', async () => {
    // Create, in a sub-folder.
    await writeFile(path.join(content, 'news/first.md'), article('First draft title', 'Hello'));
    let r = await events.next((e) => e.written.includes('articles/news/first/index.html'));
    expect(r.written).toContain('categories/watch/live/rss.xml');
    expect((await get('/articles/news/first/')).body).toContain('<h1>First draft title</h1>');
    expect((await get('/categories/watch/live/feed.json')).body).toContain('First draft title');

    // Edit.
    await writeFile(path.join(content, 'news/first.md'), article('Edited title', 'Hello again'));
    r = await events.next((e) => e.written.includes('articles/news/first/index.html'));
    const page = await get('/articles/news/first/');
    expect(page.body).toContain('<h1>Edited title</h1>');
    expect(page.body).not.toContain('First draft title');
    expect((await get('/feed.json')).body).toContain('Edited title');

    // Rename: the old permalink goes, the new one comes.
    await rename(path.join(content, 'news/first.md'), path.join(content, 'news/renamed.md'));
    r = await events.next((e) => e.written.includes('articles/news/renamed/index.html'));
    expect(r.deleted).toContain('articles/news/first/index.html');
    expect((await get('/articles/news/first/')).status).toBe(404);
    expect((await get('/articles/news/renamed/')).body).toContain('<h1>Edited title</h1>');

    // Delete: the article leaves its page, its feeds and, with no article left in them, its categories.
    await rm(path.join(content, 'news/renamed.md'));
    r = await events.next((e) => e.deleted.includes('articles/news/renamed/index.html'));
    expect(r.deleted).toContain('categories/watch/live/rss.xml');
    expect((await get('/articles/news/renamed/')).status).toBe(404);
    expect((await get('/feed.json')).body).not.toContain('Edited title');
    expect(stdout).toMatch(/rebuilt in \d+ ms: \d+ files written/);
  });

  it('follows a folder renamed, and files changed inside it afterwards', async () => {
    await mkdir(path.join(content, 'drafts/deep'), { recursive: true });
    await writeFile(path.join(content, 'drafts/deep/one.md'), article('In a folder', 'x'));
    await events.next((e) => e.written.includes('articles/drafts/deep/one/index.html'));
    await rename(path.join(content, 'drafts'), path.join(content, 'posts'));
    const r = await events.next((e) => e.written.includes('articles/posts/deep/one/index.html'));
    expect(r.deleted).toContain('articles/drafts/deep/one/index.html');
    // Node 20's recursive fs.watch stops seeing a renamed folder; the watcher must not.
    await writeFile(path.join(content, 'posts/deep/one.md'), article('Edited in the renamed folder', 'y'));
    await events.next((e) => e.written.includes('articles/posts/deep/one/index.html'));
    expect((await get('/articles/posts/deep/one/')).body).toContain('<h1>Edited in the renamed folder</h1>');
    expect((await get('/articles/drafts/deep/one/')).status).toBe(404);
  });
});

// `syndic build` (and `start`) as a user runs them: the real bin in a child process.
import { spawn } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, runSyndic } from '../helpers/run-cli.js';
import { CORPUS_DIR, validateAtom, validateJsonFeed, wellFormedXml, disposeAtomValidator } from '../helpers/feeds.js';

const BIN = path.join(ROOT, 'bin/syndic.js');
const GOOD = ['36kr-01.md', 'sina-finance-01.md', 'dribbble-01.md'];

// The JSON log lines are for Lambda; a terminal gets the plain ones that these tests read.
const syndic = (args: string[]) => runSyndic(args, { SYNDIC_LOG_JSON: '' });

let tmp: string;
let good: string;
let mixed: string;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'syndic-cli-'));
  good = path.join(tmp, 'good');
  mixed = path.join(tmp, 'mixed');
  await mkdir(path.join(good, 'nested'), { recursive: true });
  await mkdir(mixed, { recursive: true });
  for (const f of GOOD) {
    await copyFile(path.join(CORPUS_DIR, f), path.join(good, f === 'sina-finance-01.md' ? `nested/${f}` : f));
    await copyFile(path.join(CORPUS_DIR, f), path.join(mixed, f));
  }
  await writeFile(path.join(mixed, 'no-title.md'), '\n---\ndate: 2022-04-02 20:47:38\ncategories: [x]\n---\n<p>body</p>');
  await writeFile(path.join(mixed, 'bad-yaml.md'), '---\ntitle: ok\n  broken: indentation\n---\nbody');
});

afterAll(async () => {
  disposeAtomValidator();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe.concurrent('syndic build', () => {
  it('exits 0 on good content and writes valid site and category feeds', async () => {
    const out = path.join(tmp, 'out-good');
    const r = await syndic(['build', '--content', good, '--out', out]);
    expect(r.stderr).not.toMatch(/rejected/);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/built 3 articles/);
    const rss = await readFile(path.join(out, 'rss.xml'), 'utf8');
    const atom = await readFile(path.join(out, 'atom.xml'), 'utf8');
    const json = await readFile(path.join(out, 'feed.json'), 'utf8');
    expect(wellFormedXml(rss)).toEqual([]);
    expect(validateAtom(atom)).toEqual([]);
    expect(validateJsonFeed(json)).toEqual([]);
    // Ids come from the path under content/, sub-folders included.
    expect(json).toContain('/articles/nested/sina-finance-01/');
    const cat = await readFile(path.join(out, 'categories/金融/新浪财经/新浪财经-国內/feed.json'), 'utf8');
    expect(cat).toContain('/articles/nested/sina-finance-01/');
    // The `date: Invalid Date` article is published with a warning naming it.
    expect(r.stderr).toMatch(/dribbble-01\.md.*date/);
  });

  it('exits 1 when an article is rejected, lists each on stderr with its reason, and still writes the others', async () => {
    const out = path.join(tmp, 'out-mixed');
    const r = await syndic(['build', '--content', mixed, '--out', out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no-title\.md.*title/);
    expect(r.stderr).toMatch(/bad-yaml\.md:3:.*YAML/);
    expect(r.stdout).toMatch(/built 3 articles .*2 rejected/);
    const json = JSON.parse(await readFile(path.join(out, 'feed.json'), 'utf8')) as { items: { id: string }[] };
    expect(json.items.map((i) => i.id.split('/').at(-2)).sort()).toEqual(['36kr-01', 'dribbble-01', 'sina-finance-01']);
    await expect(readFile(path.join(out, 'categories/x/feed.json'))).rejects.toThrow();
  });

  it('lets flags override the syndic.config.json settings', async () => {
    const out = path.join(tmp, 'out-flags');
    const r = await syndic(['build', '--content', good, '--out', out, '--site-url', 'https://feeds.example.org/', '--feed-limit', '1']);
    expect(r.code, r.stderr).toBe(0);
    const rss = await readFile(path.join(out, 'rss.xml'), 'utf8');
    expect(rss).toContain('<atom:link href="https://feeds.example.org/rss.xml" rel="self" type="application/rss+xml"/>');
    expect(rss).not.toContain('127.0.0.1:8080');
    const json = JSON.parse(await readFile(path.join(out, 'feed.json'), 'utf8')) as { items: { url: string }[] };
    expect(json.items).toHaveLength(1);
    expect(json.items[0]!.url).toMatch(/^https:\/\/feeds\.example\.org\/articles\//);
  });

  it('writes byte-identical files on a second build, and reports nothing written', async () => {
    const out = path.join(tmp, 'out-twice');
    await syndic(['build', '--content', good, '--out', out]);
    const first = await readFile(path.join(out, 'atom.xml'));
    const r = await syndic(['build', '--content', good, '--out', out]);
    expect(r.stdout).toMatch(/ 0 files written/);
    expect((await readFile(path.join(out, 'atom.xml'))).equals(first)).toBe(true);
  });

  it('rejects a bad flag value with a clear error', async () => {
    const r = await syndic(['build', '--content', good, '--out', path.join(tmp, 'x'), '--site-url', 'ftp://nope']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/siteUrl/);
  });
});

describe('syndic start', () => {
  it('builds, serves the feeds with their Content-Type, and prints the feed URLs', async () => {
    const out = path.join(tmp, 'out-start');
    const child = spawn(process.execPath, [BIN, 'start', '--content', good, '--out', out, '--port', '0'], { cwd: ROOT });
    try {
      let stdout = '';
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no URL printed: ${stdout}`)), 60_000);
        child.stdout.on('data', (d: Buffer) => {
          stdout += d.toString();
          const m = /Serving .* on (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout);
          if (m) {
            clearTimeout(timer);
            resolve(m[1]!);
          }
        });
        child.on('exit', (code) => reject(new Error(`exited ${code}: ${stdout}`)));
      });
      // The printed URLs are the feeds.
      await new Promise((r) => setTimeout(r, 100));
      expect(stdout).toContain(`${url}/rss.xml`);
      const types = { 'rss.xml': 'application/rss+xml; charset=utf-8', 'atom.xml': 'application/atom+xml; charset=utf-8', 'feed.json': 'application/feed+json; charset=utf-8' };
      for (const [f, type] of Object.entries(types)) {
        const res = await fetch(`${url}/${f}`);
        expect(res.status, f).toBe(200);
        expect(res.headers.get('content-type'), f).toBe(type);
        await res.arrayBuffer();
      }
    } finally {
      child.kill();
    }
  });
});

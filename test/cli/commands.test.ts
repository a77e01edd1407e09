// The command line as a user meets it, through the real bin: help, --version, suggestions for
// mistyped commands, flags and settings, `new`, `check`, and every error path (exit code, one line,
// and no existing output file removed).
import { spawn } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CORPUS_DIR } from '../helpers/feeds.js';
import { ROOT, runSyndic, type CliRun } from '../helpers/run-cli.js';

const VERSION = (JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
// Plain log lines, no stacks, and no SYNDIC_* settings from the developer's shell.
const CLEAN_ENV = Object.fromEntries(Object.keys(process.env).filter((k) => k.startsWith('SYNDIC_')).map((k) => [k, '']));
const syndic = (args: string[], env: Record<string, string> = {}, cwd?: string) =>
  runSyndic(args, { ...CLEAN_ENV, SYNDIC_LOG_JSON: '', SYNDIC_DEBUG: '', ...env }, cwd ? { cwd } : {});

/** The run failed with `code` and printed exactly one line, `error: …`, matching `re`. */
function expectOneLineError(r: CliRun, code: number, re: RegExp) {
  expect(r.code, r.stderr).toBe(code);
  const lines = r.stderr.trim().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^error: /);
  expect(lines[0]).toMatch(re);
  expect(r.stderr).not.toMatch(/\n\s+at /); // no stack
}

async function listTree(dir: string): Promise<string[]> {
  return ((await readdir(dir, { recursive: true })) as string[]).sort();
}

let tmp: string;
let good: string;
let site: string; // an output folder built once, with a file of the user's own
let before: string[];

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'syndic-commands-'));
  good = path.join(tmp, 'good');
  await mkdir(good);
  for (const f of ['36kr-01.md', 'sina-finance-01.md']) await copyFile(path.join(CORPUS_DIR, f), path.join(good, f));
  site = path.join(tmp, 'site');
  const r = await syndic(['build', '--content', good, '--out', site]);
  expect(r.code, r.stderr).toBe(0);
  await writeFile(path.join(site, 'CNAME'), 'feeds.example.com\n');
  before = await listTree(site);
  expect(before).toContain('rss.xml');
});

afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe.concurrent('help and version', () => {
  it('prints the version from package.json', async () => {
    for (const flag of ['--version', '-v']) {
      const r = await syndic([flag]);
      expect(r.code).toBe(0);
      expect(r.stdout.trim()).toBe(VERSION);
    }
  });

  it('lists every command with `help`, and shows usage (exit 2) with no command', async () => {
    const r = await syndic(['help']);
    expect(r.code).toBe(0);
    for (const c of ['build', 'start', 'serve', 'new', 'check', 'upload', 'rebuild', 'help']) expect(r.stdout).toMatch(new RegExp(`^  ${c} `, 'm'));
    expect(r.stdout).toMatch(/Exit codes: 0 ok, 1 .*rejected, 2 usage .*, 3 I\/O/);
    const none = await syndic([]);
    expect(none.code).toBe(2);
    expect(none.stdout + none.stderr).toMatch(/Usage: syndic/);
  });

  it('has help of its own for each command, with examples, by `help X` and `X --help`', async () => {
    const [a, b, serve] = await Promise.all([syndic(['help', 'new']), syndic(['new', '--help']), syndic(['serve', '--help'])]);
    expect(a.code).toBe(0);
    expect(b.code).toBe(0);
    expect(a.stdout).toBe(b.stdout);
    expect(a.stdout).toMatch(/Usage: syndic new \[options\] <title>/);
    expect(a.stdout).toMatch(/--category <A\/B\/C>/);
    expect(a.stdout).toMatch(/Examples:\n {2}\$ syndic new/);
    expect(serve.stdout).toMatch(/Usage: syndic serve/);
    expect(serve.stdout).not.toMatch(/--category/);
  });

  it('suggests the closest command, flag or setting', async () => {
    const [cmd, helpCmd, flag, setting] = await Promise.all([
      syndic(['buidl']),
      syndic(['help', 'chek']),
      syndic(['build', '--contnet', good]),
      syndic(['check', '--content', good, '--set', 'titel=x']),
    ]);
    expectOneLineError(cmd, 2, /unknown command 'buidl', did you mean build\?$/);
    expectOneLineError(helpCmd, 2, /unknown command chek, did you mean check\?$/);
    expectOneLineError(flag, 2, /unknown option '--contnet' \(syndic build\), did you mean --content\?$/);
    expectOneLineError(setting, 2, /unknown setting titel in --set titel=…, did you mean title\?$/);
  });
});

describe.concurrent('syndic new', () => {
  it('writes a ready article: slugged name, the title, categories, and now in the configured time zone; refuses to overwrite', async () => {
    const content = path.join(tmp, 'new-content');
    const day = () => new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Tokyo', year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date());
    const dayBefore = day();
    const r = await syndic(['new', 'Hello, World: part 1', '--category', 'Tech/Web/CSS', '--content', content, '--set', 'timezone=Asia/Tokyo']);
    const dayAfter = day();
    expect(r.code, r.stderr).toBe(0);
    const file = path.join(content, 'hello-world-part-1.md');
    expect(r.stdout).toContain(`created ${file}`);
    const text = await readFile(file, 'utf8');
    expect(text).toMatch(/^---\ntitle: 'Hello, World: part 1'\n/);
    expect(text).toMatch(/\ncategories:\n {2}- Tech\n {2}- Web\n {2}- CSS\n/);
    const date = /\ndate: '(\d{4}-\d\d-\d\d) \d\d:\d\d:\d\d'\n/.exec(text)?.[1];
    expect([dayBefore, dayAfter]).toContain(date);

    // Ready: check accepts it and a build files it under all three category levels.
    const check = await syndic(['check', '--content', content]);
    expect(check.code, check.stderr).toBe(0);
    expect(check.stdout).toMatch(/checked 1 articles .*: 1 ok, 0 drafts, 0 rejected/);
    const out = path.join(tmp, 'new-out');
    expect((await syndic(['build', '--content', content, '--out', out])).code).toBe(0);
    const feed = JSON.parse(await readFile(path.join(out, 'categories/tech/web/css/feed.json'), 'utf8')) as { items: { title: string }[] };
    expect(feed.items.map((i) => i.title)).toEqual(['Hello, World: part 1']);

    // The same title again: refused, and the file is left as it was.
    await writeFile(file, text + '\nMy own words.\n');
    const again = await syndic(['new', 'Hello, World: part 1', '--content', content]);
    expectOneLineError(again, 2, /hello-world-part-1\.md already exists and was left as it is, .*--slug/);
    expect(await readFile(file, 'utf8')).toBe(text + '\nMy own words.\n');
    // --slug picks another file name; several --category give several hierarchies.
    const slug = await syndic(['new', '你好', '--slug', 'ni-hao', '--category', 'A/B', '--category', 'C', '--content', content]);
    expect(slug.code, slug.stderr).toBe(0);
    expect(await readFile(path.join(content, 'ni-hao.md'), 'utf8')).toMatch(/\ncategories:\n {2}- \[A, B\]\n {2}- \[C\]\n/);
  });
});

describe.concurrent('syndic check', () => {
  it('reports every rejected article with exit 1, and writes nothing', async () => {
    const dir = path.join(tmp, 'check-project');
    await mkdir(path.join(dir, 'content'), { recursive: true });
    await copyFile(path.join(CORPUS_DIR, '36kr-01.md'), path.join(dir, 'content/36kr-01.md'));
    await writeFile(path.join(dir, 'content/no-title.md'), '---\ndate: 2022-04-02 20:47:38\n---\n<p>body</p>');
    await writeFile(path.join(dir, 'content/draft.md'), '---\ntitle: Later\ndraft: true\n---\nbody');
    const treeBefore = await listTree(dir);
    const r = await syndic(['check'], {}, dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^rejected: no-title\.md: missing title/m);
    expect(r.stdout).toMatch(/checked 3 articles .*: 1 ok, 1 drafts, 1 rejected \(nothing written\)/);
    expect(await listTree(dir)).toEqual(treeBefore);
  });

  it('is an error (exit 2) on a missing or empty content folder, unless --allow-empty', async () => {
    const empty = path.join(tmp, 'check-empty');
    await mkdir(empty);
    const [missing, none, allowed] = await Promise.all([
      syndic(['check', '--content', path.join(tmp, 'no-such-folder')]),
      syndic(['check', '--content', empty]),
      syndic(['check', '--content', empty, '--allow-empty']),
    ]);
    expectOneLineError(missing, 2, /content folder .*no-such-folder does not exist, pass --content DIR/);
    expectOneLineError(none, 2, /no articles .* in .*check-empty, .*--allow-empty/);
    expect(allowed.code).toBe(0);
  });
});

describe.concurrent('errors: one line, a documented exit code, and nothing removed', () => {
  const build = (args: string[], env: Record<string, string> = {}) => syndic(['build', '--content', good, '--out', site, ...args], env);

  it('build --production refuses a loopback siteUrl (exit 2) and accepts a public one', async () => {
    for (const url of [undefined, 'http://localhost:3000', 'http://[::1]:8080']) {
      const r = await build(['--production', ...(url ? ['--site-url', url] : [])]);
      expectOneLineError(r, 2, /siteUrl http:\/\/(127\.0\.0\.1|localhost|\[::1\]).* is a loopback address and --production needs the public URL, set siteUrl in syndic\.config\.json, SYNDIC_SITE_URL or --site-url/);
    }
    expect(await listTree(site)).toEqual(before);
    const out = path.join(tmp, 'prod-out');
    const ok = await syndic(['build', '--content', good, '--out', out, '--production', '--site-url', 'https://feeds.example.com']);
    expect(ok.code, ok.stderr).toBe(0);
  });

  it('names the bad setting and where it came from: flag, environment variable, --config file', async () => {
    const badJson = path.join(tmp, 'bad.json');
    await writeFile(badJson, '{\n  "title": "x",\n}\n');
    const cdkShaped = path.join(tmp, 'cdk-shaped.json');
    await writeFile(cdkShaped, JSON.stringify({ context: { syndic: { title: 'x' } } }));
    const badValue = path.join(tmp, 'bad-value.json');
    await writeFile(badValue, JSON.stringify({ feedLimit: 0 }));
    const runs = await Promise.all([
      build(['--site-url', 'ftp://nope']),
      build([], { SYNDIC_FEED_LIMIT: 'many' }),
      build(['--config', path.join(tmp, 'missing.json')]),
      build(['--config', badJson]),
      build(['--config', cdkShaped]),
      build(['--config', badValue]),
      build(['--feed-limit', '0']),
    ]);
    expectOneLineError(runs[0]!, 2, /setting siteUrl: expected an http\(s\) URL \(got "ftp:\/\/nope"\) in --site-url/);
    expectOneLineError(runs[1]!, 2, /setting feedLimit: expected a positive integer \(got "many"\) in SYNDIC_FEED_LIMIT/);
    expectOneLineError(runs[2]!, 2, /config file .*missing\.json does not exist, check the path given to --config/);
    expectOneLineError(runs[3]!, 2, /bad\.json is not valid JSON at line 3 column 1/);
    expectOneLineError(runs[4]!, 2, /unknown key "context" in .*cdk-shaped\.json/);
    expectOneLineError(runs[5]!, 2, /setting feedLimit: expected a positive integer \(got 0\) in .*bad-value\.json/);
    expectOneLineError(runs[6]!, 2, /option '--feed-limit <n>' argument '0' is invalid/);
    expect(await listTree(site)).toEqual(before);
  });

  it('serve on a missing folder is exit 2; a bad --port is exit 2; a port in use is exit 3 with a --port hint', async () => {
    const busy = http.createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    const port = (busy.address() as { port: number }).port;
    try {
      const [missing, badPort, inUse, startInUse] = await Promise.all([
        syndic(['serve', '--out', path.join(tmp, 'never-built')]),
        syndic(['serve', '--out', site, '--port', '80000']),
        syndic(['serve', '--out', site, '--port', String(port)]),
        // Its own output folder: a build into `site` would show its temporary folder to the
        // concurrent tests that compare `site` with what it held before.
        syndic(['start', '--content', good, '--out', path.join(tmp, 'start-busy-out'), '--port', String(port)]),
      ]);
      expectOneLineError(missing, 2, /output folder .*never-built does not exist, nothing to serve, build it first with syndic build/);
      expectOneLineError(badPort, 2, /option '--port <n>' argument '80000' is invalid\. expected a port number from 0 to 65535/);
      expectOneLineError(inUse, 3, new RegExp(`port ${port} on 127\\.0\\.0\\.1 is already in use, .*--port N \\(--port 0 picks a free one\\)`));
      // start built first (stdout), then failed to listen: the error is still one line on stderr.
      expect(startInUse.stdout).toMatch(/built 2 articles/);
      expectOneLineError(startInUse, 3, /is already in use/);
    } finally {
      busy.close();
    }
    expect(await listTree(site)).toEqual(before);
  });

  it('--port 0 picks a free port and prints it', async () => {
    const child = spawn(process.execPath, [path.join(ROOT, 'bin/syndic.js'), 'serve', '--out', site, '--port', '0'], { cwd: ROOT });
    try {
      let stdout = '';
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout.on('data', (d: Buffer) => {
          stdout += d.toString();
          const m = /Serving .* on (http:\/\/127\.0\.0\.1:(\d+))\//.exec(stdout);
          if (m) resolve(m[1]!);
        });
        child.on('exit', (code) => reject(new Error(`exited ${code}: ${stdout}`)));
      });
      expect(url).not.toMatch(/:0$/);
      const res = await fetch(`${url}/CNAME`);
      expect(await res.text()).toBe('feeds.example.com\n');
    } finally {
      child.kill();
    }
  });

  it('--debug and SYNDIC_DEBUG=1 add the stack', async () => {
    const [flag, env] = await Promise.all([
      syndic(['build', '--content', good, '--out', site, '--production', '--debug']),
      syndic(['build', '--content', good, '--out', site, '--production'], { SYNDIC_DEBUG: '1' }),
    ]);
    for (const r of [flag, env]) {
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^error: siteUrl .* is a loopback address/);
      expect(r.stderr).toMatch(/\n\s+at .*cli\.ts/);
    }
  });
});

// syndic.config.json: where it is read, its precedence (file < SYNDIC_* < flags), unknown keys
// named with the closest valid one, `--config FILE`; in-process for the matrix, the real bin once.
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, readConfigFile } from '../../src/cli/config.js';
import { closest, DEFAULT_SETTINGS, isLoopbackUrl, SETTING_KEYS, SettingsError } from '../../src/core/settings.js';
import { ConfigError } from '../../src/errors.js';
import { CORPUS_DIR } from '../helpers/feeds.js';
import { runSyndic } from '../helpers/run-cli.js';

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'syndic-config-'));
});
afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

/** The error `p` rejects with (failing the test if it resolves). */
async function failure(p: Promise<unknown>): Promise<ConfigError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(ConfigError);
  return e as ConfigError;
}

async function project(name: string, config?: unknown): Promise<string> {
  const dir = path.join(tmp, name);
  await mkdir(dir, { recursive: true });
  if (config !== undefined) await writeFile(path.join(dir, 'syndic.config.json'), typeof config === 'string' ? config : JSON.stringify(config));
  return dir;
}

describe('readConfigFile and loadConfig', () => {
  it('uses the defaults without a file, and the file when there is one', async () => {
    expect((await loadConfig(await project('none'))).settings).toEqual(DEFAULT_SETTINGS);
    const dir = await project('file', { title: 'From file', feedLimit: 3, deploy: { alarmEmail: 'me@example.com' } });
    const { settings, config } = await loadConfig(dir);
    expect(settings).toMatchObject({ title: 'From file', feedLimit: 3, timezone: 'UTC' });
    expect(config).toEqual({ file: 'syndic.config.json', settings: { title: 'From file', feedLimit: 3 }, deploy: { alarmEmail: 'me@example.com' } });
  });

  it('lets SYNDIC_* variables override the file, and flags override both', async () => {
    const dir = await project('precedence', { title: 'file', feedLimit: 3, author: 'file' });
    const env = { SYNDIC_TITLE: 'env', SYNDIC_FEED_LIMIT: '4', SYNDIC_BUCKET: 'not-a-setting' };
    const { settings } = await loadConfig(dir, { env, flags: { title: 'flag' } });
    expect(settings).toMatchObject({ title: 'flag', feedLimit: 4, author: 'file' });
  });

  it('reads a flat --config file instead of syndic.config.json', async () => {
    const dir = await project('explicit', { title: 'default file' });
    await writeFile(path.join(dir, 'other.json'), JSON.stringify({ title: 'other file' }));
    expect((await loadConfig(dir, { configFile: 'other.json' })).settings.title).toBe('other file');
  });

  it('names an unknown key and the closest valid one, in the file and in --set', async () => {
    const dir = await project('unknown', { titel: 'x' });
    const err = await failure(readConfigFile(dir));
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toBe('unknown key "titel" in syndic.config.json');
    expect((err as ConfigError).hint).toBe('did you mean "title"?');
    const far = await failure(readConfigFile(await project('far', { zzzzzzzz: 1 })));
    expect(far.hint).toMatch(/^valid keys: title, description, siteUrl/);
    const flag = await failure(loadConfig(await project('flag'), { flags: { feedLimt: 3 }, flagName: (k) => `--set ${k}` }));
    expect(flag).toBeInstanceOf(SettingsError);
    expect(flag.message).toBe('unknown setting feedLimt in --set feedLimt');
    expect(flag.hint).toBe('did you mean feedLimit?');
  });

  it('says where a bad value came from', async () => {
    const bad = await failure(loadConfig(await project('bad-file', { timezone: 'Mars/Olympus' })));
    expect(bad.message).toMatch(/setting timezone: unknown IANA time zone .* in syndic\.config\.json$/);
    const env = await failure(loadConfig(await project('bad-env'), { env: { SYNDIC_SITE_URL: 'nope' } }));
    expect(env.message).toMatch(/setting siteUrl: .* in SYNDIC_SITE_URL$/);
    const json = await failure(readConfigFile(await project('bad-json', '{"title": "x" "feedLimit": 2}')));
    expect(json.message).toMatch(/^syndic\.config\.json is not valid JSON at line 1 column 15/);
    const arr = await failure(readConfigFile(await project('array', '[]')));
    expect(arr.message).toBe('syndic.config.json must hold a JSON object of settings');
    const deploy = await failure(readConfigFile(await project('deploy', { deploy: 'x' })));
    expect(deploy.message).toMatch(/"deploy" in syndic\.config\.json must be an object/);
  });
});

describe('closest and isLoopbackUrl', () => {
  it('suggests only near misses', () => {
    expect(closest('titel', SETTING_KEYS)).toBe('title');
    expect(closest('siteurl', SETTING_KEYS)).toBe('siteUrl');
    expect(closest('feedlimit', SETTING_KEYS)).toBe('feedLimit');
    expect(closest('timeZone', SETTING_KEYS)).toBe('timezone');
    expect(closest('colour', SETTING_KEYS)).toBeUndefined();
  });

  it('knows the addresses only this machine can reach', () => {
    for (const u of ['http://127.0.0.1:8080', 'http://127.1.2.3', 'http://localhost:3000/', 'https://LOCALHOST', 'http://app.localhost', 'http://[::1]:8080', 'http://0.0.0.0:8080'])
      expect(isLoopbackUrl(u), u).toBe(true);
    for (const u of ['https://feeds.example.com', 'http://10.0.0.1', 'http://localhost.example.com', 'http://128.0.0.1', 'not a url']) expect(isLoopbackUrl(u), u).toBe(false);
  });
});

describe('through the real bin', () => {
  it('builds with the file, then with SYNDIC_* over it, then with flags over both', async () => {
    const dir = await project('bin', { title: 'From file', siteUrl: 'https://file.example.com', feedLimit: 2 });
    await mkdir(path.join(dir, 'content'));
    for (const f of ['36kr-01.md', 'sina-finance-01.md', 'dribbble-01.md']) await copyFile(path.join(CORPUS_DIR, f), path.join(dir, 'content', f));
    const clean = Object.fromEntries(Object.keys(process.env).filter((k) => k.startsWith('SYNDIC_')).map((k) => [k, '']));
    const feed = async () => JSON.parse(await readFile(path.join(dir, 'public/feed.json'), 'utf8')) as { title: string; home_page_url: string; items: unknown[] };
    const run = (args: string[], env: Record<string, string> = {}) => runSyndic(['build', ...args], { ...clean, SYNDIC_LOG_JSON: '', ...env }, { cwd: dir });

    expect((await run(['--production'])).code).toBe(0); // the file's siteUrl is public
    expect(await feed()).toMatchObject({ title: 'From file', home_page_url: 'https://file.example.com/' });
    expect((await feed()).items).toHaveLength(2);

    expect((await run([], { SYNDIC_TITLE: 'From env', SYNDIC_FEED_LIMIT: '1' })).code).toBe(0);
    expect(await feed()).toMatchObject({ title: 'From env', home_page_url: 'https://file.example.com/' });
    expect((await feed()).items).toHaveLength(1);

    const flags = await run(['--set', 'title=From flag', '--site-url', 'https://flag.example.com', '--feed-limit', '3'], { SYNDIC_TITLE: 'From env', SYNDIC_FEED_LIMIT: '1' });
    expect(flags.code, flags.stderr).toBe(0);
    expect(await feed()).toMatchObject({ title: 'From flag', home_page_url: 'https://flag.example.com/' });
    expect((await feed()).items).toHaveLength(3);
  });
});

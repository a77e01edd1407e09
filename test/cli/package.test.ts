// The package as someone outside this repository gets it: `npm pack` (which compiles src/ to dist/),
// installed into an empty folder with its runtime dependencies only, then `npx syndic` there:
// --version, help, new, check, build (valid feeds, the folder's own syndic.config.json), start.
import { spawn, type SpawnOptions } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CORPUS_DIR, disposeAtomValidator, validateAtom, validateJsonFeed, wellFormedXml } from '../helpers/feeds.js';
import { ROOT } from '../helpers/run-cli.js';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

// npm's own variables (set when the suite runs under `npm test`) would steer the inner npm.
const ENV = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(npm_|SYNDIC_)/i.test(k))) as NodeJS.ProcessEnv;

function run(cmd: string, args: string[], options: SpawnOptions): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: ENV, ...options });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const VERSION = (JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
let tmp: string;
let site: string;
let packed: string[];

const syndic = (args: string[]) => run('npx', ['syndic', ...args], { cwd: site });

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'syndic-package-'));
  const pack = await run('npm', ['pack', '--json', '--pack-destination', tmp], { cwd: ROOT });
  expect(pack.code, pack.stderr).toBe(0);
  const [info] = JSON.parse(pack.stdout.slice(pack.stdout.indexOf('['))) as { filename: string; files: { path: string }[] }[];
  packed = info!.files.map((f) => f.path).sort();

  site = path.join(tmp, 'my-site');
  await mkdir(path.join(site, 'content'), { recursive: true });
  await writeFile(path.join(site, 'package.json'), JSON.stringify({ name: 'my-site', private: true }));
  const install = await run('npm', ['install', path.join(tmp, info!.filename), '--omit=dev', '--prefer-offline', '--no-audit', '--no-fund'], { cwd: site });
  expect(install.code, install.stderr).toBe(0);
  for (const f of ['36kr-01.md', 'sina-finance-01.md']) await copyFile(path.join(CORPUS_DIR, f), path.join(site, 'content', f));
  await writeFile(path.join(site, 'syndic.config.json'), JSON.stringify({ title: 'My own feeds', siteUrl: 'https://feeds.example.org', timezone: 'Europe/Paris' }));
}, 600_000);

afterAll(async () => {
  disposeAtomValidator();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe('the packed package', () => {
  it('holds the bin, the compiled dist/ and the docs, and no sources, tests, bench, infra or scripts', async () => {
    expect(packed).toContain('bin/syndic.js');
    expect(packed).toContain('dist/cli/cli.js');
    expect(packed).toContain('package.json');
    expect(packed).toContain('README.md');
    expect(packed.filter((p) => !/^(bin\/syndic\.js|dist\/.*\.js|package\.json|README\.md)$/.test(p))).toEqual([]);
    // postpack removed the compiled copy, so the checkout keeps running its sources.
    await expect(stat(path.join(ROOT, 'dist'))).rejects.toThrow();
  });

  it('installs without devDependencies: no tsx, TypeScript, CDK or test tools', async () => {
    for (const dev of ['tsx', 'typescript', 'aws-cdk-lib', 'vitest', 's3rver']) await expect(stat(path.join(site, 'node_modules', dev)), dev).rejects.toThrow();
    await stat(path.join(site, 'node_modules/commander'));
  });

  it('runs --version, help, new, check and build with npx syndic', async () => {
    const version = await syndic(['--version']);
    expect(version.code, version.stderr).toBe(0);
    expect(version.stdout.trim()).toBe(VERSION);

    const help = await syndic(['help', 'build']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Usage: syndic build/);

    const typo = await syndic(['buidl']);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toBe("error: unknown command 'buidl', did you mean build?\n");
    const badConfig = await syndic(['check', '--config', 'missing.json']);
    expect(badConfig.code).toBe(2);
    expect(badConfig.stderr).toBe('error: config file missing.json does not exist, check the path given to --config\n');

    const created = await syndic(['new', 'Hello from the package', '--category', 'Notes/Packaging']);
    expect(created.code, created.stderr).toBe(0);
    expect(await readFile(path.join(site, 'content/hello-from-the-package.md'), 'utf8')).toMatch(/^---\ntitle: Hello from the package\n/);

    const check = await syndic(['check']);
    expect(check.code, check.stderr).toBe(0);
    expect(check.stdout).toMatch(/checked 3 articles .*: 3 ok, 0 drafts, 0 rejected/);

    const build = await syndic(['build', '--production']);
    expect(build.code, build.stderr).toBe(0);
    expect(build.stdout).toMatch(/built 3 articles/);
    const json = await readFile(path.join(site, 'public/feed.json'), 'utf8');
    expect(validateJsonFeed(json)).toEqual([]);
    expect(JSON.parse(json)).toMatchObject({ title: 'My own feeds', home_page_url: 'https://feeds.example.org/' });
    expect(validateAtom(await readFile(path.join(site, 'public/atom.xml'), 'utf8'))).toEqual([]);
    expect(wellFormedXml(await readFile(path.join(site, 'public/categories/notes/packaging/rss.xml'), 'utf8'))).toEqual([]);
  });

  it('serves with npx syndic start --port 0', async () => {
    const child = spawn('npx', ['syndic', 'start', '--port', '0', '--out', 'served'], { cwd: site, env: ENV, detached: true });
    try {
      let stdout = '';
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout.on('data', (d: Buffer) => {
          stdout += d.toString();
          const m = /Serving .* on (http:\/\/127\.0\.0\.1:\d+)\//.exec(stdout);
          if (m) resolve(m[1]!);
        });
        child.on('exit', (code) => reject(new Error(`exited ${code}: ${stdout}`)));
      });
      const res = await fetch(`${url}/rss.xml`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/rss+xml; charset=utf-8');
      expect(await res.text()).toContain('<title>My own feeds</title>');
    } finally {
      // npx runs syndic in a child of its own: end the whole group it leads.
      process.kill(-child.pid!, 'SIGTERM');
    }
  });
});

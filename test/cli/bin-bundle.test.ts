// bin/syndic.js in a checkout runs a bundle of src/ (scripts/cli-bundle.mjs) and never stale code:
// a copy of the bin and the bundler over a tiny src/ is edited, extended and renamed between runs,
// and run several times at once right after a change (each run sees a whole bundle or makes one).
import { copyFile, mkdir, mkdtemp, readdir, rename, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, runSyndic } from '../helpers/run-cli.js';

let dir: string;

const bin = () => runSyndic([], {}, { root: dir });

const cli = (body: string) => `import { word } from './word.js';\nexport async function main(): Promise<number> {\n  ${body}\n  return 0;\n}\n`;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'syndic-bin-'));
  await mkdir(path.join(dir, 'bin'));
  await mkdir(path.join(dir, 'scripts'));
  await mkdir(path.join(dir, 'src/cli'), { recursive: true });
  await mkdir(path.join(dir, 'src/build'));
  await mkdir(path.join(dir, 'node_modules'));
  await copyFile(path.join(ROOT, 'bin/syndic.js'), path.join(dir, 'bin/syndic.js'));
  await copyFile(path.join(ROOT, 'scripts/cli-bundle.mjs'), path.join(dir, 'scripts/cli-bundle.mjs'));
  await symlink(path.join(ROOT, 'node_modules/esbuild'), path.join(dir, 'node_modules/esbuild'));
  await writeFile(path.join(dir, 'package.json'), JSON.stringify({ name: 'syndic', version: '0.0.0', type: 'module' }));
  await writeFile(path.join(dir, 'src/build/worker.ts'), 'export {};\n');
  await writeFile(path.join(dir, 'src/cli/word.ts'), "export const word = 'one';\n");
  await writeFile(path.join(dir, 'src/cli/cli.ts'), cli('console.log(`first ${word}`);'));
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('bin/syndic.js in a checkout', () => {
  it('runs the current sources after every edit, addition and rename, also when started several times at once', async () => {
    expect((await bin()).stdout).toBe('first one\n');
    expect((await bin()).stdout).toBe('first one\n');

    // An edit in a file the entry imports.
    await writeFile(path.join(dir, 'src/cli/word.ts'), "export const word = 'two';\n");
    const runs = await Promise.all(Array.from({ length: 4 }, () => bin()));
    for (const r of runs) expect(r, r.stderr).toMatchObject({ code: 0, stdout: 'first two\n' });

    // A new module, then the same name renamed in from elsewhere with an older file's mtime.
    await writeFile(path.join(dir, 'src/cli/other.ts'), "export const other = 'three';\n");
    await writeFile(path.join(dir, 'src/cli/cli.ts'), cli("const { other } = await import('./other.js');\n  console.log(`${word} ${other}`);"));
    expect((await bin()).stdout).toBe('two three\n');
    await writeFile(path.join(dir, 'other-seven.ts'), "export const other = 'seven';\n");
    await utimes(path.join(dir, 'other-seven.ts'), new Date('2020-01-01'), new Date('2020-01-01'));
    await rename(path.join(dir, 'other-seven.ts'), path.join(dir, 'src/cli/other.ts'));
    expect((await bin()).stdout).toBe('two seven\n');

    // A version change in package.json is a new bundle too; no temporary folder is left behind.
    await writeFile(path.join(dir, 'package.json'), JSON.stringify({ name: 'syndic', version: '0.0.1', type: 'module' }));
    expect((await bin()).stdout).toBe('two seven\n');
    const before = await readdir(path.join(dir, 'node_modules/.cache/syndic'));
    // So is a lock file (the bundled packages' own dependencies may change with it alone).
    await writeFile(path.join(dir, 'package-lock.json'), JSON.stringify({ name: 'syndic', lockfileVersion: 3 }));
    expect((await bin()).stdout).toBe('two seven\n');
    const cache = await readdir(path.join(dir, 'node_modules/.cache/syndic'));
    expect(cache.filter((n) => n.endsWith('.tmp'))).toEqual([]);
    expect(cache.filter((n) => !before.includes(n))).toHaveLength(1);
    expect(cache.length).toBeGreaterThanOrEqual(6);
  });

  it('reports a source that does not compile and exits non-zero', async () => {
    await writeFile(path.join(dir, 'src/cli/word.ts'), 'export const word = ;\n');
    const r = await bin();
    expect(r.code).not.toBe(0);
    expect(r.stderr).toBe('error: src/ does not compile (1 error), fix it and run again\nsrc/cli/word.ts:1:20: Unexpected ";"\n');
  });
});

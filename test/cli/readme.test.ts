// The README stays true to the code: its settings table is the schema's (regenerate with
// `npm run docs:settings`), the deploy keys in docs/deploy.md are the CDK app's, and every link resolves.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { INFRA_KEYS } from '../../infra/config.js';
import { settingsTable, withSettingsTable } from '../../src/core/settings-docs.js';
import { SETTING_KEYS } from '../../src/core/settings.js';
import { ROOT } from '../helpers/run-cli.js';

const read = (f: string) => readFileSync(path.join(ROOT, f), 'utf8');

describe('README.md', () => {
  it('has the settings table generated from the schema: every key, its default and its variable', () => {
    const readme = read('README.md');
    expect(readme).toContain(settingsTable());
    expect(withSettingsTable(readme)).toBe(readme);
    for (const key of SETTING_KEYS) expect(settingsTable()).toContain(`| \`${key}\` |`);
  });

  it('documents exactly the deploy keys the CDK app accepts (docs/deploy.md)', () => {
    const deploy = read('docs/deploy.md');
    const from = deploy.slice(deploy.indexOf('| Key | Default | What |'));
    // The table runs until its first line that is not a table row.
    const table = from.slice(0, (from.search(/\n(?!\|)/) + 1 || from.length + 1) - 1);
    const keys = [...table.matchAll(/^\| `(\w+)` \|/gm)].map((m) => m[1]);
    expect(keys.sort()).toEqual([...INFRA_KEYS].sort());
  });

  it('links only to files that exist', () => {
    for (const doc of ['README.md', 'docs/articles.md', 'docs/deploy.md', 'docs/security.md', 'docs/development.md']) {
      for (const [, target] of read(doc).matchAll(/\]\(((?!https?:)[^)#]+)(#[^)]*)?\)/g)) {
        expect(existsSync(path.resolve(ROOT, path.dirname(doc), target!)), `${doc} → ${target}`).toBe(true);
      }
    }
  });
});

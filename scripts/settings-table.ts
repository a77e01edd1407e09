// `npm run docs:settings`: rewrites the configuration table in README.md from the settings schema.
import { readFile, writeFile } from 'node:fs/promises';
import { withSettingsTable } from '../src/core/settings-docs.js';

const file = new URL('../README.md', import.meta.url);
const before = await readFile(file, 'utf8');
const after = withSettingsTable(before);
await writeFile(file, after);
console.log(before === after ? 'README.md: settings table already up to date' : 'README.md: settings table rewritten');

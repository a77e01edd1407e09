// The one config file, syndic.config.json at the project root, read by the CLI, `npm run dev` and
// the CDK app (infra/app.ts) alike. Its keys are the site settings (src/core/settings.ts), plus
// `deploy` for the CDK app's infrastructure knobs. Precedence: file < SYNDIC_* environment < flags.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError, IoError } from '../errors.js';
import { closest, envName, resolveSettings, SETTING_KEYS, SettingsError, settingsFromEnv, type Settings } from '../core/settings.js';

export const CONFIG_FILE = 'syndic.config.json';

/** Top-level keys that are not site settings. */
const EXTRA_KEYS = ['deploy'] as const;

/** What a config file holds, split by who reads it. */
export interface ConfigFile {
  /** The file read, relative to the working folder when inside it; undefined when there is none. */
  file?: string;
  /** Site settings as written (validated by resolveSettings). */
  settings: Record<string, unknown>;
  /** The `deploy` object for the CDK app (validated there, by infra/config.ts). */
  deploy: Record<string, unknown>;
}

/** "line 3 column 7" for a JSON.parse error that gives a character position. */
function jsonPosition(text: string, message: string): string {
  const m = /position (\d+)/.exec(message);
  if (!m) return '';
  const before = text.slice(0, Number(m[1]));
  const line = before.split('\n').length;
  return ` at line ${line} column ${before.length - before.lastIndexOf('\n')}`;
}

/**
 * Reads `explicit` (a `--config FILE`: it must exist) or else `syndic.config.json` in `cwd` (optional).
 * Unknown keys are errors naming the closest valid key; values are checked by resolveSettings.
 */
export async function readConfigFile(cwd: string, explicit?: string): Promise<ConfigFile> {
  const abs = path.resolve(cwd, explicit ?? CONFIG_FILE);
  const rel = path.relative(cwd, abs);
  const shown = rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : abs;
  let text: string;
  try {
    text = await readFile(abs, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && !explicit) return { settings: {}, deploy: {} };
    if (code === 'ENOENT') throw new ConfigError(`config file ${shown} does not exist`, 'check the path given to --config');
    if (code === 'EISDIR') throw new ConfigError(`config file ${shown} is a folder`, 'give --config a JSON file');
    throw new IoError(`cannot read config file ${shown} (${code ?? (e as Error).message})`, 'check its permissions');
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    const msg = (e as Error).message.split('\n')[0]!;
    throw new ConfigError(`${shown} is not valid JSON${jsonPosition(text, msg)} (${msg})`, 'fix the file; its keys are listed in README.md, section Configuration');
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    throw new ConfigError(`${shown} must hold a JSON object of settings`, 'e.g. { "title": "My feeds", "siteUrl": "https://feeds.example.com" }');
  const settings: Record<string, unknown> = {};
  let deploy: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(json)) {
    if (key === 'deploy') {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ConfigError(`"deploy" in ${shown} must be an object`, 'see docs/deploy.md');
      deploy = value as Record<string, unknown>;
    } else if ((SETTING_KEYS as readonly string[]).includes(key)) {
      settings[key] = value;
    } else {
      const near = closest(key, [...SETTING_KEYS, ...EXTRA_KEYS]);
      throw new ConfigError(`unknown key "${key}" in ${shown}`, near ? `did you mean "${near}"?` : `valid keys: ${[...SETTING_KEYS, 'deploy'].join(', ')}`);
    }
  }
  // Checked here, so that an error names the file rather than the merged result.
  withSource(shown, () => resolveSettings(settings));
  return { file: shown, settings, deploy };
}

/** Runs `fn`, adding `where` to a settings error's message. */
export function withSource<T>(where: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof SettingsError) throw new SettingsError(`${e.message} in ${where}`, e.hint ?? 'see README.md, section Configuration');
    throw e;
  }
}

export interface LoadOptions {
  /** A `--config FILE` path: read instead of syndic.config.json. */
  configFile?: string;
  /** Environment to read SYNDIC_* variables from (default: none). */
  env?: Record<string, string | undefined>;
  /** Values from command-line flags, by setting name; undefined entries are ignored. */
  flags?: Record<string, unknown>;
  /** How a setting's flag is named in errors (default: `--set key=…`). */
  flagName?: (key: string) => string;
}

export interface Loaded {
  settings: Settings;
  config: ConfigFile;
}

/** Settings from the config file, then SYNDIC_* variables, then flags: each later source wins. */
export async function loadConfig(cwd: string, options: LoadOptions = {}): Promise<Loaded> {
  const config = await readConfigFile(cwd, options.configFile);
  const fromEnv = settingsFromEnv(options.env ?? {});
  for (const [key, value] of Object.entries(fromEnv)) withSource(envName(key as keyof Settings), () => resolveSettings({ [key]: value }));
  const flags = options.flags ?? {};
  const flagName = options.flagName ?? ((key: string) => `--set ${key}=…`);
  for (const [key, value] of Object.entries(flags)) withSource(flagName(key), () => resolveSettings({ [key]: value }));
  return { settings: resolveSettings(config.settings, fromEnv, flags), config };
}

/** The settings alone, from the config file (or `configFile`) and `overrides` (tests, benchmarks). */
export async function loadSettings(cwd: string, overrides: Record<string, unknown> = {}, configFile?: string): Promise<Settings> {
  return (await loadConfig(cwd, { flags: overrides, ...(configFile ? { configFile } : {}) })).settings;
}

// Site settings: one schema for syndic.config.json, SYNDIC_* variables, CLI flags, CDK context and the Lambda environment.
// Pure: callers pass in the raw objects (JSON, env); nothing here reads files or process.env.
import { ConfigError } from '../errors.js';

export interface Settings {
  title: string;
  description: string;
  /** Absolute base URL of the published site, without a trailing slash. */
  siteUrl: string;
  /** BCP 47 language tag for feeds and pages. */
  language: string;
  /** IANA zone used to read dates written without an offset (`2024-03-01 08:00:00`). */
  timezone: string;
  /** Most items per feed. */
  feedLimit: number;
  /** Feed-level author, used when an article names none (Atom requires one). */
  author: string;
  /** Class selectors (`.appendQr_wrap`) whose elements, with their content, are removed from articles. */
  dropSelectors: string[];
  /** Articles larger than this are rejected unread. */
  maxArticleBytes: number;
  /** Articles naming more category nodes than this are rejected. */
  maxCategories: number;
  /** Length in characters of the plain-text summary. */
  summaryLength: number;
  /** Optional WebSub hub URL; empty means none. */
  websubHub: string;
  /**
   * Random-placeholder image services (`host` or `host/path-prefix`, subdomains included): a lead
   * image from one of them is dropped, since it shows a different random picture on every load.
   */
  placeholderImageHosts: string[];
  /** Also publish one feed per tag, under `tags/<slug>/` (with a page, and listed in feeds.opml). */
  tagFeeds: boolean;
  /** `full`: items carry the whole article; `summary`: only the summary (or the `<!--more-->` excerpt). */
  content: 'full' | 'summary';
  /** A small square image for the feeds (favicon): absolute URL or a path from the site root; empty: none. */
  icon: string;
  /** A larger image for the feeds (a logo or banner): absolute URL or a path from the site root; empty: none. */
  logo: string;
  /** A rights statement for the feeds (`© 2024 Jane Doe`); empty: none. */
  copyright: string;
  /**
   * Where article pages live, as a pattern (`:year/:month/:day/:title/`, Hexo's default); empty keeps
   * `articles/<id>/`. Tokens and the Hexo and Hugo mappings: docs/feeds.md.
   */
  permalink: string;
}

/** The default placeholderImageHosts: services that serve random or dummy images. */
export const PLACEHOLDER_IMAGE_HOSTS: readonly string[] = Object.freeze([
  'picsum.photos', 'placeholder.com', 'placehold.co', 'placehold.it', 'placekitten.com', 'placebear.com', 'placedog.net',
  'placeimg.com', 'lorempixel.com', 'loremflickr.com', 'dummyimage.com', 'fakeimg.pl', 'source.unsplash.com',
  'fillmurray.com', 'placecage.com', 'baconmockup.com', 'dummyjson.com/image',
]);

export const DEFAULT_SETTINGS: Readonly<Settings> = Object.freeze({
  title: 'Syndic',
  description: 'Articles published with Syndic',
  siteUrl: 'http://127.0.0.1:8080',
  language: 'zh-CN',
  timezone: 'UTC',
  feedLimit: 20,
  author: 'Syndic',
  dropSelectors: [],
  maxArticleBytes: 5 * 1024 * 1024,
  maxCategories: 10,
  summaryLength: 200,
  websubHub: '',
  placeholderImageHosts: [...PLACEHOLDER_IMAGE_HOSTS],
  tagFeeds: false,
  content: 'full',
  icon: '',
  logo: '',
  copyright: '',
  permalink: '',
});

type Kind = 'string' | 'url' | 'optionalUrl' | 'int' | 'list' | 'timezone' | 'bool' | 'contentMode' | 'optionalLink' | 'permalink';
const SCHEMA: Record<keyof Settings, Kind> = {
  title: 'string',
  description: 'string',
  siteUrl: 'url',
  language: 'string',
  timezone: 'timezone',
  feedLimit: 'int',
  author: 'string',
  dropSelectors: 'list',
  maxArticleBytes: 'int',
  maxCategories: 'int',
  summaryLength: 'int',
  websubHub: 'optionalUrl',
  placeholderImageHosts: 'list',
  tagFeeds: 'bool',
  content: 'contentMode',
  icon: 'optionalLink',
  logo: 'optionalLink',
  copyright: 'string',
  permalink: 'permalink',
};

/** The tokens a `permalink` pattern may use (docs/feeds.md). */
export const PERMALINK_TOKENS = [
  'year', 'month', 'day', 'i_month', 'i_day', 'hour', 'minute', 'second', 'title', 'name', 'filename', 'slug', 'slugorfilename', 'titleslug', 'section', 'sections',
] as const;

export const SETTING_KEYS = Object.keys(SCHEMA) as (keyof Settings)[];

/** `siteUrl` → `SYNDIC_SITE_URL`: the documented environment name of each setting. */
export function envName(key: keyof Settings): string {
  return 'SYNDIC_' + key.replace(/[A-Z]/g, (c) => '_' + c).toUpperCase();
}

/** A setting that cannot be used (exit 2 on the command line); `hint` says what to do. */
export class SettingsError extends ConfigError {}

/** Edit distance (insertions, deletions, substitutions, adjacent swaps), case-insensitive. */
function distance(a: string, b: string): number {
  a = a.toLowerCase();
  b = b.toLowerCase();
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  return d[a.length]![b.length]!;
}

/**
 * The candidate closest to `word`, if it is close enough to be a typo (at most a third of its
 * letters differ), else undefined. Used for "unknown setting titel, did you mean title?".
 */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const dist = distance(word, c);
    if (dist < bestD) [best, bestD] = [c, dist];
  }
  return best !== undefined && bestD <= Math.max(1, Math.floor(word.length / 3)) ? best : undefined;
}

/** The hint for an unknown setting `key`: the closest valid one, else the list of valid ones. */
export function unknownSettingHint(key: string): string {
  const near = closest(key, SETTING_KEYS);
  return near ? `did you mean ${near}?` : `valid settings: ${SETTING_KEYS.join(', ')}`;
}

/**
 * True for a URL on this machine only (localhost, 127.0.0.0/8, [::1], 0.0.0.0): feeds that name
 * it are useless to anyone else, so a deploy and `syndic build --production` refuse it.
 */
export function isLoopbackUrl(url: string): boolean {
  let host: string;
  try {
    host = new URL(url).hostname.toLowerCase();
  } catch {
    return false;
  }
  return host === 'localhost' || host.endsWith('.localhost') || /^127(\.\d{1,3}){3}$/.test(host) || host === '[::1]' || host === '0.0.0.0' || host === '[::]';
}

function coerce(key: keyof Settings, kind: Kind, raw: unknown): unknown {
  const fail = (why: string): never => {
    throw new SettingsError(`setting ${key}: ${why} (got ${JSON.stringify(raw)})`);
  };
  switch (kind) {
    case 'string':
      if (typeof raw !== 'string') fail('expected a string');
      return raw;
    case 'url':
    case 'optionalUrl': {
      if (typeof raw !== 'string') return fail('expected a URL string');
      if (kind === 'optionalUrl' && raw === '') return '';
      let u: URL;
      try {
        u = new URL(raw);
      } catch {
        return fail('expected an absolute http(s) URL');
      }
      if (u.protocol !== 'http:' && u.protocol !== 'https:') fail('expected an http(s) URL');
      return raw.replace(/\/+$/, '');
    }
    case 'int': {
      const n = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
      if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) fail('expected a positive integer');
      return n;
    }
    case 'list': {
      let v = raw;
      if (typeof v === 'string') v = v.trim().startsWith('[') ? JSON.parse(v) : v.split(',').map((s) => s.trim()).filter(Boolean);
      if (!Array.isArray(v) || !v.every((s) => typeof s === 'string')) fail('expected a list of strings');
      return v;
    }
    case 'bool': {
      if (typeof raw === 'boolean') return raw;
      const v = typeof raw === 'string' ? raw.trim().toLowerCase() : raw;
      if (v === 'true' || v === '1' || v === 'yes') return true;
      if (v === 'false' || v === '0' || v === 'no' || v === '') return false;
      return fail('expected true or false');
    }
    case 'contentMode':
      if (raw !== 'full' && raw !== 'summary') fail('expected "full" or "summary"');
      return raw;
    case 'optionalLink': {
      if (typeof raw !== 'string') return fail('expected a URL or a path from the site root');
      if (raw === '' || /^\/(?!\/)/.test(raw)) return raw;
      let u: URL;
      try {
        u = new URL(raw);
      } catch {
        return fail('expected an absolute http(s) URL or a path starting with /');
      }
      if (u.protocol !== 'http:' && u.protocol !== 'https:') fail('expected an http(s) URL');
      return raw;
    }
    case 'permalink': {
      if (typeof raw !== 'string') return fail('expected a pattern such as ":year/:month/:day/:title/"');
      const p = raw.trim().replace(/^\/+/, '');
      for (const m of p.matchAll(/:([a-z_]+)/g))
        if (!(PERMALINK_TOKENS as readonly string[]).includes(m[1]!)) fail(`unknown token :${m[1]} (known: ${PERMALINK_TOKENS.map((t) => ':' + t).join(' ')})`);
      if (p !== '' && !/:(title|name|filename|slug|slugorfilename|titleslug)\b/.test(p)) fail('the pattern needs :title, :name or :slug (or :filename, :slugorfilename, :titleslug), or every article would get the same address');
      if (/^(categories|tags)(\/|$)/.test(p)) fail('categories/ and tags/ hold the category and tag feeds');
      return p;
    }
    case 'timezone': {
      if (typeof raw !== 'string') return fail('expected an IANA time zone');
      try {
        new Intl.DateTimeFormat('en-US', { timeZone: raw });
      } catch {
        fail('unknown IANA time zone');
      }
      return raw;
    }
  }
}

/** Validates and completes partial settings, later sources overriding earlier ones. Unknown keys are errors. */
export function resolveSettings(...sources: (Partial<Record<string, unknown>> | undefined)[]): Settings {
  const out: Record<string, unknown> = { ...DEFAULT_SETTINGS };
  for (const src of sources) {
    if (!src) continue;
    for (const [key, raw] of Object.entries(src)) {
      if (raw === undefined) continue;
      if (!Object.hasOwn(SCHEMA, key)) throw new SettingsError(`unknown setting ${key}`, unknownSettingHint(key));
      const k = key as keyof Settings;
      out[k] = coerce(k, SCHEMA[k], raw);
    }
  }
  return out as unknown as Settings;
}

/** Reads the SYNDIC_* variables of an environment (the Lambda function's). */
export function settingsFromEnv(env: Record<string, string | undefined>): Partial<Settings> {
  const out: Record<string, unknown> = {};
  for (const key of SETTING_KEYS) {
    const v = env[envName(key)];
    if (v !== undefined) out[key] = v;
  }
  return out as Partial<Settings>;
}

/** The inverse of settingsFromEnv, for the CDK stack. */
export function settingsToEnv(settings: Settings): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of SETTING_KEYS) {
    const v = settings[key];
    out[envName(key)] = Array.isArray(v) ? JSON.stringify(v) : String(v);
  }
  return out;
}

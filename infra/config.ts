// The deploy-time configuration. Lowest first, each later source winning:
//   1. syndic.config.json at the project root (site settings, and `deploy` for the knobs below),
//      read by infra/app.ts and handed to the app as context (CONFIG_CONTEXT), as the CLI reads it;
//   2. SYNDIC_* environment variables (site settings), read by infra/app.ts the same way;
//   3. CDK context: `syndic` (site settings) and `syndicInfra` (deploy knobs), each an object or a
//      JSON string (`-c syndic='{"feedLimit":30}'`), and single values by dotted keys
//      (`-c syndic.feedLimit=30`, `-c syndicInfra.alarmEmail=me@example.com`).
// Site settings and deploy knobs stay apart so that infra-only knobs never reach resolveSettings
// (which rejects unknown keys).
import { createHash } from 'node:crypto';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Node } from 'constructs';
import { readConfigFile, withSource } from '../src/cli/config.js';
import { closest, envName, isLoopbackUrl, resolveSettings, SETTING_KEYS, settingsFromEnv, type Settings } from '../src/core/settings.js';
import { ConfigError } from '../src/errors.js';

export { ConfigError };

export interface InfraSettings {
  /** Days a replaced or deleted object's old version is kept before it expires. */
  oldVersionDays: number;
  /** Days the function's logs and the access logs are kept. */
  logRetentionDays: number;
  /** Optional custom domain (e.g. feeds.example.com); needs certificateArn. */
  domainName?: string;
  /** ACM certificate for domainName; CloudFront requires it to be in us-east-1. */
  certificateArn?: string;
  /** Optional address subscribed to the alarms topic. */
  alarmEmail?: string;
}

export const INFRA_DEFAULTS: InfraSettings = { oldVersionDays: 30, logRetentionDays: 90 };
export const INFRA_KEYS = ['oldVersionDays', 'logRetentionDays', 'domainName', 'certificateArn', 'alarmEmail'] as const;

/** The context key under which infra/app.ts passes the config file and the environment's settings. */
export const CONFIG_CONTEXT = 'syndic:config';

interface ConfigContext {
  /** The file read (for error messages), if any. */
  file?: string;
  settings?: Record<string, unknown>;
  deploy?: Record<string, unknown>;
  /** Settings from SYNDIC_* variables. */
  env?: Record<string, unknown>;
}

/** What infra/app.ts hands the app: syndic.config.json (in `cwd`) and the SYNDIC_* variables of `env`, checked. */
export async function configContext(cwd: string, env: Record<string, string | undefined>): Promise<Record<string, unknown>> {
  const config = await readConfigFile(cwd);
  const fromEnv = settingsFromEnv(env);
  for (const [key, value] of Object.entries(fromEnv)) withSource(envName(key as keyof Settings), () => resolveSettings({ [key]: value }));
  const ctx: ConfigContext = { ...(config.file ? { file: config.file } : {}), settings: config.settings, deploy: config.deploy, env: fromEnv };
  return { [CONFIG_CONTEXT]: ctx };
}

function configOf(node: Node): ConfigContext {
  return (node.tryGetContext(CONFIG_CONTEXT) as ConfigContext | undefined) ?? {};
}

/** The object under `key`, merged with `key.<name>` overrides. */
function contextObject(node: Node, key: string, names: readonly string[]): Record<string, unknown> {
  let raw: unknown = node.tryGetContext(key);
  if (typeof raw === 'string') {
    try {
      raw = raw.trim() === '' ? {} : JSON.parse(raw);
    } catch {
      throw new ConfigError(`context ${key}: expected a JSON object, got ${JSON.stringify(raw)}`);
    }
  }
  if (raw === undefined || raw === null) raw = {};
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new ConfigError(`context ${key}: expected an object`);
  const out: Record<string, unknown> = { ...(raw as Record<string, unknown>) };
  for (const name of names) {
    const v: unknown = node.tryGetContext(`${key}.${name}`);
    if (v !== undefined) out[name] = v;
  }
  return out;
}

function positiveInt(key: string, raw: unknown): number {
  const n = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) throw new ConfigError(`deploy.${key}: expected a positive integer, got ${JSON.stringify(raw)}`);
  return n;
}

function optionalString(key: string, raw: unknown): string | undefined {
  if (raw === undefined || raw === null || raw === '') return undefined;
  if (typeof raw !== 'string') throw new ConfigError(`deploy.${key}: expected a string`);
  return raw.trim();
}

/** The site settings: config file < SYNDIC_* variables < `syndic` context. */
export function readSettings(node: Node): Settings {
  const cfg = configOf(node);
  const context = contextObject(node, 'syndic', SETTING_KEYS);
  withSource('CDK context "syndic" (cdk.json or -c)', () => resolveSettings(context));
  return resolveSettings(cfg.settings, cfg.env, context);
}

/**
 * The siteUrl a deploy was given explicitly (config file, SYNDIC_SITE_URL or `-c`), or undefined:
 * the stack then uses https://<domainName or the CloudFront domain>. A loopback URL is refused,
 * since feeds naming it reach nobody; so is one whose host is not deploy.domainName.
 */
export function explicitSiteUrl(node: Node, domainName?: string): string | undefined {
  const cfg = configOf(node);
  const context = contextObject(node, 'syndic', SETTING_KEYS);
  const sources: [string, unknown][] = [
    ['CDK context "syndic"', context.siteUrl],
    [envName('siteUrl'), cfg.env?.siteUrl],
    [cfg.file ?? 'syndic.config.json', cfg.settings?.siteUrl],
  ];
  const found = sources.find(([, v]) => v !== undefined);
  if (!found) return undefined;
  const [where, raw] = found;
  const url = withSource(where, () => resolveSettings({ siteUrl: raw })).siteUrl;
  if (isLoopbackUrl(url))
    throw new ConfigError(
      `siteUrl ${url} is a loopback address and a deployed site needs its public URL, in ${where}`,
      'remove siteUrl to use the CloudFront domain (or deploy.domainName), or set the address your readers use',
    );
  if (domainName && new URL(url).hostname !== domainName.toLowerCase())
    throw new ConfigError(`siteUrl ${url} is not on deploy.domainName ${domainName}, in ${where}`, 'remove siteUrl or make the two agree');
  return url;
}

/** The deploy knobs: the config file's `deploy` < `syndicInfra` context. */
export function readInfra(node: Node): InfraSettings {
  const cfg = configOf(node);
  const raw = { ...(cfg.deploy ?? {}), ...contextObject(node, 'syndicInfra', INFRA_KEYS) };
  for (const k of Object.keys(raw)) {
    if (!(INFRA_KEYS as readonly string[]).includes(k)) {
      const near = closest(k, INFRA_KEYS);
      throw new ConfigError(`unknown deploy setting ${k}`, near ? `did you mean ${near}?` : `valid deploy settings: ${INFRA_KEYS.join(', ')}`);
    }
  }
  const out: InfraSettings = {
    oldVersionDays: positiveInt('oldVersionDays', raw.oldVersionDays ?? INFRA_DEFAULTS.oldVersionDays),
    logRetentionDays: positiveInt('logRetentionDays', raw.logRetentionDays ?? INFRA_DEFAULTS.logRetentionDays),
    domainName: optionalString('domainName', raw.domainName),
    certificateArn: optionalString('certificateArn', raw.certificateArn),
    alarmEmail: optionalString('alarmEmail', raw.alarmEmail),
  };
  // CloudWatch Logs accepts only certain retention periods; say which instead of failing the deploy.
  const allowed = Object.values(RetentionDays).filter((v): v is number => typeof v === 'number' && v !== RetentionDays.INFINITE);
  if (!allowed.includes(out.logRetentionDays)) {
    throw new ConfigError(`deploy.logRetentionDays: one of ${allowed.join(', ')}`);
  }
  // A domain without a certificate (or the reverse) cannot serve HTTPS: fail at synth, not at deploy.
  if (!!out.domainName !== !!out.certificateArn) throw new ConfigError('deploy: domainName and certificateArn go together');
  if (out.certificateArn && !/^arn:aws[a-z-]*:acm:us-east-1:/.test(out.certificateArn)) {
    throw new ConfigError('deploy.certificateArn: CloudFront needs an ACM certificate in us-east-1');
  }
  return out;
}

/** Stable digest of the settings the function sees; the rebuild trigger is keyed on it. */
export function settingsHash(env: Record<string, string>): string {
  const sorted = Object.fromEntries(Object.entries(env).sort(([a], [b]) => a.localeCompare(b)));
  return createHash('sha256').update(JSON.stringify(sorted)).digest('hex').slice(0, 16);
}

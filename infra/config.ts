// Reads the deploy-time configuration from CDK context. Two keys, so that infra-only knobs
// never reach resolveSettings (which rejects unknown keys):
//   syndic       site settings, the same schema as the CLI and the function's SYNDIC_* env
//   syndicInfra  oldVersionDays, logRetentionDays, domainName, certificateArn, alarmEmail
// Each key may be an object (cdk.json) or a JSON string (`-c syndic='{"feedLimit":30}'`), and
// single values may be overridden with dotted keys (`-c syndic.feedLimit=30`), which unlike a
// whole-object `-c` keep the rest of cdk.json's settings.
import { createHash } from 'node:crypto';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Node } from 'constructs';
import { resolveSettings, SETTING_KEYS, type Settings } from '../src/core/settings.js';

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
const INFRA_KEYS = ['oldVersionDays', 'logRetentionDays', 'domainName', 'certificateArn', 'alarmEmail'] as const;

export class ConfigError extends Error {}

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
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) throw new ConfigError(`syndicInfra.${key}: expected a positive integer, got ${JSON.stringify(raw)}`);
  return n;
}

function optionalString(key: string, raw: unknown): string | undefined {
  if (raw === undefined || raw === null || raw === '') return undefined;
  if (typeof raw !== 'string') throw new ConfigError(`syndicInfra.${key}: expected a string`);
  return raw.trim();
}

export function readSettings(node: Node): Settings {
  return resolveSettings(contextObject(node, 'syndic', SETTING_KEYS));
}

export function readInfra(node: Node): InfraSettings {
  const raw = contextObject(node, 'syndicInfra', INFRA_KEYS);
  for (const k of Object.keys(raw)) {
    if (!(INFRA_KEYS as readonly string[]).includes(k)) throw new ConfigError(`unknown syndicInfra setting ${k}`);
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
    throw new ConfigError(`syndicInfra.logRetentionDays: one of ${allowed.join(', ')}`);
  }
  // A domain without a certificate (or the reverse) cannot serve HTTPS: fail at synth, not at deploy.
  if (!!out.domainName !== !!out.certificateArn) throw new ConfigError('syndicInfra: domainName and certificateArn go together');
  if (out.certificateArn && !/^arn:aws[a-z-]*:acm:us-east-1:/.test(out.certificateArn)) {
    throw new ConfigError('syndicInfra.certificateArn: CloudFront needs an ACM certificate in us-east-1');
  }
  return out;
}

/** Stable digest of the settings the function sees; the rebuild trigger is keyed on it. */
export function settingsHash(env: Record<string, string>): string {
  const sorted = Object.fromEntries(Object.entries(env).sort(([a], [b]) => a.localeCompare(b)));
  return createHash('sha256').update(JSON.stringify(sorted)).digest('hex').slice(0, 16);
}

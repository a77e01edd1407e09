// Reading the stack's configuration from CDK context: cdk.json objects, -c JSON strings,
// dotted -c overrides, validation, and the settings hash that keys the rebuild.
import { App } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { ConfigError, INFRA_DEFAULTS, readInfra, readSettings, settingsHash } from '../../infra/config.js';
import { SettingsError } from '../../src/core/settings.js';

const node = (context: Record<string, unknown>) => new App({ context }).node;

describe('readSettings', () => {
  it('takes the syndic object from cdk.json', () => {
    const s = readSettings(node({ syndic: { title: 'T', feedLimit: 5 } }));
    expect(s.title).toBe('T');
    expect(s.feedLimit).toBe(5);
  });

  it('accepts a JSON string, as `cdk deploy -c syndic=...` passes it', () => {
    expect(readSettings(node({ syndic: '{"title":"From -c"}' })).title).toBe('From -c');
  });

  it('lets dotted keys override single settings and keep the rest', () => {
    const s = readSettings(node({ syndic: { title: 'T', feedLimit: 5 }, 'syndic.feedLimit': '30' }));
    expect(s).toMatchObject({ title: 'T', feedLimit: 30 });
  });

  it('rejects unknown or invalid settings at synth time', () => {
    expect(() => readSettings(node({ syndic: { oldVersionDays: 3 } }))).toThrow(SettingsError);
    expect(() => readSettings(node({ syndic: { feedLimit: 0 } }))).toThrow(SettingsError);
    expect(() => readSettings(node({ syndic: '{not json' }))).toThrow(ConfigError);
  });
});

describe('readInfra', () => {
  it('has defaults', () => {
    expect(readInfra(node({}))).toEqual({ ...INFRA_DEFAULTS, domainName: undefined, certificateArn: undefined, alarmEmail: undefined });
  });

  it('reads syndicInfra and dotted overrides', () => {
    const i = readInfra(node({ syndicInfra: { oldVersionDays: 7 }, 'syndicInfra.logRetentionDays': '30' }));
    expect(i).toMatchObject({ oldVersionDays: 7, logRetentionDays: 30 });
  });

  it('needs domainName and a us-east-1 certificate together', () => {
    expect(() => readInfra(node({ syndicInfra: { domainName: 'feeds.example.com' } }))).toThrow(/together/);
    const arn = 'arn:aws:acm:eu-west-1:123456789012:certificate/x';
    expect(() => readInfra(node({ syndicInfra: { domainName: 'feeds.example.com', certificateArn: arn } }))).toThrow(/us-east-1/);
  });

  it('rejects unknown keys and retention periods CloudWatch does not offer', () => {
    expect(() => readInfra(node({ syndicInfra: { title: 'x' } }))).toThrow(/unknown/);
    expect(() => readInfra(node({ syndicInfra: { logRetentionDays: 10 } }))).toThrow(/one of/);
  });
});

describe('settingsHash', () => {
  it('depends on the values, not on key order', () => {
    expect(settingsHash({ A: '1', B: '2' })).toBe(settingsHash({ B: '2', A: '1' }));
    expect(settingsHash({ A: '1', B: '2' })).not.toBe(settingsHash({ A: '1', B: '3' }));
  });
});

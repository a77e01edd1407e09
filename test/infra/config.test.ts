// Reading the stack's configuration: syndic.config.json and SYNDIC_* variables (as infra/app.ts
// passes them), CDK context objects, -c JSON strings, dotted -c overrides, validation, the loopback
// refusal, and the settings hash that keys the rebuild.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { App } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { configContext, ConfigError, explicitSiteUrl, INFRA_DEFAULTS, readInfra, readSettings, settingsHash } from '../../infra/config.js';
import { buildApp } from '../../infra/stack.js';
import { SettingsError } from '../../src/core/settings.js';
import { ROOT } from './synth.js';

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

/** A project folder holding `config` as its syndic.config.json; returns its context as infra/app.ts builds it. */
async function fromFile(config: unknown, env: Record<string, string> = {}): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(path.join(tmpdir(), 'syndic-infra-config-'));
  try {
    writeFileSync(path.join(dir, 'syndic.config.json'), JSON.stringify(config));
    return await configContext(dir, env);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('syndic.config.json in the CDK app', () => {
  it('reads the file, lets SYNDIC_* override it and CDK context override both', async () => {
    const ctx = await fromFile({ title: 'file', author: 'file', feedLimit: 3, deploy: { oldVersionDays: 7 } }, { SYNDIC_TITLE: 'env', SYNDIC_FEED_LIMIT: '4' });
    expect(readSettings(node(ctx))).toMatchObject({ title: 'env', author: 'file', feedLimit: 4 });
    expect(readSettings(node({ ...ctx, 'syndic.feedLimit': '5' }))).toMatchObject({ title: 'env', feedLimit: 5 });
    expect(readInfra(node(ctx)).oldVersionDays).toBe(7);
    expect(readInfra(node({ ...ctx, 'syndicInfra.oldVersionDays': '9' })).oldVersionDays).toBe(9);
  });

  it('rejects unknown keys in the file and in deploy, naming the closest one', async () => {
    await expect(fromFile({ titel: 'x' })).rejects.toThrow(/unknown key "titel" in syndic\.config\.json/);
    const err = await fromFile({ titel: 'x' }).catch((e: unknown) => e as ConfigError);
    expect(err.hint).toBe('did you mean "title"?');
    const ctx = await fromFile({ deploy: { alarmEmial: 'me@example.com' } });
    expect(() => readInfra(node(ctx))).toThrow(expect.objectContaining({ message: 'unknown deploy setting alarmEmial', hint: 'did you mean alarmEmail?' }));
    await expect(fromFile({}, { SYNDIC_FEED_LIMIT: 'x' })).rejects.toThrow(/in SYNDIC_FEED_LIMIT$/);
  });

  it('uses an explicit public siteUrl and refuses a loopback one, from any source', async () => {
    expect(explicitSiteUrl(node(await fromFile({})))).toBeUndefined();
    expect(explicitSiteUrl(node(await fromFile({ siteUrl: 'https://feeds.example.com/' })))).toBe('https://feeds.example.com');
    const loopbacks: [Record<string, unknown>, RegExp][] = [
      [await fromFile({ siteUrl: 'http://127.0.0.1:8080' }), /in syndic\.config\.json$/],
      [await fromFile({}, { SYNDIC_SITE_URL: 'http://localhost:8080' }), /in SYNDIC_SITE_URL$/],
      [{ ...(await fromFile({ siteUrl: 'https://feeds.example.com' })), 'syndic.siteUrl': 'http://[::1]:8080' }, /in CDK context "syndic"$/],
    ];
    for (const [ctx, where] of loopbacks) {
      expect(() => explicitSiteUrl(node(ctx))).toThrow(/^siteUrl http:\/\/.* is a loopback address and a deployed site needs its public URL/);
      expect(() => explicitSiteUrl(node(ctx))).toThrow(where);
      // The stack refuses it before building anything.
      expect(() => buildApp({ nag: false, context: ctx })).toThrow(ConfigError);
    }
    expect(() => explicitSiteUrl(node({ syndic: { siteUrl: 'https://a.example.com' } }), 'b.example.com')).toThrow(/not on deploy\.domainName b\.example\.com/);
  });

  it('infra/app.ts (what cdk synth and cdk deploy run) prints one line and exits 2 on a loopback siteUrl', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'syndic-app-'));
    try {
      writeFileSync(path.join(dir, 'syndic.config.json'), JSON.stringify({ title: 'Mine', siteUrl: 'http://localhost:8080' }));
      const env: NodeJS.ProcessEnv = { ...process.env, SYNDIC_DEBUG: '', CDK_OUTDIR: path.join(dir, 'cdk.out') };
      for (const k of Object.keys(env)) if (k.startsWith('SYNDIC_') && k !== 'SYNDIC_DEBUG') delete env[k];
      const r = spawnSync(process.execPath, [path.join(ROOT, 'node_modules/tsx/dist/cli.mjs'), path.join(ROOT, 'infra/app.ts')], { cwd: dir, env, encoding: 'utf8', timeout: 120_000 });
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr).toBe(
        'error: siteUrl http://localhost:8080 is a loopback address and a deployed site needs its public URL, in syndic.config.json, ' +
          'remove siteUrl to use the CloudFront domain (or deploy.domainName), or set the address your readers use\n',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
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

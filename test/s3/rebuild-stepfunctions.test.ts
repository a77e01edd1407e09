// `syndic rebuild --bucket B` end to end on Step Functions semantics: the real bin finds the state
// machine the stack recorded in the bucket (state/deployment.json, written here from the custom
// resource's own call in the synthesized template), starts an execution with the real
// @aws-sdk/client-sfn through AWS_ENDPOINT_URL_SFN, and follows it. The execution runs in the
// emulator (test/helpers/sfn-emulator.ts) from the synthesized definition: its ItemReader lists
// content/ of the local S3 server, its ItemBatcher makes several batches, each task invokes the real
// handler in-process with the payload the definition builds and the function's environment from
// the template. One batch dies midway once and the Retry converges; public/ and state/ must then be
// byte-identical to the single-invocation rebuild (`syndic rebuild --in-process`) of the same content.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEPLOYMENT_KEY } from '../../src/core/layout.js';
import { handle } from '../../src/lambda/handler.js';
import { mapLimit } from '../../src/lambda/nodes.js';
import { silentLogger } from '../../src/log.js';
import { S3Store } from '../../src/store/s3-store.js';
import type { Store } from '../../src/store/store.js';
import { FaultStore } from '../helpers/fault-store.js';
import { ROOT, runSyndic } from '../helpers/run-cli.js';
import { startS3Server, type TestS3Server } from '../helpers/s3-server.js';
import { checkDefinition, resolveCfn, startSfnEmulator, UnsupportedDefinition, type SfnEmulator } from '../helpers/sfn-emulator.js';
import { synth } from '../infra/synth.js';

const CORPUS = path.resolve(ROOT, '../shared/corpus/articles');
const BUCKET = 'sfn-rebuild';
const ARTICLES = 40;
/** The deployed batch is 200 articles; the test's definition takes 6, for 7 batches of 40 articles. */
const BATCH = 6;
const SITE = 'https://feeds.example.com';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let s3: TestS3Server;
let sfn: SfnEmulator;
let definition: Json;
let stateMachineArn: string;
let markerCall: Json;
let functionEnv: Record<string, Record<string, string>>;
let killedBatch: string;
let publisherArn: string;
let reducerArn: string;

const cliEnv = () => ({
  AWS_ENDPOINT_URL_SFN: sfn.endpoint,
  // s3rver's own keys (the emulator does not check signatures).
  AWS_ACCESS_KEY_ID: 'S3RVER',
  AWS_SECRET_ACCESS_KEY: 'S3RVER',
  AWS_REGION: 'us-east-1',
  SYNDIC_REBUILD_STATE_MACHINE: '',
});
const s3Args = ['--bucket', BUCKET, '--endpoint', '', '--site-url', SITE, '--feed-limit', '5'];
const args = (...more: string[]) => ['rebuild', ...s3Args.map((a) => (a === '' ? s3.endpoint : a)), ...more];

async function etags(store: Store, prefix: string): Promise<Map<string, string>> {
  return new Map((await store.list(prefix)).map((o) => [o.key, o.etag]));
}

beforeAll(async () => {
  s3 = await startS3Server({ bucket: BUCKET });
  // The stack as `cdk synth` makes it, with the site URL and feed limit the CLI is given below.
  const x = synth({ 'syndic.siteUrl': SITE, 'syndic.feedLimit': 5 });
  try {
    const t = x.template.toJSON() as { Resources: Record<string, Json> };
    const machineId = x.logicalId(x.stack.workflow.stateMachine);
    const bucketId = x.logicalId(x.stack.storage.bucket);
    const functions = Object.entries(t.Resources).filter(([, r]) => r.Type === 'AWS::Lambda::Function');
    const refs: Record<string, string> = { 'AWS::Partition': 'aws', 'AWS::Region': 'us-east-1', 'AWS::AccountId': '000000000000', [bucketId]: BUCKET };
    const atts: Record<string, string> = Object.fromEntries(functions.map(([id]) => [`${id}.Arn`, `arn:aws:lambda:us-east-1:000000000000:function:${id}`]));
    // Every function the definition may invoke, with its environment as deployed.
    functionEnv = {};
    for (const [id, r] of functions) {
      const vars = (r.Properties.Environment?.Variables ?? {}) as Record<string, unknown>;
      try {
        functionEnv[atts[`${id}.Arn`]!] = Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, resolveCfn(v, refs, atts)]));
      } catch {
        // A function whose environment needs other resources (the custom resource provider): never invoked by the definition.
      }
    }
    publisherArn = atts[`${x.logicalId(x.stack.publisher.fn)}.Arn`]!;
    reducerArn = atts[`${x.logicalId(x.stack.publisher.reducer)}.Arn`]!;
    definition = JSON.parse(resolveCfn(t.Resources[machineId]!.Properties.DefinitionString, refs, atts)) as Json;
    definition.States.MapArticles.ItemBatcher.MaxItemsPerBatch = BATCH;
    refs[machineId] = 'arn:aws:states:us-east-1:000000000000:stateMachine:SyndicRebuild';
    const marker = Object.values(t.Resources).find((r) => r.Type === 'Custom::SyndicDeployment')!;
    markerCall = JSON.parse(resolveCfn(marker.Properties.Create, refs, atts)) as Json;
  } finally {
    x.dispose();
  }

  const files = (await readdir(CORPUS)).filter((f) => f.endsWith('.md')).sort().slice(0, ARTICLES);
  await mapLimit(files, 8, async (f) => s3.store.put(`content/${f}`, await readFile(path.join(CORPUS, f))));
  // The batch that dies midway on its first attempt: the third one (items are listed in key order).
  killedBatch = `content/${files[2 * BATCH]}`;

  sfn = await startSfnEmulator({
    s3: s3.client,
    retryDelayScale: 0,
    childPerPoll: true,
    invoke: async (functionName, payload) => {
      const env = functionEnv[functionName];
      if (!env) throw new Error(`no function ${functionName} in the template`);
      const p = payload as Json;
      const dies = p.action === 'rebuild-map' && p.items?.[0]?.Key === killedBatch && !sfn.invocations.some((i) => i.error && (i.payload as Json).items?.[0]?.Key === killedBatch);
      const store = (b: string): Store => {
        const real = new S3Store(s3.client, b);
        return dies ? new FaultStore(real, { at: 9, mode: 'answer-lost' }) : real;
      };
      return (await handle(payload, { env, storeFor: store, log: silentLogger, ...(dies ? { parallel: 1 } : {}) })) as never;
    },
  });
  stateMachineArn = sfn.register('SyndicRebuild', definition);
}, 300_000);

afterAll(async () => {
  await sfn?.stop();
  await s3?.stop();
});

describe('syndic rebuild --bucket B on the deployed state machine (emulated Step Functions)', () => {
  it('the deploy record names the state machine; the CLI starts it, prints the map progress, and the result is the single-invocation rebuild', { timeout: 600_000 }, async () => {
    // What the custom resource does at deploy: S3 putObject with the template's parameters.
    expect(markerCall).toMatchObject({ service: 'S3', action: 'putObject', parameters: { Bucket: BUCKET, Key: DEPLOYMENT_KEY } });
    expect(JSON.parse(markerCall.parameters.Body)).toEqual({ stateMachineArn, region: 'us-east-1', bucket: BUCKET });
    await s3.store.put(markerCall.parameters.Key, markerCall.parameters.Body, { contentType: markerCall.parameters.ContentType });

    const run = await runSyndic(args('--poll', '0.01'), cliEnv());
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain(`rebuilding on ${stateMachineArn} (from s3://${BUCKET}/${DEPLOYMENT_KEY}`);
    expect(run.stdout).toMatch(new RegExp(`^rebuild arn:aws:states:us-east-1:000000000000:execution:SyndicRebuild:[\\w-]+: SUCCEEDED$`, 'm'));
    // Progress: the map advancing batch by batch (items done / total), then the end with the final counts.
    // (A poll while the item reader is still listing prints `mapping: listing content/`: not counted.)
    const mapping = run.stderr.split('\n').filter((l) => l.startsWith('mapping: ') && l !== 'mapping: listing content/');
    const done = mapping.map((l) => Number(/^mapping: (\d+)\/40 articles, 0 failed \(\d+\/7 batches/.exec(l)?.[1] ?? NaN));
    expect(done.every((n) => Number.isInteger(n))).toBe(true);
    expect(new Set(done).size).toBeGreaterThanOrEqual(3);
    expect(done).toEqual([...done].sort((a, b) => a - b));
    expect(run.stderr).toMatch(/^succeeded, 40\/40 articles, 0 failed \(7\/7 batches\)$/m);

    // What ran: one start (with the execution's input), 7 batches, one of them twice, one reduce.
    const inv = sfn.invocations;
    expect(inv.filter((i) => i.state === 'Start')).toHaveLength(1);
    expect(inv.find((i) => i.state === 'Start')!.payload).toEqual({ action: 'rebuild-start', bucket: BUCKET, input: { bucket: BUCKET, reason: 'syndic rebuild' } });
    const batches = inv.filter((i) => i.state === 'MapBatch');
    expect(batches).toHaveLength(8);
    const killed = batches.filter((i) => (i.payload as Json).items[0].Key === killedBatch);
    expect(killed.map((i) => [i.attempt, i.error])).toEqual([
      [0, 'InjectedFault'], // the function's errorType; caught by the States.TaskFailed retrier
      [1, undefined],
    ]);
    const items = batches.filter((i) => !i.error).flatMap((i) => (i.payload as Json).items as Json[]);
    expect(items).toHaveLength(ARTICLES);
    // The ItemReader's item shape: quoted Etag, LastModified in epoch seconds.
    expect(items[0]).toEqual({ Etag: expect.stringMatching(/^"[0-9a-f]{32}"$/), Key: expect.stringMatching(/^content\//), LastModified: expect.any(Number), Size: expect.any(Number), StorageClass: 'STANDARD' });
    expect(inv.filter((i) => i.state === 'Reduce').map((i) => i.error)).toEqual([undefined]);
    // The reduce runs on the reducer (15 minutes), the other steps on the publisher function.
    expect(new Set(inv.filter((i) => i.state === 'Reduce').map((i) => i.functionName))).toEqual(new Set([reducerArn]));
    expect(new Set(inv.filter((i) => i.state !== 'Reduce').map((i) => i.functionName))).toEqual(new Set([publisherArn]));

    const viaSfn = { pub: await etags(s3.store, 'public/'), state: await etags(s3.store, 'state/') };
    expect(viaSfn.pub.size).toBeGreaterThan(ARTICLES);
    expect([...viaSfn.state.keys()].filter((k) => k.startsWith('state/rebuild/') && k !== 'state/rebuild/epoch.json')).toEqual([]);

    // The same content from scratch, rebuilt in the CLI's process (--in-process overrides the record).
    for (const k of [...viaSfn.pub.keys(), ...viaSfn.state.keys()]) if (k !== DEPLOYMENT_KEY) await s3.store.delete(k);
    const local = await runSyndic(args('--in-process'), cliEnv());
    expect(local.code, local.stderr).toBe(0);
    expect(local.stdout).toContain(`rebuilt s3://${BUCKET}: ${ARTICLES} articles`);
    expect(await etags(s3.store, 'public/')).toEqual(viaSfn.pub);
    expect(await etags(s3.store, 'state/')).toEqual(viaSfn.state);
    await sfn.settled();
  });

  it('an execution whose input names another bucket fails in its start step (BucketMismatch, not retried) and changes nothing', { timeout: 120_000 }, async () => {
    const before = await etags(s3.store, 'state/');
    const n = sfn.invocations.length;
    const run = await runSyndic(['rebuild', '--bucket', 'someone-elses-bucket', '--state-machine', stateMachineArn, '--poll', '0.01'], cliEnv());
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/^failed: BucketMismatch \(.*the execution's input names bucket \\"someone-elses-bucket\\", but this state machine rebuilds sfn-rebuild only/m);
    expect(run.stdout).toMatch(/: FAILED$/m);
    expect(sfn.invocations.slice(n).map((i) => [i.state, i.error])).toEqual([['Start', 'BucketMismatch']]);
    expect(await etags(s3.store, 'state/')).toEqual(before);
  });

  it('a bucket without the deploy record rebuilds in the CLI process; a broken record is refused', { timeout: 120_000 }, async () => {
    const other = 'no-stack';
    const store = await s3.createBucket(other);
    await store.put('content/a.md', '---\ntitle: A\ndate: 2024-01-02T00:00:00Z\n---\n\nbody\n');
    const base = ['rebuild', '--bucket', other, '--endpoint', s3.endpoint, '--site-url', SITE];
    const local = await runSyndic(base, cliEnv());
    expect(local.code, local.stderr).toBe(0);
    expect(local.stderr).toContain(`no ${DEPLOYMENT_KEY} in s3://${other} (no rebuild state machine deployed for it): rebuilding in this process`);
    expect(local.stdout).toContain(`rebuilt s3://${other}: 1 articles`);
    // A record copied from another stack's bucket names that bucket: refused, nothing started.
    await store.put(DEPLOYMENT_KEY, JSON.stringify({ stateMachineArn, region: 'us-east-1', bucket: BUCKET }));
    const n = sfn.invocations.length;
    const copied = await runSyndic(base, cliEnv());
    expect(copied.code).toBe(2);
    expect(copied.stderr).toContain(`error: s3://${other}/${DEPLOYMENT_KEY} names bucket "${BUCKET}", not ${other}, deploy the stack again`);
    expect(sfn.invocations.length).toBe(n);
  });
});

describe('the emulator refuses what it does not run', () => {
  const base = () => structuredClone(definition);
  it('accepts the synthesized definition', () => {
    expect(() => checkDefinition(base())).not.toThrow();
  });
  it.each([
    ['a Pass state', (d: Json) => (d.States.Extra = { Type: 'Pass', End: true })],
    ['a ResultWriter', (d: Json) => (d.States.MapArticles.ResultWriter = { Resource: 'arn:aws:states:::s3:putObject' })],
    ['an ItemSelector', (d: Json) => (d.States.MapArticles.ItemSelector = { 'k.$': '$$.Map.Item.Value' })],
    ['a Catch', (d: Json) => (d.States.Reduce.Catch = [{ ErrorEquals: ['States.ALL'], Next: 'Start' }])],
    ['an intrinsic function in a payload', (d: Json) => (d.States.Reduce.Parameters.Payload['n.$'] = 'States.Format($.run.bucket)')],
    ['JSONata', (d: Json) => (d.QueryLanguage = 'JSONata')],
    ['another task resource', (d: Json) => (d.States.Reduce.Resource = 'arn:aws:states:::lambda:invoke.waitForTaskToken')],
    ['a CSV item reader', (d: Json) => (d.States.MapArticles.ItemReader.ReaderConfig = { InputType: 'CSV' })],
  ])('refuses %s', (_, change) => {
    const d = base();
    change(d);
    expect(() => checkDefinition(d)).toThrow(UnsupportedDefinition);
  });
});

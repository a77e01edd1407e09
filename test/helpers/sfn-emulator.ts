// Test tooling (the product never imports it): a local AWS Step Functions for `syndic rebuild`. It
// serves the JSON-protocol calls the CLI makes (StartExecution, DescribeExecution, ListMapRuns,
// DescribeMapRun) over HTTP, so the real @aws-sdk/client-sfn talks to it through
// AWS_ENDPOINT_URL_SFN, and it runs the state machine definition synthesized from the stack:
// Task states on arn:aws:states:::lambda:invoke (Parameters, ResultSelector, ResultPath,
// OutputPath, Retry with backoff), and a Distributed Map whose ItemReader is S3 ListObjectsV2
// (items shaped as Step Functions gives them: Etag, Key, LastModified in epoch seconds, Size,
// StorageClass), ItemBatcher (MaxItemsPerBatch, MaxInputBytesPerBatch, BatchInput), MaxConcurrency,
// tolerated failures, and the Map Run's item and child-execution counts.
//
// It interprets only that subset of the Amazon States Language (JSONPath): a state type, a field,
// a path form or a resource it does not implement is refused when the definition is registered,
// so it can never pretend to run a definition it does not. aws-local-stepfunctions 3.0.0 was
// considered first: its runtime's Map reads ItemsPath only (ItemReader and ItemBatcher appear only
// in its validator), so it cannot run this definition.
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { prng } from '../../bench/generate.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Obj = { [k: string]: Json };

/** A failure as Step Functions names it: `error` (States.TaskFailed, a function's errorType, ...) and `cause`. */
export class StatesError extends Error {
  constructor(
    readonly error: string,
    readonly cause_: string,
  ) {
    super(`${error}: ${cause_}`);
  }
}

/** The definition uses something this emulator does not implement. */
export class UnsupportedDefinition extends Error {}

const LAMBDA_INVOKE = /^arn:aws:states:::lambda:invoke$/;
const S3_LIST = /^arn:aws:states:::s3:listObjectsV2$/;
/** Step Functions' limit on a state's input and output, and on a child's input. */
const PAYLOAD_LIMIT = 256 * 1024;

const ALLOWED: Record<string, readonly string[]> = {
  machine: ['StartAt', 'States', 'TimeoutSeconds', 'Comment'],
  Task: ['Type', 'Comment', 'Resource', 'Parameters', 'ResultSelector', 'ResultPath', 'OutputPath', 'Retry', 'Next', 'End'],
  Map: ['Type', 'Comment', 'ItemProcessor', 'ItemReader', 'ItemBatcher', 'MaxConcurrency', 'Label', 'ToleratedFailurePercentage', 'ToleratedFailureCount', 'ResultPath', 'Next', 'End'],
  ItemProcessor: ['ProcessorConfig', 'StartAt', 'States'],
  ProcessorConfig: ['Mode', 'ExecutionType'],
  ItemReader: ['Resource', 'Parameters'],
  ItemReaderParameters: ['Bucket', 'Prefix'],
  ItemBatcher: ['MaxItemsPerBatch', 'MaxInputBytesPerBatch', 'BatchInput'],
  Retrier: ['ErrorEquals', 'IntervalSeconds', 'MaxAttempts', 'BackoffRate', 'JitterStrategy', 'MaxDelaySeconds'],
  TaskParameters: ['FunctionName', 'Payload'],
};

function only(where: string, o: unknown, kind: keyof typeof ALLOWED): asserts o is Obj {
  if (typeof o !== 'object' || o === null || Array.isArray(o)) throw new UnsupportedDefinition(`${where}: expected an object`);
  for (const k of Object.keys(o)) if (!ALLOWED[kind]!.includes(k)) throw new UnsupportedDefinition(`${where}: field ${k} is not supported by this emulator`);
}

/** `$`, `$.a.b`, `$$.Execution.Input`: plain dotted paths only (no filters, wildcards, slices or intrinsics). */
const PATH = /^\$\$?(\.[A-Za-z_][A-Za-z0-9_]*)*$/;

function checkPath(where: string, p: unknown, allowNull = false): void {
  if (p === null && allowNull) return;
  if (typeof p !== 'string' || !PATH.test(p)) throw new UnsupportedDefinition(`${where}: path ${JSON.stringify(p)} is not supported by this emulator`);
}

/** A payload template: every `k.$` value must be a supported path. */
function checkTemplate(where: string, t: Json): void {
  if (typeof t !== 'object' || t === null) return;
  if (Array.isArray(t)) return t.forEach((v, i) => checkTemplate(`${where}[${i}]`, v));
  for (const [k, v] of Object.entries(t)) {
    if (k.endsWith('.$')) checkPath(`${where}.${k}`, v);
    else checkTemplate(`${where}.${k}`, v);
  }
}

function checkStates(where: string, states: unknown, startAt: unknown, topLevel: boolean): void {
  if (typeof states !== 'object' || states === null) throw new UnsupportedDefinition(`${where}: no States`);
  if (typeof startAt !== 'string' || !(startAt in states)) throw new UnsupportedDefinition(`${where}: StartAt ${String(startAt)} is not a state`);
  for (const [name, st] of Object.entries(states as Record<string, Obj>)) {
    const at = `${where}.${name}`;
    const type = st?.Type;
    if (type !== 'Task' && type !== 'Map') throw new UnsupportedDefinition(`${at}: state type ${String(type)} is not supported by this emulator`);
    only(at, st, type);
    if (!!st.End === (st.Next !== undefined)) throw new UnsupportedDefinition(`${at}: needs exactly one of Next and End`);
    if (st.Next !== undefined && !((st.Next as string) in states)) throw new UnsupportedDefinition(`${at}: Next ${String(st.Next)} is not a state`);
    if (st.ResultPath !== undefined) checkPath(`${at}.ResultPath`, st.ResultPath, true);
    if (type === 'Task') {
      if (typeof st.Resource !== 'string' || !LAMBDA_INVOKE.test(st.Resource)) throw new UnsupportedDefinition(`${at}: resource ${String(st.Resource)} is not supported by this emulator`);
      only(`${at}.Parameters`, st.Parameters, 'TaskParameters');
      if (typeof st.Parameters.FunctionName !== 'string') throw new UnsupportedDefinition(`${at}: FunctionName must be a literal ARN`);
      checkTemplate(`${at}.Parameters`, st.Parameters);
      if (st.ResultSelector !== undefined) checkTemplate(`${at}.ResultSelector`, st.ResultSelector);
      if (st.OutputPath !== undefined) checkPath(`${at}.OutputPath`, st.OutputPath, true);
      for (const [i, r] of ((st.Retry as Json[] | undefined) ?? []).entries()) {
        only(`${at}.Retry[${i}]`, r, 'Retrier');
        if (r.JitterStrategy !== undefined && r.JitterStrategy !== 'FULL' && r.JitterStrategy !== 'NONE') throw new UnsupportedDefinition(`${at}.Retry[${i}]: JitterStrategy ${String(r.JitterStrategy)}`);
      }
    } else {
      if (!topLevel) throw new UnsupportedDefinition(`${at}: a Map inside a Map is not supported by this emulator`);
      only(`${at}.ItemProcessor`, st.ItemProcessor, 'ItemProcessor');
      only(`${at}.ItemProcessor.ProcessorConfig`, st.ItemProcessor.ProcessorConfig, 'ProcessorConfig');
      const pc = st.ItemProcessor.ProcessorConfig;
      if (pc.Mode !== 'DISTRIBUTED' || (pc.ExecutionType !== 'EXPRESS' && pc.ExecutionType !== 'STANDARD'))
        throw new UnsupportedDefinition(`${at}: only a DISTRIBUTED Map with EXPRESS or STANDARD children is supported by this emulator`);
      only(`${at}.ItemReader`, st.ItemReader, 'ItemReader');
      if (typeof st.ItemReader.Resource !== 'string' || !S3_LIST.test(st.ItemReader.Resource)) throw new UnsupportedDefinition(`${at}: ItemReader ${String(st.ItemReader.Resource)} is not supported by this emulator`);
      only(`${at}.ItemReader.Parameters`, st.ItemReader.Parameters, 'ItemReaderParameters');
      if (typeof st.ItemReader.Parameters.Bucket !== 'string') throw new UnsupportedDefinition(`${at}: ItemReader Bucket must be a literal`);
      only(`${at}.ItemBatcher`, st.ItemBatcher, 'ItemBatcher');
      if (!(Number(st.ItemBatcher.MaxItemsPerBatch) > 0)) throw new UnsupportedDefinition(`${at}: ItemBatcher needs MaxItemsPerBatch`);
      if (st.ItemBatcher.BatchInput !== undefined) checkTemplate(`${at}.ItemBatcher.BatchInput`, st.ItemBatcher.BatchInput);
      checkStates(`${at}.ItemProcessor`, st.ItemProcessor.States, st.ItemProcessor.StartAt, false);
    }
  }
}

/** Refuses a definition that uses anything outside the supported subset. */
export function checkDefinition(def: unknown): asserts def is Obj {
  only('definition', def, 'machine');
  checkStates('definition', def.States, def.StartAt, true);
}

// ---------------------------------------------------------------- paths

function get(root: Json, ctx: Json, p: string): Json {
  const inCtx = p.startsWith('$$');
  let v: Json = inCtx ? ctx : root;
  for (const seg of p.slice(inCtx ? 2 : 1).split('.').filter(Boolean)) {
    if (typeof v !== 'object' || v === null || Array.isArray(v) || !(seg in v)) throw new StatesError('States.Runtime', `The JSONPath '${p}' could not be found in the input`);
    v = v[seg]!;
  }
  return v;
}

function fill(t: Json, input: Json, ctx: Json): Json {
  if (typeof t !== 'object' || t === null) return t;
  if (Array.isArray(t)) return t.map((v) => fill(v, input, ctx));
  const out: Obj = {};
  for (const [k, v] of Object.entries(t)) {
    if (k.endsWith('.$')) out[k.slice(0, -2)] = structuredClone(get(input, ctx, v as string));
    else out[k] = fill(v, input, ctx);
  }
  return out;
}

function setAt(input: Json, p: string, value: Json): Json {
  if (p === '$') return value;
  const segs = p.slice(1).split('.').filter(Boolean);
  const root: Obj = typeof input === 'object' && input !== null && !Array.isArray(input) ? structuredClone(input) : {};
  let cur = root;
  for (const s of segs.slice(0, -1)) {
    const next = cur[s];
    cur = cur[s] = typeof next === 'object' && next !== null && !Array.isArray(next) ? next : {};
  }
  cur[segs[segs.length - 1]!] = value;
  return root;
}

const sizeOf = (v: Json) => Buffer.byteLength(JSON.stringify(v));

// ---------------------------------------------------------------- executions

type Status = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';
interface Counts {
  pending: number;
  running: number;
  succeeded: number;
  failed: number;
  timedOut: number;
  aborted: number;
  total: number;
  resultsWritten: number;
  failuresNotRedrivable: number;
  pendingRedrive: number;
}
const zero = (): Counts => ({ pending: 0, running: 0, succeeded: 0, failed: 0, timedOut: 0, aborted: 0, total: 0, resultsWritten: 0, failuresNotRedrivable: 0, pendingRedrive: 0 });

interface MapRun {
  mapRunArn: string;
  executionArn: string;
  stateMachineArn: string;
  status: Status;
  startDate: Date;
  stopDate?: Date;
  maxConcurrency: number;
  toleratedFailurePercentage: number;
  toleratedFailureCount: number;
  itemCounts: Counts;
  executionCounts: Counts;
}

interface Execution {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: Status;
  startDate: Date;
  stopDate?: Date;
  input: string;
  output?: string;
  error?: string;
  cause?: string;
  mapRuns: MapRun[];
  done: Promise<void>;
}

/** One task invocation as the emulator made it: which function, with what payload, and how it ended. */
export interface Invocation {
  state: string;
  functionName: string;
  payload: Json;
  attempt: number;
  error?: string;
}

export interface EmulatorOptions {
  /** Runs a function: the payload as the definition built it; a throw is the function's error (its name is the errorType). */
  invoke: (functionName: string, payload: Json) => Promise<Json>;
  /** The client the ItemReader lists with (the local S3 server). */
  s3: S3Client;
  region?: string;
  account?: string;
  /** Multiplies every Retry wait (default 1; tests pass 0 so IntervalSeconds do not slow them). */
  retryDelayScale?: number;
  /** Seed of the FULL jitter's generator (deterministic waits). */
  seed?: number;
  /**
   * Before each child workflow starts, waits for one DescribeMapRun call to be answered: a client
   * that polls sees the map advance batch by batch, with no timing involved.
   */
  childPerPoll?: boolean;
}

export interface SfnEmulator {
  endpoint: string;
  /** Registers a definition (checked against the supported subset) under a name; returns its ARN. */
  register(name: string, definition: unknown): string;
  invocations: Invocation[];
  /** Every execution ended (for tests: none left running). */
  settled(): Promise<void>;
  stop(): Promise<void>;
}

async function mapLimit<T>(items: readonly T[], limit: number, fn: (t: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

export async function startSfnEmulator(opts: EmulatorOptions): Promise<SfnEmulator> {
  const region = opts.region ?? 'us-east-1';
  const account = opts.account ?? '000000000000';
  const machines = new Map<string, { name: string; definition: Obj }>();
  const executions = new Map<string, Execution>();
  const mapRuns = new Map<string, MapRun>();
  const invocations: Invocation[] = [];
  const rand = prng(opts.seed ?? 1);
  const scale = opts.retryDelayScale ?? 1;
  // DescribeMapRun answers not yet spent on starting a child (childPerPoll).
  let polls = 0;
  const pollWaiters: (() => void)[] = [];
  const onPoll = () => {
    const w = pollWaiters.shift();
    if (w) w();
    else polls++;
  };
  const nextPoll = () =>
    polls > 0 ? (polls--, Promise.resolve()) : new Promise<void>((resolve) => pollWaiters.push(resolve));

  const context = (exec: Execution, state: string, retryCount: number): Json => ({
    Execution: { Id: exec.executionArn, Name: exec.name, Input: JSON.parse(exec.input) as Json, StartTime: exec.startDate.toISOString() },
    StateMachine: { Id: exec.stateMachineArn, Name: machines.get(exec.stateMachineArn)!.name },
    State: { Name: state, EnteredTime: new Date().toISOString(), RetryCount: retryCount },
  });

  // States.ALL matches every error; States.TaskFailed every error but States.Timeout (the ASL spec).
  const matches = (names: string[], error: string) => names.includes(error) || names.includes('States.ALL') || (names.includes('States.TaskFailed') && error !== 'States.Timeout');

  async function runTask(exec: Execution, name: string, st: Obj, input: Json): Promise<Json> {
    const retriers = ((st.Retry as Obj[] | undefined) ?? []).map((r) => ({ r, attempts: 0 }));
    for (let attempt = 0; ; attempt++) {
      const params = fill(st.Parameters as Json, input, context(exec, name, attempt)) as Obj;
      const payload = (params.Payload ?? input) as Json;
      const inv: Invocation = { state: name, functionName: params.FunctionName as string, payload, attempt };
      invocations.push(inv);
      try {
        if (sizeOf(payload) > PAYLOAD_LIMIT) throw new StatesError('States.DataLimitExceeded', `The payload of ${name} exceeds ${PAYLOAD_LIMIT} bytes`);
        let result: Json;
        try {
          // As Lambda does: the payload and the result cross as JSON.
          result = JSON.parse(JSON.stringify(await opts.invoke(inv.functionName, JSON.parse(JSON.stringify(payload)) as Json)) ?? 'null') as Json;
        } catch (e) {
          if (e instanceof StatesError) throw e;
          const err = e as Error;
          throw new StatesError(err.name || 'Error', JSON.stringify({ errorMessage: err.message, errorType: err.name || 'Error' }));
        }
        const out: Json = { ExecutedVersion: '$LATEST', Payload: result, StatusCode: 200 };
        const selected: Json = st.ResultSelector !== undefined ? fill(st.ResultSelector as Json, out, context(exec, name, attempt)) : out;
        let next: Json = st.ResultPath === null ? input : setAt(input, (st.ResultPath as string | undefined) ?? '$', selected);
        if (st.OutputPath === null) next = {};
        else if (st.OutputPath !== undefined) next = get(next, null, st.OutputPath as string);
        if (sizeOf(next) > PAYLOAD_LIMIT) throw new StatesError('States.DataLimitExceeded', `The output of ${name} exceeds ${PAYLOAD_LIMIT} bytes`);
        return next;
      } catch (e) {
        const err = e instanceof StatesError ? e : new StatesError('States.Runtime', (e as Error).message);
        inv.error = err.error;
        if (err.error === 'States.Runtime' || err.error === 'States.DataLimitExceeded') throw err; // never retried
        const retrier = retriers.find(({ r }) => matches(r.ErrorEquals as string[], err.error));
        if (!retrier || retrier.attempts >= ((retrier.r.MaxAttempts as number | undefined) ?? 3)) throw err;
        const base = ((retrier.r.IntervalSeconds as number | undefined) ?? 1) * ((retrier.r.BackoffRate as number | undefined) ?? 2) ** retrier.attempts;
        const capped = retrier.r.MaxDelaySeconds !== undefined ? Math.min(base, retrier.r.MaxDelaySeconds as number) : base;
        const wait = retrier.r.JitterStrategy === 'FULL' ? rand() * capped : capped;
        retrier.attempts++;
        if (scale > 0) await new Promise((r) => setTimeout(r, wait * 1000 * scale));
      }
    }
  }

  async function listItems(bucket: string, prefix: string): Promise<Obj[]> {
    const out: Obj[] = [];
    let token: string | undefined;
    do {
      const r = await opts.s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
      for (const o of r.Contents ?? [])
        out.push({ Etag: o.ETag ?? '', Key: o.Key!, LastModified: Math.floor((o.LastModified ?? new Date(0)).getTime() / 1000), Size: o.Size ?? 0, StorageClass: o.StorageClass ?? 'STANDARD' });
      token = r.IsTruncated ? r.NextContinuationToken : undefined;
    } while (token);
    return out;
  }

  /** ItemBatcher: consecutive items, at most MaxItemsPerBatch each and under MaxInputBytesPerBatch with the BatchInput. */
  function batchesOf(items: Obj[], batcher: Obj, batchInput: Json | undefined): Json[] {
    const maxItems = batcher.MaxItemsPerBatch as number;
    const maxBytes = (batcher.MaxInputBytesPerBatch as number | undefined) ?? PAYLOAD_LIMIT;
    const out: Json[] = [];
    let cur: Obj[] = [];
    const size = (its: Obj[]) => sizeOf(batchInput === undefined ? { Items: its } : { BatchInput: batchInput, Items: its });
    for (const it of items) {
      if (cur.length && (cur.length >= maxItems || size([...cur, it]) > maxBytes)) {
        out.push(batchInput === undefined ? { Items: cur } : { BatchInput: batchInput, Items: cur });
        cur = [];
      }
      if (size([it]) > maxBytes) throw new StatesError('States.ItemReaderFailed', `an item alone exceeds MaxInputBytesPerBatch (${maxBytes})`);
      cur.push(it);
    }
    if (cur.length) out.push(batchInput === undefined ? { Items: cur } : { BatchInput: batchInput, Items: cur });
    return out;
  }

  async function runStates(exec: Execution, states: Record<string, Obj>, startAt: string, input: Json): Promise<Json> {
    let name = startAt;
    let data = input;
    for (;;) {
      const st = states[name]!;
      data = st.Type === 'Task' ? await runTask(exec, name, st, data) : await runMap(exec, name, st, data);
      if (st.End) return data;
      name = st.Next as string;
    }
  }

  async function runMap(exec: Execution, name: string, st: Obj, input: Json): Promise<Json> {
    const proc = st.ItemProcessor as Obj;
    const run: MapRun = {
      mapRunArn: `arn:aws:states:${region}:${account}:mapRun:${machines.get(exec.stateMachineArn)!.name}/${(st.Label as string | undefined) ?? name}:${randomUUID()}`,
      executionArn: exec.executionArn,
      stateMachineArn: exec.stateMachineArn,
      status: 'RUNNING',
      startDate: new Date(),
      maxConcurrency: (st.MaxConcurrency as number | undefined) ?? 0,
      toleratedFailurePercentage: (st.ToleratedFailurePercentage as number | undefined) ?? 0,
      toleratedFailureCount: (st.ToleratedFailureCount as number | undefined) ?? 0,
      itemCounts: zero(),
      executionCounts: zero(),
    };
    exec.mapRuns.push(run);
    mapRuns.set(run.mapRunArn, run);
    const end = (status: Status) => ((run.status = status), (run.stopDate = new Date()));
    try {
      const reader = st.ItemReader as Obj;
      const params = reader.Parameters as Obj;
      const items = await listItems(params.Bucket as string, (params.Prefix as string | undefined) ?? '');
      const batcher = st.ItemBatcher as Obj;
      const batchInput = batcher.BatchInput !== undefined ? fill(batcher.BatchInput as Json, input, context(exec, name, 0)) : undefined;
      const children = batchesOf(items, batcher, batchInput);
      run.itemCounts.total = run.itemCounts.pending = items.length;
      run.executionCounts.total = run.executionCounts.pending = children.length;
      const tolerated = (failed: number) =>
        failed <= run.toleratedFailureCount || (children.length > 0 && (failed / children.length) * 100 <= run.toleratedFailurePercentage);
      let failed = 0;
      let firstError: StatesError | undefined;
      await mapLimit(children, run.maxConcurrency || 1000, async (child) => {
        if (firstError && !tolerated(failed)) return;
        if (opts.childPerPoll) await nextPoll();
        const n = ((child as Obj).Items as Json[]).length;
        run.itemCounts.pending -= n;
        run.itemCounts.running += n;
        run.executionCounts.pending--;
        run.executionCounts.running++;
        try {
          if (sizeOf(child) > PAYLOAD_LIMIT) throw new StatesError('States.DataLimitExceeded', 'a child input exceeds 256 KiB');
          await runStates(exec, proc.States as Record<string, Obj>, proc.StartAt as string, child);
          run.itemCounts.succeeded += n;
          run.executionCounts.succeeded++;
        } catch (e) {
          run.itemCounts.failed += n;
          run.executionCounts.failed++;
          failed++;
          firstError ??= e instanceof StatesError ? e : new StatesError('States.Runtime', (e as Error).message);
        } finally {
          run.itemCounts.running -= n;
          run.executionCounts.running--;
        }
      });
      if (failed && !tolerated(failed)) {
        end('FAILED');
        throw new StatesError('States.ExceedToleratedFailureThreshold', `The specified tolerated failure threshold was exceeded (first child error: ${firstError!.error}: ${firstError!.cause_})`);
      }
      end('SUCCEEDED');
      // The Map's result without a ResultWriter: the children's outputs (here discarded by OutputPath null).
      return st.ResultPath === null ? input : setAt(input, (st.ResultPath as string | undefined) ?? '$', []);
    } catch (e) {
      if (run.status === 'RUNNING') end('FAILED');
      throw e;
    }
  }

  function start(stateMachineArn: string, input: string, name?: string): Execution {
    const m = machines.get(stateMachineArn);
    if (!m) throw Object.assign(new Error(`State Machine Does Not Exist: '${stateMachineArn}'`), { type: 'StateMachineDoesNotExist' });
    let parsed: Json;
    try {
      parsed = JSON.parse(input) as Json;
    } catch {
      throw Object.assign(new Error('Invalid State Machine Execution Input'), { type: 'InvalidExecutionInput' });
    }
    const execName = name ?? randomUUID();
    const exec: Execution = {
      executionArn: `arn:aws:states:${region}:${account}:execution:${m.name}:${execName}`,
      stateMachineArn,
      name: execName,
      status: 'RUNNING',
      startDate: new Date(),
      input,
      mapRuns: [],
      done: Promise.resolve(),
    };
    executions.set(exec.executionArn, exec);
    const timeoutS = m.definition.TimeoutSeconds as number | undefined;
    exec.done = (async () => {
      // Runs after StartExecution has answered, as the service does.
      await new Promise((r) => setImmediate(r));
      let timer: NodeJS.Timeout | undefined;
      try {
        const timeout = timeoutS
          ? new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new StatesError('States.Timeout', 'The execution timed out')), timeoutS * 1000)))
          : new Promise<never>(() => {});
        const out = await Promise.race([runStates(exec, m.definition.States as Record<string, Obj>, m.definition.StartAt as string, parsed), timeout]);
        exec.output = JSON.stringify(out);
        exec.status = 'SUCCEEDED';
      } catch (e) {
        const err = e instanceof StatesError ? e : new StatesError('States.Runtime', (e as Error).message);
        exec.status = err.error === 'States.Timeout' ? 'TIMED_OUT' : 'FAILED';
        exec.error = err.error;
        exec.cause = err.cause_;
      } finally {
        clearTimeout(timer);
        exec.stopDate = new Date();
      }
    })();
    return exec;
  }

  const secs = (d?: Date) => (d ? d.getTime() / 1000 : undefined);
  const api: Record<string, (b: Obj) => unknown> = {
    StartExecution: (b) => {
      const e = start(b.stateMachineArn as string, (b.input as string | undefined) ?? '{}', b.name as string | undefined);
      return { executionArn: e.executionArn, startDate: secs(e.startDate) };
    },
    DescribeExecution: (b) => {
      const e = executions.get(b.executionArn as string);
      if (!e) throw Object.assign(new Error(`Execution Does Not Exist: '${String(b.executionArn)}'`), { type: 'ExecutionDoesNotExist' });
      return {
        executionArn: e.executionArn,
        stateMachineArn: e.stateMachineArn,
        name: e.name,
        status: e.status,
        startDate: secs(e.startDate),
        ...(e.stopDate ? { stopDate: secs(e.stopDate) } : {}),
        input: e.input,
        ...(e.output !== undefined ? { output: e.output } : {}),
        ...(e.error !== undefined ? { error: e.error, cause: e.cause } : {}),
      };
    },
    ListMapRuns: (b) => {
      const e = executions.get(b.executionArn as string);
      if (!e) throw Object.assign(new Error(`Execution Does Not Exist: '${String(b.executionArn)}'`), { type: 'ExecutionDoesNotExist' });
      return { mapRuns: e.mapRuns.map((r) => ({ executionArn: r.executionArn, mapRunArn: r.mapRunArn, stateMachineArn: r.stateMachineArn, startDate: secs(r.startDate), ...(r.stopDate ? { stopDate: secs(r.stopDate) } : {}) })) };
    },
    DescribeMapRun: (b) => {
      const r = mapRuns.get(b.mapRunArn as string);
      if (!r) throw Object.assign(new Error(`Map Run Does Not Exist: '${String(b.mapRunArn)}'`), { type: 'ResourceNotFound' });
      const answer = { ...r, startDate: secs(r.startDate), ...(r.stopDate ? { stopDate: secs(r.stopDate) } : {}), itemCounts: { ...r.itemCounts }, executionCounts: { ...r.executionCounts } };
      onPoll();
      return answer;
    },
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const target = String(req.headers['x-amz-target'] ?? '');
      const op = target.startsWith('AWSStepFunctions.') ? target.slice('AWSStepFunctions.'.length) : '';
      const reply = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': randomUUID() });
        res.end(JSON.stringify(body));
      };
      if (req.method !== 'POST' || !api[op]) return reply(400, { __type: 'UnknownOperationException', message: `this emulator does not serve ${target || req.method}` });
      try {
        reply(200, api[op]!(JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Obj));
      } catch (e) {
        reply(400, { __type: (e as { type?: string }).type ?? 'ValidationException', message: (e as Error).message });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    invocations,
    register(name, definition) {
      checkDefinition(definition);
      const arn = `arn:aws:states:${region}:${account}:stateMachine:${name}`;
      machines.set(arn, { name, definition });
      return arn;
    },
    settled: async () => {
      await Promise.all([...executions.values()].map((e) => e.done));
    },
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * A CloudFormation string value (`Fn::Join` of literals, `Ref` and `Fn::GetAtt`) made concrete:
 * `refs` maps a logical id (or a pseudo parameter) to its value, `atts` maps `LogicalId.Attribute`.
 * Any other intrinsic, or a name missing from the maps, is an error.
 */
export function resolveCfn(v: unknown, refs: Record<string, string>, atts: Record<string, string>): string {
  if (typeof v === 'string') return v;
  const o = v as Record<string, unknown>;
  if (o && 'Fn::Join' in o) {
    const [sep, parts] = o['Fn::Join'] as [string, unknown[]];
    return parts.map((p) => resolveCfn(p, refs, atts)).join(sep);
  }
  if (o && 'Ref' in o) {
    const r = refs[o.Ref as string];
    if (r === undefined) throw new Error(`no value for Ref ${String(o.Ref)}`);
    return r;
  }
  if (o && 'Fn::GetAtt' in o) {
    const key = (o['Fn::GetAtt'] as string[]).join('.');
    const r = atts[key];
    if (r === undefined) throw new Error(`no value for Fn::GetAtt ${key}`);
    return r;
  }
  throw new Error(`unsupported CloudFormation value ${JSON.stringify(v).slice(0, 100)}`);
}

// `syndic rebuild --bucket B` on AWS: starts an execution of the stack's rebuild state machine
// (infra/rebuild-workflow.ts) and follows it until it ends: the execution's status, and while its
// Distributed Map runs, the Map Run's item counts (done / total / failed). The shell is
// startAndFollowRebuild; progressOf and formatProgress are pure.
import {
  DescribeExecutionCommand,
  DescribeMapRunCommand,
  ListMapRunsCommand,
  SFNClient,
  StartExecutionCommand,
  type DescribeExecutionCommandOutput,
  type DescribeMapRunCommandOutput,
} from '@aws-sdk/client-sfn';

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED' | 'PENDING_REDRIVE';

/** Where a rebuild is: start step, map over the articles, reduce step, or ended. */
export type RebuildPhase = 'starting' | 'mapping' | 'reducing' | 'ended';

export interface RebuildProgress {
  executionArn: string;
  status: ExecutionStatus;
  phase: RebuildPhase;
  /** Articles (objects under content/) handled, in batches that finished; absent before the map starts. */
  items?: { done: number; failed: number; running: number; pending: number; total: number };
  /** Child workflows, one per batch. */
  batches?: { done: number; failed: number; running: number; total: number };
  /** The execution's error and cause when it failed, timed out or was aborted. */
  error?: string;
  cause?: string;
}

export interface RebuildOutcome {
  executionArn: string;
  status: ExecutionStatus;
  /** The last progress seen (with the final Map Run counts). */
  progress: RebuildProgress;
  /** The execution's output (its reduce step's summary) when it succeeded. */
  output?: unknown;
}

type Execution = Pick<DescribeExecutionCommandOutput, 'executionArn' | 'status' | 'error' | 'cause'>;
type MapRun = Partial<Pick<DescribeMapRunCommandOutput, 'status' | 'itemCounts' | 'executionCounts'>>;

const n = (v: number | undefined) => v ?? 0;

/** The progress that a DescribeExecution answer and, once the map has started, a DescribeMapRun answer show. */
export function progressOf(execution: Execution, mapRun?: MapRun): RebuildProgress {
  const status = (execution.status ?? 'RUNNING') as ExecutionStatus;
  const ended = status !== 'RUNNING';
  const phase: RebuildPhase = ended ? 'ended' : !mapRun ? 'starting' : mapRun.status === 'SUCCEEDED' ? 'reducing' : 'mapping';
  const out: RebuildProgress = { executionArn: execution.executionArn ?? '', status, phase };
  if (mapRun?.itemCounts) {
    const c = mapRun.itemCounts;
    out.items = { done: n(c.succeeded), failed: n(c.failed) + n(c.timedOut) + n(c.aborted), running: n(c.running), pending: n(c.pending), total: n(c.total) };
  }
  if (mapRun?.executionCounts) {
    const c = mapRun.executionCounts;
    out.batches = { done: n(c.succeeded), failed: n(c.failed) + n(c.timedOut) + n(c.aborted), running: n(c.running), total: n(c.total) };
  }
  if (execution.error) out.error = execution.error;
  if (execution.cause) out.cause = execution.cause;
  return out;
}

const num = (v: number) => v.toLocaleString('en-US');

/** One line for a terminal, e.g. `mapping: 1,200/10,000 articles, 0 failed (6/50 batches, 10 running)`. */
export function formatProgress(p: RebuildProgress): string {
  const counts = p.items
    ? `${num(p.items.done)}/${num(p.items.total)} articles, ${num(p.items.failed)} failed` +
      (p.batches ? ` (${num(p.batches.done)}/${num(p.batches.total)} batches${p.batches.running ? `, ${num(p.batches.running)} running` : ''})` : '')
    : '';
  if (p.phase === 'starting') return 'starting: listing content/';
  // The map run exists while its item reader still lists content/: no total yet (0/0 says nothing).
  if (p.phase === 'mapping') return p.items?.total ? `mapping: ${counts}` : 'mapping: listing content/';
  if (p.phase === 'reducing') return `reducing: ${num(p.items?.done ?? 0)} articles mapped; merging them and rendering feeds and pages`;
  const why = p.error ? `: ${p.error}${p.cause ? ` (${p.cause.length > 300 ? `${p.cause.slice(0, 300)}…` : p.cause})` : ''}` : '';
  return `${p.status.toLowerCase().replace('_', ' ')}${counts ? `, ${counts}` : ''}${why}`;
}

/** A Step Functions client; keeps the SDK's Node-version warning off, as createS3Client does. */
export function createSfnClient(region?: string): SFNClient {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  return new SFNClient({
    region: region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1',
    maxAttempts: 5,
    retryMode: 'standard',
  });
}

export interface FollowOptions {
  stateMachineArn: string;
  /** Recorded in the execution's input (the state machine rebuilds its own stack's bucket). */
  bucket: string;
  onProgress?: (p: RebuildProgress) => void;
  client?: SFNClient;
  /** The client's region (default: the ARN's). */
  region?: string;
  /** Between polls (default 2 s). */
  pollMs?: number;
  /** Stops following (the execution goes on; stop it with `aws stepfunctions stop-execution`). */
  signal?: AbortSignal;
}

const pause = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
  });

/**
 * StartExecution, then DescribeExecution and (once the Distributed Map has started) ListMapRuns /
 * DescribeMapRun every pollMs until the execution ends; onProgress gets every poll's progress.
 */
export async function startAndFollowRebuild(opts: FollowOptions): Promise<RebuildOutcome> {
  const client = opts.client ?? createSfnClient(opts.region ?? regionOf(opts.stateMachineArn));
  try {
    const started = await client.send(
      new StartExecutionCommand({ stateMachineArn: opts.stateMachineArn, input: JSON.stringify({ bucket: opts.bucket, reason: 'syndic rebuild' }) }),
    );
    const executionArn = started.executionArn!;
    let mapRunArn: string | undefined;
    for (;;) {
      const execution = await client.send(new DescribeExecutionCommand({ executionArn }));
      if (!mapRunArn) mapRunArn = (await client.send(new ListMapRunsCommand({ executionArn }))).mapRuns?.[0]?.mapRunArn;
      const mapRun = mapRunArn ? await client.send(new DescribeMapRunCommand({ mapRunArn })) : undefined;
      const progress = progressOf(execution, mapRun);
      opts.onProgress?.(progress);
      if (progress.status !== 'RUNNING' || opts.signal?.aborted) {
        let output: unknown;
        if (execution.output) {
          try {
            output = JSON.parse(execution.output);
          } catch {
            output = execution.output;
          }
        }
        return { executionArn, status: progress.status, progress, ...(output !== undefined ? { output } : {}) };
      }
      await pause(opts.pollMs ?? 2000, opts.signal);
    }
  } finally {
    if (!opts.client) client.destroy();
  }
}

/** `arn:aws:states:eu-west-1:123456789012:stateMachine:Name` → `eu-west-1`. */
export function regionOf(stateMachineArn: string): string | undefined {
  const parts = stateMachineArn.split(':');
  return parts[0] === 'arn' && parts[2] === 'states' && parts[3] ? parts[3] : undefined;
}

/** What the stack writes to DEPLOYMENT_KEY in its bucket (infra/rebuild.ts). */
export interface Deployment {
  stateMachineArn: string;
  region: string;
  bucket: string;
}

/**
 * The state machine recorded in a bucket's DEPLOYMENT_KEY, checked: valid JSON, a Step Functions
 * state machine ARN, and the bucket it names is the one being rebuilt (a copied marker would
 * rebuild another stack's bucket). Throws an Error naming what is wrong.
 */
export function parseDeployment(body: string, bucket: string): Deployment {
  let v: Partial<Record<keyof Deployment, unknown>>;
  try {
    v = JSON.parse(body) as typeof v;
  } catch {
    throw new Error('is not JSON');
  }
  if (typeof v !== 'object' || v === null) throw new Error('is not a JSON object');
  const arn = v.stateMachineArn;
  if (typeof arn !== 'string' || !/^arn:[\w-]+:states:[\w-]+:\d{12}:stateMachine:[\w-]+$/.test(arn)) throw new Error(`has no state machine ARN (stateMachineArn: ${JSON.stringify(arn)})`);
  if (v.bucket !== bucket) throw new Error(`names bucket ${JSON.stringify(v.bucket)}, not ${bucket}`);
  const region = typeof v.region === 'string' && v.region ? v.region : regionOf(arn)!;
  return { stateMachineArn: arn, region, bucket };
}

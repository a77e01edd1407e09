// The pure half of following a Step Functions rebuild: progress from DescribeExecution /
// DescribeMapRun answers and its one-line rendering. The answers below are written in the shapes
// the Step Functions API documents (not recorded from AWS: there is no account here), and nothing
// in this file calls AWS; startAndFollowRebuild runs through the real bin against the Step Functions
// emulator in test/s3/rebuild-stepfunctions.test.ts. Also the deployment record's parser.
import { describe, expect, it } from 'vitest';
import { formatProgress, parseDeployment, progressOf, regionOf } from '../../src/cli/rebuild-execution.js';

const ARN = 'arn:aws:states:eu-west-1:123456789012:execution:SyndicRebuild:7c1f0e2a';
const running = { executionArn: ARN, status: 'RUNNING' as const };
const counts = (c: Partial<Record<'pending' | 'running' | 'succeeded' | 'failed' | 'timedOut' | 'aborted' | 'total', number>>) => ({
  pending: 0,
  running: 0,
  succeeded: 0,
  failed: 0,
  timedOut: 0,
  aborted: 0,
  total: 0,
  resultsWritten: 0,
  ...c,
});

describe('progressOf', () => {
  it('is "starting" while the execution runs and no Map Run exists yet (the start step)', () => {
    const p = progressOf(running);
    expect(p).toEqual({ executionArn: ARN, status: 'RUNNING', phase: 'starting' });
    expect(formatProgress(p)).toBe('starting: listing content/');
  });

  it('counts articles (items) and batches (child executions) while the map runs', () => {
    const p = progressOf(running, {
      status: 'RUNNING',
      itemCounts: counts({ succeeded: 1200, running: 2000, pending: 6800, total: 10000 }),
      executionCounts: counts({ succeeded: 6, running: 10, pending: 34, total: 50 }),
    });
    expect(p.phase).toBe('mapping');
    expect(p.items).toEqual({ done: 1200, failed: 0, running: 2000, pending: 6800, total: 10000 });
    expect(p.batches).toEqual({ done: 6, failed: 0, running: 10, total: 50 });
    expect(formatProgress(p)).toBe('mapping: 1,200/10,000 articles, 0 failed (6/50 batches, 10 running)');
  });

  it('says the map is listing while its run has no total yet (not "0/0 articles")', () => {
    const p = progressOf(running, { status: 'RUNNING', itemCounts: counts({}), executionCounts: counts({}) });
    expect(p.phase).toBe('mapping');
    expect(formatProgress(p)).toBe('mapping: listing content/');
  });

  it('counts timed-out and aborted items as failed', () => {
    const p = progressOf(running, { status: 'RUNNING', itemCounts: counts({ succeeded: 10, failed: 200, timedOut: 200, aborted: 1, total: 1000 }) });
    expect(p.items!.failed).toBe(401);
    expect(formatProgress(p)).toBe('mapping: 10/1,000 articles, 401 failed');
  });

  it('is "reducing" once the Map Run succeeded and the execution still runs', () => {
    const p = progressOf(running, { status: 'SUCCEEDED', itemCounts: counts({ succeeded: 10000, total: 10000 }), executionCounts: counts({ succeeded: 50, total: 50 }) });
    expect(p.phase).toBe('reducing');
    expect(formatProgress(p)).toBe('reducing: 10,000 articles mapped; merging them and rendering feeds and pages');
  });

  it('ends with the final counts when the execution succeeded', () => {
    const p = progressOf({ executionArn: ARN, status: 'SUCCEEDED' }, { status: 'SUCCEEDED', itemCounts: counts({ succeeded: 3, total: 3 }), executionCounts: counts({ succeeded: 1, total: 1 }) });
    expect(p).toMatchObject({ status: 'SUCCEEDED', phase: 'ended' });
    expect(formatProgress(p)).toBe('succeeded, 3/3 articles, 0 failed (1/1 batches)');
  });

  it('ends with the error and a shortened cause when the execution failed or timed out', () => {
    const cause = `{"errorMessage":"${'x'.repeat(400)}"}`;
    const failed = progressOf(
      { executionArn: ARN, status: 'FAILED', error: 'States.ExceedToleratedFailureThreshold', cause },
      { status: 'FAILED', itemCounts: counts({ succeeded: 800, failed: 200, total: 1000 }), executionCounts: counts({ succeeded: 4, failed: 1, total: 5 }) },
    );
    expect(failed).toMatchObject({ phase: 'ended', error: 'States.ExceedToleratedFailureThreshold', cause });
    const line = formatProgress(failed);
    expect(line.startsWith('failed, 800/1,000 articles, 200 failed (4/5 batches): States.ExceedToleratedFailureThreshold ({"errorMessage":"xxx')).toBe(true);
    expect(line.endsWith('…)')).toBe(true);
    expect(line.length).toBeLessThan(420);
    // Failed before the map started: no counts at all.
    expect(formatProgress(progressOf({ executionArn: ARN, status: 'TIMED_OUT', error: 'States.Timeout' }))).toBe('timed out: States.Timeout');
  });
});

describe('regionOf', () => {
  it('reads the region from a state machine ARN, and nothing from anything else', () => {
    expect(regionOf('arn:aws:states:eu-west-1:123456789012:stateMachine:SyndicRebuild')).toBe('eu-west-1');
    expect(regionOf('arn:aws-cn:states:cn-north-1:123456789012:stateMachine:X')).toBe('cn-north-1');
    expect(regionOf('SyndicRebuild')).toBeUndefined();
    expect(regionOf('arn:aws:lambda:eu-west-1:123456789012:function:f')).toBeUndefined();
  });
});

describe('parseDeployment (state/deployment.json, written by the stack)', () => {
  const arn = 'arn:aws:states:eu-west-1:123456789012:stateMachine:RebuildWorkflowStateMachine75B8BEB1-AbC123';
  it('gives the state machine and its region for the bucket it names', () => {
    expect(parseDeployment(JSON.stringify({ stateMachineArn: arn, region: 'eu-west-1', bucket: 'b' }), 'b')).toEqual({ stateMachineArn: arn, region: 'eu-west-1', bucket: 'b' });
    // No region: the ARN's.
    expect(parseDeployment(JSON.stringify({ stateMachineArn: arn, bucket: 'b' }), 'b').region).toBe('eu-west-1');
  });
  it('refuses a record for another bucket, without an ARN, or not JSON', () => {
    expect(() => parseDeployment(JSON.stringify({ stateMachineArn: arn, bucket: 'other' }), 'b')).toThrow('names bucket "other", not b');
    expect(() => parseDeployment(JSON.stringify({ stateMachineArn: 'arn:aws:lambda:eu-west-1:123456789012:function:f', bucket: 'b' }), 'b')).toThrow(/has no state machine ARN/);
    expect(() => parseDeployment('{', 'b')).toThrow('is not JSON');
    expect(() => parseDeployment('null', 'b')).toThrow('is not a JSON object');
  });
});

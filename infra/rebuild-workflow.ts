// The rebuild of an archive of any size as a Step Functions map/reduce (issue 13): a start step,
// a Distributed Map over the listing of content/ whose child workflows hand batches of a few
// hundred objects to the publisher function, and a reduce step that merges and renders the feeds.
//
//   rebuild-start   { action, bucket, input }               → { bucket, epoch }   (input: the execution's)
//   rebuild-map     { action, bucket, epoch, items: [...] } → counts (discarded)   × one per batch
//   rebuild-reduce  { action, bucket, epoch }               → counts (the execution's output), on the reducer
//
// The function does every read and write itself; the state machine only lists content/ (the item
// reader) and invokes the function.
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { CONTENT_PREFIX } from '../src/core/layout.js';

export const REBUILD = {
  /**
   * Objects per child workflow (one function invocation). At ~4 ms of CPU per article on a 1 GB
   * function and 16 requests in flight, a batch takes ~3 s: far from the function's timeout,
   * and a failed batch costs little to redo.
   */
  maxItemsPerBatch: 200,
  /** Step Functions passes at most 256 KiB to a child; long keys hit this before the item count. */
  maxInputBytesPerBatch: 200 * 1024,
  /**
   * Child workflows (= concurrent invocations) at once. 10 × 200 articles per ~3 s is ~670
   * articles/s, ~1,300 PUT/s split over state/ and public/: well under S3's 3,500 PUT/s per
   * prefix, and 10 concurrent invocations fit accounts with a low Lambda concurrency quota.
   * docs/deploy.md has the arithmetic.
   */
  maxConcurrency: 10,
  /** The whole execution; 1M articles take ~30 minutes by the estimate in docs/deploy.md. */
  timeout: Duration.hours(2),
} as const;

/** Lambda errors worth retrying: throttling and service faults, with backoff and jitter. */
const LAMBDA_TRANSIENT = ['Lambda.TooManyRequestsException', 'Lambda.ServiceException', 'Lambda.AWSLambdaException', 'Lambda.SdkClientException'];

/**
 * S3ObjectsItemReader grants s3:ListBucket on the whole bucket; this one grants it only for the
 * listing it makes (s3:prefix = content/).
 */
class ContentListing extends sfn.S3ObjectsItemReader {
  override providePolicyStatements(): iam.PolicyStatement[] {
    return [
      new iam.PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [this.bucket.bucketArn],
        conditions: { StringEquals: { 's3:prefix': this.prefix! } },
      }),
    ];
  }
}

/** A Distributed Map that states ToleratedFailurePercentage/Count 0 (aws-cdk-lib drops a 0). */
class StrictDistributedMap extends sfn.DistributedMap {
  override toStateJson(queryLanguage?: sfn.QueryLanguage): object {
    return { ...super.toStateJson(queryLanguage), ToleratedFailurePercentage: 0, ToleratedFailureCount: 0 };
  }
}

export interface RebuildWorkflowProps {
  fn: lambda.IFunction;
  /** The same code with a longer timeout and more memory (infra/publisher.ts, REDUCER): runs the Reduce step. */
  reducer: lambda.IFunction;
  bucket: s3.IBucket;
  logRetentionDays: number;
}

export class RebuildWorkflow extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: RebuildWorkflowProps) {
    super(scope, id);
    const { fn, bucket } = props;

    const invoke = (id: string, payload: Record<string, unknown>, more: Partial<tasks.LambdaInvokeJsonPathProps> = {}) => {
      const task = new tasks.LambdaInvoke(this, id, {
        lambdaFunction: fn,
        payload: sfn.TaskInput.fromObject(payload),
        // Explicit below instead: the same errors and TooManyRequests, with jitter.
        retryOnServiceExceptions: false,
        ...more,
      });
      task.addRetry({ errors: LAMBDA_TRANSIENT, interval: Duration.seconds(2), maxAttempts: 6, backoffRate: 2, jitterStrategy: sfn.JitterType.FULL });
      return task;
    };

    const start = invoke(
      'Start',
      // The execution's input goes along: a `bucket` in it other than this stack's fails the step
      // (BucketMismatch, not retried) rather than being ignored.
      { action: 'rebuild-start', bucket: bucket.bucketName, input: sfn.JsonPath.objectAt('$$.Execution.Input') },
      { resultSelector: { 'bucket.$': '$.Payload.bucket', 'epoch.$': '$.Payload.epoch' }, resultPath: '$.run' },
    );

    // One child workflow per batch: { BatchInput: { bucket, epoch }, Items: [{ Key, Etag, Size, LastModified, StorageClass }] }.
    const mapBatch = invoke(
      'MapBatch',
      {
        action: 'rebuild-map',
        bucket: sfn.JsonPath.stringAt('$.BatchInput.bucket'),
        epoch: sfn.JsonPath.numberAt('$.BatchInput.epoch'),
        items: sfn.JsonPath.listAt('$.Items'),
      },
      // Children return {}: the counts are in the function's log, and the Map Run's result stays tiny.
      { outputPath: sfn.JsonPath.DISCARD },
    );
    // The function failed (a crash, S3 throttling past the SDK's retries, a timeout): a batch is
    // idempotent, so run it again, later; finished batches are not redone.
    mapBatch.addRetry({ errors: ['States.TaskFailed', 'States.Timeout'], interval: Duration.seconds(5), maxAttempts: 3, backoffRate: 3, jitterStrategy: sfn.JitterType.FULL });

    const map = new StrictDistributedMap(this, 'MapArticles', {
      comment: `Every object under ${CONTENT_PREFIX}, ${REBUILD.maxItemsPerBatch} per child workflow`,
      itemReader: new ContentListing({ bucket, prefix: CONTENT_PREFIX }),
      itemBatcher: new sfn.ItemBatcher({
        maxItemsPerBatch: REBUILD.maxItemsPerBatch,
        maxInputBytesPerBatch: REBUILD.maxInputBytesPerBatch,
        batchInput: { 'bucket.$': '$.run.bucket', 'epoch.$': '$.run.epoch' },
      }),
      mapExecutionType: sfn.StateMachineType.EXPRESS,
      maxConcurrency: REBUILD.maxConcurrency,
      label: 'articles',
      // Keep the state small: the next step needs only $.run.
      resultPath: sfn.JsonPath.DISCARD,
    });
    map.itemProcessor(mapBatch);

    const reduce = invoke(
      'Reduce',
      { action: 'rebuild-reduce', bucket: sfn.JsonPath.stringAt('$.run.bucket'), epoch: sfn.JsonPath.numberAt('$.run.epoch') },
      { resultSelector: { 'summary.$': '$.Payload' }, resultPath: '$.reduce', lambdaFunction: props.reducer },
    );
    // The reduce re-reads the batches' outputs and writes idempotently: one more try after a failure.
    reduce.addRetry({ errors: ['States.TaskFailed'], interval: Duration.seconds(30), maxAttempts: 1, backoffRate: 2 });

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetentionDays as logs.RetentionDays,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      comment: 'Syndic: rebuilds every feed and page from content/ (start, map over batches, reduce)',
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromChainable(start.next(map).next(reduce)),
      timeout: REBUILD.timeout,
      // ALL events without their data: transitions and errors are logged, article lists are not.
      logs: { destination: this.logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
    });
  }
}

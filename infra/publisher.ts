// The function that turns uploads under content/ into feeds under public/, with its own role and
// log group, and what drives it: bucket notifications for content/ through an SQS queue (batched,
// at most a few invocations at once, a dead-letter queue) and a schedule that reconciles.
import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { SqsDestination } from 'aws-cdk-lib/aws-s3-notifications';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { CONTENT_PREFIX, PUBLIC_PREFIX, STATE_PREFIX } from '../src/core/layout.js';

/** The function's timeout: an SQS batch, a reconcile, one rebuild step, or a small archive's whole rebuild. */
export const FUNCTION_TIMEOUT = Duration.minutes(5);

/**
 * The reducer: the same code, invoked only by the rebuild state machine's Reduce step, which merges
 * every batch's output in one invocation. Measured with `npx tsx bench/reduce.ts` (docs/deploy.md):
 * its time and memory grow with the archive, so it gets Lambda's longest timeout and the memory a
 * million articles need with room to spare (memory also buys CPU: 1,769 MB is one vCPU).
 */
export const REDUCER = { timeout: Duration.minutes(15), memorySize: 6144, maxOldSpaceMb: 5120 } as const;

/**
 * How bucket events reach the function. Every batch touches the site-wide feed node, so fewer
 * concurrent batches mean fewer conditional-write conflicts on it; 2 is SQS's minimum.
 */
export const EVENT_SOURCE = {
  /**
   * Messages (one S3 notification each, usually one object) per invocation. Large, because a batch's
   * cost is mostly per node, not per article (docs/lambda.md, "Costs and limits": a bulk import of
   * 2,000 articles makes 4.1 requests per article in batches of 1,000, 5.2 in batches of 500, 11.7 in
   * batches of 100). Safe: SQS standard queues allow up to 10,000 with a batching window; Lambda
   * passes a batch in one call only up to its 6 MB payload limit and invokes with fewer messages past
   * it (a notification is ~2 KB, ~6 KB with a 1,024-byte key); an invocation holds its articles'
   * entries until its batch ends and renders and writes pages one at a time, and the handler splits a
   * batch past 48 MiB of articles (BATCH_BYTES, as the notifications size them) into batches run one
   * after the other, so memory is bounded whatever the articles' sizes; the bench's 2 concurrent
   * invocations of 1,000 took ~16 s in all on 2 shared cores, against a 5-minute timeout (a retry
   * waits out the visibility timeout, 6 × that).
   */
  batchSize: 1000,
  /** How long Lambda gathers messages before invoking with a partial batch: the publishing delay of a lone upload. */
  maxBatchingWindow: Duration.seconds(5),
  maxConcurrency: 2,
  /** Receives before a message goes to the dead-letter queue (each retry waits out the visibility timeout). */
  maxReceiveCount: 3,
} as const;

/** The scheduled repair: every node whose files lag its index, every article whose page is missing. */
export const RECONCILE_EVENT = { action: 'reconcile' } as const;
export const RECONCILE_EVERY = Duration.minutes(10);

const ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface PublisherProps {
  bucket: s3.Bucket;
  /** SYNDIC_* settings and SYNDIC_BUCKET. */
  environment: Record<string, string>;
  logRetentionDays: number;
}

export class Publisher extends Construct {
  readonly fn: NodejsFunction;
  /** The same code with REDUCER's timeout and memory, for the rebuild's reduce step only. */
  readonly reducer: NodejsFunction;
  /** S3 notifications for content/, waiting for the function. */
  readonly events: sqs.Queue;
  /** Messages that failed maxReceiveCount times (alarmed). */
  readonly deadLetters: sqs.Queue;
  readonly eventSource: SqsEventSource;
  /** Sends { action: 'reconcile' } every RECONCILE_EVERY. */
  readonly reconcileSchedule: events.Rule;
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: PublisherProps) {
    super(scope, id);
    const { bucket } = props;

    this.deadLetters = new sqs.Queue(this, 'DeadLetters', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.events = new sqs.Queue(this, 'Events', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(4),
      // AWS's advice for a Lambda event source: at least 6 × the function's timeout, so a batch
      // still running (or retried by Lambda after throttling) is not delivered twice meanwhile.
      visibilityTimeout: Duration.seconds(6 * FUNCTION_TIMEOUT.toSeconds()),
      deadLetterQueue: { queue: this.deadLetters, maxReceiveCount: EVENT_SOURCE.maxReceiveCount },
    });

    const logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetentionDays as logs.RetentionDays,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    // Our own role instead of AWSLambdaBasicExecutionRole: logs go to this one group only.
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Syndic publisher: reads content/, writes state/ and public/',
    });
    this.role.addToPolicy(new iam.PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroup.logGroupArn] }));
    this.role.addToPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [bucket.arnForObjects(`${CONTENT_PREFIX}*`)] }));
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
        resources: [bucket.arnForObjects(`${STATE_PREFIX}*`), bucket.arnForObjects(`${PUBLIC_PREFIX}*`)],
      }),
    );
    // Listing, too, only under the three prefixes (every Store.list call passes one).
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [bucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': [CONTENT_PREFIX, STATE_PREFIX, PUBLIC_PREFIX].map((p) => `${p}*`) } },
      }),
    );

    const bundled = (id: string, more: { description: string; timeout: Duration; memorySize: number; logGroup: logs.ILogGroup; retryAttempts?: number; nodeOptions?: string }) =>
      new NodejsFunction(this, id, {
        entry: `${ROOT}src/lambda/handler.ts`,
        handler: 'handler',
        projectRoot: ROOT,
        depsLockFilePath: `${ROOT}package-lock.json`,
        runtime: lambda.Runtime.NODEJS_24_X,
        architecture: lambda.Architecture.ARM_64,
        role: this.role,
        loggingFormat: lambda.LoggingFormat.JSON,
        environment: { ...props.environment, NODE_OPTIONS: ['--enable-source-maps', ...(more.nodeOptions ? [more.nodeOptions] : [])].join(' ') },
        bundling: {
          format: OutputFormat.ESM,
          minify: true,
          sourceMap: true,
          target: 'node24',
          // The runtime ships AWS SDK v3; bundling it would only add cold-start time.
          externalModules: ['@aws-sdk/*'],
          // Lets CommonJS dependencies that call require() run inside the ESM bundle.
          banner: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);",
        },
        description: more.description,
        timeout: more.timeout,
        memorySize: more.memorySize,
        logGroup: more.logGroup,
        ...(more.retryAttempts !== undefined ? { retryAttempts: more.retryAttempts } : {}),
      });

    this.fn = bundled('Function', {
      description: 'Syndic: rebuilds the feeds under public/ from the articles under content/',
      // Large archives rebuild on Step Functions (rebuild-workflow.ts), one batch per invocation;
      // 1 GB buys the CPU to render a 5 MB (maxArticleBytes) article in well under a second.
      timeout: FUNCTION_TIMEOUT,
      memorySize: 1024,
      logGroup,
      // Only the reconcile schedule invokes it asynchronously now: a failed run raises the Errors
      // alarm and the next run, 10 minutes later, does the same work, so Lambda does not retry it.
      retryAttempts: 0,
    });

    // Same role (same S3 prefixes), its own log group.
    const reducerLogs = new logs.LogGroup(this, 'ReducerLogs', {
      retention: props.logRetentionDays as logs.RetentionDays,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.role.addToPolicy(new iam.PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [reducerLogs.logGroupArn] }));
    this.reducer = bundled('Reducer', {
      description: "Syndic: the full rebuild's reduce step (merges the batches, renders every feed and page)",
      timeout: REDUCER.timeout,
      memorySize: REDUCER.memorySize,
      // Invoked only synchronously, by the state machine, which retries it: no asynchronous config.
      logGroup: reducerLogs,
      // V8's own default would be a quarter of the memory; the merge of a million articles keeps
      // ~2.2 GB live (docs/deploy.md), so most of the 6 GB is the heap's.
      nodeOptions: `--max-old-space-size=${REDUCER.maxOldSpaceMb}`,
    });

    // Only content/ is notified, so the function's own writes to state/ and public/ never loop.
    const target = new SqsDestination(this.events);
    bucket.addEventNotification(s3.EventType.OBJECT_CREATED, target, { prefix: CONTENT_PREFIX });
    bucket.addEventNotification(s3.EventType.OBJECT_REMOVED, target, { prefix: CONTENT_PREFIX });

    // One invocation applies a whole batch and writes each affected node once; a message whose keys
    // failed is reported back (batchItemFailures) and redelivered alone, the others are deleted.
    this.eventSource = new SqsEventSource(this.events, {
      batchSize: EVENT_SOURCE.batchSize,
      maxBatchingWindow: EVENT_SOURCE.maxBatchingWindow,
      maxConcurrency: EVENT_SOURCE.maxConcurrency,
      reportBatchItemFailures: true,
    });
    this.fn.addEventSource(this.eventSource);

    this.reconcileSchedule = new events.Rule(this, 'Reconcile', {
      description: 'Syndic: repairs feeds whose files lag their index and missing article pages',
      schedule: events.Schedule.rate(RECONCILE_EVERY),
      targets: [new targets.LambdaFunction(this.fn, { event: events.RuleTargetInput.fromObject(RECONCILE_EVENT) })],
    });
  }
}

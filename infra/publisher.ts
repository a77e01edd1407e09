// The function that turns uploads under content/ into feeds under public/, with its own role,
// log group and failure queue, and the bucket notifications that start it.
import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { LambdaDestination } from 'aws-cdk-lib/aws-s3-notifications';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { CONTENT_PREFIX, PUBLIC_PREFIX, STATE_PREFIX } from '../src/core/layout.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface PublisherProps {
  bucket: s3.Bucket;
  /** SYNDIC_* settings and SYNDIC_BUCKET. */
  environment: Record<string, string>;
  logRetentionDays: number;
}

export class Publisher extends Construct {
  readonly fn: NodejsFunction;
  readonly failures: sqs.Queue;
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: PublisherProps) {
    super(scope, id);
    const { bucket } = props;

    // Events that still fail after Lambda's two retries land here (and raise an alarm).
    this.failures = new sqs.Queue(this, 'Failures', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
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

    this.fn = new NodejsFunction(this, 'Function', {
      description: 'Syndic: rebuilds the feeds under public/ from the articles under content/',
      entry: `${ROOT}src/lambda/handler.ts`,
      handler: 'handler',
      projectRoot: ROOT,
      depsLockFilePath: `${ROOT}package-lock.json`,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      // A full rebuild re-reads the whole archive in one invocation; 1 GB also buys the CPU to
      // render a 5 MB (maxArticleBytes) article in well under a second.
      timeout: Duration.minutes(5),
      memorySize: 1024,
      role: this.role,
      logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      environment: { ...props.environment, NODE_OPTIONS: '--enable-source-maps' },
      onFailure: new SqsDestination(this.failures),
      retryAttempts: 2,
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
    });

    // Only content/ starts the function, so its own writes to state/ and public/ never loop.
    const target = new LambdaDestination(this.fn);
    bucket.addEventNotification(s3.EventType.OBJECT_CREATED, target, { prefix: CONTENT_PREFIX });
    bucket.addEventNotification(s3.EventType.OBJECT_REMOVED, target, { prefix: CONTENT_PREFIX });
  }
}

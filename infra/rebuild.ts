// Re-publishes every feed when a deploy changes the site settings: a custom resource starts an
// execution of the rebuild state machine (rebuild-workflow.ts) once the function carries the new
// environment. StartExecution returns at once, so the deploy never waits on the rebuild, whatever
// the archive's size; a failed execution raises the state machine's alarm.
// It is keyed on a hash of that environment (and the site URL, which can be a deploy-time token),
// so CloudFormation updates it, and an execution starts, only when they change; code-only
// deploys leave it alone. The first deploy runs it too, publishing the (empty) feeds at once.
import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { AwsCustomResource, AwsCustomResourcePolicy, PhysicalResourceId } from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { DEPLOYMENT_KEY } from '../src/core/layout.js';

export interface RebuildProps {
  /** The publisher and the reducer: the execution must start after they have the new settings. */
  fn: lambda.IFunction[];
  stateMachine: sfn.IStateMachine;
  /** The site bucket: DEPLOYMENT_KEY in it names the state machine for `syndic rebuild --bucket B`. */
  bucket: s3.IBucket;
  /** settingsHash() of the function's SYNDIC_* settings, siteUrl aside. */
  settingsHash: string;
  /** The siteUrl the function is given; may be a token (the distribution's domain). */
  siteUrl: string;
  logRetentionDays: number;
}

export class RebuildOnSettingsChange extends Construct {
  readonly resource: AwsCustomResource;
  /** Writes DEPLOYMENT_KEY (state machine ARN, region, bucket) on every deploy that changes them; deletes it with the stack. */
  readonly deployment: AwsCustomResource;

  constructor(scope: Construct, id: string, props: RebuildProps) {
    super(scope, id);

    const logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetentionDays as logs.RetentionDays,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // An explicit role keeps the provider off AWSLambdaBasicExecutionRole: it may log to its
    // own group, start the rebuild state machine and write or delete DEPLOYMENT_KEY, nothing else.
    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Syndic: starts a rebuild execution after a settings change, records the state machine in the bucket',
    });
    role.addToPolicy(new iam.PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroup.logGroupArn] }));

    const call = {
      service: 'SFN',
      action: 'startExecution',
      parameters: {
        stateMachineArn: props.stateMachine.stateMachineArn,
        // Not read by the state machine (it rebuilds its own bucket); it tells the operator why it ran.
        // No name: Step Functions makes a unique one, so returning to earlier settings rebuilds again.
        input: JSON.stringify({ reason: 'settings changed on deploy', settingsHash: props.settingsHash }),
      },
      physicalResourceId: PhysicalResourceId.of(`rebuild-${props.settingsHash}-${props.siteUrl}`),
    };

    this.resource = new AwsCustomResource(this, 'Start', {
      resourceType: 'Custom::SyndicRebuild',
      onCreate: call,
      onUpdate: call,
      policy: AwsCustomResourcePolicy.fromStatements([new iam.PolicyStatement({ actions: ['states:StartExecution'], resources: [props.stateMachine.stateMachineArn] })]),
      role,
      logGroup,
      installLatestAwsSdk: false,
    });
    // After the function (and its role's policy) has been updated with the new settings, and the
    // state machine with its definition.
    this.resource.node.addDependency(...props.fn, props.stateMachine);

    // `syndic rebuild --bucket B` reads this object to find the state machine (no ARN to copy from
    // the stack's outputs); a bucket without it (a local S3 server, an older stack) rebuilds in the
    // CLI's own process. The object is under state/, which the function owns and nobody serves.
    const stack = Stack.of(this);
    const marker = {
      service: 'S3',
      action: 'putObject',
      parameters: {
        Bucket: props.bucket.bucketName,
        Key: DEPLOYMENT_KEY,
        ContentType: 'application/json',
        Body: stack.toJsonString({ stateMachineArn: props.stateMachine.stateMachineArn, region: stack.region, bucket: props.bucket.bucketName }),
      },
      physicalResourceId: PhysicalResourceId.of(DEPLOYMENT_KEY),
    };
    this.deployment = new AwsCustomResource(this, 'Deployment', {
      resourceType: 'Custom::SyndicDeployment',
      onCreate: marker,
      onUpdate: marker,
      // A bucket already gone (emptied and deleted by hand) must not block the stack's deletion.
      onDelete: { service: 'S3', action: 'deleteObject', parameters: { Bucket: props.bucket.bucketName, Key: DEPLOYMENT_KEY }, ignoreErrorCodesMatching: 'NoSuchBucket' },
      policy: AwsCustomResourcePolicy.fromStatements([
        new iam.PolicyStatement({ actions: ['s3:PutObject', 's3:DeleteObject'], resources: [props.bucket.arnForObjects(DEPLOYMENT_KEY)] }),
      ]),
      role,
      logGroup,
      installLatestAwsSdk: false,
    });
  }
}

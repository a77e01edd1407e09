// Re-publishes every feed when a deploy changes the site settings: a custom resource invokes the
// function with { action: 'rebuild' } once the function carries the new environment.
// It is keyed on a hash of that environment (and the site URL, which can be a deploy-time token),
// so CloudFormation updates it, and the invocation runs, only when they change; code-only
// deploys leave it alone. The first deploy runs it too, publishing the (empty) feeds at once.
import { RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { AwsCustomResource, AwsCustomResourcePolicy, PhysicalResourceId } from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import type { RebuildEvent } from '../src/lambda/handler.js';

/** The handler's full-rebuild event; the bucket defaults to its SYNDIC_BUCKET. */
export const REBUILD_EVENT: RebuildEvent = { action: 'rebuild' };

export interface RebuildProps {
  fn: lambda.IFunction;
  /** settingsHash() of the function's SYNDIC_* settings, siteUrl aside. */
  settingsHash: string;
  /** The siteUrl the function is given; may be a token (the distribution's domain). */
  siteUrl: string;
  logRetentionDays: number;
}

export class RebuildOnSettingsChange extends Construct {
  readonly resource: AwsCustomResource;

  constructor(scope: Construct, id: string, props: RebuildProps) {
    super(scope, id);

    const logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetentionDays as logs.RetentionDays,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // An explicit role keeps the provider off AWSLambdaBasicExecutionRole: it may log to its
    // own group and invoke the publisher, nothing else.
    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Syndic: invokes the publisher with a rebuild after a settings change',
    });
    role.addToPolicy(new iam.PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroup.logGroupArn] }));

    const call = {
      service: 'Lambda',
      action: 'invoke',
      parameters: {
        FunctionName: props.fn.functionName,
        // Asynchronous: Lambda retries a failed rebuild and, failing that, sends it to the failure
        // queue that is alarmed, and the deploy does not wait up to the function's 5 minutes.
        InvocationType: 'Event',
        Payload: JSON.stringify(REBUILD_EVENT),
      },
      physicalResourceId: PhysicalResourceId.of(`rebuild-${props.settingsHash}-${props.siteUrl}`),
    };

    this.resource = new AwsCustomResource(this, 'Invoke', {
      resourceType: 'Custom::SyndicRebuild',
      onCreate: call,
      onUpdate: call,
      policy: AwsCustomResourcePolicy.fromStatements([new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [props.fn.functionArn] })]),
      role,
      logGroup,
      installLatestAwsSdk: false,
    });
    // After the function (and its role's policy) has been updated with the new settings.
    this.resource.node.addDependency(props.fn);
  }
}

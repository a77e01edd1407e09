// Every cdk-nag (AwsSolutions) finding that this stack accepts, with the reason, in one place for
// a security review. Each acknowledgment names one finding on one construct: anything new fails
// `cdk synth` and the tests until it is fixed or reviewed here.
import { Stack, Token, Validations, type CfnElement } from 'aws-cdk-lib';
import type { CfnBucket } from 'aws-cdk-lib/aws-s3';
import type { IConstruct } from 'constructs';
import { CONTENT_PREFIX, PUBLIC_PREFIX, STATE_PREFIX } from '../src/core/layout.js';
import type { Cdn } from './cdn.js';
import type { Publisher } from './publisher.js';
import type { RebuildWorkflow } from './rebuild-workflow.js';
import type { Storage } from './storage.js';

export interface AcceptedParts {
  storage: Storage;
  publisher: Publisher;
  workflow: RebuildWorkflow;
  cdn: Cdn;
  customDomain: boolean;
}

const ack = (scope: IConstruct, id: string, reason: string) => Validations.of(scope).acknowledge({ id: `AwsSolutions-${id}`, reason });

export function acknowledgeAcceptedFindings(stack: Stack, parts: AcceptedParts): void {
  const { distribution } = parts.cdn;
  ack(distribution, 'CFR1', 'Public feeds for readers anywhere; there is no legal or business reason to block any country.');
  ack(
    distribution,
    'CFR2',
    'Read-only, cached static files with no forms, logins or dynamic origin for a WAF to protect; Shield Standard covers floods.',
  );
  if (!parts.customDomain) {
    ack(distribution, 'CFR4', 'The default *.cloudfront.net certificate fixes the TLS policy; with a custom domain the stack sets TLSv1.2_2021.');
  }

  ack(parts.publisher.deadLetters, 'SQS3', 'This queue is itself the dead-letter queue of the event queue; its depth is alarmed.');

  // Object keys under each prefix are chosen by publishers at run time; the prefix is the boundary.
  const bucketId = stack.resolve(stack.getLogicalId(parts.storage.bucket.node.defaultChild as CfnBucket)) as string;
  for (const prefix of [CONTENT_PREFIX, STATE_PREFIX, PUBLIC_PREFIX]) {
    ack(parts.publisher.role, `IAM5[Resource::<${bucketId}.Arn>/${prefix}*]`, `Scoped to the ${prefix} prefix; object names are only known at run time.`);
  }

  // The rebuild state machine (rebuild-workflow.ts): what Step Functions itself needs.
  const { stateMachine } = parts.workflow;
  const id = (c: IConstruct) => stack.resolve(stack.getLogicalId(c.node.defaultChild as CfnElement)) as string;
  const fnId = id(parts.publisher.fn);
  const smId = id(stateMachine);
  ack(stateMachine, 'SF2', 'A batch job, not a request path: execution history, the Map Run counters and the function logs show each batch; X-Ray would add cost and nothing an operator uses.');
  ack(
    stateMachine.role,
    `IAM5[Resource::<${fnId}.Arn>:*]`,
    "Step Functions' Lambda integration grants the publisher function and its versions (:*); no other function.",
  );
  ack(
    stateMachine.role,
    `IAM5[Resource::<${id(parts.publisher.reducer)}.Arn>:*]`,
    "Step Functions' Lambda integration grants the reducer function (the Reduce step) and its versions (:*); no other function.",
  );
  ack(
    stateMachine.role,
    'IAM5[Resource::*]',
    'CloudWatch Logs delivery for state machine logging (logs:CreateLogDelivery and friends) has no resource-level permissions.',
  );
  // Child workflow executions of the Distributed Map: their ARNs are made at run time under this state machine.
  // cdk-nag names pseudo parameters <AWS::X> and shows values the stack's environment fixes (the CLI's region) as they are.
  const pseudo = (value: string, name: string) => (Token.isUnresolved(value) ? `<AWS::${name}>` : value);
  const arn = `arn:${pseudo(stack.partition, 'Partition')}:states:${pseudo(stack.region, 'Region')}:${pseudo(stack.account, 'AccountId')}`;
  const executions = `${arn}:execution:{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"${smId}"}]}]}`;
  const mapPolicy = stateMachine.node.findChild('DistributedMapPolicy');
  ack(mapPolicy, `IAM5[Resource::${executions}:*]`, "Describe and stop this state machine's own executions, whose ids exist only at run time.");
  ack(mapPolicy, `IAM5[Resource::${executions}/articles:*]`, "Redrive the Distributed Map's child executions (label articles) of this state machine only.");

  // aws-cdk-lib's singleton that writes the bucket's notification configuration at deploy time.
  const handler = stack.node.children.find((c) => c.node.id.startsWith('BucketNotificationsHandler'));
  if (handler) {
    ack(
      handler,
      'IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      "CDK's deploy-time bucket-notification handler; the managed policy only lets it write its own CloudWatch logs.",
    );
  }
}

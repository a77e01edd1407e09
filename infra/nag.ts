// Every cdk-nag (AwsSolutions) finding that this stack accepts, with the reason, in one place for
// a security review. Each acknowledgment names one finding on one construct: anything new fails
// `cdk synth` and the tests until it is fixed or reviewed here.
import { Stack, Validations } from 'aws-cdk-lib';
import type { CfnBucket } from 'aws-cdk-lib/aws-s3';
import type { IConstruct } from 'constructs';
import { CONTENT_PREFIX, PUBLIC_PREFIX, STATE_PREFIX } from '../src/core/layout.js';
import type { Cdn } from './cdn.js';
import type { Publisher } from './publisher.js';
import type { Storage } from './storage.js';

export interface AcceptedParts {
  storage: Storage;
  publisher: Publisher;
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

  ack(parts.publisher.failures, 'SQS3', 'This queue is itself the dead-letter destination of the function; its depth is alarmed.');

  // Object keys under each prefix are chosen by publishers at run time; the prefix is the boundary.
  const bucketId = stack.resolve(stack.getLogicalId(parts.storage.bucket.node.defaultChild as CfnBucket)) as string;
  for (const prefix of [CONTENT_PREFIX, STATE_PREFIX, PUBLIC_PREFIX]) {
    ack(parts.publisher.role, `IAM5[Resource::<${bucketId}.Arn>/${prefix}*]`, `Scoped to the ${prefix} prefix; object names are only known at run time.`);
  }

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

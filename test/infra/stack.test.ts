// The synthesized Syndic stack, checked point by point against issues 4, 9 and 13: bucket, function
// and its permissions, CloudFront, the event queue and its dead-letter queue, the reconcile
// schedule, alarms, the rebuild state machine, the settings-change rebuild, outputs, cdk-nag.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Validations } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTENT_SECURITY_POLICY } from '../../infra/cdn.js';
import { settingsHash } from '../../infra/config.js';
import { DIRECTORY_INDEX_SOURCE } from '../../infra/directory-index.js';
import { FEED_BROWSER_VIEW_SOURCE } from '../../infra/feed-browser-view.js';
import { envName, resolveSettings, settingsToEnv } from '../../src/core/settings.js';
import { repoSettings, ROOT, synth, type Synthesized } from './synth.js';

type Json = Record<string, any>;
const CERT = 'arn:aws:acm:us-east-1:123456789012:certificate/11111111-2222-3333-4444-555555555555';

let s: Synthesized;
let custom: Synthesized;
beforeAll(() => {
  s = synth();
  // Custom domain, infra knobs and a changed site setting (through a dotted -c key).
  custom = synth({
    syndicInfra: { domainName: 'feeds.example.com', certificateArn: CERT, oldVersionDays: 7, alarmEmail: 'ops@example.com' },
    'syndic.title': 'Another title',
  });
}, 240_000);
afterAll(() => {
  s?.dispose();
  custom?.dispose();
});

const resources = (x: Synthesized, type: string): [string, Json][] => Object.entries(x.template.findResources(type));
const only = (x: Synthesized, type: string): Json => {
  const all = resources(x, type);
  expect(all).toHaveLength(1);
  return all[0]![1];
};
const getAtt = (id: string, attr: string) => ({ 'Fn::GetAtt': [id, attr] });
/** `<bucket ARN>/suffix` as CDK renders it. */
const objectArn = (bucketId: string, suffix: string) => ({ 'Fn::Join': ['', [getAtt(bucketId, 'Arn'), suffix]] });

describe('bucket', () => {
  it('blocks public access, encrypts, versions, enforces bucket-owner ownership and logs access', () => {
    s.template.hasResource('AWS::S3::Bucket', {
      Properties: {
        PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
        BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
        VersioningConfiguration: { Status: 'Enabled' },
        OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
        LoggingConfiguration: { DestinationBucketName: { Ref: s.logicalId(s.stack.storage.logBucket) }, LogFilePrefix: 's3/' },
        LifecycleConfiguration: { Rules: Match.arrayWith([Match.objectLike({ NoncurrentVersionExpiration: { NoncurrentDays: 30 }, Status: 'Enabled' })]) },
      },
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });

  it('expires old versions after syndicInfra.oldVersionDays', () => {
    const bucket = custom.template.toJSON().Resources[custom.logicalId(custom.stack.storage.bucket)];
    expect(bucket.Properties.LifecycleConfiguration.Rules[0].NoncurrentVersionExpiration).toEqual({ NoncurrentDays: 7 });
  });

  it('denies every request without TLS, on both buckets', () => {
    for (const b of [s.stack.storage.bucket, s.stack.storage.logBucket]) {
      const id = s.logicalId(b);
      s.template.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: { Ref: id },
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Deny',
              Action: 's3:*',
              Principal: { AWS: '*' },
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
              Resource: [getAtt(id, 'Arn'), objectArn(id, '/*')],
            }),
          ]),
        },
      });
    }
  });

  it('keeps the log bucket private and lets CloudFront standard logging write to it', () => {
    const id = s.logicalId(s.stack.storage.logBucket);
    const logs = s.template.toJSON().Resources[id];
    expect(logs.Properties.PublicAccessBlockConfiguration).toMatchObject({ BlockPublicAcls: true, RestrictPublicBuckets: true });
    expect(logs.Properties.OwnershipControls.Rules[0].ObjectOwnership).toBe('BucketOwnerPreferred');
    expect(logs.Properties.LifecycleConfiguration.Rules[0].ExpirationInDays).toBe(90);
    expect(logs.DeletionPolicy).toBe('Retain');
  });
});

describe('function', () => {
  const fnOf = (x: Synthesized) => x.template.toJSON().Resources[x.logicalId(x.stack.publisher.fn)];

  it("runs on the newest Node.js runtime aws-cdk-lib offers, on arm64", () => {
    const version = (r: lambda.Runtime) => Number(/^nodejs(\d+)\.x$/.exec(r.name)?.[1] ?? 0);
    const newest = lambda.Runtime.ALL.filter((r) => r.family === lambda.RuntimeFamily.NODEJS && !r.isVariable).sort((a, b) => version(b) - version(a))[0]!;
    expect(fnOf(s).Properties).toMatchObject({ Runtime: newest.name, Architectures: ['arm64'], Handler: 'index.handler' });
  });

  it('has a timeout and memory for a full rebuild, structured logs with retention', () => {
    const props = fnOf(s).Properties;
    expect(props).toMatchObject({ Timeout: 300, MemorySize: 1024, LoggingConfig: { LogFormat: 'JSON' } });
    const group = s.template.toJSON().Resources[props.LoggingConfig.LogGroup.Ref];
    expect(group).toMatchObject({ Type: 'AWS::Logs::LogGroup', Properties: { RetentionInDays: 90 } });
    expect(resources(s, 'AWS::Logs::LogGroup').every(([, r]) => typeof r.Properties?.RetentionInDays === 'number')).toBe(true);
  });

  it("has a reducer for the rebuild's Reduce step: the same bundle, role and settings, 15 minutes and 6 GB (5 GB of heap), its own log group", () => {
    const fn = fnOf(s).Properties;
    const reducer = s.template.toJSON().Resources[s.logicalId(s.stack.publisher.reducer)].Properties;
    expect(reducer).toMatchObject({ Timeout: 900, MemorySize: 6144, Runtime: fn.Runtime, Architectures: fn.Architectures, Handler: fn.Handler, Role: fn.Role, Code: fn.Code });
    // The same settings; a heap limit for the merge (most of its 6 GB).
    const { NODE_OPTIONS, ...vars } = reducer.Environment.Variables;
    const { NODE_OPTIONS: fnOptions, ...fnVars } = fn.Environment.Variables;
    expect(vars).toEqual(fnVars);
    expect(fnOptions).toBe('--enable-source-maps');
    expect(NODE_OPTIONS).toBe('--enable-source-maps --max-old-space-size=5120');
    expect(reducer.LoggingConfig.LogGroup).not.toEqual(fn.LoggingConfig.LogGroup);
    expect(s.template.toJSON().Resources[reducer.LoggingConfig.LogGroup.Ref]).toMatchObject({ Type: 'AWS::Logs::LogGroup', Properties: { RetentionInDays: 90 } });
  });

  it('is a minified ESM bundle with a source map, with the AWS SDK left to the runtime', () => {
    const assetDir = readdirSync(s.outdir)
      .map((d) => path.join(s.outdir, d))
      .find((d) => existsSync(path.join(d, 'index.mjs')));
    expect(assetDir).toBeDefined();
    const code = readFileSync(path.join(assetDir!, 'index.mjs'), 'utf8');
    // Booleans, not the code itself: a failure message should not print a 500 kB bundle.
    expect(code.startsWith("import { createRequire } from 'module'; const require = createRequire(import.meta.url);")).toBe(true);
    expect(/sourceMappingURL=index\.mjs\.map/.test(code)).toBe(true);
    expect(existsSync(path.join(assetDir!, 'index.mjs.map'))).toBe(true);
    expect(code.length / code.split('\n').length).toBeGreaterThan(500); // minified: long lines
    expect(/from\s*["']@aws-sdk\/client-s3["']/.test(code) || !code.includes('@aws-sdk')).toBe(true);
    expect(fnOf(s).Properties.Environment.Variables.NODE_OPTIONS).toBe('--enable-source-maps');
  });

  it('gets the resolved settings, the bucket, and the distribution as site URL', () => {
    const vars = fnOf(s).Properties.Environment.Variables;
    const expected = settingsToEnv(resolveSettings(repoSettings()));
    for (const [k, v] of Object.entries(expected)) if (k !== envName('siteUrl')) expect(vars[k]).toBe(v);
    expect(vars.SYNDIC_BUCKET).toEqual({ Ref: s.logicalId(s.stack.storage.bucket) });
    expect(vars.SYNDIC_SITE_URL).toEqual({ 'Fn::Join': ['', ['https://', getAtt(s.logicalId(s.stack.cdn.distribution), 'DomainName')]] });
    expect(fnOf(custom).Properties.Environment.Variables).toMatchObject({ SYNDIC_SITE_URL: 'https://feeds.example.com', SYNDIC_TITLE: 'Another title' });
  });

  it('gets ObjectCreated and ObjectRemoved under content/ only, through the SQS queue (no direct Lambda notification)', () => {
    const n = only(s, 'Custom::S3BucketNotifications').Properties;
    expect(n.BucketName).toEqual({ Ref: s.logicalId(s.stack.storage.bucket) });
    const configs = n.NotificationConfiguration.QueueConfigurations as Json[];
    expect(configs.map((c) => c.Events[0]).sort()).toEqual(['s3:ObjectCreated:*', 's3:ObjectRemoved:*']);
    for (const c of configs) {
      expect(c.Filter).toEqual({ Key: { FilterRules: [{ Name: 'prefix', Value: 'content/' }] } });
      expect(c.QueueArn).toEqual(getAtt(s.logicalId(s.stack.publisher.events), 'Arn'));
    }
    expect(n.NotificationConfiguration.LambdaFunctionConfigurations).toBeUndefined();
    expect(n.NotificationConfiguration.TopicConfigurations).toBeUndefined();
    // Only this bucket may send to the queue.
    s.template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: s.logicalId(s.stack.publisher.events) }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 's3.amazonaws.com' },
            Action: Match.arrayWith(['sqs:SendMessage']),
            Condition: { ArnLike: { 'aws:SourceArn': getAtt(s.logicalId(s.stack.storage.bucket), 'Arn') } },
          }),
        ]),
      },
    });
  });
});

describe('function permissions', () => {
  const statements = (): Json[] => {
    const role = s.logicalId(s.stack.publisher.role);
    return resources(s, 'AWS::IAM::Policy')
      .filter(([, p]) => (p.Properties.Roles as Json[]).some((r) => r.Ref === role))
      .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Json[]);
  };
  const list = <T>(v: T | T[]): T[] => (Array.isArray(v) ? v : [v]);

  it('uses its own role, with no managed policy', () => {
    const role = s.template.toJSON().Resources[s.logicalId(s.stack.publisher.role)];
    expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    expect(role.Properties.Policies).toBeUndefined();
  });

  it('reads content/*, reads and writes state/* and public/*, lists the bucket: nothing else on S3', () => {
    const bucket = s.logicalId(s.stack.storage.bucket);
    const s3Statements = statements().filter((st) => list(st.Action).some((a: string) => a.startsWith('s3:')));
    for (const st of s3Statements) {
      expect(st.Effect).toBe('Allow');
      for (const a of list(st.Action)) expect(a).not.toMatch(/\*/);
      for (const r of list(st.Resource)) expect(r).not.toBe('*');
    }
    const grants = s3Statements.flatMap((st) => list(st.Resource).map((r) => ({ resource: JSON.stringify(r), actions: list(st.Action).sort() })));
    expect(grants).toEqual(
      expect.arrayContaining([
        { resource: JSON.stringify(objectArn(bucket, '/content/*')), actions: ['s3:GetObject'] },
        { resource: JSON.stringify(objectArn(bucket, '/state/*')), actions: ['s3:DeleteObject', 's3:GetObject', 's3:PutObject'] },
        { resource: JSON.stringify(objectArn(bucket, '/public/*')), actions: ['s3:DeleteObject', 's3:GetObject', 's3:PutObject'] },
        { resource: JSON.stringify(getAtt(bucket, 'Arn')), actions: ['s3:ListBucket'] },
      ]),
    );
    expect(grants).toHaveLength(4);
    const listing = s3Statements.find((st) => st.Action === 's3:ListBucket')!;
    expect(listing.Condition).toEqual({ StringLike: { 's3:prefix': ['content/*', 'state/*', 'public/*'] } });
  });

  it('may otherwise only write its logs and consume its event queue', () => {
    const others = statements().filter((st) => !list(st.Action).some((a: string) => a.startsWith('s3:')));
    const actions = others.flatMap((st) => list(st.Action)).sort();
    expect(actions).toEqual([
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      'sqs:ChangeMessageVisibility',
      'sqs:DeleteMessage',
      'sqs:GetQueueAttributes',
      'sqs:GetQueueUrl',
      'sqs:ReceiveMessage',
    ]);
    for (const st of others) for (const r of list(st.Resource)) expect(r).not.toBe('*');
    const sqsGrant = others.find((st) => list(st.Action).includes('sqs:ReceiveMessage'))!;
    expect(sqsGrant.Resource).toEqual(getAtt(s.logicalId(s.stack.publisher.events), 'Arn'));
  });
});

describe('distribution', () => {
  const dist = (x: Synthesized) => only(x, 'AWS::CloudFront::Distribution').Properties.DistributionConfig;

  it('reads the bucket through Origin Access Control, rooted at public/', () => {
    const origin = dist(s).Origins[0];
    expect(dist(s).Origins).toHaveLength(1);
    expect(origin).toMatchObject({
      DomainName: getAtt(s.logicalId(s.stack.storage.bucket), 'RegionalDomainName'),
      OriginPath: '/public',
      S3OriginConfig: { OriginAccessIdentity: '' },
    });
    const oac = resources(s, 'AWS::CloudFront::OriginAccessControl');
    expect(oac).toHaveLength(1);
    expect(origin.OriginAccessControlId).toEqual(getAtt(oac[0]![0], 'Id'));
    expect(oac[0]![1].Properties.OriginAccessControlConfig).toMatchObject({ OriginAccessControlOriginType: 's3', SigningBehavior: 'always', SigningProtocol: 'sigv4' });
  });

  it('lets CloudFront read public/* only, and only for this distribution', () => {
    const bucket = s.logicalId(s.stack.storage.bucket);
    const policy = resources(s, 'AWS::S3::BucketPolicy').find(([, p]) => p.Properties.Bucket.Ref === bucket)![1];
    const cf = (policy.Properties.PolicyDocument.Statement as Json[]).filter((st) => st.Principal?.Service === 'cloudfront.amazonaws.com');
    expect(cf).toHaveLength(1);
    expect(cf[0]).toMatchObject({ Effect: 'Allow', Action: 's3:GetObject', Resource: objectArn(bucket, '/public/*') });
    expect(JSON.stringify(cf[0]!.Condition.StringEquals['AWS:SourceArn'])).toContain(s.logicalId(s.stack.cdn.distribution));
  });

  it('serves HTTPS only (redirect), HTTP/2 and HTTP/3, compressed, index.html at the root, with access logs', () => {
    expect(dist(s)).toMatchObject({
      DefaultCacheBehavior: { ViewerProtocolPolicy: 'redirect-to-https', Compress: true, AllowedMethods: ['GET', 'HEAD'] },
      HttpVersion: 'http2and3',
      DefaultRootObject: 'index.html',
      Logging: { Bucket: getAtt(s.logicalId(s.stack.storage.logBucket), 'RegionalDomainName'), Prefix: 'cloudfront/' },
    });
  });

  it('serves directory indexes (viewer request) and styled feeds to browsers (viewer response) with CloudFront Functions', () => {
    const fns = resources(s, 'AWS::CloudFront::Function');
    const byCode = (code: string) => fns.find(([, fn]) => fn.Properties.FunctionCode === code)!;
    const [indexId, indexFn] = byCode(DIRECTORY_INDEX_SOURCE);
    const [viewId, viewFn] = byCode(FEED_BROWSER_VIEW_SOURCE);
    for (const fn of [indexFn, viewFn]) expect(fn.Properties.FunctionConfig.Runtime).toBe('cloudfront-js-2.0');
    expect(dist(s).DefaultCacheBehavior.FunctionAssociations).toEqual([
      { EventType: 'viewer-request', FunctionARN: getAtt(indexId, 'FunctionARN') },
      { EventType: 'viewer-response', FunctionARN: getAtt(viewId, 'FunctionARN') },
    ]);
  });

  it("caches as the origin's Cache-Control says, with gzip and brotli", () => {
    const p = only(s, 'AWS::CloudFront::CachePolicy').Properties.CachePolicyConfig;
    expect(p).toMatchObject({ MinTTL: 0, DefaultTTL: 300, MaxTTL: 86400 });
    expect(p.ParametersInCacheKeyAndForwardedToOrigin).toMatchObject({
      EnableAcceptEncodingGzip: true,
      EnableAcceptEncodingBrotli: true,
      QueryStringsConfig: { QueryStringBehavior: 'none' },
      CookiesConfig: { CookieBehavior: 'none' },
    });
    expect(dist(s).DefaultCacheBehavior.CachePolicyId).toEqual({ Ref: resources(s, 'AWS::CloudFront::CachePolicy')[0]![0] });
  });

  it('adds security headers and Access-Control-Allow-Origin: *', () => {
    const [id, policy] = resources(s, 'AWS::CloudFront::ResponseHeadersPolicy')[0]!;
    expect(dist(s).DefaultCacheBehavior.ResponseHeadersPolicyId).toEqual({ Ref: id });
    const c = policy.Properties.ResponseHeadersPolicyConfig;
    expect(c.SecurityHeadersConfig).toMatchObject({
      StrictTransportSecurity: { AccessControlMaxAgeSec: 63072000, IncludeSubdomains: true, Override: true },
      ContentTypeOptions: { Override: true },
      FrameOptions: { FrameOption: 'DENY', Override: true },
      ReferrerPolicy: { ReferrerPolicy: 'strict-origin-when-cross-origin', Override: true },
      ContentSecurityPolicy: { ContentSecurityPolicy: CONTENT_SECURITY_POLICY, Override: true },
    });
    expect(CONTENT_SECURITY_POLICY).toContain("default-src 'none'");
    expect(c.CorsConfig).toMatchObject({
      AccessControlAllowOrigins: { Items: ['*'] },
      AccessControlAllowMethods: { Items: ['GET', 'HEAD'] },
      AccessControlAllowCredentials: false,
      OriginOverride: true,
    });
  });

  it('uses the custom domain and its certificate, with TLS 1.2 at least, when configured', () => {
    expect(dist(custom)).toMatchObject({
      Aliases: ['feeds.example.com'],
      ViewerCertificate: { AcmCertificateArn: CERT, MinimumProtocolVersion: 'TLSv1.2_2021', SslSupportMethod: 'sni-only' },
    });
    expect(dist(s).Aliases).toBeUndefined();
  });
});

describe('event queue', () => {
  const queue = (id: string) => s.template.toJSON().Resources[id];

  it('is encrypted, TLS-only, with a visibility timeout of 6 × the function timeout and a dead-letter queue after 3 receives', () => {
    const events = queue(s.logicalId(s.stack.publisher.events)).Properties;
    const fnTimeout = s.template.toJSON().Resources[s.logicalId(s.stack.publisher.fn)].Properties.Timeout;
    expect(events).toMatchObject({
      SqsManagedSseEnabled: true,
      VisibilityTimeout: 6 * fnTimeout,
      RedrivePolicy: { deadLetterTargetArn: getAtt(s.logicalId(s.stack.publisher.deadLetters), 'Arn'), maxReceiveCount: 3 },
    });
    expect(queue(s.logicalId(s.stack.publisher.deadLetters)).Properties).toMatchObject({ SqsManagedSseEnabled: true, MessageRetentionPeriod: 1209600 });
    for (const q of [s.stack.publisher.events, s.stack.publisher.deadLetters]) {
      s.template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: s.logicalId(q) }],
        PolicyDocument: {
          Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Action: 'sqs:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]),
        },
      });
    }
  });

  it('feeds the function in batches: batching window, batch size, at most 2 at once, partial batch failures', () => {
    const m = only(s, 'AWS::Lambda::EventSourceMapping').Properties;
    expect(m).toEqual({
      EventSourceArn: getAtt(s.logicalId(s.stack.publisher.events), 'Arn'),
      FunctionName: { Ref: s.logicalId(s.stack.publisher.fn) },
      BatchSize: 1000,
      MaximumBatchingWindowInSeconds: 5,
      ScalingConfig: { MaximumConcurrency: 2 },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });

  it('leaves no asynchronous failure destination: a failed scheduled reconcile is not retried by Lambda (the next run repeats it)', () => {
    expect(only(s, 'AWS::Lambda::EventInvokeConfig').Properties).toEqual({
      FunctionName: { Ref: s.logicalId(s.stack.publisher.fn) },
      MaximumRetryAttempts: 0,
      Qualifier: '$LATEST',
    });
  });
});

describe('reconcile schedule', () => {
  it('invokes the function with { "action": "reconcile" } every 10 minutes', () => {
    const rule = s.template.toJSON().Resources[s.logicalId(s.stack.publisher.reconcileSchedule)].Properties;
    expect(rule).toMatchObject({ ScheduleExpression: 'rate(10 minutes)', State: 'ENABLED' });
    expect(rule.Targets).toHaveLength(1);
    expect(rule.Targets[0].Arn).toEqual(getAtt(s.logicalId(s.stack.publisher.fn), 'Arn'));
    expect(JSON.parse(rule.Targets[0].Input)).toEqual({ action: 'reconcile' });
    s.template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: 'events.amazonaws.com',
      SourceArn: getAtt(s.logicalId(s.stack.publisher.reconcileSchedule), 'Arn'),
    });
  });
});

describe('alarms', () => {
  it('alarm on function errors (publisher and reducer), the dead-letter queue depth and failed or timed-out rebuilds, to an SNS topic', () => {
    const topic = { Ref: s.logicalId(s.stack.monitoring.topic) };
    const common = { Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold', EvaluationPeriods: 1, TreatMissingData: 'notBreaching', AlarmActions: [topic], OKActions: [topic] };
    s.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      ...common,
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: s.logicalId(s.stack.publisher.fn) } }],
    });
    s.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      ...common,
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: s.logicalId(s.stack.publisher.reducer) } }],
    });
    s.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      ...common,
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: getAtt(s.logicalId(s.stack.publisher.deadLetters), 'QueueName') }],
    });
    for (const metric of ['ExecutionsFailed', 'ExecutionsTimedOut']) {
      s.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        ...common,
        Namespace: 'AWS/States',
        MetricName: metric,
        Statistic: 'Sum',
        Dimensions: [{ Name: 'StateMachineArn', Value: { Ref: s.logicalId(s.stack.workflow.stateMachine) } }],
      });
    }
    expect(resources(s, 'AWS::CloudWatch::Alarm')).toHaveLength(5);
    s.template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          Match.objectLike({ Effect: 'Allow', Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: 'sns:Publish', Resource: topic }),
        ]),
      },
    });
    expect(resources(s, 'AWS::SNS::Subscription')).toHaveLength(0);
    custom.template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.com' });
  });
});

describe('rebuild state machine', () => {
  const machine = () => s.template.toJSON().Resources[s.logicalId(s.stack.workflow.stateMachine)];
  /** The ASL with CloudFormation's tokens replaced by readable placeholders. */
  const definition = (): Json => {
    const parts = machine().Properties.DefinitionString['Fn::Join'][1] as (string | Json)[];
    const text = parts
      .map((p) => {
        if (typeof p === 'string') return p;
        if (p.Ref === 'AWS::Partition') return 'aws';
        if (p.Ref) return `<${p.Ref}>`;
        if (p['Fn::GetAtt']) return `<${p['Fn::GetAtt'].join('.')}>`;
        throw new Error(`unexpected token ${JSON.stringify(p)}`);
      })
      .join('');
    return JSON.parse(text);
  };
  const fnArn = () => `<${s.logicalId(s.stack.publisher.fn)}.Arn>`;
  const reducerArn = () => `<${s.logicalId(s.stack.publisher.reducer)}.Arn>`;
  const bucketRef = () => `<${s.logicalId(s.stack.storage.bucket)}>`;

  it('is a STANDARD state machine: start → distributed map → reduce, with a timeout', () => {
    expect(machine().Properties.StateMachineType).toBe('STANDARD');
    const d = definition();
    expect(d.StartAt).toBe('Start');
    expect(d.TimeoutSeconds).toBe(7200);
    expect(Object.keys(d.States).sort()).toEqual(['MapArticles', 'Reduce', 'Start']);
    expect(d.States.Start).toMatchObject({
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke',
      // The execution's input goes to the function, which refuses a bucket other than its own.
      Parameters: { FunctionName: fnArn(), Payload: { action: 'rebuild-start', bucket: bucketRef(), 'input.$': '$$.Execution.Input' } },
      ResultSelector: { 'bucket.$': '$.Payload.bucket', 'epoch.$': '$.Payload.epoch' },
      ResultPath: '$.run',
      Next: 'MapArticles',
    });
    expect(d.States.MapArticles.Next).toBe('Reduce');
    expect(d.States.Reduce).toMatchObject({
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke',
      // The reducer: the same code with a 15-minute timeout (a million articles' reduce).
      Parameters: { FunctionName: reducerArn(), Payload: { action: 'rebuild-reduce', 'bucket.$': '$.run.bucket', 'epoch.$': '$.run.epoch' } },
      ResultSelector: { 'summary.$': '$.Payload' },
      End: true,
    });
  });

  it('maps over ListObjectsV2 of content/ in batches of 200 (under 256 KiB), each an EXPRESS child invoking rebuild-map', () => {
    const m = definition().States.MapArticles;
    expect(m.Type).toBe('Map');
    expect(m.ItemProcessor.ProcessorConfig).toEqual({ Mode: 'DISTRIBUTED', ExecutionType: 'EXPRESS' });
    expect(m.ItemReader).toEqual({ Resource: 'arn:aws:states:::s3:listObjectsV2', Parameters: { Bucket: bucketRef(), Prefix: 'content/' } });
    expect(m.ItemBatcher).toEqual({ MaxItemsPerBatch: 200, MaxInputBytesPerBatch: 204800, BatchInput: { 'bucket.$': '$.run.bucket', 'epoch.$': '$.run.epoch' } });
    expect(m.MaxConcurrency).toBe(10);
    expect(m.ToleratedFailurePercentage).toBe(0);
    expect(m.ToleratedFailureCount).toBe(0);
    const child = m.ItemProcessor.States[m.ItemProcessor.StartAt];
    expect(Object.keys(m.ItemProcessor.States)).toHaveLength(1);
    expect(child).toMatchObject({
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke',
      Parameters: { FunctionName: fnArn(), Payload: { action: 'rebuild-map', 'bucket.$': '$.BatchInput.bucket', 'epoch.$': '$.BatchInput.epoch', 'items.$': '$.Items' } },
      End: true,
    });
  });

  it('retries a batch on Lambda throttling and service errors and on a failed invocation, with backoff and jitter', () => {
    const m = definition().States.MapArticles;
    const retry = m.ItemProcessor.States[m.ItemProcessor.StartAt].Retry as Json[];
    const on = (error: string) => retry.find((r) => r.ErrorEquals.includes(error));
    for (const e of ['Lambda.TooManyRequestsException', 'Lambda.ServiceException']) expect(on(e)).toMatchObject({ MaxAttempts: 6, BackoffRate: 2, JitterStrategy: 'FULL' });
    expect(on('States.TaskFailed')).toMatchObject({ MaxAttempts: 3, BackoffRate: 3, JitterStrategy: 'FULL' });
    for (const r of retry) expect(r.IntervalSeconds).toBeGreaterThan(0);
    // Every step retries throttling, not only the map.
    for (const state of ['Start', 'Reduce']) expect(JSON.stringify(definition().States[state].Retry)).toContain('Lambda.TooManyRequestsException');
  });

  it('keeps the payload small: child outputs discarded, the map result discarded, the reduce summary kept', () => {
    const m = definition().States.MapArticles;
    expect(m.ResultPath).toBeNull();
    expect(m.ItemProcessor.States[m.ItemProcessor.StartAt].OutputPath).toBeNull();
    expect(m.ResultWriter).toBeUndefined();
    expect(definition().States.Reduce.ResultPath).toBe('$.reduce');
  });

  it('logs ALL events without execution data to its own log group, kept logRetentionDays', () => {
    const logging = machine().Properties.LoggingConfiguration;
    expect(logging).toMatchObject({ Level: 'ALL', IncludeExecutionData: false });
    const group = logging.Destinations[0].CloudWatchLogsLogGroup.LogGroupArn;
    expect(group).toEqual(getAtt(s.logicalId(s.stack.workflow.logGroup), 'Arn'));
    expect(s.template.toJSON().Resources[s.logicalId(s.stack.workflow.logGroup)].Properties.RetentionInDays).toBe(90);
  });

  it('may list content/ only, invoke the publisher and the reducer, and manage its own child executions: nothing else', () => {
    const role = s.logicalId(s.stack.workflow.stateMachine.role);
    const statements = resources(s, 'AWS::IAM::Policy')
      .filter(([, p]) => (p.Properties.Roles as Json[]).some((r) => r.Ref === role))
      .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Json[]);
    const list = <T>(v: T | T[]): T[] => (Array.isArray(v) ? v : [v]);
    const actions = statements.flatMap((st) => list(st.Action));
    for (const a of actions) expect(a).toMatch(/^(s3:ListBucket|lambda:InvokeFunction|states:(StartExecution|DescribeExecution|StopExecution|RedriveExecution)|logs:\w+)$/);
    const s3 = statements.filter((st) => list(st.Action).some((a: string) => a.startsWith('s3:')));
    expect(s3).toEqual([
      { Action: 's3:ListBucket', Effect: 'Allow', Resource: getAtt(s.logicalId(s.stack.storage.bucket), 'Arn'), Condition: { StringEquals: { 's3:prefix': 'content/' } } },
    ]);
    const invoked = statements.filter((st) => list(st.Action).includes('lambda:InvokeFunction')).flatMap((st) => list(st.Resource));
    const fn = getAtt(s.logicalId(s.stack.publisher.fn), 'Arn');
    const reducer = getAtt(s.logicalId(s.stack.publisher.reducer), 'Arn');
    expect(invoked).toEqual(expect.arrayContaining([fn, { 'Fn::Join': ['', [fn, ':*']] }, reducer, { 'Fn::Join': ['', [reducer, ':*']] }]));
    expect(invoked).toHaveLength(4);
    // Starting executions: only itself (the Distributed Map's children).
    for (const st of statements.filter((x) => list(x.Action).includes('states:StartExecution'))) expect(st.Resource).toEqual({ Ref: s.logicalId(s.stack.workflow.stateMachine) });
    // '*' only for CloudWatch Logs delivery, which has no resource-level permissions.
    for (const st of statements) if (list(st.Resource).includes('*')) for (const a of list(st.Action)) expect(a).toMatch(/^logs:/);
  });
});

describe('rebuild on settings change', () => {
  const rebuild = (x: Synthesized) => only(x, 'Custom::SyndicRebuild');
  const call = (x: Synthesized) => JSON.stringify(rebuild(x).Properties.Update);

  it('starts an execution of the rebuild state machine (StartExecution returns at once) after the function is updated', () => {
    const r = rebuild(s);
    expect(r.DependsOn).toEqual(expect.arrayContaining([s.logicalId(s.stack.publisher.fn), s.logicalId(s.stack.publisher.reducer), s.logicalId(s.stack.workflow.stateMachine)]));
    const create = JSON.stringify(r.Properties.Create);
    expect(create).toBe(call(s));
    expect(create).toContain('\\"service\\":\\"SFN\\",\\"action\\":\\"startExecution\\"');
    expect(create).toContain(JSON.stringify({ Ref: s.logicalId(s.stack.workflow.stateMachine) }));
    expect(create).not.toContain('lambda');
  });

  it('is keyed on a hash of the settings, so it only runs when they change', () => {
    const env = settingsToEnv(resolveSettings(repoSettings()));
    const hash = settingsHash({ ...env, [envName('siteUrl')]: '' });
    expect(call(s)).toContain(`rebuild-${hash}-https://`);
    // Another title (and domain) gives another key, which makes CloudFormation run the update.
    expect(call(custom)).not.toContain(hash);
    expect(call(custom)).toMatch(/rebuild-[0-9a-f]{16}-https:\/\/feeds\.example\.com/);
  });

  it('may start executions of this state machine and nothing else', () => {
    s.template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: [{ Action: 'states:StartExecution', Effect: 'Allow', Resource: { Ref: s.logicalId(s.stack.workflow.stateMachine) } }] },
    });
    expect(JSON.stringify(resources(s, 'AWS::IAM::Policy').map(([, p]) => p.Properties.PolicyDocument))).not.toContain('"lambda:InvokeFunction","Effect":"Allow","Resource":{"Fn::GetAtt":["Publisher');
  });
});

describe('deployment record for syndic rebuild --bucket B', () => {
  const marker = () => only(s, 'Custom::SyndicDeployment');
  /** The custom resource's SDK call with CloudFormation's tokens replaced by placeholders. */
  const callOf = (v: Json): Json =>
    JSON.parse(
      (v['Fn::Join'][1] as (string | Json)[])
        .map((p) => (typeof p === 'string' ? p : p.Ref ? `<${p.Ref}>` : `<${JSON.stringify(p)}>`))
        .join(''),
    );

  it('writes state/deployment.json with the state machine ARN, the region and the bucket on create and update, and deletes it with the stack', () => {
    const bucket = `<${s.logicalId(s.stack.storage.bucket)}>`;
    const create = callOf(marker().Properties.Create);
    expect(callOf(marker().Properties.Update)).toEqual(create);
    expect(create).toMatchObject({ service: 'S3', action: 'putObject', parameters: { Bucket: bucket, Key: 'state/deployment.json', ContentType: 'application/json' } });
    expect(JSON.parse(create.parameters.Body)).toEqual({ stateMachineArn: `<${s.logicalId(s.stack.workflow.stateMachine)}>`, region: '<AWS::Region>', bucket });
    expect(callOf(marker().Properties.Delete)).toMatchObject({ service: 'S3', action: 'deleteObject', parameters: { Bucket: bucket, Key: 'state/deployment.json' }, ignoreErrorCodesMatching: 'NoSuchBucket' });
  });

  it('may put and delete that one object: no other key, no wildcard', () => {
    const policy = resources(s, 'AWS::IAM::Policy').find(([id]) => id.startsWith(s.logicalId(s.stack.rebuild.deployment).replace(/[0-9A-F]{8}$/, '')) && id.includes('CustomResourcePolicy'));
    expect(policy).toBeDefined();
    expect(policy![1].Properties.PolicyDocument.Statement).toEqual([
      {
        Action: ['s3:DeleteObject', 's3:PutObject'],
        Effect: 'Allow',
        Resource: { 'Fn::Join': ['', [getAtt(s.logicalId(s.stack.storage.bucket), 'Arn'), '/state/deployment.json']] },
      },
    ]);
  });
});

describe('outputs', () => {
  it('prints the site URL, bucket, feed URLs and the upload command', () => {
    const outputs = s.template.toJSON().Outputs as Json;
    const site = { 'Fn::Join': ['', ['https://', getAtt(s.logicalId(s.stack.cdn.distribution), 'DomainName')]] };
    const bucket = { Ref: s.logicalId(s.stack.storage.bucket) };
    expect(outputs.SiteUrl.Value).toEqual(site);
    expect(outputs.BucketName.Value).toEqual(bucket);
    expect(outputs.RssFeedUrl.Value).toEqual({ 'Fn::Join': ['', ['https://', getAtt(s.logicalId(s.stack.cdn.distribution), 'DomainName'), '/rss.xml']] });
    expect(JSON.stringify(outputs.AtomFeedUrl.Value)).toContain('/atom.xml');
    expect(JSON.stringify(outputs.JsonFeedUrl.Value)).toContain('/feed.json');
    expect(outputs.UploadCommand.Value).toEqual({ 'Fn::Join': ['', ['aws s3 cp post.md s3://', bucket, '/content/']] });
    expect((custom.template.toJSON().Outputs as Json).RssFeedUrl.Value).toBe('https://feeds.example.com/rss.xml');
  });

  it('prints the rebuild state machine ARN and the queue URLs', () => {
    const outputs = s.template.toJSON().Outputs as Json;
    expect(outputs.RebuildStateMachineArn.Value).toEqual({ Ref: s.logicalId(s.stack.workflow.stateMachine) });
    expect(outputs.EventQueueUrl.Value).toEqual({ Ref: s.logicalId(s.stack.publisher.events) });
    expect(outputs.DeadLetterQueueUrl.Value).toEqual({ Ref: s.logicalId(s.stack.publisher.deadLetters) });
    expect(outputs.FailureQueueUrl).toBeUndefined();
  });
});

describe('cdk-nag AwsSolutions', () => {
  const errors = (x: Synthesized) =>
    new AwsSolutionsChecks(x.app, { verbose: true })
      .validateScope(x.stack)
      .violations.filter((v) => v.severity === 'error')
      .map((v) => `${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath).join(', ')}`);

  it('finds no unacknowledged error', () => {
    expect(errors(s)).toEqual([]);
    expect(errors(custom)).toEqual([]);
  });

  it('every acknowledgment is one finding with a one-line reason', () => {
    const acks = s.stack.node
      .findAll()
      .flatMap((c) => c.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY))
      .flatMap((m) => Object.entries(m.data as Record<string, string>));
    expect(acks.length).toBeGreaterThan(0);
    for (const [id, reason] of acks) {
      expect(id).toMatch(/AwsSolutions-[A-Z0-9]+/);
      expect(reason.length).toBeGreaterThan(20);
      expect(reason).not.toContain('\n');
    }
    // TLS floor: only acknowledged where it cannot be set (no custom certificate).
    const ids = (x: Synthesized) => x.stack.node.findAll().flatMap((c) => c.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY).flatMap((m) => Object.keys(m.data as Json)));
    expect(ids(s).some((i) => i.endsWith('AwsSolutions-CFR4'))).toBe(true);
    expect(ids(custom).some((i) => i.endsWith('AwsSolutions-CFR4'))).toBe(false);
  });

  it('fails synthesis when a new finding is not acknowledged', () => {
    const x = synth({}, true); // the app as `cdk synth` builds it, with the checks enabled
    try {
      // A bucket without TLS enforcement or access logs.
      new s3.Bucket(x.stack, 'Careless', {});
      expect(() => x.app.synth({ force: true })).toThrow(/AwsSolutions-S(1|10)/);
    } finally {
      x.dispose();
    }
  }, 240_000);
});

describe('cdk synth', () => {
  it('succeeds offline: no AWS credentials, no Docker, no network', () => {
    const out = mkdtempSync(path.join(tmpdir(), 'syndic-synth-'));
    try {
      const env: NodeJS.ProcessEnv = { ...process.env };
      for (const k of Object.keys(env)) if (/^(AWS_|CDK_DEFAULT_)/.test(k)) delete env[k];
      Object.assign(env, {
        CDK_DISABLE_VERSION_CHECK: '1',
        CDK_DISABLE_CLI_TELEMETRY: 'true',
        AWS_EC2_METADATA_DISABLED: 'true',
        AWS_CONFIG_FILE: path.join(out, 'no-config'),
        AWS_SHARED_CREDENTIALS_FILE: path.join(out, 'no-credentials'),
        CDK_DOCKER: path.join(out, 'no-docker'), // any attempt to bundle in Docker would fail
      });
      const r = spawnSync('npx', ['cdk', 'synth', '--quiet', '--no-notices', '-o', out], { cwd: ROOT, env, encoding: 'utf8', timeout: 280_000 });
      expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
      const template = JSON.parse(readFileSync(path.join(out, 'Syndic.template.json'), 'utf8'));
      expect(Object.values(template.Resources).some((x: any) => x.Type === 'AWS::CloudFront::Distribution')).toBe(true);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 300_000);
});

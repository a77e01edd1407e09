// The synthesized Syndic stack, checked point by point against issue 4: bucket, function and
// its permissions, CloudFront, failure handling, the settings-change rebuild, outputs, cdk-nag.
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

  it('is notified of ObjectCreated and ObjectRemoved under content/ only', () => {
    const n = only(s, 'Custom::S3BucketNotifications').Properties;
    expect(n.BucketName).toEqual({ Ref: s.logicalId(s.stack.storage.bucket) });
    const configs = n.NotificationConfiguration.LambdaFunctionConfigurations as Json[];
    expect(configs.map((c) => c.Events[0]).sort()).toEqual(['s3:ObjectCreated:*', 's3:ObjectRemoved:*']);
    for (const c of configs) {
      expect(c.Filter).toEqual({ Key: { FilterRules: [{ Name: 'prefix', Value: 'content/' }] } });
      expect(c.LambdaFunctionArn).toEqual(getAtt(s.logicalId(s.stack.publisher.fn), 'Arn'));
    }
    expect(n.NotificationConfiguration.QueueConfigurations).toBeUndefined();
    expect(n.NotificationConfiguration.TopicConfigurations).toBeUndefined();
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

  it('may otherwise only write its logs and send failed events to its queue', () => {
    const others = statements().filter((st) => !list(st.Action).some((a: string) => a.startsWith('s3:')));
    const actions = others.flatMap((st) => list(st.Action)).sort();
    expect(actions).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage']);
    for (const st of others) for (const r of list(st.Resource)) expect(r).not.toBe('*');
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

describe('failures', () => {
  it('sends events that fail after the retries to an SQS queue', () => {
    const queue = s.logicalId(s.stack.publisher.failures);
    expect(only(s, 'AWS::Lambda::EventInvokeConfig').Properties).toMatchObject({
      FunctionName: { Ref: s.logicalId(s.stack.publisher.fn) },
      MaximumRetryAttempts: 2,
      DestinationConfig: { OnFailure: { Destination: getAtt(queue, 'Arn') } },
    });
    s.template.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true, MessageRetentionPeriod: 1209600 });
  });

  it('alarms on function errors and on the failure queue depth, to an SNS topic', () => {
    const topic = { Ref: s.logicalId(s.stack.monitoring.topic) };
    s.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: s.logicalId(s.stack.publisher.fn) } }],
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      AlarmActions: [topic],
    });
    s.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: getAtt(s.logicalId(s.stack.publisher.failures), 'QueueName') }],
      Threshold: 1,
      AlarmActions: [topic],
    });
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

describe('rebuild on settings change', () => {
  const rebuild = (x: Synthesized) => only(x, 'Custom::SyndicRebuild');
  const call = (x: Synthesized) => JSON.stringify(rebuild(x).Properties.Update);

  it('invokes the function with { action: "rebuild" } after it is updated', () => {
    const r = rebuild(s);
    const fn = s.logicalId(s.stack.publisher.fn);
    expect(r.DependsOn).toContain(fn);
    const create = JSON.stringify(r.Properties.Create);
    expect(create).toBe(call(s));
    expect(create).toContain(JSON.stringify({ Ref: fn }));
    expect(create).toContain(JSON.stringify(`"Payload":${JSON.stringify(JSON.stringify({ action: 'rebuild' }))}`).slice(1, -1));
    expect(create).toContain('\\"action\\":\\"invoke\\"');
  });

  it('is keyed on a hash of the settings, so it only runs when they change', () => {
    const env = settingsToEnv(resolveSettings(repoSettings()));
    const hash = settingsHash({ ...env, [envName('siteUrl')]: '' });
    expect(call(s)).toContain(`rebuild-${hash}-https://`);
    // Another title (and domain) gives another key, which makes CloudFormation run the update.
    expect(call(custom)).not.toContain(hash);
    expect(call(custom)).toMatch(/rebuild-[0-9a-f]{16}-https:\/\/feeds\.example\.com/);
  });

  it('may invoke this function and nothing else', () => {
    const fnArn = getAtt(s.logicalId(s.stack.publisher.fn), 'Arn');
    s.template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: [{ Action: 'lambda:InvokeFunction', Effect: 'Allow', Resource: fnArn }] },
    });
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

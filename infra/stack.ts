// The Syndic stack: bucket, publisher function (fed by an SQS queue, reconciled on a schedule),
// the rebuild state machine, CloudFront, alarms and the settings-change rebuild, wired together. buildApp() is what both `cdk` (via app.ts) and the tests call.
import { App, CfnOutput, Stack, Validations, type AppProps, type StackProps } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { Construct } from 'constructs';
import { FEED_FILES, CONTENT_PREFIX } from '../src/core/layout.js';
import { envName, settingsToEnv } from '../src/core/settings.js';
import { Cdn } from './cdn.js';
import { explicitSiteUrl, readInfra, readSettings, settingsHash } from './config.js';
import { Monitoring } from './monitoring.js';
import { acknowledgeAcceptedFindings } from './nag.js';
import { Publisher } from './publisher.js';
import { RebuildOnSettingsChange } from './rebuild.js';
import { RebuildWorkflow } from './rebuild-workflow.js';
import { Storage } from './storage.js';

export class SyndicStack extends Stack {
  readonly storage: Storage;
  readonly publisher: Publisher;
  readonly cdn: Cdn;
  readonly monitoring: Monitoring;
  readonly workflow: RebuildWorkflow;
  readonly rebuild: RebuildOnSettingsChange;
  readonly siteUrl: string;

  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);
    const settings = readSettings(this.node);
    const infra = readInfra(this.node);
    const siteUrl = explicitSiteUrl(this.node, infra.domainName);

    this.storage = new Storage(this, 'Storage', infra);
    const { bucket } = this.storage;
    this.cdn = new Cdn(this, 'Cdn', { bucket, logBucket: this.storage.logBucket, domainName: infra.domainName, certificateArn: infra.certificateArn });

    // The feeds' absolute URLs: a siteUrl given explicitly (never a loopback one), else the custom
    // domain, else the distribution's own domain. The local default (http://127.0.0.1:8080) never ships.
    this.siteUrl = siteUrl ?? `https://${infra.domainName ?? this.cdn.distribution.distributionDomainName}`;
    const env = { ...settingsToEnv(settings), [envName('siteUrl')]: this.siteUrl, SYNDIC_BUCKET: bucket.bucketName };
    // The rebuild's key: every setting but siteUrl, which rebuild.ts adds as is (it may be a token).
    const hash = settingsHash({ ...settingsToEnv(settings), [envName('siteUrl')]: '' });

    this.publisher = new Publisher(this, 'Publisher', { bucket, environment: env, logRetentionDays: infra.logRetentionDays });
    this.workflow = new RebuildWorkflow(this, 'RebuildWorkflow', { fn: this.publisher.fn, reducer: this.publisher.reducer, bucket, logRetentionDays: infra.logRetentionDays });
    const { stateMachine } = this.workflow;
    this.monitoring = new Monitoring(this, 'Monitoring', {
      fn: this.publisher.fn,
      reducer: this.publisher.reducer,
      deadLetters: this.publisher.deadLetters,
      rebuild: stateMachine,
      alarmEmail: infra.alarmEmail,
    });
    this.rebuild = new RebuildOnSettingsChange(this, 'Rebuild', {
      fn: [this.publisher.fn, this.publisher.reducer],
      stateMachine,
      bucket,
      settingsHash: hash,
      siteUrl: this.siteUrl,
      logRetentionDays: infra.logRetentionDays,
    });

    const out = (id: string, value: string, description: string) => new CfnOutput(this, id, { value, description });
    out('SiteUrl', this.siteUrl, 'Home of the published site');
    out('BucketName', bucket.bucketName, `Upload articles under ${CONTENT_PREFIX}`);
    out('RssFeedUrl', `${this.siteUrl}/${FEED_FILES.rss}`, 'RSS 2.0 feed of the whole site');
    out('AtomFeedUrl', `${this.siteUrl}/${FEED_FILES.atom}`, 'Atom 1.0 feed of the whole site');
    out('JsonFeedUrl', `${this.siteUrl}/${FEED_FILES.json}`, 'JSON Feed 1.1 of the whole site');
    out('UploadCommand', `aws s3 cp post.md s3://${bucket.bucketName}/${CONTENT_PREFIX}`, 'Publishes an article');
    out('DistributionDomainName', this.cdn.distribution.distributionDomainName, 'CNAME target for a custom domain');
    out('FunctionName', this.publisher.fn.functionName, 'The publisher function (logs)');
    out('ReducerFunctionName', this.publisher.reducer.functionName, "The rebuild's reduce step (logs)");
    out('EventQueueUrl', this.publisher.events.queueUrl, 'Bucket events for content/ waiting for the function');
    out('DeadLetterQueueUrl', this.publisher.deadLetters.queueUrl, 'Bucket events that failed after all retries');
    out('RebuildStateMachineArn', stateMachine.stateMachineArn, 'Start a full rebuild: aws stepfunctions start-execution --state-machine-arn <this>');

    acknowledgeAcceptedFindings(this, {
      storage: this.storage,
      publisher: this.publisher,
      workflow: this.workflow,
      cdn: this.cdn,
      customDomain: !!infra.domainName,
    });
  }
}

export const STACK_NAME = 'Syndic';

export interface BuildOptions extends AppProps {
  /** Run cdk-nag's AwsSolutions pack at synth, failing on unacknowledged errors (default true). */
  nag?: boolean;
}

/** Builds the app and its one stack; `context` stands in for cdk.json / -c in tests. */
export function buildApp(options: BuildOptions = {}): { app: App; stack: SyndicStack } {
  const { nag = true, ...props } = options;
  const app = new App(props);
  if (nag) Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  // Environment-agnostic unless the CLI found credentials: `cdk synth` works offline.
  const stack = new SyndicStack(app, STACK_NAME, {
    description: 'Syndic: Markdown articles in S3, RSS/Atom/JSON feeds on CloudFront',
    env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  });
  return { app, stack };
}

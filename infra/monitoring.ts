// Alarms for the ways publishing can fail silently: the publisher or the rebuild's reducer throwing,
// events that exhausted their retries piling up in the dead-letter queue, and a rebuild execution
// failing or timing out.
// All notify one SNS topic.
import { Aws, Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';

export interface MonitoringProps {
  fn: lambda.IFunction;
  /** The rebuild's Reduce step: a failure the state machine retried away still deserves a look. */
  reducer: lambda.IFunction;
  deadLetters: sqs.IQueue;
  rebuild: sfn.IStateMachine;
  alarmEmail?: string;
}

export class Monitoring extends Construct {
  readonly topic: sns.Topic;
  readonly errorsAlarm: cloudwatch.Alarm;
  readonly reducerErrorsAlarm: cloudwatch.Alarm;
  readonly deadLettersAlarm: cloudwatch.Alarm;
  readonly rebuildFailedAlarm: cloudwatch.Alarm;
  readonly rebuildTimedOutAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    this.topic = new sns.Topic(this, 'Alarms', { displayName: 'Syndic alarms', enforceSSL: true });
    // enforceSSL replaces the default topic policy, so CloudWatch needs an explicit grant; only
    // this account's alarms may publish.
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: {
          ArnLike: { 'aws:SourceArn': `arn:${Aws.PARTITION}:cloudwatch:${Aws.REGION}:${Aws.ACCOUNT_ID}:alarm:*` },
          StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
        },
      }),
    );
    if (props.alarmEmail) this.topic.addSubscription(new EmailSubscription(props.alarmEmail));
    const action = new SnsAction(this.topic);

    // Every alarm fires on the first occurrence in a 5-minute window; no data means all is well.
    const alarmOn = (id: string, alarmDescription: string, metric: cloudwatch.IMetric) =>
      new cloudwatch.Alarm(this, id, {
        alarmDescription,
        metric,
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    this.errorsAlarm = alarmOn(
      'FunctionErrors',
      'Syndic: the publisher function failed (it will retry; see its log group)',
      props.fn.metricErrors({ period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM }),
    );
    this.reducerErrorsAlarm = alarmOn(
      'ReducerErrors',
      "Syndic: the rebuild's reduce step failed (the state machine retries it; see the reducer's log group)",
      props.reducer.metricErrors({ period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM }),
    );
    this.deadLettersAlarm = alarmOn(
      'FailedEvents',
      'Syndic: bucket events failed after all retries; inspect the dead-letter queue, fix, re-upload or rebuild',
      props.deadLetters.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: cloudwatch.Stats.MAXIMUM }),
    );
    this.rebuildFailedAlarm = alarmOn(
      'RebuildFailed',
      'Syndic: a rebuild execution failed; see its Map Run and the state machine log group, then redrive or start one again',
      props.rebuild.metricFailed({ period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM }),
    );
    this.rebuildTimedOutAlarm = alarmOn(
      'RebuildTimedOut',
      'Syndic: a rebuild execution timed out; redrive it (finished batches are not redone) or raise its timeout',
      props.rebuild.metricTimedOut({ period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM }),
    );

    for (const alarm of [this.errorsAlarm, this.reducerErrorsAlarm, this.deadLettersAlarm, this.rebuildFailedAlarm, this.rebuildTimedOutAlarm]) {
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
    }
  }
}

import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { AUTHORIZER_METRICS, INGEST_METRICS, METRIC_DIMENSIONS, SERVICE_DIMENSION, SERVICE_NAMES } from '../lambda/contract/index.js';

/** What {@link RevocationMonitoring} watches. */
export interface RevocationMonitoringProps {
  readonly namespace: string;
  readonly authorizerFunction: lambda.IFunction;
  readonly ingestFunction: lambda.IFunction;
  /** Where SNS puts messages it could not deliver to the ingest function. */
  readonly deliveryDeadLetterQueue: sqs.IQueue;
  /** Where Lambda puts events the ingest function failed on after its retries. */
  readonly ingestFailureQueue: sqs.IQueue;
  readonly maxStaleness: Duration;
  readonly failMode: 'closed' | 'open';
  readonly alarmAction?: cloudwatch.IAlarmAction | undefined;
  readonly dashboardName?: string | undefined;
}

const ONE_MINUTE = Duration.minutes(1);
const FIVE_MINUTES = Duration.minutes(5);

/** Alarms and the dashboard of a RevocationAuthorizer, built on the EMF metrics in lambda/contract/metric-names.ts. */
export class RevocationMonitoring extends Construct {
  readonly alarms: readonly cloudwatch.Alarm[];
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: RevocationMonitoringProps) {
    super(scope, id);
    const { namespace, authorizerFunction, ingestFunction, deliveryDeadLetterQueue, ingestFailureQueue } = props;
    const serviceMetric = (service: string, metricName: string, statistic: string, period = ONE_MINUTE) =>
      new cloudwatch.Metric({ namespace, metricName, dimensionsMap: { [SERVICE_DIMENSION]: service }, statistic, period });
    const authorizerMetric = (metricName: string, statistic: string, period = ONE_MINUTE) =>
      serviceMetric(SERVICE_NAMES.authorizer, metricName, statistic, period);
    // SEARCH returns one series per dimension combination (each reason, each kind), whatever the
    // combinations turn out to be; alarms cannot use SEARCH, so they use exact metrics.
    const search = (metricName: string, service: string, label: string, period = ONE_MINUTE) =>
      new cloudwatch.MathExpression({
        expression: `SEARCH('Namespace="${namespace}" MetricName="${metricName}" ${SERVICE_DIMENSION}="${service}"', 'Sum', ${period.toSeconds()})`,
        usingMetrics: {},
        label,
        period,
      });

    const alarms: cloudwatch.Alarm[] = [];
    const alarm = (id: string, metric: cloudwatch.IMetric, threshold: number, description: string, evaluationPeriods = 1) => {
      const created = new cloudwatch.Alarm(this, id, {
        metric,
        threshold,
        evaluationPeriods,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        // No data means nothing happened: no failed deliveries, no invocations, no decisions.
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      });
      if (props.alarmAction !== undefined) created.addAlarmAction(props.alarmAction);
      alarms.push(created);
      return created;
    };

    alarm(
      'DeliveryDeadLetterQueueAlarm',
      deliveryDeadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: ONE_MINUTE, statistic: 'Maximum' }),
      1,
      'SNS could not deliver revocation messages to the ingest function: those revocations are NOT applied. Fix the cause (function deleted, permission, KMS key policy), then redrive the queue to the topic.',
    );
    alarm(
      'IngestFailureQueueAlarm',
      ingestFailureQueue.metricApproximateNumberOfMessagesVisible({ period: ONE_MINUTE, statistic: 'Maximum' }),
      1,
      'The ingest function failed on revocation messages after every retry: those revocations are NOT applied. Read the function log for the error code; invalid messages must be corrected and republished.',
    );
    alarm(
      'IngestErrorsAlarm',
      ingestFunction.metricErrors({ period: FIVE_MINUTES, statistic: 'Sum' }),
      1,
      'The ingest function failed (a rejected message or an unavailable table). Lambda retries twice, then sends the event to the failure queue.',
    );
    alarm(
      'AuthorizerErrorsAlarm',
      authorizerFunction.metricErrors({ period: FIVE_MINUTES, statistic: 'Sum' }),
      1,
      'The authorizer threw: a misconfiguration, an unreachable JWKS, or a revocation view it could not load (fail closed). API Gateway answered 500 to those requests.',
    );
    alarm(
      'AuthorizerThrottlesAlarm',
      authorizerFunction.metricThrottles({ period: FIVE_MINUTES, statistic: 'Sum' }),
      1,
      'The authorizer was throttled, so API Gateway answered 500: raise its reserved concurrency or the account concurrency limit.',
    );
    const lagThresholdMs = Math.floor(props.maxStaleness.toMilliseconds() / 2);
    alarm(
      'RevocationSyncLagAlarm',
      authorizerMetric(AUTHORIZER_METRICS.revocationSyncLagMs, 'Maximum'),
      lagThresholdMs,
      `Authorizer instances decide on a revocation view older than ${lagThresholdMs} ms, half the allowed staleness: their delta reads of the table are failing. At ${props.maxStaleness.toMilliseconds()} ms decisions ${props.failMode === 'closed' ? 'fail (500)' : 'allow without a revocation check'}.`,
      2,
    );
    if (props.failMode === 'open') {
      alarm(
        'FailOpenAllowsAlarm',
        authorizerMetric(AUTHORIZER_METRICS.failOpenAllows, 'Sum', FIVE_MINUTES),
        1,
        'The authorizer allowed requests without a revocation check because its revocation view was unavailable or stale (failMode open).',
      );
    }
    this.alarms = alarms;

    const dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: props.dashboardName,
      defaultInterval: Duration.hours(3),
    });
    const height = 6;
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Decisions by decision and reason',
        left: [
          search(
            AUTHORIZER_METRICS.decisions,
            SERVICE_NAMES.authorizer,
            dimensionLabel(METRIC_DIMENSIONS.decision, METRIC_DIMENSIONS.reason),
          ),
        ],
        stacked: true,
        width: 12,
        height,
      }),
      new cloudwatch.GraphWidget({
        title: 'Revocation view age (ms)',
        left: [
          authorizerMetric(AUTHORIZER_METRICS.revocationSyncLagMs, 'Maximum').with({ label: 'maximum' }),
          authorizerMetric(AUTHORIZER_METRICS.revocationSyncLagMs, 'p99').with({ label: 'p99' }),
        ],
        leftAnnotations: [{ value: props.maxStaleness.toMilliseconds(), label: 'maxStaleness', color: cloudwatch.Color.RED }],
        width: 12,
        height,
      }),
    );
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Revocations applied by kind',
        left: [search(INGEST_METRICS.revocationsApplied, SERVICE_NAMES.ingest, dimensionLabel(METRIC_DIMENSIONS.kind))],
        right: [serviceMetric(SERVICE_NAMES.ingest, INGEST_METRICS.revocationsUnchanged, 'Sum').with({ label: 'unchanged' })],
        width: 8,
        height,
      }),
      new cloudwatch.GraphWidget({
        title: 'Messages rejected by reason',
        left: [search(INGEST_METRICS.messagesRejected, SERVICE_NAMES.ingest, dimensionLabel(METRIC_DIMENSIONS.reason))],
        width: 8,
        height,
      }),
      new cloudwatch.GraphWidget({
        title: 'Revocations held per instance',
        left: [
          authorizerMetric(AUTHORIZER_METRICS.revocationEntries, 'Maximum').with({ label: 'maximum' }),
          authorizerMetric(AUTHORIZER_METRICS.failOpenAllows, 'Sum').with({ label: 'fail-open allows' }),
        ],
        width: 8,
        height,
      }),
    );
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Authorizer cold starts',
        left: [search(AUTHORIZER_METRICS.coldStart, SERVICE_NAMES.authorizer, 'cold starts', FIVE_MINUTES)],
        width: 8,
        height,
      }),
      new cloudwatch.GraphWidget({
        title: 'Authorizer function',
        left: [
          authorizerFunction.metricInvocations({ period: ONE_MINUTE }),
          authorizerFunction.metricErrors({ period: ONE_MINUTE }),
          authorizerFunction.metricThrottles({ period: ONE_MINUTE }),
        ],
        right: [authorizerFunction.metricDuration({ period: ONE_MINUTE, statistic: 'p99' })],
        width: 8,
        height,
      }),
      new cloudwatch.GraphWidget({
        title: 'Ingest function and dead-letter queues',
        left: [ingestFunction.metricInvocations({ period: ONE_MINUTE }), ingestFunction.metricErrors({ period: ONE_MINUTE })],
        right: [
          deliveryDeadLetterQueue.metricApproximateNumberOfMessagesVisible({
            period: ONE_MINUTE,
            statistic: 'Maximum',
            label: 'delivery DLQ',
          }),
          ingestFailureQueue.metricApproximateNumberOfMessagesVisible({
            period: ONE_MINUTE,
            statistic: 'Maximum',
            label: 'ingest failure queue',
          }),
        ],
        width: 8,
        height,
      }),
    );
    dashboard.addWidgets(new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms, width: 24, height: 4 }));
    this.dashboard = dashboard;
  }
}

/** A CloudWatch dynamic label: each series of a SEARCH is named by its values of these dimensions. */
function dimensionLabel(...dimensions: readonly string[]): string {
  return dimensions.map((name) => `\${PROP('Dim.${name}')}`).join(' ');
}

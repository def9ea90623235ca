import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import {
  AUTHORIZER_METRICS,
  FEED_METRICS,
  FUNCTION_TIMEOUT_SECONDS,
  INGEST_METRICS,
  METRIC_DIMENSIONS,
  REVOCATION_TABLE_SCHEMA,
  SERVICE_DIMENSION,
  SERVICE_NAMES,
} from '../lambda/contract/index.js';

/** What {@link RevocationMonitoring} watches. */
export interface RevocationMonitoringProps {
  readonly namespace: string;
  readonly authorizerFunction: lambda.IFunction;
  /** The alias carrying provisioned concurrency, when there is one. */
  readonly authorizerAlias?: lambda.Alias | undefined;
  /** The ingest side, in the primary region; a replica region's authorizer has none. */
  readonly ingest?: RevocationIngestMonitoring | undefined;
  /** The snapshot writer, when snapshots are on. */
  readonly snapshotFunction?: lambda.IFunction | undefined;
  /** The change feed's writer, when `changeFeed` is on (the primary region only). */
  readonly feedFunction?: lambda.IFunction | undefined;
  readonly table: dynamodb.ITable;
  /** The global table's replication out of this region, watched per receiving region (the primary region only). */
  readonly replication?: RevocationReplicationMonitoring | undefined;
  readonly maxStaleness: Duration;
  readonly failMode: 'closed' | 'open';
  readonly alarmAction?: cloudwatch.IAlarmAction | undefined;
  readonly dashboardName?: string | undefined;
}

/** What {@link RevocationMonitoring} watches of the ingest side. */
export interface RevocationIngestMonitoring {
  readonly ingestFunction: lambda.IFunction;
  /** Where SNS puts messages it could not deliver to the ingest function. */
  readonly deliveryDeadLetterQueue: sqs.IQueue;
  /** Where Lambda puts events the ingest function failed on after its retries. */
  readonly ingestFailureQueue: sqs.IQueue;
}

/** What {@link RevocationMonitoring} watches of the global table's replication. */
export interface RevocationReplicationMonitoring {
  /** The replica regions (`replicaRegions`). */
  readonly receivingRegions: readonly string[];
  /** REVOCATION_SYNC_OVERLAP_MS of the deployment. */
  readonly syncOverlapMs: number;
}

const ONE_MINUTE = Duration.minutes(1);
const FIVE_MINUTES = Duration.minutes(5);

/**
 * Oldest ingest event worth an alarm. Lambda retries a failed asynchronous event after 1 and then
 * 2 more minutes, so an age past 5 minutes means a backlog (throttling at the ingest's reserved
 * concurrency), not retries: revocations are waiting.
 */
const INGEST_EVENT_AGE_ALARM_MS = 5 * 60_000;
/**
 * Longest from an ingest write's change stamp to the write being in the table: the ingest stamps
 * each attempt as it is sent and gives it 1 s to connect and 2 s to answer (lambda/ingest.ts).
 */
const INGEST_STAMP_TO_WRITE_MS = 3000;
/** Allowance for a replica's change index to take in a replicated write (typically well under a second). */
const INDEX_PROPAGATION_MS = 1000;
/**
 * Feed lag worth an alarm: five of the writer's steps (FEED_INTERVAL_MS, 1 s) behind. Judged on the
 * minute's p90, so the late step of each hand-over between runs (about 2 s without a step, once a
 * minute: infra/revocation-feed.ts) does not trip it.
 */
const FEED_LAG_ALARM_MS = 5000;
/** p99 authorizer duration worth an alarm: 80 % of the 10 s API Gateway waits for an authorizer. */
const AUTHORIZER_DURATION_ALARM_MS = FUNCTION_TIMEOUT_SECONDS.authorizer * 1000 * 0.8;

/** Alarms and the dashboard of a RevocationAuthorizer, built on the EMF metrics in lambda/contract/metric-names.ts. */
export class RevocationMonitoring extends Construct {
  readonly alarms: readonly cloudwatch.Alarm[];
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: RevocationMonitoringProps) {
    super(scope, id);
    const { namespace, authorizerFunction, ingest } = props;
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

    const lambdaMetric = (fn: lambda.IFunction, metricName: string, statistic: string, period = FIVE_MINUTES) =>
      fn.metric(metricName, { statistic, period });
    // Ids must differ between the expressions of one graph: `id` prefixes them.
    const throttles = (id: 'table' | 'index', label: string, dimensionsMap: Record<string, string>) =>
      new cloudwatch.MathExpression({
        // A metric without datapoints would blank the sum: FILL treats it as no throttling.
        expression: `FILL(${id}Reads, 0) + FILL(${id}Writes, 0)`,
        usingMetrics: {
          [`${id}Reads`]: new cloudwatch.Metric({
            namespace: 'AWS/DynamoDB',
            metricName: 'ReadThrottleEvents',
            dimensionsMap,
            statistic: 'Sum',
          }),
          [`${id}Writes`]: new cloudwatch.Metric({
            namespace: 'AWS/DynamoDB',
            metricName: 'WriteThrottleEvents',
            dimensionsMap,
            statistic: 'Sum',
          }),
        },
        label,
        period: FIVE_MINUTES,
      });
    const tableName = props.table.tableName;
    const tableDimensions = { TableName: tableName };
    const indexDimensions = { TableName: tableName, GlobalSecondaryIndexName: REVOCATION_TABLE_SCHEMA.changesIndex.name };

    const alarms: cloudwatch.Alarm[] = [];
    const alarm = (
      id: string,
      metric: cloudwatch.IMetric,
      threshold: number,
      description: string,
      evaluationPeriods = 1,
      // No data means nothing happened: no failed deliveries, no invocations, no decisions.
      treatMissingData = cloudwatch.TreatMissingData.NOT_BREACHING,
    ) => {
      const created = new cloudwatch.Alarm(this, id, {
        metric,
        threshold,
        evaluationPeriods,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData,
        alarmDescription: description,
      });
      if (props.alarmAction !== undefined) created.addAlarmAction(props.alarmAction);
      alarms.push(created);
      return created;
    };

    if (ingest !== undefined) {
      const { ingestFunction, deliveryDeadLetterQueue, ingestFailureQueue } = ingest;
      alarm(
        'DeliveryDeadLetterQueueAlarm',
        deliveryDeadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: ONE_MINUTE, statistic: 'Maximum' }),
        1,
        'SNS could not deliver revocation messages to the ingest function: those revocations are NOT applied. Fix the cause (function deleted, permission, KMS key policy), then redrive the queue to the topic.',
        1,
        // SQS stops sending metrics for a queue idle for hours: missing data keeps the last state
        // instead of turning OK while messages still wait (SQS docs, available CloudWatch metrics).
        cloudwatch.TreatMissingData.IGNORE,
      );
      alarm(
        'IngestFailureQueueAlarm',
        ingestFailureQueue.metricApproximateNumberOfMessagesVisible({ period: ONE_MINUTE, statistic: 'Maximum' }),
        1,
        'The ingest function failed on revocation messages after every retry: those revocations are NOT applied. Read the function log for the error code; invalid messages must be corrected and republished.',
        1,
        cloudwatch.TreatMissingData.IGNORE,
      );
      alarm(
        'IngestDestinationDeliveryFailuresAlarm',
        lambdaMetric(ingestFunction, 'DestinationDeliveryFailures', 'Sum'),
        1,
        'Lambda could not write a failed revocation event to the failure queue (permission, KMS key, or a record over the queue size limit): the event is lost, with its revocations NOT applied. Find the message in the function log and republish it.',
      );
      alarm(
        'IngestAsyncEventsDroppedAlarm',
        lambdaMetric(ingestFunction, 'AsyncEventsDropped', 'Sum'),
        1,
        'Lambda dropped revocation events without processing them (too old, or retries exhausted with no destination reached): those revocations are NOT applied. Republish them.',
      );
      alarm(
        'IngestAsyncEventAgeAlarm',
        lambdaMetric(ingestFunction, 'AsyncEventAge', 'Maximum'),
        INGEST_EVENT_AGE_ALARM_MS,
        `Revocation events waited over ${INGEST_EVENT_AGE_ALARM_MS / 60_000} minutes before the ingest function ran: revocations are delayed. Usually a bulk revocation throttled by ingestReservedConcurrentExecutions; events older than 6 hours are dropped.`,
      );
      alarm(
        'IngestThrottlesAlarm',
        lambdaMetric(ingestFunction, 'Throttles', 'Sum'),
        1,
        'The ingest function was throttled for 15 minutes in a row: its reserved concurrency is too small for the revocation traffic (ingestReservedConcurrentExecutions). Lambda keeps retrying the events for up to 6 hours.',
        3,
      );
      alarm(
        'IngestErrorsAlarm',
        ingestFunction.metricErrors({ period: FIVE_MINUTES, statistic: 'Sum' }),
        1,
        'The ingest function failed (a rejected message or an unavailable table). Lambda retries twice, then sends the event to the failure queue.',
      );
    }
    // Not Lambda's Errors: a REST authorizer throws Unauthorized for every missing or expired
    // token, so Errors counts ordinary refusals; this EMF metric counts only failures.
    alarm(
      'AuthorizerErrorsAlarm',
      authorizerMetric(AUTHORIZER_METRICS.infrastructureFailures, 'Sum', FIVE_MINUTES),
      1,
      'The authorizer failed for a reason other than the token: a configuration it refused at cold start, an unreachable JWKS, or a revocation view it could not load or that grew too old (fail closed). API Gateway answered 500 to those requests. The function log has the error code.',
    );
    alarm(
      'AuthorizerThrottlesAlarm',
      authorizerFunction.metricThrottles({ period: FIVE_MINUTES, statistic: 'Sum' }),
      1,
      'The authorizer was throttled, so API Gateway answered 500: raise its reserved concurrency or the account concurrency limit.',
    );
    alarm(
      'AuthorizerDurationAlarm',
      authorizerFunction.metricDuration({ period: FIVE_MINUTES, statistic: 'p99' }),
      AUTHORIZER_DURATION_ALARM_MS,
      `The authorizer's p99 duration reached ${AUTHORIZER_DURATION_ALARM_MS} ms, near the ${FUNCTION_TIMEOUT_SECONDS.authorizer} s API Gateway waits before answering 500: slow JWKS fetches, table scans at cold start, or too little memory (authorizerMemorySize).`,
    );
    if (props.authorizerAlias !== undefined) {
      alarm(
        'ProvisionedConcurrencySpilloverAlarm',
        props.authorizerAlias.metric('ProvisionedConcurrencySpilloverInvocations', { statistic: 'Sum', period: FIVE_MINUTES }),
        1,
        'Requests beyond the provisioned concurrency ran on on-demand instances, paying a cold start (revocation load) each: raise provisionedConcurrentExecutions.',
      );
    }
    alarm(
      'TableThrottlesAlarm',
      throttles('table', 'table throttles', tableDimensions),
      1,
      'DynamoDB throttled reads or writes of the revocation table: cold-start scans or revocation writes are being retried and may fail (the SDK retries, then the functions fail).',
    );
    alarm(
      'ChangesIndexThrottlesAlarm',
      throttles('index', 'changes index throttles', indexDimensions),
      1,
      'DynamoDB throttled the changes index: delta syncs lag (watch RevocationSyncLag), and index write throttling slows every revocation write to the table.',
    );
    const lagThresholdMs = Math.floor(props.maxStaleness.toMilliseconds() / 2);
    alarm(
      'RevocationSyncLagAlarm',
      authorizerMetric(AUTHORIZER_METRICS.revocationSyncLagMs, 'Maximum'),
      lagThresholdMs,
      `Authorizer instances decide on a revocation view older than ${lagThresholdMs} ms, half the allowed staleness: their delta reads of the table are failing. At ${props.maxStaleness.toMilliseconds()} ms decisions ${props.failMode === 'closed' ? 'fail (500)' : 'allow without a revocation check'}.`,
      2,
    );
    if (props.snapshotFunction !== undefined) {
      alarm(
        'SnapshotErrorsAlarm',
        props.snapshotFunction.metricErrors({ period: FIVE_MINUTES, statistic: 'Sum' }),
        1,
        'The snapshot function has failed for 15 minutes: the snapshot is going stale, and once it is older than snapshotMaxAge every authorizer cold start scans the table instead (SnapshotFallbacks, reason too_old). The function log has the error.',
        3,
      );
    }
    if (props.feedFunction !== undefined) {
      alarm(
        'FeedErrorsAlarm',
        props.feedFunction.metricErrors({ period: FIVE_MINUTES, statistic: 'Sum' }),
        1,
        'The change feed writer failed: until its next run (each minute) the feed head goes stale, and authorizer instances read the change index themselves (each sync interval until the ingest raises the change head again), a load a large fleet cannot sustain (ChangesIndexThrottles). The function log has the error.',
      );
      alarm(
        'FeedEntriesSkippedAlarm',
        serviceMetric(SERVICE_NAMES.feed, FEED_METRICS.feedEntriesSkipped, 'Sum', FIVE_MINUTES),
        1,
        'The change feed writer read a revocation from the table that no page can carry (an item this version cannot encode: its log names it: ERR_FEED_ENTRY_SKIPPED): instances that follow the feed do not apply it until they read the change index themselves (a cold start, or the feed going stale). Fix or remove the item; a cold start of every instance (a deploy) enforces it meanwhile.',
      );
      alarm(
        'FeedLagAlarm',
        serviceMetric(SERVICE_NAMES.feed, FEED_METRICS.feedLagMs, 'p90'),
        FEED_LAG_ALARM_MS,
        `The change feed trails by ${FEED_LAG_ALARM_MS} ms or more (FeedLagMs, p90 of a minute) for 3 minutes, or the writer emits nothing (not running: schedule, throttling, permissions): authorizer instances fall back to querying the change index each sync interval. Read FeedStepFailures and the writer's log.`,
        3,
        // The writer reports every step, heartbeats included: silence means it is not running.
        cloudwatch.TreatMissingData.BREACHING,
      );
    }
    const replication = props.replication;
    const replicationThresholdMs =
      replication === undefined
        ? 0
        : Math.max(INDEX_PROPAGATION_MS, replication.syncOverlapMs - INGEST_STAMP_TO_WRITE_MS - INDEX_PROPAGATION_MS);
    for (const region of replication?.receivingRegions ?? []) {
      alarm(
        `ReplicationLatencyAlarm${region.replace(/[^A-Za-z0-9]/g, '')}`,
        new cloudwatch.Metric({
          namespace: 'AWS/DynamoDB',
          metricName: 'ReplicationLatency',
          dimensionsMap: { TableName: tableName, ReceivingRegion: region },
          statistic: 'Maximum',
          period: ONE_MINUTE,
        }),
        replicationThresholdMs,
        `Writes to the revocation table took ${replicationThresholdMs} ms or more to replicate to ${region} in two minutes in a row. A delta read there covers REVOCATION_SYNC_OVERLAP_MS (${replication!.syncOverlapMs} ms) before its last read, and a write takes up to ${INGEST_STAMP_TO_WRITE_MS} ms from its stamp to the table and about ${INDEX_PROPAGATION_MS} ms into the replica's change index: later than this, a revocation can be missed by warm instances in ${region} until they cold-start. Raise REVOCATION_SYNC_OVERLAP_MS (authorizerEnvironment) above the replication latency plus ${INGEST_STAMP_TO_WRITE_MS + INDEX_PROPAGATION_MS} ms.`,
        2,
      );
    }
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
    const ingestWidgets = ingest === undefined ? undefined : this.ingestWidgets(ingest, serviceMetric, search, lambdaMetric, height);
    dashboard.addWidgets(
      ...(ingestWidgets?.messages ?? []),
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
        title: 'Authorizer cold starts; snapshot fallbacks by reason (right)',
        left: [search(AUTHORIZER_METRICS.coldStart, SERVICE_NAMES.authorizer, 'cold starts', FIVE_MINUTES)],
        right: [
          search(AUTHORIZER_METRICS.snapshotFallbacks, SERVICE_NAMES.authorizer, dimensionLabel(METRIC_DIMENSIONS.reason), FIVE_MINUTES),
        ],
        width: 8,
        height,
      }),
      new cloudwatch.GraphWidget({
        title: 'Authorizer function',
        left: [
          authorizerFunction.metricInvocations({ period: ONE_MINUTE }),
          authorizerFunction.metricErrors({ period: ONE_MINUTE }),
          authorizerFunction.metricThrottles({ period: ONE_MINUTE }),
          authorizerMetric(AUTHORIZER_METRICS.infrastructureFailures, 'Sum').with({ label: 'infrastructure failures' }),
        ],
        right: [authorizerFunction.metricDuration({ period: ONE_MINUTE, statistic: 'p99' })],
        width: 8,
        height,
      }),
      ...(ingestWidgets?.function ?? []),
    );
    dashboard.addWidgets(
      ...(ingestWidgets?.queue ?? []),
      new cloudwatch.GraphWidget({
        title: 'Revocation table throttle events',
        left: [throttles('table', 'table', tableDimensions), throttles('index', 'changes index', indexDimensions)],
        width: ingestWidgets === undefined ? 24 : 12,
        height,
      }),
    );
    if (props.feedFunction !== undefined) dashboard.addWidgets(...feedWidgets(props.feedFunction, serviceMetric, height));
    dashboard.addWidgets(new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms, width: 24, height: 4 }));
    this.dashboard = dashboard;
  }

  /** The dashboard's ingest widgets, in the rows the dashboard puts them. */
  private ingestWidgets(
    ingest: RevocationIngestMonitoring,
    serviceMetric: (service: string, metricName: string, statistic: string) => cloudwatch.Metric,
    search: (metricName: string, service: string, label: string) => cloudwatch.MathExpression,
    lambdaMetric: (fn: lambda.IFunction, metricName: string, statistic: string) => cloudwatch.Metric,
    height: number,
  ): { messages: cloudwatch.IWidget[]; function: cloudwatch.IWidget[]; queue: cloudwatch.IWidget[] } {
    const { ingestFunction, deliveryDeadLetterQueue, ingestFailureQueue } = ingest;
    return {
      messages: [
        new cloudwatch.GraphWidget({
          title: 'Revocations applied by kind',
          left: [search(INGEST_METRICS.revocationsApplied, SERVICE_NAMES.ingest, dimensionLabel(METRIC_DIMENSIONS.kind))],
          right: [serviceMetric(SERVICE_NAMES.ingest, INGEST_METRICS.revocationsUnchanged, 'Sum').with({ label: 'unchanged' })],
          width: 8,
          height,
        }),
        new cloudwatch.GraphWidget({
          title: 'Messages rejected by reason; not applicable (right)',
          left: [search(INGEST_METRICS.messagesRejected, SERVICE_NAMES.ingest, dimensionLabel(METRIC_DIMENSIONS.reason))],
          right: [serviceMetric(SERVICE_NAMES.ingest, INGEST_METRICS.messagesNotApplicable, 'Sum').with({ label: 'not applicable' })],
          width: 8,
          height,
        }),
      ],
      function: [
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
      ],
      queue: [
        new cloudwatch.GraphWidget({
          title: 'Ingest asynchronous queue',
          left: [
            lambdaMetric(ingestFunction, 'AsyncEventsDropped', 'Sum').with({ label: 'events dropped' }),
            lambdaMetric(ingestFunction, 'DestinationDeliveryFailures', 'Sum').with({ label: 'failure records lost' }),
            lambdaMetric(ingestFunction, 'Throttles', 'Sum').with({ label: 'throttles' }),
          ],
          right: [lambdaMetric(ingestFunction, 'AsyncEventAge', 'Maximum').with({ label: 'oldest event age (ms)' })],
          width: 12,
          height,
        }),
      ],
    };
  }
}

/** The dashboard's row for the change feed's writer. */
function feedWidgets(
  feedFunction: lambda.IFunction,
  serviceMetric: (service: string, metricName: string, statistic: string) => cloudwatch.Metric,
  height: number,
): cloudwatch.IWidget[] {
  const feedMetric = (metricName: string, statistic: string) => serviceMetric(SERVICE_NAMES.feed, metricName, statistic);
  return [
    new cloudwatch.GraphWidget({
      title: 'Change feed: pages and entries written; step failures (right)',
      left: [
        feedMetric(FEED_METRICS.feedPages, 'Sum').with({ label: 'pages' }),
        feedMetric(FEED_METRICS.feedEntries, 'Sum').with({ label: 'entries' }),
      ],
      right: [
        feedMetric(FEED_METRICS.feedStepFailures, 'Sum').with({ label: 'step failures' }),
        feedMetric(FEED_METRICS.feedEntriesSkipped, 'Sum').with({ label: 'entries skipped' }),
      ],
      width: 8,
      height,
    }),
    new cloudwatch.GraphWidget({
      title: 'Change feed lag (ms)',
      left: [
        feedMetric(FEED_METRICS.feedLagMs, 'Maximum').with({ label: 'maximum' }),
        feedMetric(FEED_METRICS.feedLagMs, 'p90').with({ label: 'p90' }),
      ],
      leftAnnotations: [{ value: FEED_LAG_ALARM_MS, label: 'alarm', color: cloudwatch.Color.RED }],
      width: 8,
      height,
    }),
    new cloudwatch.GraphWidget({
      title: 'Change feed function',
      left: [
        feedFunction.metricInvocations({ period: ONE_MINUTE }),
        feedFunction.metricErrors({ period: ONE_MINUTE }),
        feedFunction.metricThrottles({ period: ONE_MINUTE }).with({ label: 'Throttles (a run waiting for the previous one)' }),
      ],
      right: [feedFunction.metricDuration({ period: ONE_MINUTE, statistic: 'Maximum' })],
      width: 8,
      height,
    }),
  ];
}

/** A CloudWatch dynamic label: each series of a SEARCH is named by its values of these dimensions. */
function dimensionLabel(...dimensions: readonly string[]): string {
  return dimensions.map((name) => `\${PROP('Dim.${name}')}`).join(' ');
}

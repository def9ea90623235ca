import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { loadFeedWriterConfig } from './config/index.js';
import { DEFAULT_METRICS_NAMESPACE, FEED_METRICS, SERVICE_NAMES } from './contract/index.js';
import { FeedStore, FeedWriter, type FeedRunReport, type FeedStepOutcome } from './feed/index.js';
import { powertoolsLog } from './powertools-log.js';
import { createRevocationClient, RevocationStore } from './revocation/index.js';

const serviceName = process.env.POWERTOOLS_SERVICE_NAME ?? SERVICE_NAMES.feed;
const logger = new Logger({ serviceName });
const metrics = new Metrics({ namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? DEFAULT_METRICS_NAMESPACE, serviceName });
// Module scope runs once per cold start: a bad configuration fails the init loudly, by name.
const config = loadFeedWriterConfig(process.env);
const client = createRevocationClient();
// One writer per instance, kept across invocations: its memory of what it published (and the
// head it resumed from) carries over, so a warm invocation neither re-reads the head nor republishes.
const writer = new FeedWriter(new RevocationStore(client, config.tableName), new FeedStore(client, config.tableName), {
  overlapMs: config.syncOverlapMs,
  intervalMs: config.intervalMs,
  log: powertoolsLog(logger),
});

/**
 * What each invocation leaves of the function's time after its last step may start: a step is a
 * read of the change index and a few dozen writes, which finish within it unless DynamoDB is
 * failing, and then the step fails anyway.
 */
export const FEED_STOP_MARGIN_MS = 5000;

/**
 * Lambda entry point of the change-feed writer (meant to run as one instance at a time, invoked
 * again as each invocation ends, e.g. by a schedule; the event is not read): steps every
 * FEED_INTERVAL_MS until the function's remaining time is down to FEED_STOP_MARGIN_MS, publishing
 * each step's metrics as it ends. Throws when no step succeeded, so Lambda counts an error.
 */
export const handler = async (_event: unknown, context: Pick<Context, 'getRemainingTimeInMillis'>): Promise<FeedRunReport> => {
  const remainingMs = context.getRemainingTimeInMillis();
  const untilMs = Date.now() + remainingMs - FEED_STOP_MARGIN_MS;
  // A step still running a second before the timeout is cut short (its requests aborted, no retry
  // started), so the invocation ends on its own and reports, instead of being killed by Lambda.
  const signal = AbortSignal.timeout(Math.max(0, remainingMs - 1000));
  let lastError: unknown;
  const report = await writer.run(untilMs, {
    signal,
    onStep: (outcome: FeedStepOutcome) => {
      if (outcome.ok) {
        metrics.addMetric(FEED_METRICS.feedPages, MetricUnit.Count, outcome.report.pages);
        metrics.addMetric(FEED_METRICS.feedEntries, MetricUnit.Count, outcome.report.entries);
        metrics.addMetric(FEED_METRICS.feedEntriesSkipped, MetricUnit.Count, outcome.report.skipped);
        metrics.addMetric(FEED_METRICS.feedLagMs, MetricUnit.Milliseconds, outcome.report.lagMs);
        metrics.addMetric(FEED_METRICS.feedStepFailures, MetricUnit.Count, 0);
      } else {
        lastError = outcome.error;
        metrics.addMetric(FEED_METRICS.feedStepFailures, MetricUnit.Count, 1);
      }
      metrics.publishStoredMetrics();
    },
  });
  logger.info('change feed run ended', { ...report });
  if (report.steps > 0 && report.failures === report.steps) throw lastError;
  return report;
};

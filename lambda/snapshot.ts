import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { loadSnapshotWriterConfig } from './config/index.js';
import { AUTHORIZER_METRICS, DEFAULT_METRICS_NAMESPACE, METRIC_DIMENSIONS, SERVICE_NAMES, SNAPSHOT_METRICS } from './contract/index.js';
import { powertoolsLog } from './powertools-log.js';
import { createRevocationClient, RevocationStore } from './revocation/index.js';
import { openSnapshotStore, SnapshotWriter, type SnapshotWriteReport } from './snapshot/index.js';

const serviceName = process.env.POWERTOOLS_SERVICE_NAME ?? SERVICE_NAMES.snapshot;
const logger = new Logger({ serviceName });
const metrics = new Metrics({ namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? DEFAULT_METRICS_NAMESPACE, serviceName });
// Module scope runs once per cold start: a bad configuration fails the init loudly, by name.
const config = loadSnapshotWriterConfig(process.env);
const log = powertoolsLog(logger);

const writer = new SnapshotWriter({
  reader: new RevocationStore(createRevocationClient(), config.revocation.tableName),
  settings: config.revocation,
  rules: config.rules,
  store: openSnapshotStore(config.revocation.snapshot.uri),
  rescanIntervalMs: config.rescanIntervalMs,
  log,
  onSnapshotFallback: (reason) => {
    const single = metrics.singleMetric();
    single.addDimension(METRIC_DIMENSIONS.reason, reason);
    single.addMetric(AUTHORIZER_METRICS.snapshotFallbacks, MetricUnit.Count, 1);
  },
});

/**
 * Lambda entry point of the snapshot function (an EventBridge schedule invokes it; the event is
 * not read): brings its view of the revocation table up to date and writes the snapshot at
 * REVOCATION_SNAPSHOT_URI. Throws when it could not, so Lambda counts an error and the alarm sees it.
 */
export const handler = async (): Promise<SnapshotWriteReport> => {
  const report = await writer.write();
  metrics.addMetric(SNAPSHOT_METRICS.snapshotBytes, MetricUnit.Bytes, report.bytes);
  metrics.addMetric(SNAPSHOT_METRICS.snapshotEntries, MetricUnit.Count, report.entries);
  metrics.publishStoredMetrics();
  return report;
};

import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import { INGEST_METRICS, METRIC_DIMENSIONS } from './contract/index.js';
import type { IngestRecorder } from './ingest-handler.js';
import type { ApplyResult, RevocationKind } from './revocation/index.js';
import type { InvalidMessageReason } from './shared/index.js';

/**
 * Publishes the ingest counts as EMF, once per invocation (an invocation is one SNS message):
 * RevocationsApplied per kind, RevocationsUnchanged, MessagesRejected per reason, MessagesNotApplicable. Each dimensioned
 * count is its own single metric so it carries exactly one dimension set (see contract/metric-names.ts).
 */
export class IngestMetrics implements IngestRecorder {
  constructor(private readonly metrics: Metrics) {}

  rejected(reason: InvalidMessageReason): void {
    const single = this.metrics.singleMetric();
    single.addDimension(METRIC_DIMENSIONS.reason, reason);
    single.addMetric(INGEST_METRICS.messagesRejected, MetricUnit.Count, 1);
  }

  notApplicable(count: number): void {
    this.metrics.singleMetric().addMetric(INGEST_METRICS.messagesNotApplicable, MetricUnit.Count, count);
  }

  written(result: ApplyResult): void {
    for (const [kind, count] of Object.entries(result.applied) as [RevocationKind, number][]) {
      if (count === 0) continue;
      const single = this.metrics.singleMetric();
      single.addDimension(METRIC_DIMENSIONS.kind, kind);
      single.addMetric(INGEST_METRICS.revocationsApplied, MetricUnit.Count, count);
    }
    const unchanged = Object.values(result.unchanged).reduce((sum, count) => sum + count, 0);
    this.metrics.addMetric(INGEST_METRICS.revocationsUnchanged, MetricUnit.Count, unchanged);
    this.metrics.publishStoredMetrics();
  }
}

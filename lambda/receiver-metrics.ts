import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import { METRIC_DIMENSIONS, RECEIVER_METRICS, type ReceiverEndpoint } from './contract/index.js';
import type { ReceiverRecorder } from './receiver/index.js';

const OUTCOME_METRICS = {
  accepted: RECEIVER_METRICS.deliveriesAccepted,
  refused: RECEIVER_METRICS.deliveriesRefused,
  failed: RECEIVER_METRICS.deliveriesFailed,
} as const;

/**
 * The receiver's counts as EMF, published with each request (a request is one delivery): each
 * delivery count is its own single metric with the `endpoint` dimension (one dimension set, so the
 * construct's alarms see it), the event and revocation counts carry only `service`.
 */
export class ReceiverMetrics implements ReceiverRecorder {
  constructor(private readonly metrics: Metrics) {}

  delivery(endpoint: ReceiverEndpoint, outcome: 'accepted' | 'refused' | 'failed'): void {
    const single = this.metrics.singleMetric();
    single.addDimension(METRIC_DIMENSIONS.endpoint, endpoint);
    single.addMetric(OUTCOME_METRICS[outcome], MetricUnit.Count, 1);
  }

  eventsIgnored(count: number): void {
    this.metrics.singleMetric().addMetric(RECEIVER_METRICS.eventsIgnored, MetricUnit.Count, count);
  }

  revocationsPublished(count: number): void {
    this.metrics.singleMetric().addMetric(RECEIVER_METRICS.revocationsPublished, MetricUnit.Count, count);
  }
}

import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import type { DecisionRecorder } from './authorizer-handler.js';
import { AUTHORIZER_METRICS, DECISIONS, METRIC_DIMENSIONS } from './contract/index.js';
import type { RejectionReason } from './shared/index.js';

/** Point-in-time figures published with the decision counts. */
export interface Gauges {
  readonly revocationEntries: number;
  readonly revocationSyncLagMs: number;
  readonly failOpenAllows: number;
}

/**
 * Counts decisions in memory and publishes them as EMF at most once per interval, so a warm
 * instance pays a counter increment per request instead of a log line per request. Counts from
 * the last interval before an instance is recycled are lost; that bounds the error, not the cost.
 */
export class DecisionMetrics implements DecisionRecorder {
  private allowed = 0;
  private readonly denied = new Map<RejectionReason, number>();
  private lastFlushMs: number;
  private reportedFailOpenAllows = 0;

  constructor(
    private readonly metrics: Metrics,
    private readonly gauges: () => Gauges,
    private readonly flushIntervalMs = 60_000,
    monotonicMs = performance.now(),
  ) {
    this.lastFlushMs = monotonicMs;
  }

  /** `monotonicMs`: the request's time on the monotonic clock (performance.now), so a wall clock step never holds a flush back. */
  record(reason: RejectionReason | 'allowed', monotonicMs: number): void {
    if (reason === 'allowed') this.allowed++;
    else this.denied.set(reason, (this.denied.get(reason) ?? 0) + 1);
    if (monotonicMs - this.lastFlushMs >= this.flushIntervalMs) this.flush(monotonicMs);
  }

  /**
   * Publishes one infrastructure failure at once rather than with the next flush: an instance that
   * only fails records no decision, so a flush might never come.
   */
  recordFailure(): void {
    this.metrics.singleMetric().addMetric(AUTHORIZER_METRICS.infrastructureFailures, MetricUnit.Count, 1);
  }

  /** Publishes and resets the counts. */
  flush(monotonicMs: number): void {
    this.lastFlushMs = monotonicMs;
    if (this.allowed > 0) this.publishDecisions(DECISIONS.allow, 'allowed', this.allowed);
    for (const [reason, count] of this.denied) this.publishDecisions(DECISIONS.deny, reason, count);
    this.allowed = 0;
    this.denied.clear();
    const gauges = this.gauges();
    this.metrics.addMetric(AUTHORIZER_METRICS.revocationEntries, MetricUnit.Count, gauges.revocationEntries);
    this.metrics.addMetric(AUTHORIZER_METRICS.revocationSyncLagMs, MetricUnit.Milliseconds, gauges.revocationSyncLagMs);
    const failOpenAllows = gauges.failOpenAllows - this.reportedFailOpenAllows;
    this.reportedFailOpenAllows = gauges.failOpenAllows;
    if (failOpenAllows > 0) this.metrics.addMetric(AUTHORIZER_METRICS.failOpenAllows, MetricUnit.Count, failOpenAllows);
    this.metrics.publishStoredMetrics();
  }

  private publishDecisions(decision: (typeof DECISIONS)[keyof typeof DECISIONS], reason: string, count: number): void {
    const single = this.metrics.singleMetric();
    single.addDimension(METRIC_DIMENSIONS.decision, decision);
    single.addDimension(METRIC_DIMENSIONS.reason, reason);
    single.addMetric(AUTHORIZER_METRICS.decisions, MetricUnit.Count, count);
  }
}

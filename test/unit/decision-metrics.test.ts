import { Metrics } from '@aws-lambda-powertools/metrics';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AUTHORIZER_METRICS, METRIC_DIMENSIONS } from '../../lambda/contract/index.js';
import { DecisionMetrics, type Gauges } from '../../lambda/decision-metrics.js';

/** What Powertools wrote to stdout: one EMF blob per line. */
function captureEmf(): { blobs: () => Record<string, unknown>[] } {
  const written: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  });
  return {
    blobs: () =>
      written
        .join('')
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('DecisionMetrics', () => {
  it('publishes nothing within the interval, then the counts per decision and reason with the gauges', () => {
    // Prepare
    const emf = captureEmf();
    const gauges: Gauges = { revocationEntries: 7, revocationSyncLagMs: 120, failOpenAllows: 0 };
    const decisions = new DecisionMetrics(new Metrics({ namespace: 'Test', serviceName: 'authorizer' }), () => gauges, 60_000, 0);

    // Act
    decisions.record('allowed', 1_000);
    decisions.record('revoked_jti', 2_000);
    decisions.record('allowed', 3_000);
    const beforeInterval = emf.blobs().length;
    decisions.record('expired', 60_000); // the interval is up: this one flushes

    // Assess
    expect(beforeInterval).toBe(0);
    const counts = emf
      .blobs()
      .filter((blob) => AUTHORIZER_METRICS.decisions in blob)
      .map((blob) => [blob[METRIC_DIMENSIONS.decision], blob[METRIC_DIMENSIONS.reason], blob[AUTHORIZER_METRICS.decisions]]);
    expect(counts).toEqual([
      ['allow', 'allowed', 2],
      ['deny', 'revoked_jti', 1],
      ['deny', 'expired', 1],
    ]);
    expect(emf.blobs().at(-1)).toMatchObject({ [AUTHORIZER_METRICS.revocationEntries]: 7, [AUTHORIZER_METRICS.revocationSyncLagMs]: 120 });
  });

  it('starts counting afresh after a flush, and reports only the fail-open allows since the last one', () => {
    // Prepare
    const emf = captureEmf();
    let failOpenAllows = 3;
    const decisions = new DecisionMetrics(
      new Metrics({ namespace: 'Test', serviceName: 'authorizer' }),
      () => ({ revocationEntries: 0, revocationSyncLagMs: 0, failOpenAllows }),
      1_000,
      0,
    );

    // Act
    decisions.record('allowed', 1_000);
    const first = emf.blobs().length;
    failOpenAllows = 5;
    decisions.record('allowed', 2_000);

    // Assess
    const blobs = emf.blobs();
    const later = blobs.slice(first);
    expect(later.filter((blob) => AUTHORIZER_METRICS.decisions in blob).map((blob) => blob[AUTHORIZER_METRICS.decisions])).toEqual([1]);
    expect(blobs.map((blob) => blob[AUTHORIZER_METRICS.failOpenAllows]).filter((value) => value !== undefined)).toEqual([3, 2]);
  });

  it('publishes an infrastructure failure at once, with the service dimension the alarm reads', () => {
    // Prepare
    const emf = captureEmf();
    const decisions = new DecisionMetrics(
      new Metrics({ namespace: 'Test', serviceName: 'revocation-authorizer' }),
      () => ({ revocationEntries: 0, revocationSyncLagMs: 0, failOpenAllows: 0 }),
      60_000,
      0,
    );

    // Act
    decisions.recordFailure();

    // Assess
    expect(emf.blobs()).toHaveLength(1);
    expect(emf.blobs()[0]).toMatchObject({
      service: 'revocation-authorizer',
      [AUTHORIZER_METRICS.infrastructureFailures]: 1,
      _aws: { CloudWatchMetrics: [{ Namespace: 'Test', Dimensions: [['service']] }] },
    });
  });
});

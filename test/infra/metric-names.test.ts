import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as metricNames from '../../lambda/contract/metric-names.js';

describe('lambda/contract/metric-names', () => {
  it('imports nothing, so the functions bundle it without aws-cdk-lib', () => {
    const source = readFileSync(new URL('../../lambda/contract/metric-names.ts', import.meta.url), 'utf8');
    expect(source).not.toMatch(/^\s*(import|export .* from)\b/m);
  });

  it('names each metric once across the functions', () => {
    const names = [
      ...Object.values(metricNames.AUTHORIZER_METRICS),
      ...Object.values(metricNames.INGEST_METRICS),
      ...Object.values(metricNames.SNAPSHOT_METRICS),
      ...Object.values(metricNames.RECEIVER_METRICS),
      ...Object.values(metricNames.FEED_METRICS),
    ];
    expect(new Set(names).size).toBe(names.length);
  });
});

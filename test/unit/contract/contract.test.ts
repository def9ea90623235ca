import { describe, expect, it } from 'vitest';
import { loadAuthorizerConfig, loadIngestConfig } from '../../../lambda/config/index.js';
import { DEFAULT_ALGORITHMS, DEFAULTS, LIMITS, splitList, SUPPORTED_ALGORITHMS } from '../../../lambda/contract/index.js';

describe('lambda/contract', () => {
  it('keeps every numeric default inside its own limits', () => {
    for (const [name, { min, max }] of Object.entries(LIMITS) as [keyof typeof LIMITS, { min: number; max?: number }][]) {
      if (!(name in DEFAULTS)) continue;
      const value = DEFAULTS[name as keyof typeof DEFAULTS] as number;
      expect(value, name).toBeGreaterThanOrEqual(min);
      if (max !== undefined) expect(value, name).toBeLessThanOrEqual(max);
    }
  });

  it('is what the functions apply when a variable is unset', () => {
    const authorizer = loadAuthorizerConfig({ JWT_ISSUER: 'https://i.example/', JWKS_URI: 'https://i.example/jwks', JWT_AUDIENCE: 'a' });
    const ingest = loadIngestConfig({});

    expect(authorizer.rules).toMatchObject({
      clockToleranceSeconds: DEFAULTS.clockToleranceSeconds,
      maxTokenLifetimeSeconds: DEFAULTS.maxTokenLifetimeSeconds,
      requiredClaims: DEFAULTS.requiredClaims,
      maxTokenBytes: DEFAULTS.maxTokenBytes,
    });
    expect(authorizer.revocation).toMatchObject({
      tableName: DEFAULTS.tableName,
      syncIntervalMs: DEFAULTS.syncIntervalMs,
      maxStalenessMs: DEFAULTS.maxStalenessMs,
      failMode: DEFAULTS.failMode,
      consistency: DEFAULTS.consistency,
    });
    expect(authorizer.issuers[0]).toMatchObject({ clientClaim: DEFAULTS.clientClaim, algorithms: DEFAULT_ALGORITHMS });
    expect(ingest).toEqual({
      tableName: DEFAULTS.tableName,
      clockToleranceSeconds: DEFAULTS.clockToleranceSeconds,
      maxTokenLifetimeSeconds: DEFAULTS.maxTokenLifetimeSeconds,
      writeConcurrency: DEFAULTS.writeConcurrency,
      raiseChangeHead: DEFAULTS.raiseChangeHead,
    });
  });

  it('refuses, in the functions, a clock tolerance one over its limit', () => {
    expect(() => loadIngestConfig({ JWT_CLOCK_TOLERANCE_SECONDS: String(LIMITS.clockToleranceSeconds.max + 1) })).toThrow(
      /JWT_CLOCK_TOLERANCE_SECONDS must be a whole number of seconds \(0 to 3600\)/,
    );
  });

  it('lists only asymmetric algorithms, the defaults among them', () => {
    expect(SUPPORTED_ALGORITHMS.some((alg) => alg.startsWith('HS') || alg === ('none' as string))).toBe(false);
    for (const alg of DEFAULT_ALGORITHMS) expect(SUPPORTED_ALGORITHMS).toContain(alg);
  });

  it('splits lists on commas and whitespace, dropping empty entries', () => {
    expect(splitList(' a, b,,c\td \n')).toEqual(['a', 'b', 'c', 'd']);
  });
});

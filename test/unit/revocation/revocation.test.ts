import { describe, expect, it } from 'vitest';
import {
  cutoffExpiresAtEpochSeconds,
  cutoffRetentionSeconds,
  cutoffRevocation,
  jtiRevocation,
  revocationId,
} from '../../../lambda/revocation/index.js';

const rules = { clockToleranceSeconds: 60, maxTokenLifetimeSeconds: 3600 };
const NOW_MS = 1_800_000_000_000;

describe('the revocation model', () => {
  it('keeps a jti until its exp plus the clock tolerance', () => {
    expect(jtiRevocation('iss', 'j', NOW_MS / 1000 + 600, { ...rules, nowMs: NOW_MS })).toEqual({
      kind: 'jti',
      issuer: 'iss',
      jti: 'j',
      expiresAtEpochSeconds: NOW_MS / 1000 + 660,
    });
  });

  it('keeps a jti of unknown exp until no token issued now can be alive', () => {
    expect(jtiRevocation('iss', 'j', undefined, { ...rules, nowMs: NOW_MS + 1 }).expiresAtEpochSeconds).toBe(NOW_MS / 1000 + 1 + 3600 + 60);
  });

  it('keeps a cut-off T until T + maximum lifetime + tolerance, rounding T up to the second', () => {
    // A token issued at iat = T - 0.4 s with the maximum lifetime expires at T - 0.4 + 3600 + 60:
    // floor(T / 1000) would forget the cut-off 0.6 s before that token stops being accepted.
    const t = NOW_MS + 600;

    expect(cutoffRetentionSeconds(rules)).toBe(3660);
    expect(cutoffExpiresAtEpochSeconds(t, 3660)).toBe(NOW_MS / 1000 + 1 + 3660);
    expect(cutoffRevocation('subject', 'iss', 'alice', t, rules)).toEqual({
      kind: 'subject',
      issuer: 'iss',
      id: 'alice',
      revokedAtEpochMs: t,
      expiresAtEpochSeconds: cutoffExpiresAtEpochSeconds(t, cutoffRetentionSeconds(rules)),
    });
  });

  it('names what a revocation revokes within its kind', () => {
    expect(revocationId(jtiRevocation('iss', 'j', undefined, { ...rules, nowMs: NOW_MS }))).toBe('j');
    expect(revocationId(cutoffRevocation('client', 'iss', 'app', NOW_MS, rules))).toBe('app');
  });
});

import { describe, expect, it } from 'vitest';
import type { VerifiedToken } from '../../../lambda/token/index.js';
import { VerifiedTokenCache } from '../../../lambda/token/verified-token-cache.js';

const NOW = 1_800_000_000;
const verified = (tokenId: string): VerifiedToken => ({
  issuer: 'https://issuer.example.com/',
  sub: 'alice',
  subject: 'alice',
  subjectClaim: 'sub',
  tokenId,
  signatureIds: [],
  clientId: undefined,
  sessionId: undefined,
  revocationIds: { jti: tokenId, subject: 'alice', client: undefined, signatures: [], session: undefined },
  issuedAtEpochSeconds: NOW - 10,
  expiresAtEpochSeconds: NOW + 600,
  scope: undefined,
  claims: {},
});
/** A token-shaped string: a long random end, as a signature gives. */
const tokenOf = (i: number) => `header.payload.${Buffer.from(`signature-${i}-${'z'.repeat(20)}`).toString('base64url')}`;

describe('VerifiedTokenCache', () => {
  it('answers a token it holds until the time given for it, and nothing after', () => {
    const cache = new VerifiedTokenCache(100);
    cache.set(tokenOf(1), { token: verified('t1'), keyGeneration: 7 }, NOW + 600);

    expect(cache.get(tokenOf(1), NOW + 599)).toEqual({ token: verified('t1'), keyGeneration: 7 });
    expect(cache.get(tokenOf(1), NOW + 600)).toBeUndefined();
    expect(cache.get(tokenOf(2), NOW)).toBeUndefined();
  });

  it('answers only for exactly the token it stored, not another with the same last 32 characters', () => {
    const cache = new VerifiedTokenCache(100);
    const token = tokenOf(1);
    cache.set(token, { token: verified('t1'), keyGeneration: 1 }, NOW + 600);

    expect(cache.get(`other.${token.slice(token.lastIndexOf('.') + 1)}`, NOW)).toBeUndefined();
  });

  it('holds at most its maximum, and keeps a token presented steadily while others age out', () => {
    const cache = new VerifiedTokenCache(10);
    const steady = tokenOf(0);
    cache.set(steady, { token: verified('steady'), keyGeneration: 1 }, NOW + 600);

    for (let i = 1; i <= 100; i++) {
      cache.set(tokenOf(i), { token: verified(`t${i}`), keyGeneration: 1 }, NOW + 600);
      expect(cache.get(steady, NOW)?.token.tokenId).toBe('steady');
      expect(cache.size).toBeLessThanOrEqual(10);
    }
    expect(cache.get(tokenOf(1), NOW)).toBeUndefined();
    expect(cache.get(tokenOf(100), NOW)?.token.tokenId).toBe('t100');
  });

  it('remembers nothing with a maximum of 0, and one token with a maximum of 1', () => {
    const none = new VerifiedTokenCache(0);
    const one = new VerifiedTokenCache(1);
    for (const cache of [none, one]) {
      cache.set(tokenOf(1), { token: verified('t1'), keyGeneration: 1 }, NOW + 600);
      cache.set(tokenOf(2), { token: verified('t2'), keyGeneration: 1 }, NOW + 600);
    }

    expect(none.get(tokenOf(2), NOW)).toBeUndefined();
    expect(one.get(tokenOf(1), NOW)).toBeUndefined();
    expect(one.get(tokenOf(2), NOW)?.token.tokenId).toBe('t2');
  });
});

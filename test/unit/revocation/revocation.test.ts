import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  cutoffExpiresAtEpochSeconds,
  cutoffRetentionSeconds,
  cutoffRevocation,
  HASHED_ID_PREFIX,
  isStoredId,
  jtiRevocation,
  MAX_CLEAR_ID_BYTES,
  revocationId,
  revocationIdsOf,
  storedId,
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

describe('storedId', () => {
  // docs/design.md, "Revocable ids": SHA-256 of the UTF-16LE code units, base64url, after the prefix.
  const hashed = (id: string) => '~sha256:' + createHash('sha256').update(Buffer.from(id, 'utf16le')).digest('base64url');

  it.each([
    ['a UUID', '8f14e45f-ceea-4f4e-9d7b-2d1f0b6f7a11'],
    ['non-ASCII letters and inner spaces', 'ユーザー token 1'],
    ['only spaces', '   '],
    ['a paired surrogate (an emoji)', 'alice\u{1F600}'],
    ['exactly 1,024 UTF-8 bytes', 'é'.repeat(512)],
    ['the old whole-token hash form', 'sha256:47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU'],
  ])('keeps an id that is %s as it is (what the table held before the mapping)', (_name, id) => {
    expect(storedId(id)).toBe(id);
  });

  it.each([
    ['3,000 bytes', 'u'.repeat(3000)],
    ['1,025 UTF-8 bytes in fewer characters', 'é'.repeat(512) + 'x'],
    ['a C1 control character', 'bob\u0085'],
    ['a C0 control character', 'a\nb'],
    ['DEL', 'a\u007f'],
    ['a lone high surrogate', 'x\ud800'],
    ['a lone low surrogate', '\udc00x'],
    ['the hash prefix', HASHED_ID_PREFIX + 'anything'],
  ])('stores an id with %s as the hash of its UTF-16 code units', (_name, id) => {
    expect(storedId(id)).toBe(hashed(id));
    expect(storedId(id)).toMatch(/^~sha256:[A-Za-z0-9_-]{43}$/);
  });

  it('tells apart ids that UTF-8 would merge: two lone surrogates hash differently', () => {
    // Both become U+FFFD in UTF-8; the code units keep them apart.
    expect(storedId('x\ud800')).not.toBe(storedId('x\ud801'));
  });

  // Any UTF-16 code unit (lone surrogates and controls included), plus pieces that matter here.
  const anyCodeUnit = fc.oneof(
    fc.integer({ min: 0, max: 0xffff }).map((unit) => String.fromCharCode(unit)),
    fc.constantFrom('a', 'é', HASHED_ID_PREFIX, '\u{1F600}'),
  );

  it('gives every string an id the table can hold, and only a hash never collides with a clear id', () => {
    fc.assert(
      fc.property(fc.string({ unit: anyCodeUnit, minLength: 1, maxLength: 1500 }), (id) => {
        const stored = storedId(id);
        expect(isStoredId(stored)).toBe(true);
        expect(Buffer.byteLength(stored)).toBeLessThanOrEqual(MAX_CLEAR_ID_BYTES);
        // Stored as it is, or as a hash: a stored hash is never what another id is stored as in the clear.
        if (stored !== id) expect(stored.startsWith(HASHED_ID_PREFIX)).toBe(true);
        else expect(id.startsWith(HASHED_ID_PREFIX)).toBe(false);
      }),
      { seed: 11, numRuns: 500 },
    );
  });

  it('is what the revocation constructors store and what a token is looked up by', () => {
    const id = 'bob\u0085';

    expect(jtiRevocation('iss', id, undefined, { ...rules, nowMs: NOW_MS }).jti).toBe(storedId(id));
    expect(cutoffRevocation('subject', 'iss', id, NOW_MS, rules).id).toBe(storedId(id));
    expect(revocationIdsOf(id, id, undefined, [id])).toEqual({
      jti: storedId(id),
      subject: storedId(id),
      client: undefined,
      signatures: [storedId(id)],
    });
  });
});

import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { tokenHash, TOKEN_HASH_PREFIX } from '../../../lambda/token/index.js';

describe('tokenHash', () => {
  it('is sha256: and the base64url SHA-256 of the signed part, header.payload', () => {
    const expected = createHash('sha256').update('aGVhZGVy.cGF5bG9hZA').digest('base64url');

    expect(tokenHash('aGVhZGVy.cGF5bG9hZA.c2lnbmF0dXJl')).toBe(`${TOKEN_HASH_PREFIX}${expected}`);
  });

  it('is the same for two spellings of one signature (ECDSA (r, s) and (r, n - s) both verify)', () => {
    expect(tokenHash('aGVhZGVy.cGF5bG9hZA.one-signature')).toBe(tokenHash('aGVhZGVy.cGF5bG9hZA.another-signature'));
  });

  it('differs when the payload differs', () => {
    expect(tokenHash('aGVhZGVy.cGF5bG9hZA.sig')).not.toBe(tokenHash('aGVhZGVy.cGF5bG9hZB.sig'));
  });
});

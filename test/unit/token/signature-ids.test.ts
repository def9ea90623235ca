import { generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Algorithm } from '../../../lambda/contract/index.js';
import { signatureIds } from '../../../lambda/token/index.js';

const data = Buffer.from('eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9', 'latin1');
const curves: [Algorithm, string, string][] = [
  ['ES256', 'prime256v1', 'sha256'],
  ['ES384', 'secp384r1', 'sha384'],
  ['ES512', 'secp521r1', 'sha512'],
];

function p1363(hash: string, privateKey: KeyObject): Buffer {
  return sign(hash, data, { key: privateKey, dsaEncoding: 'ieee-p1363' });
}

describe('signatureIds', () => {
  it.each(curves)('gives a %s signature its twin spelling (r, n - s), which verifies too and maps back', (alg, namedCurve, hash) => {
    // Prepare
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve });
    const signature = p1363(hash, privateKey);
    const encoded = signature.toString('base64url');

    // Act
    const ids = signatureIds(alg, encoded, signature);

    // Assess: the twin is a different string that node:crypto (OpenSSL) accepts as the same signature.
    expect(ids).toHaveLength(2);
    expect(ids[0]).toBe(encoded);
    const twin = Buffer.from(ids[1]!, 'base64url');
    expect(twin.length).toBe(signature.length);
    expect(ids[1]).not.toBe(encoded);
    expect(twin.subarray(0, twin.length / 2)).toEqual(signature.subarray(0, signature.length / 2));
    expect(verify(hash, data, { key: publicKey, dsaEncoding: 'ieee-p1363' }, twin)).toBe(true);
    expect(signatureIds(alg, ids[1]!, twin)).toEqual([ids[1], encoded]);
  });

  it.each<Algorithm>(['RS256', 'PS256', 'EdDSA'])('gives a %s signature its one spelling, as it appears in the token', (alg) => {
    const encoded = Buffer.from('a signature of sorts').toString('base64url');
    expect(signatureIds(alg, encoded, Buffer.from(encoded, 'base64url'))).toEqual([encoded]);
  });
});

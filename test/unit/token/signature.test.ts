import { constants, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Algorithm } from '../../../lambda/contract/index.js';
import { keyMismatch, MIN_RSA_MODULUS_BITS, SignatureVerifier } from '../../../lambda/token/index.js';

// Real keys, generated once; signatures made with node:crypto as RFC 7518 §3 specifies them.
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec256 = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const ec384 = generateKeyPairSync('ec', { namedCurve: 'secp384r1' });
const ed25519 = generateKeyPairSync('ed25519');

const signingInput = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9';

function signed(alg: Algorithm, privateKey: KeyObject, input = signingInput): Buffer {
  const data = Buffer.from(input, 'latin1');
  switch (alg) {
    case 'RS256':
      return sign('sha256', data, privateKey);
    case 'PS256':
      // RFC 7518 §3.5: the salt is as long as the hash.
      return sign('sha256', data, { key: privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 });
    case 'ES256':
      // RFC 7518 §3.4: R || S, not DER.
      return sign('sha256', data, { key: privateKey, dsaEncoding: 'ieee-p1363' });
    case 'ES384':
      return sign('sha384', data, { key: privateKey, dsaEncoding: 'ieee-p1363' });
    default:
      return sign(null, data, privateKey);
  }
}

const cases: [Algorithm, { publicKey: KeyObject; privateKey: KeyObject }][] = [
  ['RS256', rsa],
  ['PS256', rsa],
  ['ES256', ec256],
  ['ES384', ec384],
  ['EdDSA', ed25519],
  ['Ed25519', ed25519],
];

describe('SignatureVerifier', () => {
  it.each(cases)('verifies a %s signature and refuses it over another input', (alg, keys) => {
    const verifier = new SignatureVerifier();
    const signature = signed(alg, keys.privateKey);

    expect(verifier.verify(alg, keys.publicKey, signingInput, signature)).toBe(true);
    expect(verifier.verify(alg, keys.publicKey, `${signingInput}x`, signature)).toBe(false);
  });

  it('refuses an ES256 signature in DER form: JWS carries R || S', () => {
    const der = sign('sha256', Buffer.from(signingInput, 'latin1'), ec256.privateKey);

    expect(new SignatureVerifier().verify('ES256', ec256.publicKey, signingInput, der)).toBe(false);
  });

  it('refuses a PS256 signature whose leading zero octet was left out (RFC 8017 §8.1.2: exactly k octets), which OpenSSL alone accepts', () => {
    // Prepare: a PSS signature that starts with a zero octet (about 1 in 256).
    const verifier = new SignatureVerifier();
    let input = signingInput;
    let signature = signed('PS256', rsa.privateKey, input);
    for (let i = 0; signature[0] !== 0; i++) {
      input = `${signingInput}${i}`;
      signature = signed('PS256', rsa.privateKey, input);
    }
    const shortened = signature.subarray(1);

    // Act
    const accepted = [verifier.verify('PS256', rsa.publicKey, input, signature), verifier.verify('PS256', rsa.publicKey, input, shortened)];

    // Assess
    expect(accepted).toEqual([true, false]);
  });

  it('refuses an RS256 signature checked as PS256, and never throws for a key of the wrong type', () => {
    const verifier = new SignatureVerifier();

    expect(verifier.verify('PS256', rsa.publicKey, signingInput, signed('RS256', rsa.privateKey))).toBe(false);
    expect(verifier.verify('RS256', ed25519.publicKey, signingInput, signed('RS256', rsa.privateKey))).toBe(false);
  });

  it('checks each input whole, although one buffer holds them all (long, then short, then long again)', () => {
    const verifier = new SignatureVerifier();
    const long = `${signingInput}.${'a'.repeat(3000)}`;
    const short = 'e30.e30';

    for (const input of [long, short, long, short]) {
      expect(verifier.verify('EdDSA', ed25519.publicKey, input, signed('EdDSA', ed25519.privateKey, input))).toBe(true);
    }
    expect(verifier.verify('EdDSA', ed25519.publicKey, short, signed('EdDSA', ed25519.privateKey, long))).toBe(false);
  });

  it('verifies a signing input longer than its buffer', () => {
    const input = `${signingInput}.${'b'.repeat(20_000)}`;

    expect(new SignatureVerifier().verify('RS256', rsa.publicKey, input, signed('RS256', rsa.privateKey, input))).toBe(true);
  });
});

describe('keyMismatch', () => {
  it('lets each algorithm use only its own key type and curve', () => {
    expect(keyMismatch('RS256', rsa.publicKey)).toBeUndefined();
    expect(keyMismatch('ES256', ec256.publicKey)).toBeUndefined();
    expect(keyMismatch('EdDSA', ed25519.publicKey)).toBeUndefined();
    expect(keyMismatch('ES256', rsa.publicKey)).toMatch(/needs an EC prime256v1 key/);
    expect(keyMismatch('ES256', ec384.publicKey)).toMatch(/needs an EC prime256v1 key/);
    expect(keyMismatch('RS256', ec256.publicKey)).toMatch(/needs an RSA key/);
    expect(keyMismatch('Ed25519', rsa.publicKey)).toMatch(/needs an Ed25519 key/);
  });

  it(`refuses RSA keys under ${MIN_RSA_MODULUS_BITS} bits (RFC 8725 §3.5) and private keys`, () => {
    const weak = generateKeyPairSync('rsa', { modulusLength: 1024 });

    expect(keyMismatch('RS256', weak.publicKey)).toMatch(/1024 bits/);
    expect(keyMismatch('RS256', rsa.privateKey)).toBe('key is not a public key');
  });
});

import type { Algorithm } from '../contract/index.js';

/**
 * The ids under which a token without `jti` can be revoked by its signature, as WSO2 API Manager
 * does: its identity server publishes `signedJWT.getSignature().toString()` (the third part of
 * the token, base64url, as it appears) in a `JWT` revocation event, and its gateway looks a
 * jti-less token up by that same string (carbon-apimgt JWTValidator, getJWTTokenIdentifier).
 *
 * An ECDSA signature (r, s) also verifies as (r, n - s), so a holder of a revoked ES256 token could
 * re-spell its signature and present a token whose third part was never published. Both spellings
 * are returned, so whichever one was published, the other is refused too. RSA signatures are
 * refused unless exactly as long as the modulus (signature.ts), and Ed25519 verification rejects
 * a non-canonical S (RFC 8032 §5.1.7), so those have one spelling.
 */

// The order n of each curve's base point: FIPS 186-4 §D.1.2.3 (P-256), §D.1.2.4 (P-384), §D.1.2.5 (P-521); as `openssl ecparam -param_enc explicit` prints them.
const CURVE_ORDER: Partial<Record<Algorithm, bigint>> = {
  ES256: 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n,
  ES384: 0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973n,
  ES512:
    0x01fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409n,
};

/**
 * The signature ids of a verified token without `jti`: `encodedSignature` as it appears in the
 * token and, for ECDSA (`signature` being R || S, RFC 7518 §3.4), the same signature with S
 * replaced by n − S. Called once per verified token; the verifier remembers the result.
 */
export function signatureIds(alg: Algorithm, encodedSignature: string, signature: Buffer): readonly string[] {
  const order = CURVE_ORDER[alg];
  if (order === undefined) return [encodedSignature];
  const half = signature.length / 2;
  const s = BigInt(`0x${signature.subarray(half).toString('hex')}`);
  // A verified signature has 0 < s < n, so n - s is in range too and has the same width.
  const twin = (order - s).toString(16).padStart(half * 2, '0');
  return [encodedSignature, Buffer.concat([signature.subarray(0, half), Buffer.from(twin, 'hex')]).toString('base64url')];
}

import { constants, verify, type KeyObject, type VerifyKeyObjectInput } from 'node:crypto';
import type { Algorithm } from '../contract/index.js';
import { ScratchBuffer } from './scratch-buffer.js';

/**
 * Signature checks with node:crypto. jose remains the JOSE toolkit (key sets, key import); the
 * signature itself goes through node:crypto's synchronous verify because jose verifies through
 * WebCrypto, whose promise and thread hop cost about 100 µs per call when calls are sequential,
 * as they are in a Lambda instance serving one request at a time.
 */

const HASH: Record<Algorithm, string | null> = {
  RS256: 'sha256',
  RS384: 'sha384',
  RS512: 'sha512',
  PS256: 'sha256',
  PS384: 'sha384',
  PS512: 'sha512',
  ES256: 'sha256',
  ES384: 'sha384',
  ES512: 'sha512',
  EdDSA: null,
  Ed25519: null,
};

// RFC 7518 §3.4: an ECDSA signature is R || S, each the size of the curve order.
const ECDSA_SIGNATURE_BYTES: Partial<Record<Algorithm, number>> = { ES256: 64, ES384: 96, ES512: 132 };
const EC_CURVE: Partial<Record<Algorithm, string>> = { ES256: 'prime256v1', ES384: 'secp384r1', ES512: 'secp521r1' };

/** RFC 8725 §3.5 and NIST SP 800-131A: RSA keys shorter than this are refused. */
export const MIN_RSA_MODULUS_BITS = 2048;

/**
 * Why `key` must not verify `alg`, or undefined when it may. Binds the algorithm to the key's
 * type so that, for example, an RSA key never checks an ES256 signature.
 */
export function keyMismatch(alg: Algorithm, key: KeyObject): string | undefined {
  const type = key.asymmetricKeyType;
  const details = key.asymmetricKeyDetails;
  if (key.type !== 'public') return 'key is not a public key';
  switch (alg.slice(0, 2)) {
    case 'RS':
    case 'PS':
      if (type !== 'rsa') return `${alg} needs an RSA key, the key is ${type}`;
      if ((details?.modulusLength ?? 0) < MIN_RSA_MODULUS_BITS) {
        return `RSA key has ${details?.modulusLength} bits, fewer than ${MIN_RSA_MODULUS_BITS}`;
      }
      return undefined;
    case 'ES':
      if (type !== 'ec' || details?.namedCurve !== EC_CURVE[alg]) {
        return `${alg} needs an EC ${EC_CURVE[alg]} key, the key is ${type} ${details?.namedCurve ?? ''}`.trimEnd();
      }
      return undefined;
    default:
      // EdDSA (RFC 8037) covers Ed25519 and Ed448; the fully specified Ed25519 only the former.
      if (type === 'ed25519' || (alg === 'EdDSA' && type === 'ed448')) return undefined;
      return `${alg} needs an Ed25519 key, the key is ${type}`;
  }
}

/**
 * Checks signatures; the verifier owns one. Its verify is synchronous, so one buffer holds the
 * signing input of every call (a new Buffer per token drained Node's 8 KiB pool every few tokens).
 */
export class SignatureVerifier {
  private readonly scratch = new ScratchBuffer(16 * 1024);
  private readonly signatureScratch = new ScratchBuffer(2 * 1024);
  // Node's asymmetricKeyDetails getter asks OpenSSL and builds a new object on every read (0.7 µs
  // per RSA token, bench/profile-decision.ts); a KeyObject never changes, so the last one's is kept.
  private lastRsaKey: KeyObject | undefined;
  private lastModulusBytes = 0;

  /**
   * {@link verify} with the signature as the token spells it, canonical base64url (TokenParser
   * checked it): decoded into a reused buffer, valid until the next call, which verify is done with.
   */
  verifyEncoded(alg: Algorithm, key: KeyObject, signingInput: string, encodedSignature: string): boolean {
    return this.verify(alg, key, signingInput, this.signatureScratch.bytesOf(encodedSignature, 'base64url'));
  }

  /** Whether `signature` over `signingInput` verifies with `key` under `alg`. Never throws. */
  verify(alg: Algorithm, key: KeyObject, signingInput: string, signature: Buffer): boolean {
    const data = this.scratch.bytesOf(signingInput, 'latin1');
    try {
      switch (alg.slice(0, 2)) {
        case 'RS':
          if (signature.length !== this.modulusBytes(key)) return false;
          return verify(HASH[alg], data, key, signature);
        case 'PS':
          if (signature.length !== this.modulusBytes(key)) return false;
          return verify(HASH[alg], data, pss(key, alg), signature);
        case 'ES':
          if (signature.length !== ECDSA_SIGNATURE_BYTES[alg]) return false;
          return verify(HASH[alg], data, { key, dsaEncoding: 'ieee-p1363' }, signature);
        default:
          return verify(null, data, key, signature);
      }
    } catch {
      // A signature of the wrong length or a key that cannot verify is simply not a valid signature.
      return false;
    }
  }

  /**
   * RFC 8017 §8.1.2 and §8.2.2, step 1: a signature that is not exactly k octets (k the modulus
   * length) is invalid. OpenSSL accepts a PSS signature with a leading zero octet left out, which
   * would give one signature two spellings (and a token revoked by its signature a second one).
   */
  private modulusBytes(key: KeyObject): number {
    if (key !== this.lastRsaKey) {
      this.lastModulusBytes = Math.ceil((key.asymmetricKeyDetails?.modulusLength ?? 0) / 8);
      this.lastRsaKey = key;
    }
    return this.lastModulusBytes;
  }
}

// RFC 7518 §3.5: the salt is as long as the hash output.
const PSS_SALT_BYTES: Partial<Record<Algorithm, number>> = { PS256: 32, PS384: 48, PS512: 64 };

function pss(key: KeyObject, alg: Algorithm): VerifyKeyObjectInput {
  return { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: PSS_SALT_BYTES[alg]! };
}

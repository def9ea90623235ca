import { createHash } from 'node:crypto';

/**
 * The revocation model shared by the ingest (which writes it) and the authorizer (which reads it).
 * Units are in every name: JWT claims are epoch seconds, revocation times epoch milliseconds.
 */

/** The issuer of a revocation that names none: it applies to tokens of every trusted issuer. */
export const ANY_ISSUER = '*';

/** Prefix of the jti under which a whole token without a `jti` claim is revoked. */
export const TOKEN_HASH_PREFIX = 'sha256:';

/** The token with this jti from this issuer is refused until it expires. */
export interface JtiRevocation {
  readonly kind: 'jti';
  /** The token's `iss`, or {@link ANY_ISSUER}. */
  readonly issuer: string;
  /** The token's `jti`, or {@link tokenHash} (base64url SHA-256 of its signed part) for a token without one. */
  readonly jti: string;
  /** When the entry may be forgotten: the token's exp plus clock tolerance. */
  readonly expiresAtEpochSeconds: number;
}

/** Tokens of this subject (or client) issued at or before the cut-off are refused. */
export interface CutoffRevocation {
  readonly kind: 'subject' | 'client';
  readonly issuer: string;
  /** The `sub` value, or the client claim's value. */
  readonly id: string;
  /** T: tokens with `iat * 1000 <= T` are refused. */
  readonly revokedAtEpochMs: number;
  /** When the entry may be forgotten: T + maximum token lifetime + clock tolerance. */
  readonly expiresAtEpochSeconds: number;
}

export type Revocation = JtiRevocation | CutoffRevocation;
export type RevocationKind = Revocation['kind'];

/** What a revocation names within its kind and issuer: the jti, the subject or the client. */
export function revocationId(revocation: Revocation): string {
  return revocation.kind === 'jti' ? revocation.jti : revocation.id;
}

/**
 * The jti under which a whole token without a `jti` claim is revoked: ingest and verifier agree on
 * it. It hashes the signed part (`header.payload`) only: an ECDSA signature (r, s) verifies as
 * (r, n - s) too, so a holder of a revoked ES256 token could otherwise re-spell its signature and
 * present a token with another hash that is not revoked.
 */
export function tokenHash(token: string): string {
  const lastDot = token.lastIndexOf('.');
  const signed = lastDot < 0 ? token : token.slice(0, lastDot);
  return TOKEN_HASH_PREFIX + createHash('sha256').update(signed).digest('base64url');
}

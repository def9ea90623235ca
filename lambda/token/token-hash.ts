import { createHash } from 'node:crypto';

/** Prefix of the jti under which a whole token without a `jti` claim is revoked. */
export const TOKEN_HASH_PREFIX = 'sha256:';

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

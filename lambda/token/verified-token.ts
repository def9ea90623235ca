import type { RevocableToken, RevocationIds } from '../revocation/index.js';

/**
 * What the verifier hands on once a token's structure, signature and claims all passed: the
 * values the revocation check and the decision need, already typed.
 */
export interface VerifiedToken extends RevocableToken {
  /** The `iss` claim, equal to one configured issuer. */
  readonly issuer: string;
  /** The `sub` claim: the principal and the context's `sub`. */
  readonly sub: string | undefined;
  /** The value of the issuer's subject claim (`sub` by default, JWT_SUBJECT_CLAIM): what subject cut-offs match. */
  readonly subject: string | undefined;
  /** The name of that claim, when it is not `sub`: the context forwards its value under it. */
  readonly subjectClaim: string;
  /** The `jti` claim; for a token without one, `sha256:` + base64url SHA-256 of its signed part (see tokenHash). */
  readonly tokenId: string;
  /**
   * For a token without `jti`, the other ids it is revoked under as a jti: its signature as it
   * appears and, for ECDSA, its twin spelling (see signatureIds). Empty for a token with a `jti`.
   */
  readonly signatureIds: readonly string[];
  /** The value of the issuer's client claim (`client_id` by default). */
  readonly clientId: string | undefined;
  /** The value of the issuer's session claim (`sid` by default, JWT_SESSION_CLAIM): what session revocations match. */
  readonly sessionId: string | undefined;
  /** The ids revocations of this token are stored under (storedId of tokenId, subject, clientId, sessionId), computed once, here. */
  readonly revocationIds: RevocationIds;
  /** `iat`; undefined only when the operator removed iat from the required claims. */
  readonly issuedAtEpochSeconds: number | undefined;
  readonly expiresAtEpochSeconds: number;
  /** `scope` as a space-separated string (an `scp` array is joined). */
  readonly scope: string | undefined;
  /** Every claim of the payload, for the authorizer context. */
  readonly claims: Readonly<Record<string, unknown>>;
}

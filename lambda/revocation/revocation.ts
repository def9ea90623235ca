/**
 * The revocation model shared by the ingest (which writes it) and the authorizer (which reads it):
 * the kinds, and the retention rule that says how long each entry matters (docs/design.md,
 * "Revocation semantics"). Units are in every name: JWT claims are epoch seconds, revocation
 * times epoch milliseconds.
 */

/** The issuer of a revocation that names none: it applies to tokens of every trusted issuer. */
export const ANY_ISSUER = '*';

/** The token with this jti from this issuer is refused until it expires. */
export interface JtiRevocation {
  readonly kind: 'jti';
  /** The token's `iss`, or {@link ANY_ISSUER}. */
  readonly issuer: string;
  /** The token's `jti`, or its tokenHash (base64url SHA-256 of its signed part) for a token without one. */
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

/** Every kind, in the order the table and the metrics list them. */
export const REVOCATION_KINDS: readonly RevocationKind[] = ['jti', 'subject', 'client'];

/** What a revocation names within its kind and issuer: the jti, the subject or the client. */
export function revocationId(revocation: Revocation): string {
  return revocation.kind === 'jti' ? revocation.jti : revocation.id;
}

/** The token rules that decide how long a revocation matters; the ingest and the authorizer must agree on them. */
export interface RetentionRules {
  readonly clockToleranceSeconds: number;
  readonly maxTokenLifetimeSeconds: number;
}

/**
 * How long a cut-off matters after T: the maximum token lifetime plus the clock tolerance. A token
 * issued at or before T has expired by then (the verifier refuses longer lifetimes), so the entry
 * can go.
 */
export function cutoffRetentionSeconds(rules: RetentionRules): number {
  return rules.maxTokenLifetimeSeconds + rules.clockToleranceSeconds;
}

/**
 * When a cut-off T (epoch ms) may be forgotten, in epoch seconds. Rounded up: a token with a
 * fractional iat just under a T with a millisecond fraction lives until iat + lifetime +
 * tolerance, which floor(T / 1000) would cut short by up to a second.
 */
export function cutoffExpiresAtEpochSeconds(revokedAtEpochMs: number, retentionSeconds: number): number {
  return Math.ceil(revokedAtEpochMs / 1000) + retentionSeconds;
}

/** jti revocation kept until exp + tolerance, or, exp unknown, until no token issued now can be alive. */
export function jtiRevocation(
  issuer: string,
  jti: string,
  expSeconds: number | undefined,
  rules: RetentionRules & { readonly nowMs: number },
): JtiRevocation {
  const expiresAt = expSeconds ?? Math.ceil(rules.nowMs / 1000) + rules.maxTokenLifetimeSeconds;
  return { kind: 'jti', issuer, jti, expiresAtEpochSeconds: expiresAt + rules.clockToleranceSeconds };
}

/** Cut-off T kept until the last token issued at T has expired: T + max lifetime + tolerance. */
export function cutoffRevocation(
  kind: 'subject' | 'client',
  issuer: string,
  id: string,
  revokedAtEpochMs: number,
  rules: RetentionRules,
): CutoffRevocation {
  return {
    kind,
    issuer,
    id,
    revokedAtEpochMs,
    expiresAtEpochSeconds: cutoffExpiresAtEpochSeconds(revokedAtEpochMs, cutoffRetentionSeconds(rules)),
  };
}

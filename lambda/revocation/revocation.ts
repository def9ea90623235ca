import { createHash } from 'node:crypto';

/**
 * The revocation model shared by the ingest (which writes it) and the authorizer (which reads it):
 * the kinds, the ids revocations are stored under, and the retention rule that says how long each
 * entry matters (docs/design.md, "Revocation semantics"). Units are in every name: JWT claims are
 * epoch seconds, revocation times epoch milliseconds.
 */

/** The issuer of a revocation that names none: it applies to tokens of every trusted issuer. */
export const ANY_ISSUER = '*';

/** Prefix of a stored id that is the hash of the revoked id rather than the id itself (see {@link storedId}). */
export const HASHED_ID_PREFIX = '~sha256:';

/** Longest id, in UTF-8 bytes, stored as it is; a longer one is stored as its hash. */
export const MAX_CLEAR_ID_BYTES = 1024;

// C0 and C1 control characters, DEL, and lone UTF-16 surrogates (in u mode a pair is one code
// point, so only an unpaired surrogate matches): an id holding one is stored as its hash.
const CONTROL_OR_LONE_SURROGATE = /[\u0000-\u001f\u007f-\u009f]|\p{Surrogate}/u;

/**
 * The id a revoked id (a jti or whole-token hash, a subject, a client id, a session id) is stored
 * under, in the table key and in the authorizer's memory: the ingest applies it to every id a
 * message names, the verifier to the ids of every token it verifies, so both sides meet whatever
 * the id holds.
 *
 * - An id that is well-formed UTF-16 (no lone surrogate), holds no control character (C0, DEL,
 *   C1), does not start with {@link HASHED_ID_PREFIX} and is at most {@link MAX_CLEAR_ID_BYTES}
 *   UTF-8 bytes is stored as it is: every id the table held before this mapping existed, so
 *   nothing stored needs migrating.
 * - Any other non-empty string is stored as `~sha256:` + base64url(SHA-256 of its UTF-16LE code
 *   units): 51 characters, whatever the id. The code units, not UTF-8, so a lone surrogate (which
 *   UTF-8 cannot carry) still hashes to its own value; the prefix cannot begin a clear id, so a
 *   hash never meets an id that merely looks like one.
 *
 * Only revocations and lookups go through it: the token's own claims (context, logs) stay as sent.
 */
export function storedId(id: string): string {
  if (
    id.length <= MAX_CLEAR_ID_BYTES &&
    !id.startsWith(HASHED_ID_PREFIX) &&
    !CONTROL_OR_LONE_SURROGATE.test(id) &&
    Buffer.byteLength(id, 'utf8') <= MAX_CLEAR_ID_BYTES
  ) {
    return id;
  }
  return HASHED_ID_PREFIX + createHash('sha256').update(Buffer.from(id, 'utf16le')).digest('base64url');
}

/** The stored ids a token is revoked under: its jti (or whole-token hash), its subject, its client and its session. */
export interface RevocationIds {
  readonly jti: string;
  readonly subject: string | undefined;
  readonly client: string | undefined;
  /** For a token without jti, its signature spellings (jti namespace: WSO2 revokes such a token by its signature). */
  readonly signatures: readonly string[];
  /** The session claim's value (`sid` by default); undefined for a token without one, which no session revocation names. */
  readonly session: string | undefined;
}

/** {@link storedId} of each id of a token; the verifier computes them once per token it verifies. */
export function revocationIdsOf(
  jti: string,
  subject: string | undefined,
  client: string | undefined,
  signatures: readonly string[] = [],
  session: string | undefined = undefined,
): RevocationIds {
  return {
    jti: storedId(jti),
    subject: subject === undefined ? undefined : storedId(subject),
    client: client === undefined ? undefined : storedId(client),
    signatures: signatures.map(storedId),
    session: session === undefined ? undefined : storedId(session),
  };
}

/** The token with this jti from this issuer is refused until it expires. */
export interface JtiRevocation {
  readonly kind: 'jti';
  /** The token's `iss`, or {@link ANY_ISSUER}. */
  readonly issuer: string;
  /**
   * {@link storedId} of the token's `jti`, or of its tokenHash (base64url SHA-256 of its signed
   * part) for a token without one.
   */
  readonly jti: string;
  /** When the entry may be forgotten: the token's exp plus clock tolerance. */
  readonly expiresAtEpochSeconds: number;
}

/** Tokens of this subject (or client) issued at or before the cut-off are refused. */
export interface CutoffRevocation {
  readonly kind: 'subject' | 'client';
  readonly issuer: string;
  /** {@link storedId} of the subject claim's value, or of the client claim's. */
  readonly id: string;
  /** T: tokens with `iat * 1000 <= T` are refused. */
  readonly revokedAtEpochMs: number;
  /** When the entry may be forgotten: T + maximum token lifetime + clock tolerance. */
  readonly expiresAtEpochSeconds: number;
}

/**
 * Every token whose session claim (`sid` by default) equals the id is refused, whatever its iat:
 * the session is over. Kept as long as a token of the session issued up to T can live.
 */
export interface SessionRevocation {
  readonly kind: 'session';
  readonly issuer: string;
  /** {@link storedId} of the session claim's value. */
  readonly id: string;
  /**
   * T, when the session was revoked: it dates the entry (how long it is kept), it selects no
   * tokens. Stored as the item's `revokedAt`.
   */
  readonly revokedAtEpochMs: number;
  /** When the entry may be forgotten: T + maximum token lifetime + clock tolerance. */
  readonly expiresAtEpochSeconds: number;
}

export type Revocation = JtiRevocation | CutoffRevocation | SessionRevocation;
export type RevocationKind = Revocation['kind'];

/** Every kind, in the order the table and the metrics list them. */
export const REVOCATION_KINDS: readonly RevocationKind[] = ['jti', 'subject', 'client', 'session'];

/** What a revocation names within its kind and issuer: the stored id of the jti, the subject, the client or the session. */
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

/**
 * jti revocation kept until exp + tolerance, or, exp unknown, until no token issued now can be
 * alive; `jti` is the id as the token carries it, stored under {@link storedId}.
 */
export function jtiRevocation(
  issuer: string,
  jti: string,
  expSeconds: number | undefined,
  rules: RetentionRules & { readonly nowMs: number },
): JtiRevocation {
  const expiresAt = expSeconds ?? Math.ceil(rules.nowMs / 1000) + rules.maxTokenLifetimeSeconds;
  return { kind: 'jti', issuer, jti: storedId(jti), expiresAtEpochSeconds: expiresAt + rules.clockToleranceSeconds };
}

/**
 * Cut-off T kept until the last token issued at T has expired: T + max lifetime + tolerance; `id`
 * is the subject or client as tokens carry it, stored under {@link storedId}.
 */
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
    id: storedId(id),
    revokedAtEpochMs,
    expiresAtEpochSeconds: cutoffExpiresAtEpochSeconds(revokedAtEpochMs, cutoffRetentionSeconds(rules)),
  };
}

/**
 * A session revoked at T (epoch ms), kept until no token of it issued up to T can be alive: the
 * same retention as a cut-off at T (T + max lifetime + tolerance), so a token issued before the
 * revocation expires before the entry goes. `id` is the session claim's value as tokens carry it,
 * stored under {@link storedId}.
 */
export function sessionRevocation(issuer: string, id: string, revokedAtEpochMs: number, rules: RetentionRules): SessionRevocation {
  return {
    kind: 'session',
    issuer,
    id: storedId(id),
    revokedAtEpochMs,
    expiresAtEpochSeconds: cutoffExpiresAtEpochSeconds(revokedAtEpochMs, cutoffRetentionSeconds(rules)),
  };
}

/** Whole empty counts per kind, e.g. what a batch applied; one place, so a new kind is never left out. */
export function countsByKind(): Record<RevocationKind, number> {
  return { jti: 0, subject: 0, client: 0, session: 0 };
}

import { summarizeValue, type ValueSummary } from './value-summary.js';

/**
 * Every failure the product knows about, one class per kind, each with a stable `code`.
 *
 * Three kinds, three treatments (only the handlers turn them into responses):
 * - a rejected token is expected: deny, log its reason;
 * - a misconfiguration throws at cold start, loudly;
 * - an unreachable dependency fails closed, keeping the original error as `cause`.
 */
export abstract class AuthorizerError extends Error {
  abstract readonly code: string;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Why a token was refused: the machine-readable reason in every deny log line and metric. */
export type RejectionReason =
  | 'missing_token'
  | 'malformed_token'
  | 'token_too_large'
  | 'unsupported_token'
  | 'algorithm_not_allowed'
  | 'unsupported_header'
  | 'wrong_type'
  | 'unknown_issuer'
  | 'unknown_key'
  | 'bad_signature'
  | 'missing_claim'
  | 'invalid_claim'
  | 'expired'
  | 'not_yet_valid'
  | 'issued_in_future'
  | 'lifetime_too_long'
  | 'too_old'
  | 'wrong_audience'
  | 'insufficient_scope'
  | RevocationReason;

/** The revocation kinds a token can match; see docs/design.md, "Revocation semantics". */
export type RevocationReason = 'revoked_jti' | 'revoked_subject' | 'revoked_client' | 'revoked_session';

/**
 * What was checked and what was found, for the log line (never holds the token). `actual` is
 * attacker input until the signature verified, and a claim that failed a check is no better, so
 * it is only ever kept as a bounded summary (see summarizeValue).
 */
export interface FailedAssertion {
  readonly claim?: string;
  readonly actual?: ValueSummary;
  readonly expected?: unknown;
}

/**
 * A token that is refused. Expected in normal operation: the caller gets a deny. The message is
 * a fixed text (never a value from the token); `failedAssertion.actual` is summarized here, from
 * whatever value the check found, so no caller can put a raw value in a log line.
 */
export class TokenRejectedError extends AuthorizerError {
  readonly code: string;
  readonly failedAssertion?: FailedAssertion;
  constructor(
    readonly reason: RejectionReason,
    message: string,
    failedAssertion?: { readonly claim?: string; readonly actual?: unknown; readonly expected?: unknown },
  ) {
    super(message);
    this.code = `ERR_TOKEN_${reason.toUpperCase()}`;
    if (failedAssertion !== undefined) {
      const { claim, actual, expected } = failedAssertion;
      this.failedAssertion = {
        ...(claim === undefined ? {} : { claim }),
        ...('actual' in failedAssertion ? { actual: summarizeValue(actual) } : {}),
        ...(expected === undefined ? {} : { expected }),
      };
    }
  }
}

/** One or more environment variables are missing or malformed. Thrown at cold start. */
export class ConfigurationError extends AuthorizerError {
  readonly code = 'ERR_CONFIGURATION';
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration: ${problems.join('; ')}`);
  }
}

/** The issuer's JWKS could not be fetched and no usable key is held for the token. */
export class JwksUnavailableError extends AuthorizerError {
  readonly code = 'ERR_JWKS_UNAVAILABLE';
}

/** The issuer's key set answer is larger than JWKS_MAX_BYTES: refused, the keys already held kept. */
export class JwksTooLargeError extends AuthorizerError {
  readonly code = 'ERR_JWKS_TOO_LARGE';
}

/** The revocation state could not be loaded, or is older than the allowed staleness. */
export class RevocationStateUnavailableError extends AuthorizerError {
  readonly code = 'ERR_REVOCATION_STATE_UNAVAILABLE';
}

/** A revocation could not be written to the table, even after retries; retry the whole batch. */
export class RevocationWriteError extends AuthorizerError {
  readonly code = 'ERR_REVOCATION_WRITE_FAILED';
}

/**
 * A change-feed write found a page or head replica written by another feed writer (its condition
 * failed): this writer's state is behind the table's. It re-reads the head before its next step.
 */
export class FeedFencedError extends AuthorizerError {
  readonly code = 'ERR_FEED_FENCED';
}

/**
 * Why a revocation snapshot was not used (the instance then loads with a Scan): the `reason` of
 * its log line and of the SnapshotFallbacks metric. docs/scale.md, "Cold start and snapshots", says what each means.
 */
export type SnapshotRefusalReason =
  | 'missing'
  | 'unavailable'
  | 'timeout'
  | 'too_large'
  | 'truncated'
  | 'format'
  | 'version'
  | 'checksum'
  | 'unknown_table'
  | 'missing_table'
  | 'settings'
  | 'too_old'
  | 'clock'
  | 'platform';

/** A revocation snapshot that must not be used; the caller falls back to a Scan. */
export class SnapshotRefusedError extends AuthorizerError {
  readonly code = 'ERR_SNAPSHOT_REFUSED';
  constructor(
    readonly reason: SnapshotRefusalReason,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** Why a revocation message was refused: the `reason` in its log line and MessagesRejected metric. */
export type InvalidMessageReason =
  | 'malformed_json'
  | 'too_large'
  | 'unknown_format'
  | 'unsupported_version'
  | 'unknown_type'
  | 'missing_field'
  | 'invalid_field'
  | 'invalid_id'
  | 'invalid_time'
  | 'invalid_token';

/** A revocation message that cannot be accepted; nothing from it is written. */
export class InvalidMessageError extends AuthorizerError {
  readonly code = 'ERR_INVALID_MESSAGE';
  constructor(
    message: string,
    /** Where in the message the problem is, e.g. `revocations[3].sub`. */
    readonly path?: string,
    readonly reason: InvalidMessageReason = 'invalid_field',
  ) {
    super(path ? `${path}: ${message}` : message);
  }
}

/** `Name: message` of an error (anything else as a string): how log lines and messages name a failure. */
export function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** The stable code of a known failure; `ERR_UNEXPECTED` for anything else. */
export function errorCode(error: unknown): string {
  return error instanceof AuthorizerError ? error.code : 'ERR_UNEXPECTED';
}

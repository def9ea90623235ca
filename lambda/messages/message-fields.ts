import {
  ANY_ISSUER,
  issuerProblem,
  jtiRevocation,
  MAX_CLEAR_ID_BYTES,
  MAX_ISSUER_BYTES,
  storageProblem,
  type JtiRevocation,
  type RetentionRules,
  type Revocation,
} from '../revocation/index.js';
import { LIMITS } from '../contract/index.js';
import { InvalidMessageError, TokenRejectedError } from '../shared/index.js';
import { parseToken, tokenHash } from '../token/index.js';

/**
 * The checks every message format shares: ids, issuers, times, whole tokens and whether the table
 * can hold the result, each turned into a typed value or an InvalidMessageError that names the
 * field. Units as in docs/design.md, "Revocation semantics": JWT claims and TTLs in epoch
 * seconds, revocation times in epoch milliseconds.
 */

/** What a message is read against: the clock and the TTL rules of the ingest function. */
export interface MessageRules extends RetentionRules {
  readonly nowMs: number;
  /**
   * When the message was published (the SNS `Timestamp`): the cut-off of a subject or client
   * message that gives no `revokedAt`, so a redelivery of it yields the same cut-off instead of a
   * later one. @default nowMs
   */
  readonly publishedAtMs?: number;
}

/**
 * The cut-off for a message that names no revocation time: when it was published, never later
 * than now. Not later, so a user's login just after a logout (a fresh token, issued after the
 * publish) is not refused.
 */
export function defaultRevokedAtMs(rules: MessageRules): number {
  return Math.min(Math.floor(rules.publishedAtMs ?? rules.nowMs), rules.nowMs);
}

/**
 * docs/design.md, "Revocation semantics": an explicit revocation time ahead of the ingest's clock
 * is clamped to now + the clock tolerance. The verifier accepts `iat` up to that far ahead, so an
 * issuer whose clock runs fast mints tokens dated after the ingest's now; clamped to now, a token
 * minted just before the revocation by such an issuer would escape it for its whole life. Later
 * than that would refuse tokens not issued yet.
 */
function clampedToTolerance(ms: number, rules: MessageRules): number {
  return Math.min(ms, rules.nowMs + rules.clockToleranceSeconds * 1000);
}

/**
 * Longest id (UTF-8 bytes) stored as it is; a longer one is accepted too and stored as its hash
 * (storedId, lambda/revocation/revocation.ts). Issuers: at most MAX_ISSUER_BYTES, and short
 * enough once %-encoded (issuerProblem, lambda/revocation/table-codec.ts).
 */
export const MAX_ID_BYTES = MAX_CLEAR_ID_BYTES;
export { MAX_ISSUER_BYTES };
/**
 * Whole tokens longer than this are refused unread: the most JWT_MAX_TOKEN_BYTES allows, so every
 * token an authorizer accepts can be revoked whole (and a message that large still fits SNS).
 */
export const MAX_TOKEN_BYTES = LIMITS.maxTokenBytes.max;

const EPOCH_2000_MS = 946_684_800_000;
const EPOCH_2000_SECONDS = EPOCH_2000_MS / 1000;
/** An epoch-ms value below this is before March 1973: almost surely epoch seconds sent by mistake. */
const SECONDS_NOT_MS_BELOW = 1e11;
const YEAR_SECONDS = 366 * 86_400;
const YEAR_MS = YEAR_SECONDS * 1000;

export function invalid(reason: InvalidMessageError['reason'], path: string, message: string): InvalidMessageError {
  return new InvalidMessageError(message, path || undefined, reason);
}

/** `revocations[2]` + `sub` → `revocations[2].sub`. */
export function at(base: string, key: string | number): string {
  if (typeof key === 'number') return `${base}[${key}]`;
  return base ? `${base}.${key}` : key;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A field name fit for a log line; anything else (it might be a pasted token) is not echoed. */
export function printable(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return typeof value === 'string' && /^[\w.:+/-]{1,64}$/.test(value) ? `"${value}"` : `(${describeType(value)})`;
}

function describeType(value: unknown): string {
  if (typeof value === 'string') return `a string of ${value.length} characters`;
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : typeof value;
}

/**
 * A revoked id (jti, sub, client id) as the token carries it: any non-empty string, since the
 * verifier accepts any non-empty string claim and every token it allows must be revocable
 * (whitespace, control characters, lone surrogates, any length a message can carry). The
 * revocation constructors store it under storedId: long or unusual ids under their hash. Error
 * messages never repeat it.
 */
export function readId(value: unknown, path: string): string {
  if (value === undefined || value === null) throw invalid('missing_field', path, 'is required');
  if (typeof value !== 'string') throw invalid('invalid_id', path, `must be a string, got ${describeType(value)}`);
  if (value === '') throw invalid('invalid_id', path, 'must not be empty');
  return value;
}

/**
 * An issuer named by a message; it is compared byte for byte with the token's `iss`. The table's
 * issuer rule (issuerProblem): the authorizer refuses to trust an issuer that breaks it, so a
 * message naming one could only name tokens no authorizer accepts.
 */
export function readIssuer(value: unknown, path: string): string {
  if (value === undefined || value === null) throw invalid('missing_field', path, 'is required');
  if (typeof value !== 'string') throw invalid('invalid_field', path, `must be a string, got ${describeType(value)}`);
  const problem = issuerProblem(value);
  if (problem !== undefined) throw invalid('invalid_field', path, problem);
  return value;
}

/**
 * A whole number from a JSON number, or (WSO2 sends numbers as Java strings) from a string of
 * digits when `allowString`. Undefined when absent.
 */
function readWholeNumber(value: unknown, path: string, unit: string, allowString: boolean): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number') {
    if (Number.isSafeInteger(value) && value >= 0) return value;
    throw invalid('invalid_time', path, `must be a whole, non-negative number of ${unit}, got ${value}`);
  }
  if (allowString && typeof value === 'string') {
    if (/^\d{1,16}$/.test(value) && Number.isSafeInteger(Number(value))) return Number(value);
    const shown = /^[\w.:+-]{1,32}$/.test(value) ? `"${value}"` : `(${describeType(value)})`;
    throw invalid('invalid_time', path, `must be a whole, non-negative number of ${unit}, got ${shown}`);
  }
  throw invalid('invalid_time', path, `must be a whole number of ${unit}, got ${describeType(value)}`);
}

/**
 * A revocation time T given explicitly (`revokedAt`; WSO2's `revocationTime`, a string of digits
 * with `allowString`), in epoch milliseconds, checked and clamped to now + the clock tolerance.
 * Undefined when absent: the caller then takes {@link defaultRevokedAtMs}.
 */
export function readRevokedAtMs(value: unknown, path: string, rules: MessageRules, allowString = false): number | undefined {
  const ms = readWholeNumber(value, path, 'epoch milliseconds', allowString);
  if (ms === undefined) return undefined;
  checkEpochMs(ms, path, rules);
  return clampedToTolerance(ms, rules);
}

function checkEpochMs(ms: number, path: string, rules: MessageRules): void {
  if (ms < SECONDS_NOT_MS_BELOW) {
    throw invalid('invalid_time', path, `${ms} looks like epoch seconds; this field is epoch milliseconds`);
  }
  if (ms < EPOCH_2000_MS) throw invalid('invalid_time', path, `${ms} is before the year 2000`);
  if (ms > rules.nowMs + YEAR_MS) throw invalid('invalid_time', path, `${ms} is more than a year in the future`);
}

/** A token expiry in epoch seconds (a JWT `exp`): integer in messages, any NumericDate in tokens. */
export function readExpSeconds(value: unknown, path: string, rules: MessageRules, integerOnly = true): number | undefined {
  if (value === undefined || value === null) return undefined;
  let seconds: number;
  if (!integerOnly && typeof value === 'number' && Number.isFinite(value) && value >= 0) seconds = Math.ceil(value);
  else seconds = readWholeNumber(value, path, 'epoch seconds', false)!;
  if (seconds >= SECONDS_NOT_MS_BELOW) {
    throw invalid('invalid_time', path, `${seconds} looks like epoch milliseconds; exp is epoch seconds`);
  }
  if (seconds < EPOCH_2000_SECONDS) throw invalid('invalid_time', path, `${seconds} is before the year 2000`);
  const latest = Math.floor(rules.nowMs / 1000) + Math.max(YEAR_SECONDS, rules.maxTokenLifetimeSeconds);
  if (seconds > latest) throw invalid('invalid_time', path, `${seconds} is more than a year in the future`);
  return seconds;
}

/** What revoking a whole token names: its issuer, its jti (or tokenHash) as the token carries it, its exp. */
export interface TokenRevocationFields {
  readonly issuer: string;
  readonly jti: string;
  readonly expSeconds: number;
}

/**
 * A whole token → jti revocation. Its iss, jti and exp are read without checking the signature:
 * revoking is always safe, so an unverified claim can only revoke a token bearing that claim.
 * The structure is checked as strictly as the verifier checks it (one parser for both). The token
 * itself is neither kept nor put in any error message.
 */
export function revocationFromToken(value: unknown, path: string, fallbackIssuer: string, rules: MessageRules): JtiRevocation {
  const { issuer, jti, expSeconds, jtiPath } = readToken(value, path, fallbackIssuer, rules);
  return storable(jtiRevocation(issuer, jti, expSeconds, rules), jtiPath, at(path, 'exp'));
}

/**
 * The fields of a whole-token revocation, ids as the token carries them (the revoke CLI publishes
 * these, so the ingest maps them once); refusals as {@link revocationFromToken}.
 */
export function readTokenRevocation(value: unknown, path: string, fallbackIssuer: string, rules: MessageRules): TokenRevocationFields {
  const { issuer, jti, expSeconds } = readToken(value, path, fallbackIssuer, rules);
  return { issuer, jti, expSeconds };
}

/** The token's fields, and where its id is: `path.jti`, or `path` itself for a token hashed for want of one. */
function readToken(
  value: unknown,
  path: string,
  fallbackIssuer: string,
  rules: MessageRules,
): TokenRevocationFields & { readonly jtiPath: string } {
  if (value === undefined || value === null) throw invalid('missing_field', path, 'is required');
  if (typeof value !== 'string') throw invalid('invalid_token', path, `must be a string, got ${describeType(value)}`);
  let payload: Readonly<Record<string, unknown>>;
  try {
    payload = parseToken(value, MAX_TOKEN_BYTES).payload;
  } catch (error) {
    if (!(error instanceof TokenRejectedError)) throw error;
    throw invalid(error.reason === 'token_too_large' ? 'too_large' : 'invalid_token', path, error.message);
  }
  if (value.split('.')[2] === '')
    throw invalid('invalid_token', path, 'an unsigned token (empty signature) cannot be accepted by any authorizer');
  if (payload.exp === undefined) throw invalid('missing_field', at(path, 'exp'), 'the token has no exp claim');
  if (typeof payload.exp !== 'number') throw invalid('invalid_time', at(path, 'exp'), 'the exp claim must be a number');
  const exp = readExpSeconds(payload.exp, at(path, 'exp'), rules, false);
  const issuer = payload.iss === undefined ? fallbackIssuer : readIssuer(payload.iss, at(path, 'iss'));
  // An unverified claim may narrow a revocation to the tokens that carry it, never widen it to
  // every issuer: '*' is the store's "any issuer" and no real token is issued under that name.
  if (issuer === ANY_ISSUER && payload.iss !== undefined) {
    throw invalid('invalid_token', at(path, 'iss'), `"${ANY_ISSUER}" is reserved for revocations of every issuer; revoke by jti instead`);
  }
  if (payload.jti === undefined) return { issuer, jti: tokenHash(value), expSeconds: exp!, jtiPath: path };
  return { issuer, jti: readId(payload.jti, at(path, 'jti')), expSeconds: exp!, jtiPath: at(path, 'jti') };
}

/**
 * The revocation, if the table can hold it; otherwise an InvalidMessageError naming the message
 * field at fault. The rules (the key size above all: a long id beside a long, %-encoded issuer)
 * are the table codec's; checked here, per message, before batches are merged, the error names
 * the entry's own position, and the revoke CLI refuses what the ingest would.
 */
export function storable<T extends Revocation>(revocation: T, idPath: string, timePath: string): T {
  const problem = storageProblem(revocation);
  if (problem === undefined) return revocation;
  if (problem.field === 'expiresAtEpochSeconds' || problem.field === 'revokedAtEpochMs') {
    throw invalid('invalid_time', timePath, problem.message);
  }
  throw invalid(problem.field === 'id' ? 'invalid_id' : 'invalid_field', idPath, problem.message);
}

/**
 * Whether a string is a compact JWT rather than a bare jti: three dot-separated parts whose first
 * decodes to a JSON object. A jti that happens to hold dots stays a jti.
 */
export function looksLikeJwt(value: string): boolean {
  const parts = value.split('.');
  if (parts.length !== 3 && parts.length !== 5) return false;
  if (!/^[A-Za-z0-9_-]+$/.test(parts[0]!)) return false;
  return Buffer.from(parts[0]!, 'base64url').toString('utf8').trimStart().startsWith('{');
}

import { badRequest, DeliveryRefusedError, type DeliveryErrorCode } from './errors.js';

/** The clock rules a logout token or SET is read against. */
export interface ClaimRules {
  readonly clockToleranceSeconds: number;
  /** Upper bound on `exp - iat` of a logout token, as for access tokens. */
  readonly maxTokenLifetimeSeconds: number;
}

type Payload = Readonly<Record<string, unknown>>;

/** A required NumericDate (RFC 7519 §2: a JSON number of seconds, never a string). */
export function requiredNumericDate(payload: Payload, claim: string): number {
  const value = payload[claim];
  if (value === undefined || value === null) throw badRequest(`required claim ${claim} is missing`, 'missing_claim');
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0)
    throw badRequest(`${claim} must be a NumericDate`, 'invalid_claim');
  return value;
}

/** `iat` not ahead of now by more than the tolerance (RFC 7519 §4.1.6; OIDC Core §3.1.3.7 step 10 for ID tokens). */
export function checkIssuedAt(iat: number, nowSeconds: number, rules: ClaimRules): void {
  if (iat > nowSeconds + rules.clockToleranceSeconds) throw badRequest('iat is in the future', 'issued_in_future');
}

/** A required claim that must be a non-empty string. */
export function requiredString(payload: Payload, claim: string): string {
  const value = payload[claim];
  if (value === undefined || value === null) throw badRequest(`required claim ${claim} is missing`, 'missing_claim');
  if (typeof value !== 'string' || value === '') throw badRequest(`${claim} must be a non-empty string`, 'invalid_claim');
  return value;
}

/** An optional claim that, when present, must be a non-empty string. */
export function optionalString(payload: Payload, claim: string): string | undefined {
  const value = payload[claim];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '') throw badRequest(`${claim} must be a non-empty string`, 'invalid_claim');
  return value;
}

/**
 * RFC 7519 §4.1.3: `aud` is a string or an array of strings; the token passes when one of them is
 * an accepted audience (RECEIVER_AUDIENCE). `error` is the code a mismatch answers with.
 */
export function checkAudience(payload: Payload, accepted: readonly string[], error: DeliveryErrorCode): void {
  const aud = payload.aud;
  if (aud === undefined || aud === null) throw badRequest('required claim aud is missing', 'missing_claim');
  const values = typeof aud === 'string' ? [aud] : aud;
  if (!Array.isArray(values) || values.length === 0 || !values.every((value) => typeof value === 'string')) {
    throw badRequest('aud must be a string or an array of strings', 'invalid_claim');
  }
  if (!values.some((value) => accepted.includes(value as string))) {
    throw new DeliveryRefusedError(400, error, 'aud names no audience this receiver accepts (RECEIVER_AUDIENCE)', 'wrong_audience');
  }
}

/** A JSON object (not an array, not null). */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

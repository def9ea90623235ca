import { TokenRejectedError } from '../shared/index.js';
import type { IssuerConfig, TokenRules } from './settings.js';

/** The typed claims the rest of the path needs, after every rule passed. */
export interface CheckedClaims {
  /** The `sub` claim: the principal, the context's `sub`. */
  readonly sub: string | undefined;
  /** The value of the issuer's subject claim (`sub` unless JWT_SUBJECT_CLAIM says otherwise): what subject cut-offs match. */
  readonly subject: string | undefined;
  readonly jti: string | undefined;
  readonly clientId: string | undefined;
  /** The value of the issuer's session claim (`sid` unless JWT_SESSION_CLAIM says otherwise): what session revocations match. */
  readonly sessionId: string | undefined;
  readonly issuedAtEpochSeconds: number | undefined;
  readonly expiresAtEpochSeconds: number;
  readonly scope: string | undefined;
  /** Until when this token may be accepted without checking its claims again: exp, or the age limit. */
  readonly acceptableUntilEpochSeconds: number;
}

/**
 * Stage three of three (structure → signature → claims): RFC 7519 §4.1 and RFC 9068 §4 rules on a
 * payload whose signature already verified. `nowSeconds` may be fractional.
 */
export function checkClaims(
  payload: Readonly<Record<string, unknown>>,
  issuer: IssuerConfig,
  rules: TokenRules,
  nowSeconds: number,
): CheckedClaims {
  for (const claim of rules.requiredClaims) {
    if (payload[claim] === undefined || payload[claim] === null) {
      throw new TokenRejectedError('missing_claim', `required claim ${claim} is missing`, { claim });
    }
  }
  const tolerance = rules.clockToleranceSeconds;
  // exp is required whatever the configuration: without it a token would never expire, and
  // revocation entries could never be forgotten.
  const exp = numericDate(payload, 'exp', true)!;
  if (exp <= nowSeconds - tolerance) {
    throw new TokenRejectedError('expired', 'token has expired', { claim: 'exp', actual: exp, expected: `> ${Math.floor(nowSeconds)}` });
  }
  const nbf = numericDate(payload, 'nbf', false);
  if (nbf !== undefined && nbf > nowSeconds + tolerance) {
    throw new TokenRejectedError('not_yet_valid', 'token is not valid yet', { claim: 'nbf', actual: nbf });
  }
  const iat = numericDate(payload, 'iat', false);
  let acceptableUntil = exp + tolerance;
  if (iat !== undefined) {
    if (iat > nowSeconds + tolerance) {
      throw new TokenRejectedError('issued_in_future', 'token was issued in the future', { claim: 'iat', actual: iat });
    }
    if (exp - iat > rules.maxTokenLifetimeSeconds) {
      throw new TokenRejectedError('lifetime_too_long', `token lifetime exceeds ${rules.maxTokenLifetimeSeconds} s`, {
        claim: 'exp',
        actual: exp - iat,
        expected: rules.maxTokenLifetimeSeconds,
      });
    }
    if (rules.maxTokenAgeSeconds !== undefined) {
      const ageLimit = iat + rules.maxTokenAgeSeconds + tolerance;
      if (nowSeconds > ageLimit) {
        throw new TokenRejectedError('too_old', `token is older than ${rules.maxTokenAgeSeconds} s`, { claim: 'iat', actual: iat });
      }
      acceptableUntil = Math.min(acceptableUntil, ageLimit);
    }
  } else {
    if (rules.maxTokenAgeSeconds !== undefined) {
      throw new TokenRejectedError('missing_claim', 'iat is needed to check the maximum token age', { claim: 'iat' });
    }
    // Without iat the lifetime cannot be read, so bound what is left of it: revocation entries
    // (cut-offs, jtis without exp) are kept for one maximum lifetime, and a token outliving them
    // would pass again once they are gone.
    if (exp - nowSeconds > rules.maxTokenLifetimeSeconds + tolerance) {
      throw new TokenRejectedError('lifetime_too_long', `token without iat expires more than ${rules.maxTokenLifetimeSeconds} s from now`, {
        claim: 'exp',
        actual: exp - nowSeconds,
        expected: rules.maxTokenLifetimeSeconds,
      });
    }
  }
  checkAudience(payload.aud, issuer.audiences);
  const sub = optionalString(payload, 'sub');
  return {
    sub,
    subject: issuer.subjectClaim === 'sub' ? sub : optionalString(payload, issuer.subjectClaim),
    jti: optionalString(payload, 'jti'),
    clientId: optionalString(payload, issuer.clientClaim),
    // Like the client claim: present means a non-empty string, or the token could not be revoked by its session.
    sessionId: optionalString(payload, issuer.sessionClaim),
    issuedAtEpochSeconds: iat,
    expiresAtEpochSeconds: exp,
    scope: readScope(payload),
    acceptableUntilEpochSeconds: acceptableUntil,
  };
}

function numericDate(payload: Readonly<Record<string, unknown>>, claim: string, required: boolean): number | undefined {
  const value = payload[claim];
  if (value === undefined && !required) return undefined;
  if (value === undefined) throw new TokenRejectedError('missing_claim', `required claim ${claim} is missing`, { claim });
  // RFC 7519 §2: a NumericDate is a JSON number of seconds, never a string.
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new TokenRejectedError('invalid_claim', `${claim} must be a NumericDate`, { claim, actual: value });
  }
  return value;
}

function checkAudience(aud: unknown, accepted: readonly string[]): void {
  if (aud === undefined) return; // only reachable when the operator removed aud from the required claims
  if (typeof aud === 'string') {
    if (accepted.includes(aud)) return;
  } else if (Array.isArray(aud)) {
    if (!aud.every((entry) => typeof entry === 'string')) {
      throw new TokenRejectedError('invalid_claim', 'aud must be a string or an array of strings', { claim: 'aud' });
    }
    if (aud.some((entry) => accepted.includes(entry as string))) return;
  } else {
    throw new TokenRejectedError('invalid_claim', 'aud must be a string or an array of strings', { claim: 'aud' });
  }
  throw new TokenRejectedError('wrong_audience', 'no accepted audience in aud', {
    claim: 'aud',
    actual: aud,
    expected: accepted,
  });
}

function optionalString(payload: Readonly<Record<string, unknown>>, claim: string): string | undefined {
  const value = payload[claim];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '') {
    throw new TokenRejectedError('invalid_claim', `${claim} must be a non-empty string`, { claim });
  }
  return value;
}

/** `scope` (RFC 8693 §4.2, a space-separated string) or `scp` (an array, as Okta and Entra send). */
function readScope(payload: Readonly<Record<string, unknown>>): string | undefined {
  const { scope, scp } = payload;
  if (typeof scope === 'string') return scope;
  if (Array.isArray(scp) && scp.every((entry) => typeof entry === 'string')) return scp.join(' ');
  if (typeof scp === 'string') return scp;
  return undefined;
}

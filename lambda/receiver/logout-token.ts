import { normalizeType, type SignedJwt } from '../token/index.js';
import {
  checkAudience,
  checkIssuedAt,
  isObject,
  optionalString,
  requiredNumericDate,
  requiredString,
  type ClaimRules,
} from './claim-checks.js';
import { badRequest } from './errors.js';

/** OIDC Back-Channel Logout 1.0 §2.4: the member of `events` that makes a JWT a logout token. */
export const BACKCHANNEL_LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';

/** The `typ` values a logout token may carry; absent is accepted too (see {@link readLogoutToken}). */
const LOGOUT_TOKEN_TYPES = ['logout+jwt', 'jwt'];

/** A logout token whose signature and claims passed. */
export interface LogoutToken {
  readonly issuer: string;
  readonly jti: string;
  readonly issuedAtEpochSeconds: number;
  readonly expiresAtEpochSeconds: number;
  /** `sid`: the OP session the logout ends. */
  readonly sid: string | undefined;
  /** `sub`: the End-User, when no `sid` narrows the logout to one session. */
  readonly sub: string | undefined;
}

/**
 * OIDC Back-Channel Logout 1.0 (incorporating errata set 1) §2.6, the steps after the signature
 * (step 2, SignedJwtVerifier), each failure a 400 (§2.6, last paragraph; §2.8):
 * - `typ`: §2.4 RECOMMENDS `logout+jwt` and §4.1 notes that requiring it breaks most existing
 *   deployments, so a token without `typ` (or the generic `JWT`) is read as a logout token; any
 *   other explicit type (`at+jwt`, `secevent+jwt`…) is another kind of JWT and refused (RFC 8725
 *   §3.11: a recipient refuses a token of the wrong explicit type);
 * - step 3: `iss` (already an exact match to a trusted issuer), `aud` one of RECEIVER_AUDIENCE,
 *   `iat` and `exp` (REQUIRED since errata set 1) validated as for ID tokens: numeric, `iat` not in
 *   the future, `exp` not passed (both within the clock tolerance), and `exp - iat` within the
 *   maximum token lifetime;
 * - `jti` REQUIRED (§2.4);
 * - step 4: `sub`, `sid` or both;
 * - step 5: `events`, a JSON object holding the back-channel logout member, whose value is a JSON
 *   object (§2.4);
 * - step 6: no `nonce` (§2.4: prohibited, so a logout token cannot pass for an ID token).
 * Step 7 (`jti` not recently received) is the handler's, with its replay cache.
 */
export function readLogoutToken(jwt: SignedJwt, audiences: readonly string[], rules: ClaimRules, nowMs: number): LogoutToken {
  const { header, payload } = jwt;
  const typ = header.typ;
  if (typ !== undefined && (typeof typ !== 'string' || !LOGOUT_TOKEN_TYPES.includes(normalizeType(typ)))) {
    throw badRequest('typ is not logout+jwt: the token is another kind of JWT', 'wrong_type');
  }
  const nowSeconds = nowMs / 1000;
  checkAudience(payload, audiences, 'invalid_request');
  const iat = requiredNumericDate(payload, 'iat');
  checkIssuedAt(iat, nowSeconds, rules);
  const exp = requiredNumericDate(payload, 'exp');
  if (exp <= nowSeconds - rules.clockToleranceSeconds) throw badRequest('the logout token has expired', 'expired');
  if (exp - iat > rules.maxTokenLifetimeSeconds)
    throw badRequest('exp - iat is longer than the maximum token lifetime', 'lifetime_too_long');
  const jti = requiredString(payload, 'jti');
  const sid = optionalString(payload, 'sid');
  const sub = optionalString(payload, 'sub');
  if (sid === undefined && sub === undefined)
    throw badRequest('a logout token must contain sub, sid or both (§2.6 step 4)', 'missing_claim');
  const events = payload.events;
  if (!isObject(events))
    throw badRequest('events must be a JSON object (§2.6 step 5)', events === undefined ? 'missing_claim' : 'invalid_claim');
  if (!Object.hasOwn(events, BACKCHANNEL_LOGOUT_EVENT)) {
    throw badRequest(`events does not contain ${BACKCHANNEL_LOGOUT_EVENT} (§2.6 step 5)`, 'not_a_logout_token');
  }
  if (!isObject(events[BACKCHANNEL_LOGOUT_EVENT]))
    throw badRequest('the back-channel logout event must be a JSON object (§2.4)', 'invalid_claim');
  if (payload.nonce !== undefined) throw badRequest('a logout token must not contain nonce (§2.6 step 6)', 'nonce_present');
  return { issuer: jwt.issuer.issuer, jti, issuedAtEpochSeconds: iat, expiresAtEpochSeconds: exp, sid, sub };
}

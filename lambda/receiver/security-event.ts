import { normalizeType, type SignedJwt } from '../token/index.js';
import { checkAudience, checkIssuedAt, isObject, requiredNumericDate, requiredString, type ClaimRules } from './claim-checks.js';
import { badRequest } from './errors.js';
import { resolveSubject, type RevocationTarget, type SubjectContext, type SubjectPreference } from './subject-identifiers.js';

const CAEP = 'https://schemas.openid.net/secevent/caep/event-type/';
const RISC = 'https://schemas.openid.net/secevent/risc/event-type/';
const SSF = 'https://schemas.openid.net/secevent/ssf/event-type/';

/**
 * The event types that revoke, and which member of a complex subject each is about first. CAEP 1.0
 * session-revoked ends sessions (a session subject → that session; a user → every token of the
 * user issued until the event); the others say the user's credentials or account can no longer be
 * trusted, so every token issued until the event goes.
 */
export const REVOKING_EVENTS: Readonly<Record<string, SubjectPreference>> = {
  [`${CAEP}session-revoked`]: 'session',
  [`${CAEP}credential-change`]: 'user',
  [`${RISC}account-disabled`]: 'user',
  [`${RISC}account-purged`]: 'user',
  [`${RISC}credential-compromise`]: 'user',
  [`${RISC}sessions-revoked`]: 'user',
};

/** Event types known to revoke nothing here (SSF stream control; changes that leave issued tokens valid). */
export const INFORMATIONAL_EVENTS: readonly string[] = [
  `${SSF}verification`,
  `${SSF}stream-updated`,
  `${CAEP}token-claims-change`,
  `${CAEP}assurance-level-change`,
  `${CAEP}device-compliance-change`,
  `${CAEP}session-established`,
  `${CAEP}session-presented`,
  `${RISC}account-enabled`,
  `${RISC}account-credential-change-required`,
  `${RISC}identifier-changed`,
  `${RISC}identifier-recycled`,
  `${RISC}opt-in`,
  `${RISC}opt-out-initiated`,
  `${RISC}opt-out-cancelled`,
  `${RISC}opt-out-effective`,
  `${RISC}recovery-activated`,
  `${RISC}recovery-information-changed`,
];

/** One event of a SET, mapped: the revocation it means and its time, or nothing (ignored). */
export interface MappedEvent {
  readonly type: string;
  /** Undefined: acknowledged and counted, nothing revoked (an informational or unknown type). */
  readonly target: RevocationTarget | undefined;
  /** The cut-off of a subject target, epoch ms: the event's time. */
  readonly revokedAtMs: number;
  readonly known: boolean;
}

/** A SET whose signature and claims passed, its events mapped. */
export interface SecurityEvent {
  readonly issuer: string;
  readonly jti: string;
  readonly issuedAtEpochSeconds: number;
  readonly events: readonly MappedEvent[];
}

/**
 * RFC 8417 §2.2 claims as the Shared Signals Framework 1.0 profiles them ("Security Event Token
 * Profile"), after the signature passed:
 * - `typ` MUST be `secevent+jwt` (SSF 1.0 "Explicit Typing of SETs", RFC 8417 §2.3): refused
 *   otherwise, so an ID token, logout token or access token of the same issuer cannot pass for a SET;
 * - `iss` (a configured transmitter, matched exactly), `iat` (not in the future), `jti`, `events`
 *   REQUIRED (RFC 8417 §2.2); `aud` one of RECEIVER_AUDIENCE, else `invalid_audience` (RFC 8935 §2.4);
 * - `sub` and `exp` MUST NOT be present (SSF 1.0 "SSF Event Subject", "The exp Claim");
 * - `events` a JSON object of event type URIs to JSON objects (RFC 8417 §2.2); SSF 1.0 says it
 *   SHOULD hold one event, several are each mapped;
 * - the subject: the top-level `sub_id` (SSF 1.0 "Subject Members"), else the event's own `subject`
 *   member (CAEP and RISC events defined before SSF 1.0).
 * The event time of a cut-off: the event's `event_timestamp` (CAEP 1.0), else `toe` (RFC 8417
 * §2.2), else `iat`; in ms, rounded up so a token issued in the same second is covered.
 */
export function readSecurityEvent(
  jwt: SignedJwt,
  audiences: readonly string[],
  rules: ClaimRules,
  subjects: Omit<SubjectContext, 'transmitter'>,
  nowMs: number,
): SecurityEvent {
  const { header, payload } = jwt;
  if (typeof header.typ !== 'string' || normalizeType(header.typ) !== 'secevent+jwt') {
    throw badRequest('typ must be secevent+jwt (SSF 1.0, RFC 8417 §2.3)', 'wrong_type');
  }
  checkAudience(payload, audiences, 'invalid_audience');
  const iat = requiredNumericDate(payload, 'iat');
  checkIssuedAt(iat, nowMs / 1000, rules);
  const jti = requiredString(payload, 'jti');
  if (payload.sub !== undefined) throw badRequest('a SET must not contain sub: its subject is sub_id (SSF 1.0)', 'invalid_claim');
  if (payload.exp !== undefined) throw badRequest('a SET must not contain exp (SSF 1.0)', 'invalid_claim');
  const toe = payload.toe === undefined ? undefined : requiredNumericDate(payload, 'toe');
  const events = payload.events;
  if (!isObject(events))
    throw badRequest('events must be a JSON object (RFC 8417 §2.2)', events === undefined ? 'missing_claim' : 'invalid_claim');
  const types = Object.keys(events);
  if (types.length === 0) throw badRequest('events holds no event (RFC 8417 §2.2)', 'invalid_claim');
  const context: SubjectContext = { ...subjects, transmitter: jwt.issuer.issuer };
  const mapped = types.map((type): MappedEvent => {
    const event = events[type];
    const path = `events[${JSON.stringify(type.slice(0, 100))}]`;
    if (!isObject(event)) throw badRequest(`${path} must be a JSON object (RFC 8417 §2.2)`, 'invalid_claim');
    const preferred = REVOKING_EVENTS[type];
    // RFC 8935 §2: only errors of the SET itself are reported; an event type this receiver does not
    // act on is acknowledged whatever it holds.
    if (preferred === undefined) return { type, target: undefined, revokedAtMs: 0, known: INFORMATIONAL_EVENTS.includes(type) };
    const time = event.event_timestamp === undefined ? (toe ?? iat) : requiredNumericDate(event, 'event_timestamp');
    const revokedAtMs = Math.ceil(time * 1000);
    const subject = payload.sub_id ?? event.subject;
    if (subject === undefined) throw badRequest(`${path}: the SET names no subject (sub_id, or the event's subject)`, 'missing_claim');
    const target = resolveSubject(subject, context, preferred, payload.sub_id === undefined ? `${path}.subject` : 'sub_id');
    return { type, target, revokedAtMs, known: true };
  });
  return { issuer: jwt.issuer.issuer, jti, issuedAtEpochSeconds: iat, events: mapped };
}

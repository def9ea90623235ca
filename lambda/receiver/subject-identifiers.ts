import type { IssuerConfig } from '../token/index.js';
import { isObject } from './claim-checks.js';
import { badRequest, DeliveryRefusedError } from './errors.js';

/** What a subject of an event revokes: a subject cut-off, a session, or one token by its jti. */
export type RevocationTarget =
  | { readonly kind: 'subject'; readonly issuer: string; readonly sub: string }
  | { readonly kind: 'session'; readonly issuer: string; readonly sid: string }
  | { readonly kind: 'jti'; readonly issuer: string; readonly jti: string };

/** Who the SET came from and which token issuers (and their claims) a revocation may name. */
export interface SubjectContext {
  /** The SET's `iss`: the transmitter. */
  readonly transmitter: string;
  /** The trusted token issuers (JWT_ISSUER / JWT_ISSUERS), by issuer. */
  readonly tokenIssuers: ReadonlyMap<string, IssuerConfig>;
}

/** Which member of a complex subject an event is about first. */
export type SubjectPreference = 'session' | 'user';

// RFC 9493 §3.2 names `iss_sub`; drafts before it, and RFC 8417 §2.2.4's RISC example, wrote
// `"subject_type": "iss-sub"`. Read both: a transmitter built on the drafts still names the same thing.
const LEGACY_FORMATS: Readonly<Record<string, string>> = { 'iss-sub': 'iss_sub', 'phone-number': 'phone_number' };

/**
 * An SSF subject (SSF 1.0 "Subject Members": a Simple Subject, an RFC 9493 Subject Identifier, or a
 * Complex Subject) → the revocation it means, or a DeliveryRefusedError:
 * - `iss_sub` (RFC 9493 §3.2.3): a cut-off of `sub` for the token issuer `iss` names, which must be
 *   trusted (else `access_denied`) and match subject cut-offs on `sub` (JWT_SUBJECT_CLAIM);
 * - `email`, `phone_number` (§3.2.2, §3.2.5): a cut-off of that value, when the issuer's subject
 *   claim is that claim; `opaque` (§3.2.4): the subject claim's value, as the transmitter and this
 *   receiver agree. These name no issuer: the transmitter must itself be a trusted token issuer;
 * - `jwt_id` (SSF 1.0 "JWT ID Subject Identifier Format"): the one token, as a jti revocation;
 * - `aliases` (§3.2.8): the first identifier that maps;
 * - `complex` (SSF 1.0 "Complex Subject Members"): its `session` (read as a `sid`) or its `user`,
 *   in the order `preferred` gives; other members (device, tenant…) narrow nothing a token carries.
 * Formats no claim can match (`account`, `uri`, `did`, `saml_assertion_id`, `ip-addresses`, an
 * `email` while the subject claim is `sub`…) are refused with `invalid_request`: acknowledging them
 * would drop a revocation the transmitter believes was applied.
 */
export function resolveSubject(subject: unknown, context: SubjectContext, preferred: SubjectPreference, path: string): RevocationTarget {
  if (!isObject(subject)) throw badRequest(`${path} must be a subject identifier (a JSON object)`, 'invalid_subject');
  const format = readFormat(subject, path);
  if (format === 'complex') {
    const order: readonly SubjectPreference[] = preferred === 'session' ? ['session', 'user'] : ['user', 'session'];
    for (const member of order) {
      if (subject[member] === undefined) continue;
      return member === 'session'
        ? resolveSession(subject.session, context, `${path}.session`)
        : resolveSubject(subject.user, context, 'user', `${path}.user`);
    }
    throw badRequest(`${path} is a complex subject with neither a user nor a session member`, 'unmappable_subject');
  }
  if (format === 'aliases') {
    const identifiers = subject.identifiers;
    if (!Array.isArray(identifiers) || identifiers.length === 0)
      throw badRequest(`${path}.identifiers must be a non-empty array`, 'invalid_subject');
    let first: DeliveryRefusedError | undefined;
    for (const [index, identifier] of identifiers.entries()) {
      try {
        return resolveSubject(identifier, context, preferred, `${path}.identifiers[${index}]`);
      } catch (error) {
        if (!(error instanceof DeliveryRefusedError)) throw error;
        first ??= error;
      }
    }
    throw first!;
  }
  return resolveSimple(subject, format, context, path);
}

function resolveSimple(subject: Record<string, unknown>, format: string, context: SubjectContext, path: string): RevocationTarget {
  switch (format) {
    case 'iss_sub': {
      const issuer = trustedIssuer(member(subject, 'iss', path), context, path);
      const sub = member(subject, 'sub', path);
      requireSubjectClaim(issuer, 'sub', format, path);
      return { kind: 'subject', issuer: issuer.issuer, sub };
    }
    case 'email':
    case 'phone_number': {
      const value = member(subject, format, path);
      const issuer = transmitterAsIssuer(context, format, path);
      requireSubjectClaim(issuer, format, format, path);
      return { kind: 'subject', issuer: issuer.issuer, sub: value };
    }
    case 'opaque': {
      const id = member(subject, 'id', path);
      return { kind: 'subject', issuer: transmitterAsIssuer(context, format, path).issuer, sub: id };
    }
    case 'jwt_id':
    case 'jwt-id': {
      const issuer = trustedIssuer(member(subject, 'iss', path), context, path);
      return { kind: 'jti', issuer: issuer.issuer, jti: member(subject, 'jti', path) };
    }
    default:
      throw badRequest(`${path}: subject identifier format ${printableFormat(format)} matches no token claim`, 'unmappable_subject');
  }
}

/** A `session` member of a complex subject: an `opaque` id, or an `iss_sub` whose `sub` is the session id. */
function resolveSession(session: unknown, context: SubjectContext, path: string): RevocationTarget {
  if (!isObject(session)) throw badRequest(`${path} must be a subject identifier (a JSON object)`, 'invalid_subject');
  const format = readFormat(session, path);
  if (format === 'opaque')
    return { kind: 'session', issuer: transmitterAsIssuer(context, format, path).issuer, sid: member(session, 'id', path) };
  if (format === 'iss_sub') {
    const issuer = trustedIssuer(member(session, 'iss', path), context, path);
    return { kind: 'session', issuer: issuer.issuer, sid: member(session, 'sub', path) };
  }
  throw badRequest(`${path}: a session identified as ${printableFormat(format)} matches no session claim`, 'unmappable_subject');
}

function readFormat(subject: Record<string, unknown>, path: string): string {
  const format = subject.format ?? subject.subject_type;
  if (typeof format !== 'string' || format === '')
    throw badRequest(`${path}.format must be a subject identifier format`, 'invalid_subject');
  return LEGACY_FORMATS[format] ?? format;
}

function member(subject: Record<string, unknown>, name: string, path: string): string {
  const value = subject[name];
  if (typeof value !== 'string' || value === '') throw badRequest(`${path}.${name} must be a non-empty string`, 'invalid_subject');
  return value;
}

function trustedIssuer(iss: string, context: SubjectContext, path: string): IssuerConfig {
  const issuer = context.tokenIssuers.get(iss);
  if (issuer === undefined) {
    throw new DeliveryRefusedError(
      400,
      'access_denied',
      `${path}.iss is not a trusted token issuer: this receiver revokes only their tokens`,
      'untrusted_subject_issuer',
    );
  }
  return issuer;
}

/** For identifiers that name no issuer: the transmitter itself must issue the tokens. */
function transmitterAsIssuer(context: SubjectContext, format: string, path: string): IssuerConfig {
  const issuer = context.tokenIssuers.get(context.transmitter);
  if (issuer === undefined) {
    throw new DeliveryRefusedError(
      400,
      'access_denied',
      `${path}: a ${format} subject names no issuer, and the transmitter is not a trusted token issuer; use an iss_sub subject`,
      'untrusted_subject_issuer',
    );
  }
  return issuer;
}

function requireSubjectClaim(issuer: IssuerConfig, claim: string, format: string, path: string): void {
  if (issuer.subjectClaim !== claim) {
    throw badRequest(
      `${path}: a ${format} subject names the ${claim} claim, but subject cut-offs of this issuer match ${issuer.subjectClaim} (JWT_SUBJECT_CLAIM)`,
      'unmappable_subject',
    );
  }
}

function printableFormat(format: string): string {
  return /^[A-Za-z0-9_.:-]{1,40}$/.test(format) ? format : '(unprintable)';
}

import { isUtf8 } from 'node:buffer';
import { cutoffRevocation, jtiRevocation, type Revocation } from '../revocation/index.js';
import { parseJsonObject } from '../token/index.js';
import {
  at,
  invalid,
  isPlainObject,
  looksLikeJwt,
  printable,
  readExpiryMsAsSeconds,
  readId,
  readRevokedAtMs,
  readTtlSeconds,
  revocationFromToken,
  storable,
  type MessageRules,
} from './message-fields.js';

/**
 * WSO2 API Manager / Microgateway token revocation messages → revocations.
 *
 * Two shapes reach a gateway:
 * - the Microgateway's flat JMS map `{revokedToken, ttl}`: a jti (or a whole JWT) and the seconds
 *   the entry must be kept, i.e. the token's remaining lifetime;
 * - API-M 4.x's event stream `{event: {payloadData: {eventId, revokedToken, ttl, expiryTime, type,
 *   tenantId}}}`, where `expiryTime` is the token's expiry in epoch ms (0 when unknown) and `ttl`
 *   is the notifier's own message TTL (default "3600"), unrelated to the token, so it is ignored.
 *   For the two indirect types `revokedToken` is base64 JSON:
 *   CONSUMER_APP_REVOCATION_EVENT {consumerKey, revocationTime} and SUBJECT_ENTITY_REVOCATION_EVENT
 *   {entityId, entityType: USER_ID | CLIENT_ID, revocationTime}, revocationTime being epoch ms as a
 *   string.
 *
 * WSO2's own gateway parses revocationTime inside a try block, logs a NumberFormatException and
 * then stores a cut-off of 0 for the subject anyway, lowering an existing revocation. Here a field
 * that does not parse rejects the whole message, and the store never moves a cut-off backwards.
 */

export const WSO2_TYPES = {
  jwt: 'JWT',
  consumerApp: 'CONSUMER_APP_REVOCATION_EVENT',
  subjectEntity: 'SUBJECT_ENTITY_REVOCATION_EVENT',
} as const;

export const WSO2_ENTITY_TYPES = { user: 'USER_ID', client: 'CLIENT_ID' } as const;

/** Revocations from a WSO2 message; throws InvalidMessageError naming the offending field. */
export function parseWso2Message(message: Record<string, unknown>, issuer: string, rules: MessageRules): Revocation[] {
  if ('event' in message) {
    const event = message.event;
    if (!isPlainObject(event)) throw invalid('unknown_format', 'event', 'must be an object holding payloadData');
    const payload = event.payloadData;
    if (payload === undefined) throw invalid('missing_field', 'event.payloadData', 'is required');
    if (!isPlainObject(payload)) throw invalid('unknown_format', 'event.payloadData', 'must be an object');
    return [parseEventPayload(payload, 'event.payloadData', issuer, rules)];
  }
  return [parseFlat(message, issuer, rules)];
}

/** Microgateway `{revokedToken, ttl}`: ttl seconds from now, unless the token itself says when it expires. */
function parseFlat(message: Record<string, unknown>, issuer: string, rules: MessageRules): Revocation {
  const ttl = readTtlSeconds(message.ttl, 'ttl');
  const expSeconds = ttl === undefined ? undefined : Math.ceil(rules.nowMs / 1000) + ttl;
  return jtiOrToken(message.revokedToken, 'revokedToken', 'ttl', expSeconds, issuer, rules);
}

function parseEventPayload(payload: Record<string, unknown>, path: string, issuer: string, rules: MessageRules): Revocation {
  const type = payload.type;
  if (type === undefined || type === null) throw invalid('missing_field', at(path, 'type'), 'is required');
  switch (type) {
    case WSO2_TYPES.jwt: {
      const expSeconds = readExpiryMsAsSeconds(payload.expiryTime, at(path, 'expiryTime'), rules);
      return jtiOrToken(payload.revokedToken, at(path, 'revokedToken'), at(path, 'expiryTime'), expSeconds, issuer, rules);
    }
    case WSO2_TYPES.consumerApp: {
      const inner = decodeBase64Json(payload.revokedToken, at(path, 'revokedToken'));
      const base = at(path, 'revokedToken');
      const consumerKey = readId(inner.consumerKey, at(base, 'consumerKey'));
      const revokedAt = readRevokedAtMs(inner.revocationTime, at(base, 'revocationTime'), rules, true);
      if (revokedAt === undefined) throw invalid('missing_field', at(base, 'revocationTime'), 'is required');
      return storable(
        cutoffRevocation('client', issuer, consumerKey, revokedAt, rules),
        at(base, 'consumerKey'),
        at(base, 'revocationTime'),
      );
    }
    case WSO2_TYPES.subjectEntity: {
      const inner = decodeBase64Json(payload.revokedToken, at(path, 'revokedToken'));
      const base = at(path, 'revokedToken');
      const entityType = inner.entityType;
      if (entityType === undefined || entityType === null) throw invalid('missing_field', at(base, 'entityType'), 'is required');
      if (entityType !== WSO2_ENTITY_TYPES.user && entityType !== WSO2_ENTITY_TYPES.client) {
        throw invalid(
          'unknown_type',
          at(base, 'entityType'),
          `${printable(entityType)} is not supported; expected ${WSO2_ENTITY_TYPES.user} or ${WSO2_ENTITY_TYPES.client}`,
        );
      }
      const entityId = readId(inner.entityId, at(base, 'entityId'));
      const revokedAt = readRevokedAtMs(inner.revocationTime, at(base, 'revocationTime'), rules, true);
      if (revokedAt === undefined) throw invalid('missing_field', at(base, 'revocationTime'), 'is required');
      const kind = entityType === WSO2_ENTITY_TYPES.user ? 'subject' : 'client';
      return storable(cutoffRevocation(kind, issuer, entityId, revokedAt, rules), at(base, 'entityId'), at(base, 'revocationTime'));
    }
    default:
      throw invalid(
        'unknown_type',
        at(path, 'type'),
        `${printable(type)} is not supported; expected one of ${Object.values(WSO2_TYPES).join(', ')}`,
      );
  }
}

/** WSO2 puts either a jti or, from some publishers, the whole JWT in `revokedToken`; `timePath` is where expSeconds came from. */
function jtiOrToken(
  value: unknown,
  path: string,
  timePath: string,
  expSeconds: number | undefined,
  issuer: string,
  rules: MessageRules,
): Revocation {
  if (typeof value === 'string' && looksLikeJwt(value)) return revocationFromToken(value, path, issuer, rules);
  return storable(jtiRevocation(issuer, readId(value, path), expSeconds, rules), path, timePath);
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** WSO2 encodes the indirect events with Apache Commons Base64: standard alphabet, padded, UTF-8 JSON. */
function decodeBase64Json(value: unknown, path: string): Record<string, unknown> {
  if (value === undefined || value === null) throw invalid('missing_field', path, 'is required');
  if (typeof value !== 'string' || value === '') throw invalid('invalid_field', path, 'must be a base64 string of a JSON object');
  if (!BASE64.test(value) || value.length % 4 === 1) throw invalid('invalid_field', path, 'is not base64');
  const bytes = Buffer.from(value, 'base64');
  const json = isUtf8(bytes) ? parseJsonObject(bytes.toString('utf8')) : undefined;
  if (json === undefined) throw invalid('invalid_field', path, 'does not decode to a JSON object with unique member names');
  return json;
}

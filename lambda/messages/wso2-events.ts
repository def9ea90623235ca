import { isUtf8 } from 'node:buffer';
import { cutoffRevocation, jtiRevocation, type Revocation } from '../revocation/index.js';
import { parseJsonObject } from '../token/index.js';
import {
  at,
  invalid,
  isPlainObject,
  looksLikeJwt,
  printable,
  readId,
  readRevokedAtMs,
  revocationFromToken,
  storable,
  type MessageRules,
} from './message-fields.js';

/**
 * WSO2 API Manager token revocation messages → revocations, as WSO2 itself publishes and reads
 * them (docs/messages.md, "WSO2 messages", cites the source lines; test/fixtures/wso2/ holds the
 * bodies rebuilt from them).
 *
 * - API-M 4.x: `{"event":{"payloadData":{eventId, revokedToken, ttl, expiryTime, type, tenantId}}}`
 *   (carbon-apimgt TokenRevocationNotifierImpl, mapped by carbon-analytics-common JSONOutputMapper).
 * - API-M 3.x / Microgateway 3.x: the JMS map `{revokedToken, ttl[, expiryTime]}` as a bridge
 *   renders it in JSON; read like a payload of type `JWT` unless it names a type.
 *
 * `ttl` is the notifier's configured constant (`"3600"` when unset), never the token's remaining
 * life: it is ignored everywhere. A `JWT` or `API_KEY` revocation is kept until the token's own
 * expiry, `expiryTime` (epoch ms) when that is plausible, else for the maximum token lifetime.
 *
 * WSO2's own gateway, on a revocationTime it cannot parse, logs a warning and (in some versions)
 * stores a cut-off of 0, lowering an existing revocation. Here such a message is refused whole and
 * the store never moves a cut-off backwards.
 */

/** The `type` values WSO2 publishes, spelled as on the wire. */
export const WSO2_TYPES = {
  /** A JWT access token: revokedToken is its jti, or its signature when it has none. */
  jwt: 'JWT',
  /** An API key (a JWT API-M issues): revokedToken is its jti; WSO2's gateway keeps it with JWTs. */
  apiKey: 'API_KEY',
  /** An opaque access token (or an app whose token type is blank): nothing a JWT can match. */
  opaque: 'Default',
  /** An application's credentials revoked: every token of that client issued before T. */
  consumerApp: 'consumer_app_revocation_event',
  /** A user (USER_ID) or an application's own tokens (CLIENT_ID) revoked up to T. */
  subjectEntity: 'subject_entity_revocation_event',
} as const;

/** Upper-case spellings this project documented before reading WSO2's source; still accepted. */
const LEGACY_TYPES: Readonly<Record<string, string>> = {
  CONSUMER_APP_REVOCATION_EVENT: WSO2_TYPES.consumerApp,
  SUBJECT_ENTITY_REVOCATION_EVENT: WSO2_TYPES.subjectEntity,
};

export const WSO2_ENTITY_TYPES = { user: 'USER_ID', client: 'CLIENT_ID' } as const;

/**
 * WSO2's signal to re-read revoked tokens from API-M's control plane (apim-km-wso2is
 * NotificationConstants `TOKEN_REVOCATION_BATCH_EVENT = "token_revocation_batch"`; carbon-apimgt
 * CPTokenRevocationMessageListener re-pulls on it). The revocations are not in the message.
 */
const BATCH_TYPE = /^token_revocation_batch(_event)?$/i;

/** A message accepted with nothing to write, and why; the ingest logs and counts it. */
export interface NotApplicable {
  /** The WSO2 `type`, e.g. `Default`. */
  readonly type: string;
  readonly path: string;
  readonly detail: string;
  /** WSO2's `eventId`, when it is a short printable string. */
  readonly eventId?: string;
}

/** What a WSO2 message means: its revocations, or (a `Default` event) nothing by design. */
export interface Wso2Reading {
  readonly revocations: Revocation[];
  readonly notApplicable?: NotApplicable;
}

/** Reads a WSO2 message; throws InvalidMessageError naming the offending field. */
export function parseWso2Message(message: Record<string, unknown>, issuer: string, rules: MessageRules): Wso2Reading {
  if ('event' in message) {
    const event = message.event;
    if (!isPlainObject(event)) throw invalid('unknown_format', 'event', 'must be an object holding payloadData');
    const payload = event.payloadData;
    if (payload === undefined) throw invalid('missing_field', 'event.payloadData', 'is required');
    if (!isPlainObject(payload)) throw invalid('unknown_format', 'event.payloadData', 'must be an object');
    if (payload.type === undefined || payload.type === null) throw invalid('missing_field', 'event.payloadData.type', 'is required');
    return parsePayload(payload, 'event.payloadData', issuer, rules);
  }
  // The 3.x map had no type; its revokedToken is a jti (or a whole JWT).
  return parsePayload(message, '', issuer, rules);
}

function parsePayload(payload: Record<string, unknown>, path: string, issuer: string, rules: MessageRules): Wso2Reading {
  const given = payload.type ?? WSO2_TYPES.jwt;
  const type = typeof given === 'string' ? (LEGACY_TYPES[given] ?? given) : given;
  switch (type) {
    case WSO2_TYPES.jwt:
    case WSO2_TYPES.apiKey: {
      // GatewayTokenRevocationMessageListener: JWT and API_KEY go into one revoked-token map.
      const expSeconds = readExpiryTime(payload.expiryTime, at(path, 'expiryTime'), rules);
      return {
        revocations: [jtiOrToken(payload.revokedToken, at(path, 'revokedToken'), at(path, 'expiryTime'), expSeconds, issuer, rules)],
      };
    }
    case WSO2_TYPES.opaque:
      // revokedToken is a bearer credential: it is neither read nor logged.
      return {
        revocations: [],
        notApplicable: {
          type: WSO2_TYPES.opaque,
          path: at(path, 'type'),
          detail: 'an opaque access token was revoked; no JWT carries it',
          ...eventIdOf(payload.eventId),
        },
      };
    case WSO2_TYPES.consumerApp:
      return { revocations: [consumerAppCutoff(payload.revokedToken, at(path, 'revokedToken'), issuer, rules)] };
    case WSO2_TYPES.subjectEntity:
      return { revocations: [subjectEntityCutoff(payload.revokedToken, at(path, 'revokedToken'), issuer, rules)] };
    default:
      if (typeof type === 'string' && BATCH_TYPE.test(type)) {
        throw invalid(
          'unknown_type',
          at(path, 'type'),
          `${printable(type)} is WSO2's signal to re-read revoked tokens from API Manager's control plane; the revocations are not in the message, so none can be applied: have the key manager publish one event per revocation (docs/messages.md)`,
        );
      }
      throw invalid(
        'unknown_type',
        at(path, 'type'),
        `${printable(type)} is not supported; expected one of ${Object.values(WSO2_TYPES).join(', ')}`,
      );
  }
}

/**
 * consumer_app_revocation_event: base64 of `{"consumer_key","revocationTime"}` (TokenRevocationNotifierImpl
 * lines 70-77, 92-105) → a client cut-off, matched against the client claim (`azp` on WSO2).
 * `consumerKey` is the spelling this project documented before; one of the two, not both.
 */
function consumerAppCutoff(value: unknown, base: string, issuer: string, rules: MessageRules): Revocation {
  const inner = decodeBase64Json(value, base);
  if (inner.consumer_key !== undefined && inner.consumerKey !== undefined) {
    throw invalid('invalid_field', base, 'holds both consumer_key and consumerKey; send one');
  }
  const keyName = inner.consumerKey !== undefined ? 'consumerKey' : 'consumer_key';
  const consumerKey = readId(inner[keyName], at(base, keyName));
  const revokedAt = readRevokedAtMs(inner.revocationTime, at(base, 'revocationTime'), rules, true);
  if (revokedAt === undefined) throw invalid('missing_field', at(base, 'revocationTime'), 'is required');
  return storable(cutoffRevocation('client', issuer, consumerKey, revokedAt, rules), at(base, keyName), at(base, 'revocationTime'));
}

/**
 * subject_entity_revocation_event: base64 of `{"entityType","revocationTime","entityId"}` → a
 * subject cut-off for both entity types. WSO2's gateway (JWTValidator) matches USER_ID against
 * `entity_id` when it differs from `azp`, and CLIENT_ID against `entity_id` when it equals `azp`:
 * an application's own tokens carry its client id as `entity_id`, its users' tokens the user's id.
 * So with JWT_SUBJECT_CLAIM=entity_id a subject cut-off of the id refuses exactly those tokens;
 * a client cut-off would refuse the users' tokens of that application too.
 */
function subjectEntityCutoff(value: unknown, base: string, issuer: string, rules: MessageRules): Revocation {
  const inner = decodeBase64Json(value, base);
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
  return storable(cutoffRevocation('subject', issuer, entityId, revokedAt, rules), at(base, 'entityId'), at(base, 'revocationTime'));
}

/**
 * The token's expiry in epoch seconds from `expiryTime` (epoch ms, a JSON number or a string of
 * digits), or undefined when it cannot be one: absent, 0 (the indirect events), Long.MAX_VALUE
 * (a token without a validity limit; JSON.parse reads it as 2^63), in the past (the identity
 * server adds validity to issue time unchecked), or beyond the maximum token lifetime. The jti is
 * then kept for the maximum lifetime, which no token the verifier accepts outlives: an unusable
 * expiryTime never shortens a revocation and never refuses the message.
 */
function readExpiryTime(value: unknown, path: string, rules: MessageRules): number | undefined {
  if (value === undefined || value === null) return undefined;
  let ms: number;
  if (typeof value === 'number') ms = value;
  else if (typeof value === 'string' && /^-?\d{1,20}$/.test(value)) ms = Number(value);
  else {
    const shown = typeof value === 'string' && /^[\w.:+-]{1,32}$/.test(value) ? `"${value}"` : `(${typeof value})`;
    throw invalid('invalid_time', path, `must be epoch milliseconds, a number or a string of digits, got ${shown}`);
  }
  const latestMs = rules.nowMs + rules.maxTokenLifetimeSeconds * 1000;
  return Number.isFinite(ms) && ms > rules.nowMs && ms <= latestMs ? Math.ceil(ms / 1000) : undefined;
}

/** A jti (or, for a jti-less JWT, its signature: the same namespace), or a whole JWT some bridges publish. */
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

function eventIdOf(value: unknown): { eventId?: string } {
  return typeof value === 'string' && /^[\w.:-]{1,64}$/.test(value) ? { eventId: value } : {};
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

import { ANY_ISSUER, revocationId, type Revocation } from './revocation.js';
import { parseJsonObject } from './strict-json.js';
import {
  at,
  cutoffRevocation,
  defaultRevokedAtMs,
  invalid,
  isPlainObject,
  jtiRevocation,
  printable,
  readExpSeconds,
  readId,
  readIssuer,
  readRevokedAtMs,
  revocationFromToken,
  type MessageRules,
} from './message-fields.js';
import { parseWso2Message } from './wso2-events.js';

export type { MessageRules } from './message-fields.js';

/**
 * Every accepted revocation message format → Revocation[]. Pure: no AWS, no clock of its own.
 * See docs/messages.md and schema/revocation-message.schema.json for the formats.
 */

/** The only version of the project's own format; `version` may be omitted and then means this. */
export const MESSAGE_VERSION = 1;
/** SNS refuses larger messages; the local stack must not accept what AWS would not deliver. */
export const MAX_MESSAGE_BYTES = 262_144;
/** Entries in one batch message. 256 KB holds at most a few thousand, so this only stops nonsense. */
export const MAX_BATCH_ENTRIES = 10_000;

/** Values of the SNS message attribute `format`: which family the body must belong to. */
export const MESSAGE_FORMATS = ['revocation', 'wso2'] as const;
export type MessageFormat = (typeof MESSAGE_FORMATS)[number];

export const MESSAGE_TYPES = ['jti', 'token', 'subject', 'client'] as const;
export type MessageType = (typeof MESSAGE_TYPES)[number];

/** The fields each entry type allows besides `type`; anything else is refused, so a typo is never silently ignored. */
const ENTRY_FIELDS: Record<MessageType, readonly string[]> = {
  jti: ['jti', 'iss', 'exp'],
  token: ['token'],
  subject: ['sub', 'iss', 'revokedAt'],
  client: ['clientId', 'iss', 'revokedAt'],
};

/** The SNS message attributes the ingest reads (String values), still unvalidated. */
export interface MessageAttributes {
  /** Issuer of revocations whose message names none. @default ANY_ISSUER ("*"): every trusted issuer */
  readonly issuer?: string | undefined;
  /** Forces the format family instead of recognising it from the body. */
  readonly format?: string | undefined;
}

/**
 * Parses and validates one message. All or nothing: any problem anywhere (a batch entry, an
 * attribute) throws InvalidMessageError with a path and a reason, and nothing is returned.
 */
export function parseRevocationMessage(body: string, attributes: MessageAttributes, rules: MessageRules): Revocation[] {
  const issuer = attributes.issuer === undefined ? ANY_ISSUER : readIssuer(attributes.issuer, 'MessageAttributes.issuer');
  const format = readFormat(attributes.format);
  const message = parseBody(body);
  const family = recognise(message);
  if (format !== undefined && family !== format) {
    throw invalid(
      'unknown_format',
      'MessageAttributes.format',
      `is "${format}" but the message is in the ${family === 'wso2' ? 'WSO2' : 'project'} format`,
    );
  }
  return family === 'wso2' ? parseWso2Message(message, issuer, rules) : parseOwnMessage(message, issuer, rules);
}

function readFormat(value: string | undefined): MessageFormat | undefined {
  if (value === undefined) return undefined;
  const format = MESSAGE_FORMATS.find((candidate) => candidate === value.trim().toLowerCase());
  if (format === undefined) {
    throw invalid('unknown_format', 'MessageAttributes.format', `${printable(value)} is not one of ${MESSAGE_FORMATS.join(', ')}`);
  }
  return format;
}

function parseBody(body: string): Record<string, unknown> {
  const bytes = Buffer.byteLength(body, 'utf8');
  if (bytes > MAX_MESSAGE_BYTES) {
    throw invalid('too_large', '', `message is ${bytes} bytes, more than the ${MAX_MESSAGE_BYTES} SNS can deliver`);
  }
  if (body.trim() === '') throw invalid('malformed_json', '', 'message is empty');
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    // JSON.parse quotes the text around the error; that text may be a token, so it is not kept.
    throw invalid('malformed_json', '', 'message is not valid JSON');
  }
  if (!isPlainObject(value)) throw invalid('unknown_format', '', 'message must be a JSON object');
  // Two values for one name (say, two revokedAt) mean two readings of one message: refuse both.
  if (parseJsonObject(body) === undefined) throw invalid('malformed_json', '', 'message repeats a member name');
  return value;
}

function recognise(message: Record<string, unknown>): MessageFormat {
  if ('event' in message || 'revokedToken' in message) return 'wso2';
  if ('type' in message || 'revocations' in message || 'version' in message) return 'revocation';
  throw invalid(
    'unknown_format',
    '',
    'not a revocation message: expected "type" or "revocations" (project format), "revokedToken" (WSO2) or "event.payloadData" (WSO2 API-M 4.x)',
  );
}

function parseOwnMessage(message: Record<string, unknown>, issuer: string, rules: MessageRules): Revocation[] {
  const version = message.version;
  if (version !== undefined && version !== MESSAGE_VERSION) {
    throw invalid('unsupported_version', 'version', `${printable(version)} is not supported; this ingest reads version ${MESSAGE_VERSION}`);
  }
  if (!('revocations' in message)) return [parseEntry(message, '', issuer, rules, true)];

  for (const key of Object.keys(message)) {
    if (key !== 'version' && key !== 'revocations') {
      throw invalid(
        'invalid_field',
        unknownFieldPath('', key),
        `unknown field ${printable(key)} in a batch (allowed: version, revocations)`,
      );
    }
  }
  const entries = message.revocations;
  if (!Array.isArray(entries)) throw invalid('invalid_field', 'revocations', 'must be an array of revocations');
  if (entries.length === 0) throw invalid('missing_field', 'revocations', 'must hold at least one revocation');
  if (entries.length > MAX_BATCH_ENTRIES) {
    throw invalid('too_large', 'revocations', `holds ${entries.length} entries, more than ${MAX_BATCH_ENTRIES}`);
  }
  return entries.map((entry, index) => parseEntry(entry, at('revocations', index), issuer, rules, false));
}

function parseEntry(entry: unknown, path: string, defaultIssuer: string, rules: MessageRules, topLevel: boolean): Revocation {
  if (!isPlainObject(entry)) throw invalid('invalid_field', path, 'must be an object');
  const type = entry.type;
  if (type === undefined || type === null) throw invalid('missing_field', at(path, 'type'), 'is required');
  if (!MESSAGE_TYPES.includes(type as MessageType)) {
    throw invalid('unknown_type', at(path, 'type'), `${printable(type)} is not one of ${MESSAGE_TYPES.join(', ')}`);
  }
  const messageType = type as MessageType;
  const allowed = ENTRY_FIELDS[messageType];
  // A batch entry may repeat the batch's version (a single message pasted in as it is).
  if (!topLevel && entry.version !== undefined && entry.version !== MESSAGE_VERSION) {
    throw invalid(
      'unsupported_version',
      at(path, 'version'),
      `${printable(entry.version)} is not supported; this ingest reads version ${MESSAGE_VERSION}`,
    );
  }
  for (const key of Object.keys(entry)) {
    if (key === 'type' || key === 'version' || allowed.includes(key)) continue;
    throw invalid(
      'invalid_field',
      unknownFieldPath(path, key),
      `unknown field ${printable(key)} for type ${messageType} (allowed: type, ${allowed.join(', ')})`,
    );
  }
  const issuer = entry.iss === undefined ? defaultIssuer : readIssuer(entry.iss, at(path, 'iss'));
  switch (messageType) {
    case 'jti':
      return jtiRevocation(issuer, readId(entry.jti, at(path, 'jti')), readExpSeconds(entry.exp, at(path, 'exp'), rules), rules);
    case 'token':
      return revocationFromToken(entry.token, at(path, 'token'), defaultIssuer, rules);
    case 'subject':
    case 'client': {
      const idField = messageType === 'subject' ? 'sub' : 'clientId';
      const id = readId(entry[idField], at(path, idField));
      const revokedAt = readRevokedAtMs(entry.revokedAt, at(path, 'revokedAt'), rules) ?? defaultRevokedAtMs(rules);
      return cutoffRevocation(messageType, issuer, id, revokedAt, rules);
    }
  }
}

/** The path of a field the format does not know; a name that could be anything (a pasted token) is not repeated. */
function unknownFieldPath(base: string, key: string): string {
  return at(base, printable(key).startsWith('"') ? key : '(unknown field)');
}

/**
 * Merges revocations of the same thing (kind, issuer, id) into one: the latest cut-off and the
 * longest TTL, as two separate writes would leave them, in one write and a deterministic count.
 */
export function coalesceRevocations(revocations: readonly Revocation[]): Revocation[] {
  const merged = new Map<string, Revocation>();
  for (const revocation of revocations) {
    const id = revocationId(revocation);
    const key = JSON.stringify([revocation.kind, revocation.issuer, id]);
    const seen = merged.get(key);
    if (seen === undefined) {
      merged.set(key, revocation);
    } else if (seen.kind === 'jti' || revocation.kind === 'jti') {
      if (revocation.expiresAtEpochSeconds > seen.expiresAtEpochSeconds) merged.set(key, revocation);
    } else if (revocation.revokedAtEpochMs > seen.revokedAtEpochMs) {
      merged.set(key, revocation);
    }
  }
  return [...merged.values()];
}

import { ANY_ISSUER, revocationId, type Revocation } from '../revocation/index.js';
import { parseJsonObject } from '../token/index.js';
import { invalid, isPlainObject, printable, readIssuer, type MessageRules } from './message-fields.js';
import { parseOwnMessage } from './own-format.js';
import { parseWso2Message, type NotApplicable } from './wso2-events.js';

/**
 * Every accepted revocation message format → Revocation[]. Pure: no AWS, no clock of its own.
 * See docs/messages.md and schema/revocation-message.schema.json for the formats.
 */

/** SNS refuses larger messages; the local stack must not accept what AWS would not deliver. */
export const MAX_MESSAGE_BYTES = 262_144;

/** Values of the SNS message attribute `format`: which family the body must belong to. */
export const MESSAGE_FORMATS = ['revocation', 'wso2'] as const;
export type MessageFormat = (typeof MESSAGE_FORMATS)[number];

/** The SNS message attributes the ingest reads (String values), still unvalidated. */
export interface MessageAttributes {
  /** Issuer of revocations whose message names none. @default ANY_ISSUER ("*"): every trusted issuer */
  readonly issuer?: string | undefined;
  /** Forces the format family instead of recognising it from the body. */
  readonly format?: string | undefined;
}

/** One message read: the revocations it means and, for one that by design means none, why. */
export interface ReadMessage {
  readonly revocations: Revocation[];
  /** Set for a message accepted with nothing to write (a WSO2 `Default` event): log and count it, do not refuse it. */
  readonly notApplicable?: NotApplicable;
}

/**
 * Parses and validates one message. All or nothing: any problem anywhere (a batch entry, an
 * attribute) throws InvalidMessageError with a path and a reason, and nothing is returned.
 */
export function parseRevocationMessage(body: string, attributes: MessageAttributes, rules: MessageRules): Revocation[] {
  return readRevocationMessage(body, attributes, rules).revocations;
}

/** {@link parseRevocationMessage}, also saying when a message was accepted with nothing to write. */
export function readRevocationMessage(body: string, attributes: MessageAttributes, rules: MessageRules): ReadMessage {
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
  return family === 'wso2' ? parseWso2Message(message, issuer, rules) : { revocations: parseOwnMessage(message, issuer, rules) };
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

/**
 * Merges revocations of the same thing (kind, issuer, id) into one: the latest cut-off, the
 * longest TTL of a jti or a session, as two separate writes would leave them, in one write and a
 * deterministic count.
 */
export function coalesceRevocations(revocations: readonly Revocation[]): Revocation[] {
  const merged = new Map<string, Revocation>();
  for (const revocation of revocations) {
    const id = revocationId(revocation);
    const key = JSON.stringify([revocation.kind, revocation.issuer, id]);
    const seen = merged.get(key);
    if (seen === undefined) {
      merged.set(key, revocation);
    } else if (seen.kind === 'jti' || seen.kind === 'session' || revocation.kind === 'jti' || revocation.kind === 'session') {
      if (revocation.expiresAtEpochSeconds > seen.expiresAtEpochSeconds) merged.set(key, revocation);
    } else if (revocation.revokedAtEpochMs > seen.revokedAtEpochMs) {
      merged.set(key, revocation);
    }
  }
  return [...merged.values()];
}

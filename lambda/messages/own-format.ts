import { cutoffRevocation, jtiRevocation, sessionRevocation, type Revocation } from '../revocation/index.js';
import {
  at,
  defaultRevokedAtMs,
  invalid,
  isPlainObject,
  printable,
  readExpSeconds,
  readId,
  readIssuer,
  readRevokedAtMs,
  revocationFromToken,
  storable,
  type MessageRules,
} from './message-fields.js';

/**
 * The project's own message format → revocations: one entry, or a batch of them
 * (docs/messages.md, schema/revocation-message.schema.json).
 */

/** The only version of the project's own format; `version` may be omitted and then means this. */
export const MESSAGE_VERSION = 1;
/** Entries in one batch message. 256 KB holds at most a few thousand, so this only stops nonsense. */
export const MAX_BATCH_ENTRIES = 10_000;

export const MESSAGE_TYPES = ['jti', 'token', 'subject', 'client', 'session'] as const;
export type MessageType = (typeof MESSAGE_TYPES)[number];

/** The fields each entry type allows besides `type`; anything else is refused, so a typo is never silently ignored. */
const ENTRY_FIELDS: Record<MessageType, readonly string[]> = {
  jti: ['jti', 'iss', 'exp'],
  token: ['token'],
  subject: ['sub', 'iss', 'revokedAt'],
  client: ['clientId', 'iss', 'revokedAt'],
  session: ['sid', 'iss', 'revokedAt'],
};

/** Revocations from a message in the project's format; throws InvalidMessageError naming the offending field. */
export function parseOwnMessage(message: Record<string, unknown>, issuer: string, rules: MessageRules): Revocation[] {
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
    case 'jti': {
      const jti = readId(entry.jti, at(path, 'jti'));
      return storable(
        jtiRevocation(issuer, jti, readExpSeconds(entry.exp, at(path, 'exp'), rules), rules),
        at(path, 'jti'),
        at(path, 'exp'),
      );
    }
    case 'token':
      return revocationFromToken(entry.token, at(path, 'token'), defaultIssuer, rules);
    case 'subject':
    case 'client': {
      const idField = messageType === 'subject' ? 'sub' : 'clientId';
      const id = readId(entry[idField], at(path, idField));
      const revokedAt = readRevokedAtMs(entry.revokedAt, at(path, 'revokedAt'), rules) ?? defaultRevokedAtMs(rules);
      return storable(cutoffRevocation(messageType, issuer, id, revokedAt, rules), at(path, idField), at(path, 'revokedAt'));
    }
    case 'session': {
      const sid = readId(entry.sid, at(path, 'sid'));
      // revokedAt dates the revocation (how long it is kept); every token of the session is refused meanwhile.
      const revokedAt = readRevokedAtMs(entry.revokedAt, at(path, 'revokedAt'), rules) ?? defaultRevokedAtMs(rules);
      return storable(sessionRevocation(issuer, sid, revokedAt, rules), at(path, 'sid'), at(path, 'revokedAt'));
    }
  }
}

/** The path of a field the format does not know; a name that could be anything (a pasted token) is not repeated. */
function unknownFieldPath(base: string, key: string): string {
  return at(base, printable(key).startsWith('"') ? key : '(unknown field)');
}

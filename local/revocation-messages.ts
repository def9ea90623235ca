import { isPlainObject, looksLikeJwt, readTokenRevocation, type MessageRules } from '../lambda/messages/index.js';
import { MESSAGE_VERSION, parseRevocationMessage } from '../lambda/messages/index.js';
import { ANY_ISSUER } from '../lambda/revocation/index.js';

/**
 * Revocations as the revoke CLI builds them, in the project's own message format (version 1,
 * docs/messages.md), checked with the ingest's own parser before anything is published.
 */

export type RevocationEntry =
  | { readonly type: 'jti'; readonly jti: string; readonly iss?: string; readonly exp?: number }
  | { readonly type: 'subject'; readonly sub: string; readonly iss?: string; readonly revokedAt: number }
  | { readonly type: 'client'; readonly clientId: string; readonly iss?: string; readonly revokedAt: number }
  | { readonly type: 'session'; readonly sid: string; readonly iss?: string };

/** A message body ready to publish, and how many revocations it carries. */
export interface OutgoingMessage {
  readonly body: string;
  readonly revocations: number;
}

/**
 * Published messages stay well under SNS's 256 KB so that ten of them fit one PublishBatch,
 * and one ingest invocation writes a few hundred items, not thousands.
 */
export const MAX_PACKED_MESSAGE_BYTES = 24 * 1024;

/**
 * A whole token → the jti entry the ingest would derive from it (iss, jti or the token's hash,
 * exp), so the token itself never leaves this machine: a token in a dead-letter queue would be
 * a live credential if its revocation failed. Throws InvalidMessageError for what is not a JWT.
 */
export function entryFromToken(token: string, path: string, rules: MessageRules): RevocationEntry {
  // The ingest's own reading, for the same entry, refusals and messages. The jti as the token
  // carries it (not the id it is stored under): the ingest maps what it receives.
  const fields = readTokenRevocation(token, path, ANY_ISSUER, rules);
  return {
    type: 'jti',
    jti: fields.jti,
    // ANY_ISSUER only for a token without iss (readTokenRevocation refuses it as a claim).
    ...(fields.issuer === ANY_ISSUER ? {} : { iss: fields.issuer }),
    exp: fields.expSeconds,
  };
}

/** One message for a few entries given on the command line: a single revocation or a batch. */
export function messageOf(entries: readonly RevocationEntry[], rules: MessageRules): OutgoingMessage {
  const body =
    entries.length === 1
      ? JSON.stringify({ version: MESSAGE_VERSION, ...entries[0] })
      : JSON.stringify({ version: MESSAGE_VERSION, revocations: entries });
  checkMessage(body, rules);
  return { body, revocations: entries.length };
}

/** Entries packed into as few batch messages as fit MAX_PACKED_MESSAGE_BYTES each. */
export function packEntries(entries: readonly RevocationEntry[], rules: MessageRules): OutgoingMessage[] {
  const messages: OutgoingMessage[] = [];
  const envelope = Buffer.byteLength(JSON.stringify({ version: MESSAGE_VERSION, revocations: [] }));
  let batch: string[] = [];
  let bytes = envelope;
  const flush = () => {
    if (batch.length === 0) return;
    const body = `{"version":${MESSAGE_VERSION},"revocations":[${batch.join(',')}]}`;
    checkMessage(body, rules);
    messages.push({ body, revocations: batch.length });
    batch = [];
    bytes = envelope;
  };
  for (const entry of entries) {
    const json = JSON.stringify(entry);
    const size = Buffer.byteLength(json) + 1;
    if (batch.length > 0 && bytes + size > MAX_PACKED_MESSAGE_BYTES) flush();
    batch.push(json);
    bytes += size;
  }
  flush();
  return messages;
}

/** Throws the ingest's InvalidMessageError for a body it would refuse. */
export function checkMessage(body: string, rules: MessageRules): number {
  return parseRevocationMessage(body, {}, rules).length;
}

/** One item of a --file, named for error messages (`line 3`, `item 3`). */
export type FileItem = { readonly where: string; readonly text: string } | { readonly where: string; readonly problem: string };

/**
 * A --file's items: its lines; or, when the whole file is one JSON array, its elements (strings
 * read like lines, objects as messages); or, when it is one JSON object spread over several
 * lines, that message.
 */
export function splitRevocationFile(content: string): FileItem[] {
  const trimmed = content.trim();
  if (trimmed.startsWith('[')) {
    let document: unknown;
    try {
      document = JSON.parse(trimmed);
    } catch (error) {
      return [{ where: 'the file', problem: `starts with "[" but is not a JSON array: ${(error as Error).message}` }];
    }
    if (!Array.isArray(document)) return [{ where: 'the file', problem: 'starts with "[" but is not a JSON array' }];
    return document.map((element: unknown, index) => {
      const where = `item ${index + 1}`;
      if (typeof element === 'string') return { where, text: element };
      if (isPlainObject(element)) return { where, text: JSON.stringify(element) };
      return {
        where,
        problem: `must be a jti, a JWT or a message object, got ${element === null ? 'null' : Array.isArray(element) ? 'an array' : typeof element}`,
      };
    });
  }
  if (trimmed.startsWith('{') && trimmed.includes('\n')) {
    const whole = parsedObject(trimmed);
    if (whole !== undefined) return [{ where: 'the file', text: JSON.stringify(whole) }];
  }
  return content.split(/\r?\n/).map((line, index) => ({ where: `line ${index + 1}`, text: line }));
}

function parsedObject(text: string): object | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return isPlainObject(value) ? value : undefined;
  } catch {
    return undefined; // one JSON message per line, most likely
  }
}

/** What one line of a --file holds. */
export type FileLine =
  | { readonly kind: 'entry'; readonly entry: RevocationEntry }
  | { readonly kind: 'message'; readonly message: OutgoingMessage }
  | { readonly kind: 'blank' };

/**
 * A --file line: a JSON message (published as it is, after the ingest's checks), a JWT (revoked
 * by its jti), or else a jti. Blank lines and lines starting with `#` are skipped.
 */
export function readFileLine(line: string, issuer: string | undefined, rules: MessageRules): FileLine {
  const text = line.trim();
  if (text === '' || text.startsWith('#')) return { kind: 'blank' };
  if (text.startsWith('{')) return { kind: 'message', message: { body: text, revocations: checkMessage(text, rules) } };
  if (looksLikeJwt(text)) return { kind: 'entry', entry: entryFromToken(text, 'token', rules) };
  const entry: RevocationEntry = { type: 'jti', jti: text, ...(issuer === undefined ? {} : { iss: issuer }) };
  checkMessage(JSON.stringify(entry), rules);
  return { kind: 'entry', entry };
}

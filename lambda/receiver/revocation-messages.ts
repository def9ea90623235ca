import { MESSAGE_VERSION, parseRevocationMessage, type MessageRules } from '../messages/index.js';
import { InvalidMessageError } from '../shared/index.js';
import { badRequest } from './errors.js';
import type { RevocationTarget } from './subject-identifiers.js';

/** One revocation in the project's own message format (docs/messages.md), as the receiver publishes it. */
export type OutgoingRevocation =
  | { readonly type: 'subject'; readonly sub: string; readonly iss: string; readonly revokedAt: number }
  | { readonly type: 'session'; readonly sid: string; readonly iss: string }
  | { readonly type: 'jti'; readonly jti: string; readonly iss: string; readonly exp?: number };

/** A target and its event time → the entry of the message. */
export function revocationOf(target: RevocationTarget, revokedAtMs: number): OutgoingRevocation {
  switch (target.kind) {
    case 'subject':
      return { type: 'subject', sub: target.sub, iss: target.issuer, revokedAt: revokedAtMs };
    case 'session':
      return { type: 'session', sid: target.sid, iss: target.issuer };
    case 'jti':
      return { type: 'jti', jti: target.jti, iss: target.issuer };
  }
}

/**
 * The message body for `revocations`: one entry as it is, several as a batch. Checked with the
 * ingest's own parser before it is published, as the revoke CLI does, so what the ingest would
 * refuse (an event time before 2000 or a year ahead, an issuer the table cannot key) is refused
 * here with 400 instead of being dead-lettered after the sender was told it was accepted.
 */
export function messageBody(revocations: readonly OutgoingRevocation[], rules: MessageRules): string {
  const body = JSON.stringify(revocations.length === 1 ? revocations[0] : { version: MESSAGE_VERSION, revocations });
  try {
    parseRevocationMessage(body, {}, rules);
  } catch (error) {
    if (error instanceof InvalidMessageError)
      throw badRequest(`the revocation it means is not valid: ${error.message}`, `revocation_${error.reason}`);
    throw error;
  }
  return body;
}

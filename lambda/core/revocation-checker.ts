import type { RevocationReason } from './errors.js';
import type { VerifiedToken } from './verified-token.js';

/**
 * The seam between verification and decision: tells whether a verified token was revoked.
 *
 * Synchronous on a warm instance whose view is fresh (no allocation, no network); returns a
 * promise only when it must read DynamoDB first (a due delta sync, or strong consistency).
 * Throws RevocationStateUnavailableError when it cannot answer and the fail mode is closed.
 */
export interface RevocationChecker {
  findRevocation(token: VerifiedToken, nowMs: number): RevocationReason | undefined | Promise<RevocationReason | undefined>;
}

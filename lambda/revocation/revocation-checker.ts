import type { MaybePromise, RevocationReason } from '../shared/index.js';
import type { RevocableToken } from './reader-writer.js';
import type { RevocationView } from './revocation-view.js';

/**
 * The seam between verification and decision: tells whether a verified token was revoked.
 *
 * Synchronous on a warm instance whose view is fresh (no allocation, no network); returns a
 * promise only when it must read DynamoDB first (a due delta sync, or strong consistency).
 * Throws RevocationStateUnavailableError when it cannot answer and the fail mode is closed.
 */
export interface RevocationChecker {
  /**
   * `nowMs` is the wall clock (token and item times); `monotonicMs`, when the caller has already
   * read it, the request's time on the view's monotonic clock (performance.now() unless a test
   * injected another), which saves the warm path a clock read (about 80 ns).
   */
  findRevocation(token: RevocableToken, nowMs: number, monotonicMs?: number): MaybePromise<RevocationReason | undefined>;
}

/** A checker answering from an in-process {@link RevocationView}: what the authorizer wires up. */
export interface ViewRevocationChecker extends RevocationChecker {
  readonly view: RevocationView;
  /**
   * Loads the view (cold start). Resolves at once when already loaded; concurrent calls share one
   * load. A failure is not remembered: the next call or request loads again.
   * @throws RevocationStateUnavailableError when the load fails and the fail mode is closed.
   */
  load(): Promise<void>;
}

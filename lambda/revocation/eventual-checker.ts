import type { MaybePromise, RevocationReason } from '../shared/index.js';
import type { FailModePolicy } from './fail-mode-policy.js';
import type { RevocableToken } from './reader-writer.js';
import type { ViewRevocationChecker } from './revocation-checker.js';
import type { RevocationView } from './revocation-view.js';

/**
 * REVOCATION_CONSISTENCY=eventual (the default): decisions from the in-process view, kept current
 * by delta syncs (docs/design.md, "Cold-start load and delta sync").
 *
 * - Warm and fresh: answers synchronously from memory, no allocation, no network.
 * - A sync is due (REVOCATION_SYNC_INTERVAL_MS since the last attempt): the request awaits it, so a
 *   revocation written at t is enforced from t + interval + write latency on. A failed sync is
 *   retried at most once per interval, whatever the request rate.
 * - The view is older than REVOCATION_MAX_STALENESS_MS (measured from the start of the last
 *   successful read) or was never loaded: the fail mode answers.
 */
export class EventualChecker implements ViewRevocationChecker {
  constructor(
    readonly view: RevocationView,
    private readonly failMode: FailModePolicy,
  ) {}

  load(): Promise<void> {
    return this.failMode.load();
  }

  findRevocation(token: RevocableToken, nowMs: number, monotonicMs?: number): MaybePromise<RevocationReason | undefined> {
    // Intervals and ages on the monotonic clock: a wall clock stepped back stops no sync.
    if (this.view.isCurrent(monotonicMs)) return this.view.lookup(token, nowMs);
    return this.refreshThenCheck(token, nowMs);
  }

  private async refreshThenCheck(token: RevocableToken, nowMs: number): Promise<RevocationReason | undefined> {
    const view = this.view;
    if (!view.isLoaded) {
      // Closed: every request tries (each would fail anyway). Open: at most once per interval,
      // since requests keep being answered meanwhile.
      if (this.failMode.closed || view.isLoading || view.isSyncDue()) await view.load();
    } else if (view.isSyncing || view.isSyncDue()) {
      await view.sync();
    }
    if (!view.isFresh()) return this.failMode.answer(token, nowMs, view.unusableBecause());
    return view.lookup(token, nowMs);
  }
}

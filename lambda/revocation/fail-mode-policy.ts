import { describeError, RevocationStateUnavailableError, type Log, type RevocationReason } from '../shared/index.js';
import type { RevocableToken } from './reader-writer.js';
import type { RevocationView } from './revocation-view.js';
import type { RevocationSettings } from './settings.js';

/**
 * What a decision does when the view cannot answer (never loaded, too old, a consistent read
 * failed), per REVOCATION_FAIL_MODE: `closed` throws RevocationStateUnavailableError, so API
 * Gateway answers 500 and caches nothing; `open` still refuses what memory knows and allows the
 * rest, loudly (one error line per sync interval, with a count) and counted (FailOpenAllows).
 */
export class FailModePolicy {
  private lastFailOpenLogMs = -Infinity;
  private failOpenAllowsUnlogged = 0;

  constructor(
    private readonly view: RevocationView,
    private readonly settings: Pick<RevocationSettings, 'failMode' | 'syncIntervalMs'>,
    private readonly log: Log,
  ) {}

  /** Whether a decision without a usable view throws (REVOCATION_FAIL_MODE=closed). */
  get closed(): boolean {
    return this.settings.failMode === 'closed';
  }

  /** Loads the view; a failed load throws when the fail mode is closed (the cold start then reports it). */
  async load(): Promise<void> {
    if (!(await this.view.load()) && this.closed) {
      throw unavailable('the revocations could not be loaded', this.view.lastError);
    }
  }

  /** The answer for a token the view cannot vouch for, `problem` saying why. */
  answer(token: RevocableToken, nowMs: number, problem: string): RevocationReason | undefined {
    if (this.closed) throw unavailable(problem, this.view.lastError);
    const remembered = this.view.lookup(token, nowMs);
    if (remembered !== undefined) return remembered;
    this.view.counters.failOpenAllows++;
    this.failOpenAllowsUnlogged++;
    // One line per sync interval, not per request: an outage at thousands of requests per second
    // must not turn into as many log lines. The count says how many it stands for. The interval
    // runs on the view's monotonic clock, like every other interval.
    const monoMs = this.view.monotonicNow();
    if (monoMs - this.lastFailOpenLogMs >= this.settings.syncIntervalMs) {
      this.log.error('ALLOWING TOKENS WITHOUT A USABLE REVOCATION VIEW because REVOCATION_FAIL_MODE=open', {
        code: 'ERR_REVOCATION_STATE_UNAVAILABLE',
        problem,
        failOpenAllows: this.failOpenAllowsUnlogged,
        viewAgeMs: this.view.viewAgeMs(monoMs),
        error: this.view.lastError === undefined ? undefined : describeError(this.view.lastError),
      });
      this.lastFailOpenLogMs = monoMs;
      this.failOpenAllowsUnlogged = 0;
    }
    return undefined;
  }
}

/** The one place the checkers turn a failed read into the error a decision throws. */
function unavailable(problem: string, cause: unknown): RevocationStateUnavailableError {
  // The store already wraps DynamoDB errors; keep the DynamoDB error itself as the cause.
  const root = cause instanceof RevocationStateUnavailableError && cause.cause !== undefined ? cause.cause : cause;
  return new RevocationStateUnavailableError(`${problem}: ${describeError(root)}`, { cause: root });
}

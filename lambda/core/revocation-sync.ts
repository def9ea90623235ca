import type { RevocationSettings, TokenRules } from './config.js';
import { describeError, RevocationStateUnavailableError, type RevocationReason } from './errors.js';
import { silentLog, type Log } from './log.js';
import type { Revocation } from './revocation.js';
import { RevocationCache } from './revocation-cache.js';
import type { RevocationChecker } from './revocation-checker.js';
import type { ReadSummary, TokenKeys } from './revocation-store.js';
import type { VerifiedToken } from './verified-token.js';

/** The reads the checker needs; RevocationStore provides them. */
export interface RevocationReader {
  scanLive(segments: number, nowEpochSeconds: number, visit: (revocation: Revocation) => void): Promise<ReadSummary>;
  queryChanges(sinceEpochMs: number, nowEpochSeconds: number, visit: (revocation: Revocation) => void): Promise<ReadSummary>;
  getForToken(token: TokenKeys, nowEpochSeconds: number): Promise<Revocation[]>;
}

export interface RevocationSyncOptions {
  readonly reader: RevocationReader;
  readonly settings: RevocationSettings;
  /** How long cut-offs matter: T + maxTokenLifetimeSeconds + clockToleranceSeconds. */
  readonly rules: Pick<TokenRules, 'maxTokenLifetimeSeconds' | 'clockToleranceSeconds'>;
  /** @default silentLog */
  readonly log?: Log;
  /** The clock that stamps loads and syncs; the same one callers take `nowMs` from. @default Date.now */
  readonly now?: () => number;
  /** Minimum time between sweeps of expired entries, run from the sync path. @default 30000 */
  readonly sweepIntervalMs?: number;
}

/** Cumulative since the instance started: the handler publishes differences. */
export interface RevocationSyncCounters {
  loads: number;
  loadFailures: number;
  syncs: number;
  syncFailures: number;
  /** Decisions that allowed a token only because REVOCATION_FAIL_MODE=open and the view was unusable. */
  failOpenAllows: number;
  strongReads: number;
  strongReadFailures: number;
  /** Expired entries removed from memory. */
  swept: number;
}

/**
 * The authorizer's RevocationChecker: an in-process view of the revocation table, loaded at cold
 * start and kept current by delta syncs (DESIGN.md, "Cold-start loader + delta sync").
 *
 * - Warm and fresh: answers synchronously from memory, no allocation, no network.
 * - A sync is due (REVOCATION_SYNC_INTERVAL_MS since the last attempt): the request awaits it, so a
 *   revocation written at t is enforced from t + interval + write latency on. A failed sync is
 *   retried at most once per interval, whatever the request rate.
 * - The view is older than REVOCATION_MAX_STALENESS_MS (measured from the start of the last
 *   successful read) or was never loaded: throws RevocationStateUnavailableError, or with
 *   REVOCATION_FAIL_MODE=open answers from whatever is in memory, logs loudly and counts.
 * - REVOCATION_CONSISTENCY=strong: a token memory does not refuse is checked with a consistent
 *   read of its keys on every request; that read is authoritative, so no delta sync runs.
 */
export class RevocationSync implements RevocationChecker {
  readonly counters: RevocationSyncCounters = {
    loads: 0,
    loadFailures: 0,
    syncs: 0,
    syncFailures: 0,
    failOpenAllows: 0,
    strongReads: 0,
    strongReadFailures: 0,
    swept: 0,
  };
  private readonly reader: RevocationReader;
  private readonly settings: RevocationSettings;
  private readonly cutoffRetentionSeconds: number;
  private readonly log: Log;
  private readonly now: () => number;
  private readonly sweepIntervalMs: number;
  private cache: RevocationCache;
  private loaded = false;
  private loading: Promise<void> | undefined;
  private syncing: Promise<void> | undefined;
  /** Start of the last successful load or sync: the view holds everything written before it. */
  private lastSuccessStartMs = -Infinity;
  private lastAttemptStartMs = -Infinity;
  private lastSweepMs = -Infinity;
  private lastError: unknown;
  private failing = false;
  private lastFailOpenLogMs = -Infinity;
  private failOpenAllowsUnlogged = 0;

  constructor(options: RevocationSyncOptions) {
    this.reader = options.reader;
    this.settings = options.settings;
    this.cutoffRetentionSeconds = options.rules.maxTokenLifetimeSeconds + options.rules.clockToleranceSeconds;
    this.log = options.log ?? silentLog;
    this.now = options.now ?? Date.now;
    this.sweepIntervalMs = options.sweepIntervalMs ?? 30_000;
    this.cache = this.newCache();
  }

  /**
   * Loads every live revocation (cold start). Resolves at once when already loaded; concurrent
   * calls share one load. A failure is not remembered: the next call or request loads again.
   * @throws RevocationStateUnavailableError when the load fails and the fail mode is closed.
   */
  load(): Promise<void> {
    if (this.loaded) return Promise.resolve();
    this.loading ??= this.runLoad().finally(() => {
      this.loading = undefined;
    });
    return this.loading;
  }

  findRevocation(token: VerifiedToken, nowMs: number): RevocationReason | undefined | Promise<RevocationReason | undefined> {
    if (this.settings.consistency === 'strong') {
      const remembered = this.lookup(token, nowMs);
      return remembered ?? this.checkConsistently(token, nowMs);
    }
    if (
      this.loaded &&
      this.syncing === undefined &&
      nowMs - this.lastAttemptStartMs < this.settings.syncIntervalMs &&
      nowMs - this.lastSuccessStartMs <= this.settings.maxStalenessMs
    ) {
      return this.lookup(token, nowMs);
    }
    return this.refreshThenCheck(token, nowMs);
  }

  /** Whether a cold-start load has succeeded. */
  get isLoaded(): boolean {
    return this.loaded;
  }

  /**
   * Milliseconds since the start of the last successful read (load, delta sync, or in strong
   * mode consistent read): the RevocationSyncLagMs gauge. Infinity before the first load.
   */
  viewAgeMs(nowMs: number): number {
    return nowMs - this.lastSuccessStartMs;
  }

  /** Entries held in memory, all kinds. */
  get entryCount(): number {
    return this.cache.size;
  }

  /** Entries held in memory, per kind. */
  get entries(): { readonly jti: number; readonly subject: number; readonly client: number } {
    return this.cache.sizes;
  }

  /** The warm path: no allocation, so only whole seconds and booleans cross calls (doubles would be boxed). */
  private lookup(token: VerifiedToken, nowMs: number): RevocationReason | undefined {
    const cache = this.cache;
    const nowEpochSeconds = Math.floor(nowMs / 1000);
    if (cache.isJtiRevoked(token.issuer, token.tokenId, nowEpochSeconds)) return 'revoked_jti';
    // DESIGN.md: refused when iat * 1000 <= T; without iat, issue after T cannot be shown.
    const iat = token.issuedAtEpochSeconds;
    if (token.subject !== undefined && cache.isSubjectRevoked(token.issuer, token.subject, iat, nowEpochSeconds)) return 'revoked_subject';
    if (token.clientId !== undefined && cache.isClientRevoked(token.issuer, token.clientId, iat, nowEpochSeconds)) return 'revoked_client';
    return undefined;
  }

  private async refreshThenCheck(token: VerifiedToken, nowMs: number): Promise<RevocationReason | undefined> {
    if (!this.loaded) {
      // Closed: every request tries (each would fail anyway). Open: at most once per interval,
      // since requests keep being answered meanwhile.
      if (
        this.settings.failMode === 'closed' ||
        this.loading !== undefined ||
        nowMs - this.lastAttemptStartMs >= this.settings.syncIntervalMs
      ) {
        await this.load();
      }
    } else if (this.syncing !== undefined || nowMs - this.lastAttemptStartMs >= this.settings.syncIntervalMs) {
      await this.sync();
    }
    if (!this.loaded || nowMs - this.lastSuccessStartMs > this.settings.maxStalenessMs) {
      return this.answerWithoutUsableView(token, nowMs);
    }
    return this.lookup(token, nowMs);
  }

  private async checkConsistently(token: VerifiedToken, nowMs: number): Promise<RevocationReason | undefined> {
    const nowEpochSeconds = nowMs / 1000;
    const startMs = this.now();
    try {
      const found = await this.reader.getForToken(token, nowEpochSeconds);
      this.counters.strongReads++;
      // The decision rests on a read that started now: that is the age the lag metric reports.
      if (startMs > this.lastSuccessStartMs) this.lastSuccessStartMs = startMs;
      for (const revocation of found) this.cache.apply(revocation, nowEpochSeconds);
    } catch (error) {
      this.counters.strongReadFailures++;
      this.lastError = error;
      if (this.settings.failMode === 'closed') throw unavailable('the consistent revocation read failed', error);
      return this.failOpen(token, nowMs, 'consistent read failed');
    } finally {
      this.sweepIfDue(nowMs);
    }
    return this.lookup(token, nowMs);
  }

  private answerWithoutUsableView(token: VerifiedToken, nowMs: number): RevocationReason | undefined {
    const problem = this.loaded
      ? `the revocation view is ${Math.round(this.viewAgeMs(nowMs))} ms old, over REVOCATION_MAX_STALENESS_MS (${this.settings.maxStalenessMs})`
      : 'the revocations could not be loaded';
    if (this.settings.failMode === 'closed') throw unavailable(problem, this.lastError);
    return this.failOpen(token, nowMs, problem);
  }

  /** REVOCATION_FAIL_MODE=open: whatever memory knows still denies; anything else is allowed, loudly. */
  private failOpen(token: VerifiedToken, nowMs: number, problem: string): RevocationReason | undefined {
    const remembered = this.lookup(token, nowMs);
    if (remembered !== undefined) return remembered;
    this.counters.failOpenAllows++;
    this.failOpenAllowsUnlogged++;
    // One line per sync interval, not per request: an outage at thousands of requests per second
    // must not turn into as many log lines. The count says how many it stands for.
    if (nowMs - this.lastFailOpenLogMs >= this.settings.syncIntervalMs) {
      this.log.error('ALLOWING TOKENS WITHOUT A USABLE REVOCATION VIEW because REVOCATION_FAIL_MODE=open', {
        code: 'ERR_REVOCATION_STATE_UNAVAILABLE',
        problem,
        failOpenAllows: this.failOpenAllowsUnlogged,
        viewAgeMs: this.viewAgeMs(nowMs),
        error: this.lastError === undefined ? undefined : describeError(this.lastError),
      });
      this.lastFailOpenLogMs = nowMs;
      this.failOpenAllowsUnlogged = 0;
    }
    return undefined;
  }

  private async runLoad(): Promise<void> {
    const startMs = this.now();
    this.lastAttemptStartMs = startMs;
    const nowEpochSeconds = startMs / 1000;
    // A fresh cache, swapped in only when complete: a half-read table must not look loaded.
    const cache = this.newCache();
    try {
      const summary = await this.reader.scanLive(this.settings.scanSegments, nowEpochSeconds, (revocation) => {
        cache.apply(revocation, nowEpochSeconds);
      });
      this.cache = cache;
      this.loaded = true;
      this.lastSuccessStartMs = startMs;
      this.lastSweepMs = startMs;
      this.counters.loads++;
      this.log.info('revocations loaded', {
        ...summary,
        entries: cache.sizes,
        bytes: cache.byteLength,
        durationMs: this.now() - startMs,
        segments: this.settings.scanSegments,
      });
    } catch (error) {
      this.counters.loadFailures++;
      this.lastError = error;
      this.log.error('revocation load failed', {
        code: 'ERR_REVOCATION_STATE_UNAVAILABLE',
        failMode: this.settings.failMode,
        durationMs: this.now() - startMs,
        error: describeError(error),
      });
      if (this.settings.failMode === 'closed') throw unavailable('the revocations could not be loaded', error);
    }
  }

  private sync(): Promise<void> {
    this.syncing ??= this.runSync().finally(() => {
      this.syncing = undefined;
    });
    return this.syncing;
  }

  private async runSync(): Promise<void> {
    const startMs = this.now();
    this.lastAttemptStartMs = startMs;
    const nowEpochSeconds = startMs / 1000;
    // Index reads are eventually consistent and writers' clocks differ a little: reach back. The
    // store reads what was stamped after `since`; an item stamped in the very millisecond the last
    // read started may have missed that read, so the reach starts a millisecond earlier.
    const sinceMs = this.lastSuccessStartMs - this.settings.syncOverlapMs - 1;
    let changed = 0;
    try {
      const summary = await this.reader.queryChanges(sinceMs, nowEpochSeconds, (revocation) => {
        if (this.cache.apply(revocation, nowEpochSeconds)) changed++;
      });
      this.lastSuccessStartMs = startMs;
      this.counters.syncs++;
      if (this.failing) {
        this.failing = false;
        this.log.info('revocation sync recovered', { changed, items: summary.items });
      } else if (changed > 0) {
        this.log.debug('revocation sync', { changed, items: summary.items, durationMs: this.now() - startMs });
      }
    } catch (error) {
      this.counters.syncFailures++;
      this.lastError = error;
      this.failing = true;
      this.log.warn('revocation sync failed; answering from memory while within the staleness limit', {
        code: 'ERR_REVOCATION_STATE_UNAVAILABLE',
        viewAgeMs: startMs - this.lastSuccessStartMs,
        maxStalenessMs: this.settings.maxStalenessMs,
        applied: changed,
        error: describeError(error),
      });
    }
    this.sweepIfDue(startMs);
  }

  private sweepIfDue(nowMs: number): void {
    if (nowMs - this.lastSweepMs < this.sweepIntervalMs) return;
    this.lastSweepMs = nowMs;
    this.counters.swept += this.cache.sweep(nowMs / 1000);
  }

  private newCache(): RevocationCache {
    return new RevocationCache({ cutoffRetentionSeconds: this.cutoffRetentionSeconds });
  }
}

function unavailable(problem: string, cause: unknown): RevocationStateUnavailableError {
  // The store already wraps DynamoDB errors; keep the DynamoDB error itself as the cause.
  const root = cause instanceof RevocationStateUnavailableError && cause.cause !== undefined ? cause.cause : cause;
  return new RevocationStateUnavailableError(`${problem}: ${describeError(root)}`, { cause: root });
}

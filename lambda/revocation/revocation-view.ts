import { describeError, silentLog, type Log, type RevocationReason } from '../shared/index.js';
import type { RevocableToken, RevocationReader, TokenKeys } from './reader-writer.js';
import { RevocationCache } from './revocation-cache.js';
import { cutoffRetentionSeconds, type RetentionRules } from './revocation.js';
import type { RevocationSettings } from './settings.js';

export interface RevocationViewOptions {
  readonly reader: RevocationReader;
  readonly settings: RevocationSettings;
  /** How long cut-offs matter: see cutoffRetentionSeconds (revocation.ts). */
  readonly rules: RetentionRules;
  /** @default silentLog */
  readonly log?: Log;
  /** The clock that stamps loads and syncs; the same one callers take `nowMs` from. @default Date.now */
  readonly now?: () => number;
  /** Minimum time between sweeps of expired entries, run from the sync path. @default 30000 */
  readonly sweepIntervalMs?: number;
}

/** Cumulative since the instance started: the handler publishes differences. */
export interface RevocationCounters {
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
 * The authorizer's in-process view of the revocation table, loaded at cold start and kept current
 * by delta syncs (docs/design.md, "Cold-start load and delta sync"): the reads, their scheduling
 * state, the freshness rule, sweeps, age and size. It never throws for a failed read: it logs,
 * counts and keeps the error as {@link lastError}; the checkers decide what a decision does then.
 */
export class RevocationView {
  readonly counters: RevocationCounters = {
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
  private loading: Promise<boolean> | undefined;
  private syncing: Promise<void> | undefined;
  /** Start of the last successful read: the view holds everything written before it. */
  private lastSuccessStartMs = -Infinity;
  private lastAttemptStartMs = -Infinity;
  private lastSweepMs = -Infinity;
  private failing = false;
  private error: unknown;

  constructor(options: RevocationViewOptions) {
    this.reader = options.reader;
    this.settings = options.settings;
    this.cutoffRetentionSeconds = cutoffRetentionSeconds(options.rules);
    this.log = options.log ?? silentLog;
    this.now = options.now ?? Date.now;
    this.sweepIntervalMs = options.sweepIntervalMs ?? 30_000;
    this.cache = this.newCache();
  }

  /**
   * Whether the view may answer: loaded, and its last successful read started no more than
   * REVOCATION_MAX_STALENESS_MS ago. The one statement of the staleness rule.
   */
  isFresh(nowMs: number): boolean {
    return this.loaded && nowMs - this.lastSuccessStartMs <= this.settings.maxStalenessMs;
  }

  /** Whether a read is due: REVOCATION_SYNC_INTERVAL_MS since the last attempt, successful or not. */
  isSyncDue(nowMs: number): boolean {
    return nowMs - this.lastAttemptStartMs >= this.settings.syncIntervalMs;
  }

  /** Fresh, no read due and none running: a lookup answers without waiting for anything. */
  isCurrent(nowMs: number): boolean {
    return this.syncing === undefined && !this.isSyncDue(nowMs) && this.isFresh(nowMs);
  }

  /** Whether a cold-start load has succeeded. */
  get isLoaded(): boolean {
    return this.loaded;
  }

  /** Whether a load is running. */
  get isLoading(): boolean {
    return this.loading !== undefined;
  }

  /** Whether a delta sync is running. */
  get isSyncing(): boolean {
    return this.syncing !== undefined;
  }

  /** The error of the last failed read: the cause a refused decision reports. */
  get lastError(): unknown {
    return this.error;
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

  /** Why the view may not answer at `nowMs`: never loaded, or too old. */
  unusableBecause(nowMs: number): string {
    return this.loaded
      ? `the revocation view is ${Math.round(this.viewAgeMs(nowMs))} ms old, over REVOCATION_MAX_STALENESS_MS (${this.settings.maxStalenessMs})`
      : 'the revocations could not be loaded';
  }

  /**
   * What memory says of a token, fresh or not. The warm path: no allocation, so only whole
   * seconds and booleans cross calls (doubles would be boxed).
   */
  lookup(token: RevocableToken, nowMs: number): RevocationReason | undefined {
    const cache = this.cache;
    const nowEpochSeconds = Math.floor(nowMs / 1000);
    // The stored ids, computed when the token was verified: memory holds what the table holds.
    const ids = token.revocationIds;
    if (cache.isJtiRevoked(token.issuer, ids.jti, nowEpochSeconds)) return 'revoked_jti';
    // docs/design.md, "Revocation semantics": refused when iat * 1000 <= T; without iat, issue after T cannot be shown.
    const iat = token.issuedAtEpochSeconds;
    if (ids.subject !== undefined && cache.isSubjectRevoked(token.issuer, ids.subject, iat, nowEpochSeconds)) return 'revoked_subject';
    if (ids.client !== undefined && cache.isClientRevoked(token.issuer, ids.client, iat, nowEpochSeconds)) return 'revoked_client';
    return undefined;
  }

  /**
   * Loads every live revocation (cold start). Resolves at once when already loaded; concurrent
   * calls share one load. Resolves whether the view is loaded; a failure is logged, counted and
   * kept as lastError, not remembered: the next call loads again.
   */
  load(): Promise<boolean> {
    if (this.loaded) return Promise.resolve(true);
    this.loading ??= this.runLoad().finally(() => {
      this.loading = undefined;
    });
    return this.loading;
  }

  /** Reads what changed since the last successful read; concurrent calls share one. Never rejects. */
  sync(): Promise<void> {
    this.syncing ??= this.runSync().finally(() => {
      this.syncing = undefined;
    });
    return this.syncing;
  }

  /**
   * A consistent read of every key the token can be revoked under, applied to memory: the view is
   * then as fresh as the read for this token. Rejects with the reader's error, which it counts
   * and keeps as lastError.
   */
  async readToken(token: TokenKeys, nowMs: number): Promise<void> {
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
      this.error = error;
      throw error;
    } finally {
      this.sweepIfDue(nowMs);
    }
  }

  private async runLoad(): Promise<boolean> {
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
      return true;
    } catch (error) {
      this.counters.loadFailures++;
      this.error = error;
      this.log.error('revocation load failed', {
        code: 'ERR_REVOCATION_STATE_UNAVAILABLE',
        failMode: this.settings.failMode,
        durationMs: this.now() - startMs,
        error: describeError(error),
      });
      return false;
    }
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
      this.error = error;
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

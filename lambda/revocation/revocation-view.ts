// Over 300 lines: the reads, their scheduling and deadlines, and the freshness rule share one state (two clocks, last success, last attempt).
import { DEFAULTS, READ_DEADLINE_CAP_MS, READ_DEADLINE_MAX_MS } from '../contract/index.js';
import {
  describeError,
  RevocationStateUnavailableError,
  silentLog,
  SnapshotRefusedError,
  type Log,
  type RevocationReason,
  type SnapshotRefusalReason,
} from '../shared/index.js';
import { FeedFollower, type FeedPlan } from './feed-follower.js';
import type { FeedHead, FeedReader, ReadSummary, RevocableToken, RevocationReader, SnapshotSource, TokenKeys } from './reader-writer.js';
import { RevocationCache } from './revocation-cache.js';
import { cutoffRetentionSeconds, type RetentionRules, type Revocation, type RevocationKind } from './revocation.js';
import type { RevocationSettings, SnapshotSettings } from './settings.js';
import { encodeSnapshot, readSnapshot, type EncodedSnapshot, type SnapshotHeader } from './snapshot-format.js';

export interface RevocationViewOptions {
  readonly reader: RevocationReader;
  readonly settings: RevocationSettings;
  /** How long cut-offs matter: see cutoffRetentionSeconds (revocation.ts). */
  readonly rules: RetentionRules;
  /** @default silentLog */
  readonly log?: Log;
  /**
   * The wall clock, epoch ms: what reads compare item times with (TTLs, the change stamps a delta
   * read starts from); the same one callers take `nowMs` from. @default Date.now
   */
  readonly now?: () => number;
  /**
   * The monotonic clock, ms from any origin: every interval and age (sync due, staleness, sweeps,
   * read deadlines), so a wall clock stepped back or forward on a warm instance changes none of
   * them. @default performance.now
   */
  readonly monotonicNow?: () => number;
  /** Minimum time between sweeps of expired entries, run from the sync path. @default 30000 */
  readonly sweepIntervalMs?: number;
  /**
   * Where a load reads a snapshot first (settings.snapshot gives its limits); a refused or
   * unreadable one falls back to the Scan. @default undefined - every load scans
   */
  readonly snapshotSource?: SnapshotSource;
  /** Told once per snapshot not used, with the reason: the SnapshotFallbacks metric. */
  readonly onSnapshotFallback?: (reason: SnapshotRefusalReason) => void;
  /**
   * Where the change feed's pages are read (docs/scale.md, "The change feed"). @default undefined -
   * the feed is never followed: a head that shows one makes every sync query the change index
   */
  readonly feedReader?: FeedReader;
}

/** A snapshot read and checked, waiting for its delta read (kept across a failed one, so a retry reads only the delta). */
interface SnapshotBase {
  readonly cache: RevocationCache;
  readonly header: SnapshotHeader;
  readonly readMs: number;
}

/** The longest delay setTimeout honours (about 24.8 days). */
const MAX_TIMER_MS = 2_147_483_647;

/** Cumulative since the instance started: the handler publishes differences. */
export interface RevocationCounters {
  loads: number;
  loadFailures: number;
  syncs: number;
  syncFailures: number;
  /** Change-head reads (one per sync that did not query the change index outright). */
  headReads: number;
  /** Syncs that queried the change index: the head had moved, a full sync was due, or the feed could not be followed. */
  changeQueries: number;
  /** Syncs answered by the change feed alone (its new pages, or none). */
  feedSyncs: number;
  /** Feed pages read. */
  feedPages: number;
  /** Syncs that found a feed page missing (overwritten, not yet replicated, unreadable) and queried instead. */
  feedMisses: number;
  /** Decisions that allowed a token only because REVOCATION_FAIL_MODE=open and the view was unusable. */
  failOpenAllows: number;
  strongReads: number;
  strongReadFailures: number;
  /** Expired entries removed from memory. */
  swept: number;
  /** Loads that started from a snapshot (plus a delta read) instead of a Scan. */
  snapshotLoads: number;
  /** Snapshots not used (refused or unreadable): each load then scanned. */
  snapshotFallbacks: number;
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
    headReads: 0,
    changeQueries: 0,
    feedSyncs: 0,
    feedPages: 0,
    feedMisses: 0,
    failOpenAllows: 0,
    strongReads: 0,
    strongReadFailures: 0,
    swept: 0,
    snapshotLoads: 0,
    snapshotFallbacks: 0,
  };
  private readonly reader: RevocationReader;
  private readonly settings: RevocationSettings;
  private readonly cutoffRetentionSeconds: number;
  private readonly log: Log;
  private readonly now: () => number;
  /** The monotonic clock (see RevocationViewOptions.monotonicNow); every `...MonoMs` below is on it. */
  readonly monotonicNow: () => number;
  private readonly sweepIntervalMs: number;
  private readonly snapshotSource: SnapshotSource | undefined;
  private readonly snapshotSettings: SnapshotSettings | undefined;
  private readonly onSnapshotFallback: (reason: SnapshotRefusalReason) => void;
  private readonly feedReader: FeedReader | undefined;
  private readonly feed: FeedFollower;
  private pendingSnapshot: SnapshotBase | undefined;
  /** When the chain this view comes from last read the whole table (wall clock, epoch ms): a Scan's start, or a snapshot's scan base. */
  private scanBaseWallMs = -Infinity;
  private cache: RevocationCache;
  private loaded = false;
  private loading: Promise<boolean> | undefined;
  private syncing: Promise<void> | undefined;
  /** Start of the last successful read (a load, a query, a head read): what freshness is measured from. */
  private lastSuccessStartMonoMs = -Infinity;
  /**
   * Start of the last successful read of the changes themselves (a load or a query of the change
   * index), on the wall clock: where the next query reaches back from. Every write stamped up to
   * it minus the overlap is in memory (docs/design.md, "The change head").
   */
  private lastQueryStartWallMs = -Infinity;
  /** The same moment on the monotonic clock: when a full sync is due, and the wall clock's check. */
  private lastQueryStartMonoMs = -Infinity;
  /** The largest change head read so far (epoch ms), as read: a replica that lags cannot move it back. */
  private headReadMs = -Infinity;
  /** The same, never more than the overlap ahead of the clock that read it: what decides whether to query. */
  private headSeenMs = -Infinity;
  private lastAttemptStartMonoMs = -Infinity;
  private lastSweepMonoMs = -Infinity;
  private failing = false;
  private error: unknown;
  /** Reads of each kind abandoned at their deadline in a row: each doubles the next one's (see readDeadlineMs). */
  private readonly abandoned = { load: 0, sync: 0 };

  constructor(options: RevocationViewOptions) {
    this.reader = options.reader;
    this.settings = options.settings;
    this.cutoffRetentionSeconds = cutoffRetentionSeconds(options.rules);
    this.log = options.log ?? silentLog;
    this.now = options.now ?? Date.now;
    this.monotonicNow = options.monotonicNow ?? (() => performance.now());
    this.sweepIntervalMs = options.sweepIntervalMs ?? 30_000;
    this.snapshotSource = options.snapshotSource;
    this.snapshotSettings =
      options.snapshotSource === undefined
        ? undefined
        : (options.settings.snapshot ?? {
            uri: options.snapshotSource.uri,
            maxAgeMs: DEFAULTS.snapshotMaxAgeMs,
            maxBytes: DEFAULTS.snapshotMaxBytes,
            timeoutMs: DEFAULTS.snapshotTimeoutMs,
          });
    this.onSnapshotFallback = options.onSnapshotFallback ?? (() => {});
    this.feedReader = options.feedReader;
    this.feed = new FeedFollower(options.settings.feedMaxLagMs ?? DEFAULTS.feedMaxLagMs);
    this.cache = this.newCache();
  }

  /**
   * Whether the view may answer: loaded, and its last successful read started no more than
   * REVOCATION_MAX_STALENESS_MS ago (on the monotonic clock). The one statement of the staleness rule.
   */
  isFresh(monoMs = this.monotonicNow()): boolean {
    return this.loaded && monoMs - this.lastSuccessStartMonoMs <= this.settings.maxStalenessMs;
  }

  /** Whether a read is due: REVOCATION_SYNC_INTERVAL_MS since the last attempt, successful or not. */
  isSyncDue(monoMs = this.monotonicNow()): boolean {
    return monoMs - this.lastAttemptStartMonoMs >= this.settings.syncIntervalMs;
  }

  /** Fresh, no read due and none running: a lookup answers without waiting for anything. */
  isCurrent(monoMs = this.monotonicNow()): boolean {
    return this.syncing === undefined && !this.isSyncDue(monoMs) && this.isFresh(monoMs);
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
  viewAgeMs(monoMs = this.monotonicNow()): number {
    return monoMs - this.lastSuccessStartMonoMs;
  }

  /** Entries held in memory, all kinds. */
  get entryCount(): number {
    return this.cache.size;
  }

  /** Entries held in memory, per kind. */
  get entries(): Readonly<Record<RevocationKind, number>> {
    return this.cache.sizes;
  }

  /** Why the view may not answer now: never loaded, or too old. */
  unusableBecause(monoMs = this.monotonicNow()): string {
    return this.loaded
      ? `the revocation view is ${Math.round(this.viewAgeMs(monoMs))} ms old, over REVOCATION_MAX_STALENESS_MS (${this.settings.maxStalenessMs})`
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
    const signatures = ids.signatures;
    for (let i = 0; i < signatures.length; i++) {
      if (cache.isJtiRevoked(token.issuer, signatures[i]!, nowEpochSeconds)) return 'revoked_jti';
    }
    // docs/design.md, "Revocation semantics": refused when iat * 1000 <= T; without iat, issue after T cannot be shown.
    const iat = token.issuedAtEpochSeconds;
    if (ids.subject !== undefined && cache.isSubjectRevoked(token.issuer, ids.subject, iat, nowEpochSeconds)) return 'revoked_subject';
    if (ids.client !== undefined && cache.isClientRevoked(token.issuer, ids.client, iat, nowEpochSeconds)) return 'revoked_client';
    // docs/design.md, "Revocation semantics": a revoked session refuses its tokens whatever their iat.
    if (ids.session !== undefined && cache.isSessionRevoked(token.issuer, ids.session, nowEpochSeconds)) return 'revoked_session';
    return undefined;
  }

  /** When the chain this view comes from last read the whole table: a Scan's start, or the loaded snapshot's scan base (epoch ms). */
  get scanBaseEpochMs(): number {
    return this.scanBaseWallMs;
  }

  /**
   * The view as a snapshot (snapshot-format.ts), its watermark the start of its last successful
   * read: views of the live tables, so write it before the view changes again.
   * @throws RevocationStateUnavailableError unless the view is loaded and fresh.
   */
  exportSnapshot(): EncodedSnapshot {
    const monoMs = this.monotonicNow();
    const nowMs = this.now();
    if (!this.isFresh(monoMs)) throw new RevocationStateUnavailableError(`no snapshot: ${this.unusableBecause(monoMs)}`);
    return encodeSnapshot(this.cache, {
      // As a delta read reaches back (runSync): the earlier of the recorded wall-clock start and now
      // minus the monotonic time since, so a wall clock stepped back and forth cannot move it ahead.
      watermarkEpochMs: Math.min(this.lastQueryStartWallMs, nowMs - (monoMs - this.lastQueryStartMonoMs)),
      createdAtEpochMs: nowMs,
      scanBaseEpochMs: this.scanBaseWallMs,
      tableName: this.settings.tableName,
    });
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
    const startMonoMs = this.monotonicNow();
    try {
      const deadlineMs = this.readDeadlineMs('consistent', startMonoMs);
      const found = await this.withDeadline(deadlineMs, undefined, (signal) => this.reader.getForToken(token, nowEpochSeconds, signal));
      this.counters.strongReads++;
      // The decision rests on a read that started now: that is the age the lag metric reports. It
      // read this token's keys only, so where the next delta query reaches back from stays put.
      if (startMonoMs > this.lastSuccessStartMonoMs) this.lastSuccessStartMonoMs = startMonoMs;
      for (const revocation of found) this.cache.apply(revocation, nowEpochSeconds);
    } catch (error) {
      this.counters.strongReadFailures++;
      this.error = error;
      throw error;
    } finally {
      this.sweepIfDue(nowMs);
    }
  }

  /**
   * How long a read may take before it is abandoned (docs/design.md, "Read deadlines"): the SDK's
   * request timeout stops counting once response headers arrive, so a body trickled byte by byte
   * would otherwise hold the requests waiting on it, whatever the staleness bound says.
   * - A delta sync of a fresh view: until the view turns stale (max staleness minus its age, so
   *   the requests waiting on it are answered from memory while the view may still answer, and
   *   refused by the fail mode the moment it may not), at most READ_DEADLINE_CAP_MS.
   * - A delta sync of a view already stale, and a consistent read in strong mode:
   *   READ_DEADLINE_CAP_MS. Such a view answers nothing until a read succeeds, so the read gets the
   *   time a request can give it (a staleness bound of a second must not fail a sync that takes two).
   * - A load: the staleness bound, at least READ_DEADLINE_CAP_MS (nothing is answered from a view
   *   not loaded, and a large table takes a while).
   * A load or a stale sync abandoned at its deadline doubles the next one's, up to
   * READ_DEADLINE_MAX_MS: a read that is slow rather than stuck (a large table, the changes of a
   * long outage, throttling) still finishes, where a fixed deadline would abandon it forever.
   */
  readDeadlineMs(kind: 'load' | 'sync' | 'consistent', monoMs = this.monotonicNow()): number {
    const maxStalenessMs = this.settings.maxStalenessMs;
    if (kind === 'consistent') return READ_DEADLINE_CAP_MS;
    if (kind === 'sync' && this.isFresh(monoMs))
      return Math.min(READ_DEADLINE_CAP_MS, Math.max(0, maxStalenessMs - this.viewAgeMs(monoMs)));
    const baseMs = kind === 'load' ? Math.max(maxStalenessMs, READ_DEADLINE_CAP_MS) : READ_DEADLINE_CAP_MS;
    return Math.min(READ_DEADLINE_MAX_MS, Math.max(baseMs, baseMs * 2 ** this.abandoned[kind]));
  }

  /**
   * The cold-start load (docs/scale.md, "Cold start and snapshots"): a snapshot when one is configured and
   * usable, then a delta read of the change index from its watermark minus the sync overlap;
   * otherwise (no snapshot, or one refused: logged and counted) a parallel Scan. Either way into a
   * fresh cache, swapped in only when complete.
   */
  private async runLoad(): Promise<boolean> {
    this.lastAttemptStartMonoMs = this.monotonicNow();
    const base = this.snapshotSource === undefined ? undefined : await this.snapshotBase();
    const startWallMs = this.now();
    const startMonoMs = this.monotonicNow();
    const nowEpochSeconds = startWallMs / 1000;
    const deadlineMs = this.readDeadlineMs('load', startMonoMs);
    const cache = base?.cache ?? this.newCache();
    const visit = (signal: AbortSignal) => (revocation: Parameters<RevocationCache['apply']>[0]) => {
      if (!signal.aborted) cache.apply(revocation, nowEpochSeconds);
    };
    try {
      const summary = await this.withDeadline(deadlineMs, 'load', (signal) =>
        base === undefined
          ? this.reader.scanLive(this.settings.scanSegments, nowEpochSeconds, visit(signal), signal)
          : // The snapshot holds every item stamped before its watermark that the index showed by
            // then; the overlap covers the rest, as for a warm instance's delta sync.
            this.reader.queryChanges(
              base.header.watermarkEpochMs - this.settings.syncOverlapMs - 1,
              nowEpochSeconds,
              visit(signal),
              signal,
            ),
      );
      this.cache = cache;
      this.loaded = true;
      this.pendingSnapshot = undefined;
      this.coveredThrough(startWallMs, startMonoMs);
      this.lastSweepMonoMs = startMonoMs;
      this.scanBaseWallMs = base === undefined ? startWallMs : base.header.scanBaseEpochMs;
      this.counters.loads++;
      if (base !== undefined) this.counters.snapshotLoads++;
      this.log.info('revocations loaded', {
        ...summary,
        source: base === undefined ? 'scan' : 'snapshot',
        entries: cache.sizes,
        bytes: cache.byteLength,
        durationMs: Math.round(this.monotonicNow() - this.lastAttemptStartMonoMs),
        ...(base === undefined
          ? { segments: this.settings.scanSegments }
          : {
              snapshot: {
                uri: this.snapshotSource!.uri,
                bytes: base.header.byteLength,
                ageMs: Math.round(startWallMs - base.header.watermarkEpochMs),
                readMs: Math.round(base.readMs),
              },
              deltaMs: Math.round(this.monotonicNow() - startMonoMs),
            }),
      });
      return true;
    } catch (error) {
      this.counters.loadFailures++;
      this.error = error;
      // The snapshot was fine: the next attempt reads only its delta again.
      if (base !== undefined) this.pendingSnapshot = base;
      this.log.error('revocation load failed', {
        code: 'ERR_REVOCATION_STATE_UNAVAILABLE',
        source: base === undefined ? 'scan' : 'snapshot',
        failMode: this.settings.failMode,
        durationMs: Math.round(this.monotonicNow() - startMonoMs),
        deadlineMs,
        error: describeError(error),
      });
      return false;
    }
  }

  /**
   * The snapshot to load from, or undefined to scan: one read and checked within the snapshot
   * deadline, or the one a failed delta read left. Never throws: a snapshot not used is logged
   * (one warning with its reason), counted and reported to onSnapshotFallback.
   */
  private async snapshotBase(): Promise<SnapshotBase | undefined> {
    const settings = this.snapshotSettings!;
    const pending = this.pendingSnapshot;
    if (pending !== undefined && this.now() - pending.header.watermarkEpochMs <= settings.maxAgeMs) return pending;
    this.pendingSnapshot = undefined;
    const startMonoMs = this.monotonicNow();
    try {
      const expectations = {
        cutoffRetentionSeconds: this.cutoffRetentionSeconds,
        tableName: this.settings.tableName,
        nowEpochMs: this.now(),
        maxAgeMs: settings.maxAgeMs,
        maxBytes: settings.maxBytes,
      };
      const decoded = await this.withDeadline(settings.timeoutMs, undefined, (signal) =>
        readSnapshot(this.snapshotSource!, expectations, signal),
      );
      return { ...decoded, readMs: this.monotonicNow() - startMonoMs };
    } catch (error) {
      // withDeadline rejects with RevocationStateUnavailableError when the deadline passes; the
      // sources and the decoder throw SnapshotRefusedError for everything else.
      const reason: SnapshotRefusalReason =
        error instanceof SnapshotRefusedError ? error.reason : error instanceof RevocationStateUnavailableError ? 'timeout' : 'unavailable';
      this.counters.snapshotFallbacks++;
      this.log.warn('revocation snapshot not used; loading with a Scan', {
        code: 'ERR_SNAPSHOT_REFUSED',
        reason,
        uri: this.snapshotSource!.uri,
        durationMs: Math.round(this.monotonicNow() - startMonoMs),
        error: describeError(error),
      });
      try {
        this.onSnapshotFallback(reason);
      } catch {
        // A metric that cannot be written must not stop the load.
      }
      return undefined;
    }
  }

  /**
   * One delta sync (docs/design.md, "The change head"; docs/scale.md, "The change feed"): read one
   * change-head replica, then
   * - while a feed writer keeps the change feed current (REVOCATION_FEED_MAX_LAG_MS): read the
   *   feed's new pages, if any, and nothing else; the view is then as current as the writer's last
   *   read of the change index;
   * - when the view has no position in the feed yet, is too far behind it, or a page it needs is
   *   missing, or the feed exists but cannot be followed: query the change index (every sync, since
   *   with a feed the ingest may no longer raise the change head), and take a position from it;
   * - without a feed, or once the change head moved past the feed's last read (the feed was turned
   *   off and the ingest raises the head again): query only when the head shows a write the last query may have missed, or
   *   when a full sync is due (REVOCATION_FULL_SYNC_INTERVAL_MS since the last query).
   * A success makes the view fresh from this sync's start, or from the feed writer's read.
   */
  private async runSync(): Promise<void> {
    const startWallMs = this.now();
    const startMonoMs = this.monotonicNow();
    this.lastAttemptStartMonoMs = startMonoMs;
    const nowEpochSeconds = startWallMs / 1000;
    const deadlineMs = this.readDeadlineMs('sync', startMonoMs);
    const overlapMs = this.settings.syncOverlapMs;
    // Index reads are eventually consistent and writers' clocks differ a little: reach back. The
    // store reads what was stamped after `since`; an item stamped in the very millisecond the last
    // query started may have missed that query, so the reach starts a millisecond earlier. The last
    // query's start on the wall clock is taken as recorded or as now minus the (monotonic) time
    // since, whichever is earlier: a wall clock stepped forward and back again between two reads
    // then only makes a read reach further back, never skip what was written meanwhile.
    const lastStartWallMs = Math.min(this.lastQueryStartWallMs, startWallMs - (startMonoMs - this.lastQueryStartMonoMs));
    const sinceMs = lastStartWallMs - overlapMs - 1;
    // While the feed is followed, its reads move the last query's start, so no full sync falls due.
    const fullSyncDue = startMonoMs - this.lastQueryStartMonoMs >= (this.settings.fullSyncIntervalMs ?? DEFAULTS.fullSyncIntervalMs);
    let changed = 0;
    let source = 'head' as 'head' | 'feed' | 'query';
    let feedCoveredWallMs = -Infinity;
    try {
      const summary = await this.withDeadline(deadlineMs, 'sync', async (signal) => {
        const apply = (revocation: Revocation): void => {
          if (!signal.aborted && this.cache.apply(revocation, nowEpochSeconds)) changed++;
        };
        let feed: FeedHead | undefined;
        if (!fullSyncDue && this.reader.readHead !== undefined) {
          const head = await this.reader.readHead(signal);
          this.counters.headReads++;
          feed = head.feed;
          const plan: FeedPlan = this.feedReader === undefined ? { kind: 'unusable' } : this.feed.plan(feed, startWallMs);
          if (plan.kind === 'current' || plan.kind === 'pages') {
            const read = plan.kind === 'pages' ? await this.readFeedPages(plan, nowEpochSeconds, apply, signal) : undefined;
            if (read !== 'missing') {
              this.feed.advance(feed!);
              this.counters.feedSyncs++;
              this.counters.feedPages += plan.kind === 'pages' ? plan.last - plan.first + 1 : 0;
              source = 'feed';
              feedCoveredWallMs = Math.min(feed!.atMs, startWallMs);
              return read;
            }
          } else if (plan.kind === 'unusable' && (feed === undefined || (head.changedAtMs ?? -Infinity) > feed.atMs)) {
            // No feed, or one whose writer stopped before the ingest raised the change head again
            // (the feed was turned off, or its writer stopped): the head says when to query.
            if (!this.headShowsChange(head.changedAtMs, startWallMs, sinceMs)) return undefined;
          }
        }
        source = 'query';
        this.counters.changeQueries++;
        const queried = await this.reader.queryChanges(sinceMs, nowEpochSeconds, apply, signal);
        // The query read every write stamped up to its start minus the overlap: the feed's pages
        // that hold only such writes need not be read.
        this.feed.adopt(feed, startWallMs - overlapMs);
        return queried;
      });
      if (source === 'feed') this.coveredByFeed(feedCoveredWallMs, startWallMs, startMonoMs);
      else this.lastSuccessStartMonoMs = startMonoMs;
      if (source === 'query') {
        this.lastQueryStartWallMs = startWallMs;
        this.lastQueryStartMonoMs = startMonoMs;
      }
      this.counters.syncs++;
      if (this.failing) {
        this.failing = false;
        this.log.info('revocation sync recovered', { changed, source, items: summary?.items ?? 0 });
      } else if (changed > 0) {
        this.log.debug('revocation sync', {
          changed,
          source,
          items: summary?.items,
          durationMs: Math.round(this.monotonicNow() - startMonoMs),
        });
      }
    } catch (error) {
      this.counters.syncFailures++;
      this.error = error;
      this.failing = true;
      this.log.warn('revocation sync failed; answering from memory while within the staleness limit', {
        code: 'ERR_REVOCATION_STATE_UNAVAILABLE',
        viewAgeMs: Math.round(startMonoMs - this.lastSuccessStartMonoMs),
        maxStalenessMs: this.settings.maxStalenessMs,
        deadlineMs,
        applied: changed,
        error: describeError(error),
      });
    }
    this.sweepIfDue(startWallMs);
  }

  /**
   * The feed's pages `plan` names, applied, or 'missing' when one is not there (not replicated
   * yet, overwritten), cannot be decoded (logged) or the read failed (logged): the caller then
   * reads the change index, which holds every write the pages do. Rethrows only once the sync's
   * deadline passed.
   */
  private async readFeedPages(
    plan: { readonly first: number; readonly last: number },
    nowEpochSeconds: number,
    apply: (revocation: Revocation) => void,
    signal: AbortSignal,
  ): Promise<ReadSummary | 'missing'> {
    let read: Awaited<ReturnType<FeedReader['readPages']>>;
    try {
      read = await this.feedReader!.readPages(plan.first, plan.last, nowEpochSeconds, apply, signal);
    } catch (error) {
      if (signal.aborted) throw error;
      this.counters.feedMisses++;
      this.log.warn('change feed pages not read; reading the change index instead', {
        code: 'ERR_FEED_UNAVAILABLE',
        pages: `${plan.first}..${plan.last}`,
        error: describeError(error),
      });
      return 'missing';
    }
    if (read.missing === undefined) return read;
    this.counters.feedMisses++;
    if (read.refused !== undefined) {
      this.log.warn('change feed page not decodable; reading the change index instead', {
        code: 'ERR_FEED_PAGE_REFUSED',
        page: read.refused.seq,
        key: read.refused.key,
        reason: read.refused.problem.reason,
        error: read.refused.problem.message,
      });
    }
    return 'missing';
  }

  /**
   * Whether a change head read now names a write the last queries may have missed. Keeps the
   * largest head read: a replica that lags cannot move it back.
   */
  private headShowsChange(headMs: number | undefined, startWallMs: number, sinceMs: number): boolean {
    // A head ahead of this clock by more than the overlap is a writer's clock gone wrong (or
    // garbage): each new value still means "query", but counts as if written now, so it cannot
    // keep this instance querying for longer than a head written now would.
    if (headMs !== undefined && headMs > this.headReadMs) {
      this.headReadMs = headMs;
      this.headSeenMs = Math.max(this.headSeenMs, Math.min(headMs, startWallMs + this.settings.syncOverlapMs));
    }
    // Every write stamped up to sinceMs + 1 (the last query's start minus the overlap) is in
    // memory; a head at or below it names no write the last queries may have missed.
    return this.headSeenMs > sinceMs;
  }

  /**
   * Records a sync that followed the feed: the view now holds what the feed writer's read of the
   * change index that started at `coveredWallMs` found, so it is as fresh as that read, and the
   * next query (should the feed stop) reaches back from it. Never moves either time back: a head
   * replica that lags names an older read.
   */
  private coveredByFeed(coveredWallMs: number, startWallMs: number, startMonoMs: number): void {
    const coveredMonoMs = startMonoMs - (startWallMs - coveredWallMs);
    if (coveredMonoMs > this.lastSuccessStartMonoMs) this.lastSuccessStartMonoMs = coveredMonoMs;
    if (coveredWallMs > this.lastQueryStartWallMs) {
      this.lastQueryStartWallMs = coveredWallMs;
      this.lastQueryStartMonoMs = coveredMonoMs;
    }
  }

  /**
   * Records a complete read of the table that started at these times (a load): the view holds
   * every write stamped before it (less the overlap), and is fresh from it.
   */
  private coveredThrough(startWallMs: number, startMonoMs: number): void {
    this.lastSuccessStartMonoMs = startMonoMs;
    this.lastQueryStartWallMs = startWallMs;
    this.lastQueryStartMonoMs = startMonoMs;
  }

  /**
   * Runs a read with an overall deadline: the signal goes to every request of the read (the SDK
   * aborts a request whose signal fires, its body included), and the read is abandoned when the
   * deadline passes whether or not the request noticed. Rejects with
   * RevocationStateUnavailableError then. `kind` counts abandoned reads in a row (readDeadlineMs).
   */
  private async withDeadline<T>(
    deadlineMs: number,
    kind: 'load' | 'sync' | undefined,
    read: (signal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const expired = new Promise<never>((_, reject) => {
      // setTimeout fires at once for a delay past 2^31 - 1 ms: a staleness bound of weeks means no deadline.
      const delayMs = Math.min(deadlineMs, MAX_TIMER_MS);
      timer = setTimeout(() => {
        const error = new RevocationStateUnavailableError(`the read did not finish within its deadline of ${Math.round(deadlineMs)} ms`);
        if (kind !== undefined) this.abandoned[kind]++;
        controller.abort(error);
        reject(error);
      }, delayMs);
    });
    const reading = read(controller.signal);
    // Once abandoned, how the read ends no longer matters.
    reading.catch(() => {});
    try {
      const result = await Promise.race([reading, expired]);
      if (kind !== undefined) this.abandoned[kind] = 0;
      return result;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Sweeps expired entries (their expiry is wall-clock epoch seconds) at most every sweep interval (monotonic). */
  private sweepIfDue(nowMs: number): void {
    const monoMs = this.monotonicNow();
    if (monoMs - this.lastSweepMonoMs < this.sweepIntervalMs) return;
    this.lastSweepMonoMs = monoMs;
    this.counters.swept += this.cache.sweep(nowMs / 1000);
  }

  private newCache(): RevocationCache {
    return new RevocationCache({ cutoffRetentionSeconds: this.cutoffRetentionSeconds });
  }
}

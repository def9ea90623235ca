import { REVOCATION_TABLE_SCHEMA as SCHEMA } from '../contract/index.js';
import type { FeedHead, Revocation, RevocationReader } from '../revocation/index.js';
import { describeError, FeedFencedError, silentLog, type Log } from '../shared/index.js';
import { FEED_PAGE_MAX_BYTES, normaliseForFeed, splitIntoPages } from './feed-format.js';

/**
 * The change feed's one writer (docs/scale.md, "The change feed"): every interval it reads the
 * change index since its previous read (minus the sync overlap), drops what it published already,
 * publishes the rest as the next pages (every replica), then the new state to every head replica.
 * Pages 1 .. seq then hold every write stamped up to `at` minus the overlap, since the feed began.
 */
export class FeedWriter {
  private readonly overlapMs: number;
  private readonly intervalMs: number;
  private readonly now: () => number;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  private readonly maxPageBytes: number;
  private readonly log: Log;
  private state: WriterState | undefined;

  constructor(
    private readonly changes: Pick<RevocationReader, 'queryChanges'>,
    private readonly feed: FeedWriterStore,
    options: FeedWriterOptions,
  ) {
    this.overlapMs = options.overlapMs;
    this.intervalMs = options.intervalMs;
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? sleepUnlessAborted;
    this.maxPageBytes = options.maxPageBytes ?? FEED_PAGE_MAX_BYTES;
    this.log = options.log ?? silentLog;
  }

  /**
   * One step: the change index since the last read, new pages for what was not published yet, the
   * head (even when idle: readers take a head that stops moving for a dead writer). A page or head
   * replica another writer got to first (FeedFencedError) resets the state, so the next step
   * starts again from the head as the table holds it.
   * @throws what the reads and writes throw; the writer stays usable.
   */
  async step(signal?: AbortSignal): Promise<FeedStepReport> {
    const state = (this.state ??= await this.resume(signal));
    const previousAtMs = state.atMs;
    const startMs = this.now();
    const sinceMs = (state.atMs ?? startMs) - this.overlapMs - 1;
    const found: Revocation[] = [];
    await this.changes.queryChanges(sinceMs, startMs / 1000, (revocation) => found.push(revocation), signal);
    const endMs = this.now();
    const fresh = new Map<string, Revocation>();
    const skipped = new Set<string>();
    let normalised = 0;
    for (const revocation of found) {
      const key = dedupeKey(revocation);
      if (state.published.has(key) || fresh.has(key) || skipped.has(key)) continue;
      // The change index reads items leniently; what the encoder refuses must never stop the feed.
      const publishable = normaliseForFeed(revocation);
      if (publishable.ok) {
        fresh.set(key, publishable.revocation);
        if (publishable.changed) normalised++;
      } else {
        skipped.add(key);
        this.log.error('a revocation the change feed cannot carry was skipped', {
          code: 'ERR_FEED_ENTRY_SKIPPED',
          kind: String(revocation?.kind),
          field: publishable.problem.field,
          problem: publishable.problem.message,
        });
      }
    }
    if (normalised > 0) this.log.warn('revocations published with their times normalised for the feed', { count: normalised });
    const pages = splitIntoPages([...fresh.values()], this.maxPageBytes);
    try {
      for (const entries of pages) {
        await this.feed.writePage(state.seq + 1, entries, signal);
        state.seq++;
        state.seqAtMs = Math.max(state.seqAtMs, endMs);
        state.history.push({ seq: state.seq, seqAtMs: state.seqAtMs });
      }
      // A skipped one is marked too: the overlap's next reads return it again, and it is logged once.
      for (const key of [...fresh.keys(), ...skipped]) state.published.set(key, endMs);
      state.atMs = startMs;
      this.chooseBase(state, startMs);
      await this.feed.writeHead(
        { seq: state.seq, seqAtMs: state.seqAtMs, base: state.base, baseAtMs: state.baseAtMs, atMs: startMs },
        signal,
      );
    } catch (error) {
      if (error instanceof FeedFencedError) {
        this.state = undefined;
        this.log.warn('another feed writer is ahead; starting again from the head', { code: error.code, seq: state.seq });
      }
      throw error;
    }
    // No later read reaches back before startMs - overlap - 1, so no later read returns these again.
    for (const [key, markMs] of state.published) if (markMs < startMs - this.overlapMs - 1) state.published.delete(key);
    const publishedMs = this.now();
    return {
      pages: pages.length,
      entries: fresh.size,
      bytes: pages.reduce((sum, entries) => sum + Buffer.byteLength(entries, 'utf8'), 0),
      read: found.length,
      skipped: skipped.size,
      seq: state.seq,
      lagMs: publishedMs - (previousAtMs ?? startMs),
    };
  }

  /**
   * Steps every interval (sleeping what is left of it after each step) until `untilMs` (on this
   * writer's clock) or `signal`: no step starts at or after `untilMs`. A failed step is logged,
   * counted and reported to `onStep`; the next one tries again.
   */
  async run(untilMs: number, options: { signal?: AbortSignal; onStep?: (outcome: FeedStepOutcome) => void } = {}): Promise<FeedRunReport> {
    const report = { steps: 0, failures: 0, fenced: 0, pages: 0, entries: 0, maxLagMs: 0 };
    const { signal, onStep } = options;
    while (!signal?.aborted && this.now() < untilMs) {
      const stepStartMs = this.now();
      report.steps++;
      try {
        const step = await this.step(signal);
        report.pages += step.pages;
        report.entries += step.entries;
        report.maxLagMs = Math.max(report.maxLagMs, step.lagMs);
        onStep?.({ ok: true, report: step });
      } catch (error) {
        report.failures++;
        if (error instanceof FeedFencedError) report.fenced++;
        if (!signal?.aborted)
          this.log.error('change feed step failed', { error: describeError(error), code: (error as { code?: string }).code });
        onStep?.({ ok: false, error });
      }
      const remainingMs = Math.min(stepStartMs + this.intervalMs, untilMs) - this.now();
      if (remainingMs > 0 && !signal?.aborted) await this.sleep(remainingMs, signal);
    }
    return report;
  }

  /**
   * The state to continue from: head#0's (read consistently), past any pages written after it; with
   * no feed state in the head, after the highest page the ring holds (the state was removed to turn
   * the feed off, its pages were not: their slots' condition refuses every lower page).
   */
  private async resume(signal?: AbortSignal): Promise<WriterState> {
    const head = await this.feed.readHeadConsistent(signal);
    if (head === undefined) {
      const seq = await this.feed.readHighestPageSeqConsistent(signal);
      if (seq > 0) this.log.warn('feed pages found with no feed state in the head; continuing after them', { seq });
      // Those pages' stamps are unknown, but none is later than now.
      const seqAtMs = seq > 0 ? this.now() : 0;
      return { seq, seqAtMs, base: 0, baseAtMs: 0, atMs: undefined, history: seq > 0 ? [{ seq, seqAtMs }] : [], published: new Map() };
    }
    const state: WriterState = {
      seq: head.seq,
      seqAtMs: head.seqAtMs,
      base: head.base,
      baseAtMs: head.baseAtMs,
      atMs: head.atMs,
      history: [
        { seq: head.base, seqAtMs: head.baseAtMs },
        { seq: head.seq, seqAtMs: head.seqAtMs },
      ],
      published: new Map(),
    };
    // A writer that stopped between its pages and its head left pages the head does not count:
    // their numbers are taken (the page condition refuses other entries under them), so this
    // writer goes on after them. What they hold is stamped after the head's `at` minus the
    // overlap, so the first read (which reaches back that far, nothing marked published) publishes it again.
    for (let taken = 0; taken < SCHEMA.feed.slots; taken++) {
      if ((await this.feed.readPageSeqConsistent(state.seq + 1, signal)) !== state.seq + 1) break;
      state.seq++;
      // Its stamps are unknown, but none is later than now.
      state.seqAtMs = Math.max(state.seqAtMs, this.now());
      state.history.push({ seq: state.seq, seqAtMs: state.seqAtMs });
    }
    if (state.seq !== head.seq)
      this.log.warn('feed pages found beyond the head; continuing after them', { head: head.seq, seq: state.seq });
    return state;
  }

  /**
   * The base: the largest page whose seqAt is at least one overlap older than this read's start, so
   * a reader whose view holds every write up to baseAt skips pages 1 .. base. Older history goes.
   */
  private chooseBase(state: WriterState, startMs: number): void {
    let chosen: HistoryEntry | undefined;
    for (const entry of state.history)
      if (entry.seqAtMs <= startMs - this.overlapMs && (chosen === undefined || entry.seq > chosen.seq)) chosen = entry;
    if (chosen !== undefined && chosen.seq >= state.base) {
      state.base = chosen.seq;
      state.baseAtMs = chosen.seqAtMs;
    }
    state.history = state.history.filter((entry) => entry.seq >= state.base);
  }
}

/** What the writer needs of the feed's storage (FeedStore against the table). */
export interface FeedWriterStore {
  writePage(seq: number, entries: string, signal?: AbortSignal): Promise<void>;
  writeHead(state: FeedHead, signal?: AbortSignal): Promise<void>;
  readHeadConsistent(signal?: AbortSignal): Promise<FeedHead | undefined>;
  readPageSeqConsistent(seq: number, signal?: AbortSignal): Promise<number | undefined>;
  readHighestPageSeqConsistent(signal?: AbortSignal): Promise<number>;
}

export interface FeedWriterOptions {
  /** REVOCATION_SYNC_OVERLAP_MS: how far each read reaches back before the previous one began. */
  readonly overlapMs: number;
  /** FEED_INTERVAL_MS: from the start of one step to the start of the next. */
  readonly intervalMs: number;
  /** @default Date.now */
  readonly now?: () => number;
  /** Waits between steps; returns early when `signal` fires. @default setTimeout */
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** UTF-8 bytes of entries per page. @default FEED_PAGE_MAX_BYTES */
  readonly maxPageBytes?: number;
  /** @default silentLog */
  readonly log?: Log;
}

/** What one step did. */
export interface FeedStepReport {
  /** Pages written. */
  readonly pages: number;
  /** Revocations published in them. */
  readonly entries: number;
  /** UTF-8 bytes of the pages' entries, all pages. */
  readonly bytes: number;
  /** Revocations the change index returned (the overlap returns most of them again). */
  readonly read: number;
  /** New revocations the feed cannot carry even normalised (normaliseForFeed), each logged as an error. */
  readonly skipped: number;
  /** The last page published, as the head now says. */
  readonly seq: number;
  /**
   * From the start of the previous step's read to this step's head write: the longest a write
   * stamped after that read began could have waited to be published (FeedLagMs).
   */
  readonly lagMs: number;
}

export type FeedStepOutcome = { readonly ok: true; readonly report: FeedStepReport } | { readonly ok: false; readonly error: unknown };

/** What a run did, summed over its steps. */
export interface FeedRunReport {
  readonly steps: number;
  readonly failures: number;
  /** Failures because another writer was ahead. */
  readonly fenced: number;
  readonly pages: number;
  readonly entries: number;
  readonly maxLagMs: number;
}

interface HistoryEntry {
  readonly seq: number;
  readonly seqAtMs: number;
}

interface WriterState {
  seq: number;
  seqAtMs: number;
  base: number;
  baseAtMs: number;
  /** The start of the last complete read; undefined before the feed's first. */
  atMs: number | undefined;
  /** Recent pages and their seqAt, from the base on: where the next base is chosen. */
  history: HistoryEntry[];
  /** Dedupe key → end of the read that published it. */
  published: Map<string, number>;
}

/** An item's state as the change index returns it: a later write of the item changes it. */
export function dedupeKey(revocation: Revocation): string {
  return revocation.kind === 'jti'
    ? JSON.stringify([revocation.kind, revocation.issuer, revocation.jti, revocation.expiresAtEpochSeconds])
    : JSON.stringify([revocation.kind, revocation.issuer, revocation.id, revocation.revokedAtEpochMs, revocation.expiresAtEpochSeconds]);
}

function sleepUnlessAborted(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
  });
}

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { REVOCATION_TABLE_SCHEMA } from '../../../lambda/contract/index.js';
import {
  createRevocationChecker,
  type ChangeHead,
  type FeedHead,
  type FeedReader,
  type ReadSummary,
  type Revocation,
  type RevocationReader,
  type RevocationSettings,
} from '../../../lambda/revocation/index.js';
import { INTERVAL_MS, jtiRevocation, OVERLAP_MS, REPLICAS, rules, syncSettings, T0, token } from './sync-model.js';

/**
 * Following the change feed (docs/scale.md, "The change feed") against a model of the table and of
 * the feed writer as lambda/contract/table-schema.ts specifies it: writes are stamped when sent and
 * become visible in the change index up to the overlap later; the writer reads the index each
 * interval from its last read's start minus the overlap, publishes what it had not published as a
 * numbered page (one per step, in a ring of SCHEMA.feed.slots), then its state on every head
 * replica; each replica shows a page or a head write after its own lag. The view must apply every
 * write within a bound, and, once it follows the feed, read nothing but heads and pages.
 */

const MAX_LAG_MS = 5000;
const SLOTS = REVOCATION_TABLE_SCHEMA.feed.slots;
const settings: RevocationSettings = { ...syncSettings, feedMaxLagMs: MAX_LAG_MS };
const revocation = jtiRevocation;

interface ModelWrite {
  readonly jti: string;
  readonly stampMs: number;
  /** When the change index shows it to the view: at most the overlap after its stamp (the overlap's assumption). */
  readonly visibleMs: number;
  /**
   * When it shows it to the feed writer, if not then: index reads are eventually consistent, so two
   * readers may see a write at different times, each within the overlap.
   */
  readonly writerVisibleMs?: number;
}

/** Something a replica shows from `visibleMs` on. */
interface Replicated<T> {
  readonly value: T;
  readonly visibleMs: readonly number[];
}

class ModelTable implements RevocationReader, FeedReader {
  readonly writes: ModelWrite[] = [];
  readonly heads: Replicated<FeedHead>[] = [];
  readonly pages = new Map<number, Replicated<string[]>>();
  /** The change head as the ingest raises it (when it does). */
  changedAtMs: number | undefined;
  headReads = 0;
  pageReads = 0;
  /** While set, page reads fail (throttled, or denied before a grant arrives). */
  pagesFail = false;
  queries: number[] = [];
  private nextReplica = 0;

  constructor(private readonly clock: { ms: number }) {}

  scanLive(_segments: number, _now: number, visit: (revocation: Revocation) => void): Promise<ReadSummary> {
    const visible = this.writes.filter((write) => write.visibleMs <= this.clock.ms);
    for (const write of visible) visit(revocation(write.jti));
    return Promise.resolve({ items: visible.length, expired: 0, skipped: 0 });
  }

  queryChanges(sinceMs: number, _now: number, visit: (revocation: Revocation) => void): Promise<ReadSummary> {
    this.queries.push(sinceMs);
    const found = this.found(sinceMs);
    for (const write of found) visit(revocation(write.jti));
    return Promise.resolve({ items: found.length, expired: 0, skipped: 0 });
  }

  /** What a query of the index since `sinceMs` finds now, as the view or as the feed writer. */
  found(sinceMs: number, byWriter = false): ModelWrite[] {
    return this.writes.filter(
      (write) => (byWriter ? (write.writerVisibleMs ?? write.visibleMs) : write.visibleMs) <= this.clock.ms && write.stampMs > sinceMs,
    );
  }

  readHead(): Promise<ChangeHead> {
    this.headReads++;
    const replica = this.pick();
    const shown = this.heads.filter((head) => head.visibleMs[replica]! <= this.clock.ms).map((head) => head.value);
    const latest = shown.reduce<FeedHead | undefined>(
      (best, head) => (best === undefined || head.atMs > best.atMs ? head : best),
      undefined,
    );
    return Promise.resolve({ changedAtMs: this.changedAtMs, feed: latest });
  }

  readPages(first: number, last: number, _now: number, visit: (revocation: Revocation) => void) {
    if (this.pagesFail) return Promise.reject(new Error('ProvisionedThroughputExceededException'));
    let missing: number | undefined;
    let items = 0;
    const newest = Math.max(0, ...this.pages.keys());
    for (let seq = first; seq <= last && missing === undefined; seq++) {
      this.pageReads++;
      const replica = this.pick();
      const page = this.pages.get(seq);
      // The slot holds this page only once the replica shows it, and until page seq + SLOTS replaced it.
      if (page === undefined || page.visibleMs[replica]! > this.clock.ms || newest >= seq + SLOTS) missing = seq;
      else for (const jti of page.value) (items++, visit(revocation(jti)));
    }
    return Promise.resolve({ items, expired: 0, skipped: 0, missing });
  }

  getForToken(): Promise<Revocation[]> {
    return Promise.reject(new Error('not modelled'));
  }

  private pick(): number {
    const replica = this.nextReplica;
    this.nextReplica = (this.nextReplica + 1) % REPLICAS;
    return replica;
  }
}

/** The feed writer's step, as the table contract specifies it; `lags` gives each replica's lag per write. */
class ModelFeedWriter {
  private seq = 0;
  private seqAtMs = 0;
  private base = 0;
  private baseAtMs = 0;
  private atMs: number | undefined;
  private readonly history: { seq: number; seqAtMs: number }[] = [];
  private readonly published = new Set<string>();

  constructor(
    private readonly table: ModelTable,
    private readonly clock: { ms: number },
    private readonly lags: () => number[],
  ) {}

  step(): void {
    const startMs = this.clock.ms;
    const sinceMs = (this.atMs ?? startMs) - OVERLAP_MS - 1;
    const fresh = this.table.found(sinceMs, true).filter((write) => !this.published.has(write.jti));
    if (fresh.length > 0) {
      this.seq++;
      this.seqAtMs = startMs;
      this.history.push({ seq: this.seq, seqAtMs: startMs });
      this.table.pages.set(this.seq, { value: fresh.map((write) => write.jti), visibleMs: this.lags().map((lag) => startMs + lag) });
      for (const write of fresh) this.published.add(write.jti);
    }
    const base = this.history.filter((page) => page.seqAtMs <= startMs - OVERLAP_MS).at(-1);
    if (base !== undefined) ({ seq: this.base, seqAtMs: this.baseAtMs } = base);
    this.atMs = startMs;
    const head = { seq: this.seq, seqAtMs: this.seqAtMs, base: this.base, baseAtMs: this.baseAtMs, atMs: startMs };
    this.table.heads.push({ value: head, visibleMs: this.lags().map((lag) => startMs + lag) });
  }
}

function setup(options: { replicaLagMs?: () => number[]; writerPhaseMs?: number; overrides?: Partial<RevocationSettings> } = {}) {
  const clock = { ms: T0 };
  const table = new ModelTable(clock);
  const lags = options.replicaLagMs ?? (() => Array.from({ length: REPLICAS }, () => 0));
  let writer = new ModelFeedWriter(table, clock, lags);
  const checker = createRevocationChecker({
    reader: table,
    feedReader: table,
    settings: { ...settings, ...options.overrides },
    rules,
    now: () => clock.ms,
    monotonicNow: () => clock.ms,
  });
  let writerRunning = true;
  const writerPhaseMs = options.writerPhaseMs ?? 500;
  /** Advances time in steps of `INTERVAL_MS`, the writer stepping at its phase, the view syncing on each whole interval. */
  const runUntil = async (untilMs: number, each: () => void = () => {}) => {
    while (clock.ms + INTERVAL_MS <= untilMs) {
      if (writerRunning) {
        clock.ms += writerPhaseMs;
        writer.step();
        clock.ms += INTERVAL_MS - writerPhaseMs;
      } else clock.ms += INTERVAL_MS;
      await checker.view.sync();
      each();
    }
  };
  /** The feed begun again from nothing: its state and its pages gone, a writer with no memory. */
  const restartFeed = () => {
    table.heads.length = 0;
    table.pages.clear();
    writer = new ModelFeedWriter(table, clock, lags);
  };
  return { clock, table, writer, checker, view: checker.view, runUntil, restartFeed, stopWriter: () => (writerRunning = false) };
}

describe('following the change feed', () => {
  it('queries once to find its place, then reads one head per interval and nothing else while nothing changes', async () => {
    const { table, checker, view, runUntil } = setup();
    await checker.load();

    await runUntil(T0 + 60_000);

    expect(table.queries).toHaveLength(1);
    expect(table.headReads).toBe(60);
    expect(table.pageReads).toBe(0);
    expect(view.counters).toMatchObject({ syncs: 60, changeQueries: 1, feedSyncs: 59 });
    expect(view.isFresh()).toBe(true);
  });

  it('reads each new page once under steady traffic, and queries the index no more', async () => {
    // Prepare: a revocation every interval, for a minute.
    const { clock, table, checker, view, runUntil } = setup();
    await checker.load();
    let next = 0;

    // Act
    await runUntil(T0 + 60_000, () => table.writes.push({ jti: `steady-${next++}`, stampMs: clock.ms, visibleMs: clock.ms + 200 }));

    // Assess: every write but those of the last two intervals is applied; one page per writer step.
    for (let i = 0; i < next - 2; i++) expect(view.lookup(token(`steady-${i}`), clock.ms), `steady-${i}`).toBe('revoked_jti');
    expect(table.queries.length).toBeLessThanOrEqual(2);
    expect(view.counters.feedPages).toBeGreaterThanOrEqual(55);
    expect(table.pageReads).toBe(view.counters.feedPages);
  });

  it('queries the index on every sync once the writer stops, since no one raises the head then', async () => {
    const { clock, table, checker, view, runUntil, stopWriter } = setup();
    await checker.load();
    await runUntil(T0 + 10_000);
    stopWriter();

    table.writes.push({ jti: 'after-the-writer', stampMs: clock.ms + 100, visibleMs: clock.ms + 200 });
    await runUntil(T0 + 20_000);

    // Followed until its last head was MAX_LAG_MS old, then a query per sync.
    expect(view.lookup(token('after-the-writer'), clock.ms)).toBe('revoked_jti');
    expect(table.queries.length).toBeGreaterThanOrEqual(10 - MAX_LAG_MS / INTERVAL_MS);
    expect(view.isFresh()).toBe(true);
  });

  it('goes back to the change head once the ingest raises it past the stopped feed (the feed turned off)', async () => {
    const { clock, table, checker, view, runUntil, stopWriter } = setup();
    await checker.load();
    await runUntil(T0 + 10_000);
    stopWriter();
    await runUntil(T0 + 20_000);
    const queriesWhileStale = table.queries.length;

    // The ingest raises the head again with its next batch.
    table.writes.push({ jti: 'after-the-feed', stampMs: clock.ms + 100, visibleMs: clock.ms + 200 });
    table.changedAtMs = clock.ms + 100;
    await runUntil(T0 + 50_000);

    // Queried for an overlap after the head moved, then heads only.
    expect(queriesWhileStale).toBeGreaterThanOrEqual(5);
    expect(view.lookup(token('after-the-feed'), clock.ms)).toBe('revoked_jti');
    expect(table.queries.length - queriesWhileStale).toBeLessThanOrEqual(2 + OVERLAP_MS / INTERVAL_MS);
  });

  it('takes its place in the feed and follows it although the change head is ahead of the feed (an ingest clock running fast)', async () => {
    const { clock, table, checker, view, runUntil } = setup();
    table.changedAtMs = T0 + 3_600_000;
    await checker.load();
    await runUntil(T0 + 20_000);
    table.writes.push({ jti: 'under-a-fast-head', stampMs: clock.ms + 100, visibleMs: clock.ms + 200 });
    const queriesBefore = table.queries.length;

    await runUntil(T0 + 40_000);

    expect(view.lookup(token('under-a-fast-head'), clock.ms)).toBe('revoked_jti');
    expect(view.counters.feedSyncs).toBeGreaterThanOrEqual(35);
    expect(table.queries.length - queriesBefore).toBe(0);
  });

  it('finds its place again in a feed begun anew (state and pages removed), and reads its new pages', async () => {
    // Prepare: follow past page 5, then the feed starts over from page 1.
    const { clock, table, checker, view, runUntil, restartFeed } = setup();
    await checker.load();
    await runUntil(T0 + 3000);
    for (let i = 0; i < 6; i++) {
      table.writes.push({ jti: `first-feed-${i}`, stampMs: clock.ms + 100, visibleMs: clock.ms + 200 });
      await runUntil(clock.ms + INTERVAL_MS);
    }
    const followedBefore = view.counters.feedSyncs;
    restartFeed();

    // Act
    await runUntil(clock.ms + 10 * INTERVAL_MS);
    table.writes.push({ jti: 'second-feed', stampMs: clock.ms + 100, visibleMs: clock.ms + 200 });
    const queriesBefore = table.queries.length;
    await runUntil(clock.ms + 3 * INTERVAL_MS);

    // Assess: read from the new feed's pages, not skipped as pages it held already.
    expect(followedBefore).toBeGreaterThan(5);
    expect(view.lookup(token('second-feed'), clock.ms)).toBe('revoked_jti');
    expect(table.queries.length).toBe(queriesBefore);
  });

  it('reads the change index when the pages cannot be read, and follows the feed again after', async () => {
    const { clock, table, checker, view, runUntil } = setup();
    await checker.load();
    await runUntil(T0 + 5000);
    table.pagesFail = true;

    table.writes.push({ jti: 'pages-unreadable', stampMs: clock.ms + 100, visibleMs: clock.ms + 200 });
    await runUntil(T0 + 8000);
    const whileFailing = view.lookup(token('pages-unreadable'), clock.ms);
    table.pagesFail = false;
    await runUntil(T0 + 20_000);

    expect(whileFailing).toBe('revoked_jti');
    expect(view.counters).toMatchObject({ syncFailures: 0 });
    expect(view.counters.feedMisses).toBeGreaterThan(0);
    expect(view.isFresh()).toBe(true);
  });

  it('does not follow a feed whose writer clock runs ahead of this instance', async () => {
    const { table, checker, view, runUntil } = setup({ writerPhaseMs: 500 });
    await checker.load();
    table.heads.push({
      value: { seq: 0, seqAtMs: 0, base: 0, baseAtMs: 0, atMs: T0 + 3_600_000 },
      visibleMs: Array.from({ length: REPLICAS }, () => T0),
    });

    await runUntil(T0 + 10_000);

    expect(view.counters.feedSyncs).toBe(0);
    expect(table.queries).toHaveLength(10);
  });

  it('queries, then follows again, when more than a ring of pages went by since its position', async () => {
    // Prepare: follow, then miss SLOTS + 5 pages (the syncs fail), then sync again.
    const { clock, table, checker, view, runUntil, writer } = setup();
    await checker.load();
    await runUntil(T0 + 5000);
    const followed = view.counters.feedSyncs;
    for (let i = 0; i < SLOTS + 5; i++) {
      clock.ms += INTERVAL_MS;
      table.writes.push({ jti: `burst-${i}`, stampMs: clock.ms - 600, visibleMs: clock.ms - 500 });
      writer.step();
    }

    // Act
    await runUntil(clock.ms + 10 * INTERVAL_MS);

    // Assess
    expect(followed).toBeGreaterThan(0);
    for (let i = 0; i < SLOTS + 5; i++) expect(view.lookup(token(`burst-${i}`), clock.ms), `burst-${i}`).toBe('revoked_jti');
    expect(table.queries.length).toBeGreaterThanOrEqual(2);
    expect(view.counters.feedSyncs).toBeGreaterThan(followed);
  });

  it('is never made older by a head replica that lags, nor by a page not yet on the replica read', async () => {
    // Replica 0 shows everything at once, the others 2.5 s late.
    const { clock, table, checker, view, runUntil } = setup({ replicaLagMs: () => [0, 2500, 2500, 2500] });
    await checker.load();
    let worstAgeMs = 0;
    table.writes.push({ jti: 'lagged', stampMs: T0 + 3100, visibleMs: T0 + 3200 });

    await runUntil(T0 + 30_000, () => (worstAgeMs = Math.max(worstAgeMs, view.viewAgeMs())));

    expect(view.lookup(token('lagged'), clock.ms)).toBe('revoked_jti');
    expect(worstAgeMs).toBeLessThanOrEqual(MAX_LAG_MS + INTERVAL_MS);
    expect(view.counters.feedMisses).toBeGreaterThan(0);
  });

  it('applies every write within its bound, whatever the stamps, index lag and replica lags (model check)', async () => {
    // The bound: the writer's next step after the index shows it a write publishes it (or a query
    // of the view reads it, once the index shows it the view), every replica shows the page and the head within the lag, and the next
    // sync after that reads it, or finds it missing and queries the index, which shows it.
    const MAX_REPLICA_LAG_MS = 1500;
    const writeArbitrary = fc.record({
      stampOffsetMs: fc.integer({ min: 0, max: 40_000 }),
      writeLatencyMs: fc.integer({ min: 0, max: 3000 }),
      indexLagMs: fc.integer({ min: 0, max: OVERLAP_MS }),
      writerIndexLagMs: fc.integer({ min: 0, max: OVERLAP_MS }),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.array(writeArbitrary, { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 1, max: 999 }),
        fc.integer({ min: 0, max: 2 ** 31 }),
        async (writes, writerPhaseMs, seed) => {
          let state = seed;
          const random = () => ((state = (state * 1_103_515_245 + 12_345) % 2 ** 31), state / 2 ** 31);
          const replicaLagMs = () => Array.from({ length: REPLICAS }, () => Math.floor(random() * MAX_REPLICA_LAG_MS));
          const { clock, table, checker, view, runUntil } = setup({ replicaLagMs, writerPhaseMs });
          await checker.load();
          const model = writes.map((write, index) => {
            const stampMs = T0 + 1000 + write.stampOffsetMs;
            return {
              jti: `w${index}`,
              stampMs,
              visibleMs: Math.min(stampMs + OVERLAP_MS, stampMs + write.writeLatencyMs + write.indexLagMs),
              writerVisibleMs: Math.min(stampMs + OVERLAP_MS, stampMs + write.writeLatencyMs + write.writerIndexLagMs),
            };
          });
          table.writes.push(...model);
          const appliedAtMs = new Map<string, number>();
          await runUntil(T0 + 1000 + 40_000 + OVERLAP_MS + 10 * INTERVAL_MS, () => {
            for (const write of model)
              if (!appliedAtMs.has(write.jti) && view.lookup(token(write.jti), clock.ms)) appliedAtMs.set(write.jti, clock.ms);
          });
          for (const write of model) {
            const shownMs = Math.max(write.visibleMs, write.writerVisibleMs);
            expect(appliedAtMs.get(write.jti), write.jti).toBeLessThanOrEqual(shownMs + 3 * INTERVAL_MS + MAX_REPLICA_LAG_MS);
          }
          expect(view.counters.feedSyncs).toBeGreaterThan(0);
        },
      ),
      { seed: 0xfeed, numRuns: 150 },
    );
  });
});

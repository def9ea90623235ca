import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createRevocationChecker,
  type ChangeHead,
  type ReadSummary,
  type Revocation,
  type RevocationReader,
  type RevocationSettings,
} from '../../../lambda/revocation/index.js';
import { FULL_SYNC_MS, INTERVAL_MS, jtiRevocation, OVERLAP_MS, REPLICAS, rules, syncSettings, T0, token } from './sync-model.js';

/**
 * The change head (docs/design.md, "The change head") against a model of the table: writes are
 * stamped when sent, become visible in the change index some time later (at most the overlap after
 * their stamp: the assumption the overlap stands for), and raise the head once their batch has
 * completed; each head replica shows a raise after its own replication lag, or never (a writer that
 * failed to raise it). The view must apply every write within a bound, and read nothing but the head
 * while nothing changes.
 */

const settings = syncSettings;

/** One write as the model sees it: when it was stamped, when the index shows it, when each head replica does. */
interface ModelWrite {
  readonly jti: string;
  readonly stampMs: number;
  readonly visibleMs: number;
  /** Per replica: when the head raise for this write's batch shows there; Infinity when it never does. */
  readonly headVisibleMs: readonly number[];
}

class ModelTable implements RevocationReader {
  readonly writes: ModelWrite[] = [];
  headReads = 0;
  queries: number[] = [];
  /** Which replica the next head read picks. */
  nextReplica = 0;

  constructor(private readonly clock: { ms: number }) {}

  private revocation(write: ModelWrite): Revocation {
    return jtiRevocation(write.jti);
  }

  scanLive(_segments: number, _now: number, visit: (revocation: Revocation) => void): Promise<ReadSummary> {
    const visible = this.writes.filter((write) => write.visibleMs <= this.clock.ms);
    for (const write of visible) visit(this.revocation(write));
    return Promise.resolve({ items: visible.length, expired: 0, skipped: 0 });
  }

  queryChanges(sinceMs: number, _now: number, visit: (revocation: Revocation) => void): Promise<ReadSummary> {
    this.queries.push(sinceMs);
    const found = this.writes.filter((write) => write.visibleMs <= this.clock.ms && write.stampMs > sinceMs);
    for (const write of found) visit(this.revocation(write));
    return Promise.resolve({ items: found.length, expired: 0, skipped: 0 });
  }

  readHead(): Promise<ChangeHead> {
    this.headReads++;
    const replica = this.nextReplica;
    this.nextReplica = (this.nextReplica + 1) % REPLICAS;
    const shown = this.writes.filter((write) => write.headVisibleMs[replica]! <= this.clock.ms).map((write) => write.stampMs);
    return Promise.resolve({ changedAtMs: shown.length === 0 ? undefined : Math.max(...shown), feed: undefined });
  }

  getForToken(): Promise<Revocation[]> {
    return Promise.reject(new Error('not modelled'));
  }
}

function setup(overrides: Partial<RevocationSettings> = {}) {
  const clock = { ms: T0 };
  const table = new ModelTable(clock);
  const checker = createRevocationChecker({
    reader: table,
    settings: { ...settings, ...overrides },
    rules,
    now: () => clock.ms,
    monotonicNow: () => clock.ms,
  });
  /** Runs one sync per interval until `untilMs`. */
  const runUntil = async (untilMs: number) => {
    while (clock.ms + INTERVAL_MS <= untilMs) {
      clock.ms += INTERVAL_MS;
      await checker.view.sync();
    }
  };
  return { clock, table, checker, view: checker.view, runUntil };
}

const everywhere = (ms: number) => Array.from({ length: REPLICAS }, () => ms);

describe('the change head', () => {
  it('reads one head replica per interval and queries nothing while the head does not move', async () => {
    const { table, checker, view, runUntil } = setup();
    await checker.load();

    await runUntil(T0 + 50_000);

    expect(table.headReads).toBe(50);
    expect(table.queries).toEqual([]);
    expect(view.counters).toMatchObject({ syncs: 50, headReads: 50, changeQueries: 0 });
    expect(view.isFresh()).toBe(true);
  });

  it('queries once the head shows a write, and again each interval until a query started an overlap after it', async () => {
    // Prepare: a write stamped at +10.2 s, in the index only at +14 s (index lag), its head raised at +10.3 s.
    const { clock, table, checker, view, runUntil } = setup();
    await checker.load();
    await runUntil(T0 + 10_000);
    table.writes.push({ jti: 'lagging', stampMs: T0 + 10_200, visibleMs: T0 + 14_000, headVisibleMs: everywhere(T0 + 10_300) });

    // Act
    await runUntil(T0 + 13_000);
    const revokedBeforeVisible = view.lookup(token('lagging'), clock.ms);
    await runUntil(T0 + 30_000);

    // Assess: queried at +11 s .. +16 s (the last one started 5 s after the head, so everything it names is read), then only heads.
    expect(revokedBeforeVisible).toBeUndefined();
    expect(view.lookup(token('lagging'), clock.ms)).toBe('revoked_jti');
    expect(table.queries).toHaveLength(6);
    expect(table.queries[0]).toBe(T0 - OVERLAP_MS - 1);
    expect(view.counters.changeQueries).toBe(6);
  });

  it('is not moved back by a replica that lags behind the one read before it', async () => {
    // Prepare: replica 0 shows the head at once, the others only 20 s later; the index shows the write late.
    const { clock, table, checker, view, runUntil } = setup();
    await checker.load();
    await runUntil(T0 + 2000);
    table.writes.push({
      jti: 'seen-once',
      stampMs: T0 + 2100,
      visibleMs: T0 + 6500,
      headVisibleMs: [T0 + 2100, T0 + 22_100, T0 + 22_100, T0 + 22_100],
    });

    // Act
    await runUntil(T0 + 8000);

    // Assess
    expect(view.lookup(token('seen-once'), clock.ms)).toBe('revoked_jti');
  });

  it('queries every REVOCATION_FULL_SYNC_INTERVAL_MS even when no head shows a write, reaching back to the last query', async () => {
    // Prepare: a write whose batch never raised the head (the writer failed after its writes).
    const { clock, table, checker, view, runUntil } = setup();
    await checker.load();
    table.writes.push({ jti: 'headless', stampMs: T0 + 1500, visibleMs: T0 + 1600, headVisibleMs: everywhere(Infinity) });

    // Act
    await runUntil(T0 + FULL_SYNC_MS - INTERVAL_MS);
    const beforeFullSync = view.lookup(token('headless'), clock.ms);
    await runUntil(T0 + FULL_SYNC_MS);

    // Assess: the full sync replaced that interval's head read, and reached back to the load.
    expect(beforeFullSync).toBeUndefined();
    expect(view.lookup(token('headless'), clock.ms)).toBe('revoked_jti');
    expect(table.queries).toEqual([T0 - OVERLAP_MS - 1]);
    expect(table.headReads).toBe(FULL_SYNC_MS / INTERVAL_MS - 1);
  });

  it('stops querying an overlap after a head stamped far in the future, rather than until that time', async () => {
    const { table, checker, runUntil } = setup();
    await checker.load();
    table.writes.push({ jti: 'fast-clock', stampMs: T0 + 3_600_000, visibleMs: T0, headVisibleMs: everywhere(T0) });

    await runUntil(T0 + 40_000);

    // The head counts as at most now + overlap when read (+1 s): queries at +1 s .. +12 s, then heads only.
    expect(table.queries.length).toBeGreaterThan(0);
    expect(table.queries.length).toBeLessThanOrEqual(2 + (2 * OVERLAP_MS) / INTERVAL_MS);
  });

  it('queries on every sync when the reader has no head, as before the head existed', async () => {
    const { clock, checker, view } = setup();
    const table = new ModelTable(clock);
    const headless = createRevocationChecker({
      reader: {
        scanLive: table.scanLive.bind(table),
        queryChanges: table.queryChanges.bind(table),
        getForToken: table.getForToken.bind(table),
      },
      settings,
      rules,
      now: () => clock.ms,
      monotonicNow: () => clock.ms,
    });
    await Promise.all([checker.load(), headless.load()]);

    for (let i = 0; i < 5; i++) {
      clock.ms += INTERVAL_MS;
      await headless.view.sync();
    }

    expect(table.queries).toHaveLength(5);
    expect(view.counters.changeQueries).toBe(0);
  });

  it('applies every write within its bound, whatever the order of stamps, index lag, head raises and replica lag (model check)', async () => {
    // The bound: once the index shows the write and some replica shows its head, the next query of
    // a sync at most one interval later reads it, plus one interval for a replica read that lags;
    // a write whose head is never raised waits for the next full sync.
    const writeArbitrary = fc.record({
      stampOffsetMs: fc.integer({ min: 0, max: 60_000 }),
      // Stamp to acknowledged write (the ingest's timeouts bound it at 3 s), then the index's own lag.
      writeLatencyMs: fc.integer({ min: 0, max: 3000 }),
      indexLagMs: fc.integer({ min: 0, max: OVERLAP_MS }),
      headDelayMs: fc.integer({ min: 0, max: 8000 }),
      replicaLagsMs: fc.array(fc.integer({ min: 0, max: 1500 }), { minLength: REPLICAS, maxLength: REPLICAS }),
      headRaised: fc.boolean(),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.array(writeArbitrary, { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 0, max: 999 }),
        async (writes, phaseMs) => {
          const { clock, table, checker, view } = setup();
          await checker.load();
          clock.ms += phaseMs;
          const model: ModelWrite[] = writes.map((write, index) => {
            const stampMs = T0 + 1000 + write.stampOffsetMs;
            const completedMs = stampMs + write.writeLatencyMs;
            return {
              jti: `w${index}`,
              stampMs,
              // The overlap's assumption: the index shows a write at most the overlap after its stamp.
              visibleMs: Math.min(stampMs + OVERLAP_MS, completedMs + write.indexLagMs),
              headVisibleMs: write.replicaLagsMs.map((lagMs) => (write.headRaised ? completedMs + write.headDelayMs + lagMs : Infinity)),
            };
          });
          table.writes.push(...model);
          const appliedAtMs = new Map<string, number>();
          const endMs = T0 + 1000 + 60_000 + OVERLAP_MS + FULL_SYNC_MS + 3 * INTERVAL_MS;
          while (clock.ms < endMs) {
            clock.ms += INTERVAL_MS;
            await view.sync();
            for (const write of model)
              if (!appliedAtMs.has(write.jti) && view.lookup(token(write.jti), clock.ms)) appliedAtMs.set(write.jti, clock.ms);
          }
          for (const write of model) {
            const headShownMs = Math.min(...write.headVisibleMs);
            const boundMs = Number.isFinite(headShownMs)
              ? Math.max(write.visibleMs, Math.max(...write.headVisibleMs)) + 2 * INTERVAL_MS
              : write.visibleMs + FULL_SYNC_MS + 2 * INTERVAL_MS;
            expect(appliedAtMs.get(write.jti), write.jti).toBeLessThanOrEqual(boundMs);
          }
        },
      ),
      { seed: 0x4ead, numRuns: 150 },
    );
  });
});

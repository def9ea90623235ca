import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  createRevocationChecker,
  type ReadSummary,
  type RevocableToken,
  type Revocation,
  type RevocationReader,
  type RevocationSettings,
  sessionRevocation,
  type TokenKeys,
} from '../../../lambda/revocation/index.js';
import { RevocationStateUnavailableError } from '../../../lambda/shared/index.js';
import { LogRecorder } from '../../support/log-recorder.js';

const ISS = 'https://issuer.example.com/';
const T0 = 1_800_000_000_000;
const settings: RevocationSettings = {
  tableName: 'unused',
  syncIntervalMs: 1000,
  maxStalenessMs: 5000,
  failMode: 'closed',
  consistency: 'eventual',
  scanSegments: 1,
  syncOverlapMs: 0,
};
const rules = { maxTokenLifetimeSeconds: 3600, clockToleranceSeconds: 60 };
const token = (tokenId: string): RevocableToken => ({
  issuer: ISS,
  revocationIds: { jti: tokenId, subject: 'alice', client: 'app', signatures: [], session: undefined },
  issuedAtEpochSeconds: T0 / 1000 - 10,
});
const revoked = (jti: string): Revocation => ({ kind: 'jti', issuer: ISS, jti, expiresAtEpochSeconds: T0 / 1000 + 600 });
/** A token of this session (its stored id), issued `iatOffsetSeconds` from T0. */
const ofSession = (session: string | undefined, iatOffsetSeconds = -10): RevocableToken => ({
  issuer: ISS,
  revocationIds: { jti: `token-${iatOffsetSeconds}`, subject: 'alice', client: 'app', signatures: [], session },
  issuedAtEpochSeconds: T0 / 1000 + iatOffsetSeconds,
});

/** A table in memory: scans and delta reads see what was added, and it can be made to fail. */
class MemoryReader implements RevocationReader {
  readonly items: Revocation[] = [];
  failing = false;
  reads = 0;
  readonly sinces: number[] = [];
  private read(visit: (revocation: Revocation) => void): Promise<ReadSummary> {
    this.reads++;
    if (this.failing) return Promise.reject(new Error('ECONNREFUSED'));
    for (const item of this.items) visit(item);
    return Promise.resolve({ items: this.items.length, expired: 0, skipped: 0 });
  }
  scanLive(_segments: number, _now: number, visit: (revocation: Revocation) => void) {
    return this.read(visit);
  }
  queryChanges(since: number, _now: number, visit: (revocation: Revocation) => void, _signal?: AbortSignal): Promise<ReadSummary> {
    this.sinces.push(since);
    return this.read(visit);
  }
  async getForToken(keys: TokenKeys): Promise<Revocation[]> {
    this.reads++;
    if (this.failing) throw new Error('ECONNREFUSED');
    const ids = keys.revocationIds;
    return this.items.filter((item) => (item.kind === 'jti' ? item.jti === ids.jti : item.kind === 'session' && item.id === ids.session));
  }
}

function setup(overrides: Partial<RevocationSettings> = {}) {
  const reader = new MemoryReader();
  const clock = { ms: T0 };
  const log = new LogRecorder();
  const checker = createRevocationChecker({
    reader,
    settings: { ...settings, ...overrides },
    rules,
    log,
    now: () => clock.ms,
    monotonicNow: () => clock.ms,
  });
  return { reader, clock, log, checker, view: checker.view };
}

describe('RevocationView freshness', () => {
  it('is fresh from a successful read until the staleness limit, inclusive', async () => {
    const { view, checker } = setup();
    expect(view.isFresh(T0)).toBe(false);

    await checker.load();

    expect(view.isFresh(T0 + 5000)).toBe(true);
    expect(view.isFresh(T0 + 5001)).toBe(false);
    expect(view.viewAgeMs(T0 + 5001)).toBe(5001);
  });

  it('has a read due once the sync interval has passed since the last attempt', async () => {
    const { view, checker } = setup();
    await checker.load();

    expect(view.isSyncDue(T0 + 999)).toBe(false);
    expect(view.isSyncDue(T0 + 1000)).toBe(true);
    expect(view.isCurrent(T0 + 999)).toBe(true);
    expect(view.isCurrent(T0 + 1000)).toBe(false);
  });
});

describe('RevocationView clocks', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('runs intervals and ages on the monotonic clock: a wall clock stepped back neither stops syncs nor keeps a view fresh', async () => {
    const reader = new MemoryReader();
    const clock = { wallMs: T0, monoMs: 0 };
    const checker = createRevocationChecker({ reader, settings, rules, now: () => clock.wallMs, monotonicNow: () => clock.monoMs });
    await checker.load();

    clock.wallMs -= 300_000;
    clock.monoMs += 1000;
    const dueAfterStep = checker.view.isSyncDue();
    clock.monoMs += 5001;
    const freshAfterStep = checker.view.isFresh();

    expect(dueAfterStep).toBe(true);
    expect(freshAfterStep).toBe(false);
  });

  it('starts a delta read no later than the last one, even when the wall clock jumped ahead for it and came back', async () => {
    // Prepare: loaded at T0; a sync while the wall clock is 10 minutes ahead; then the clock is back.
    const reader = new MemoryReader();
    const clock = { wallMs: T0, monoMs: 0 };
    const checker = createRevocationChecker({ reader, settings, rules, now: () => clock.wallMs, monotonicNow: () => clock.monoMs });
    await checker.load();
    clock.wallMs = T0 + 600_000 + 1000;
    clock.monoMs = 1000;
    await checker.view.sync();

    // Act
    clock.wallMs = T0 + 2000;
    clock.monoMs = 2000;
    await checker.view.sync();

    // Assess: the second read reaches back to the real start of the first (T0 + 1000), not 10 minutes ahead of it.
    expect(reader.sinces).toEqual([T0 - 1, T0 + 1000 - 1]);
  });

  it('gives a sync of a fresh view until it turns stale, at most the cap, a stale one the cap, and a load at least the staleness bound', async () => {
    const { view, checker, clock } = setup({ maxStalenessMs: 3000 });
    await checker.load();

    expect(view.readDeadlineMs('load')).toBe(5000);
    expect(view.readDeadlineMs('sync', clock.ms + 1000)).toBe(2000);
    expect(view.readDeadlineMs('sync', clock.ms + 3001)).toBe(5000);
    expect(setup({ maxStalenessMs: 60_000 }).view.readDeadlineMs('sync')).toBe(5000);
    expect(setup({ maxStalenessMs: 60_000 }).view.readDeadlineMs('load')).toBe(60_000);
  });

  it('doubles the deadline of a stale view’s sync after each one abandoned in a row, so a slow read still finishes, and resets it on success', async () => {
    // Prepare: delta reads hang until aborted, unless answering.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const reader = new MemoryReader();
    let hang = true;
    const original = reader.queryChanges.bind(reader);
    reader.queryChanges = (since, now, visit, signal) =>
      hang
        ? new Promise<ReadSummary>((_, reject) => signal?.addEventListener('abort', () => reject(signal.reason)))
        : original(since, now, visit);
    const clock = { ms: 0 };
    const checker = createRevocationChecker({
      reader,
      settings: { ...settings, syncIntervalMs: 1, maxStalenessMs: 40 },
      rules,
      monotonicNow: () => clock.ms,
    });
    await checker.load();
    clock.ms = 100;
    const abandonedSync = async () => {
      const syncing = checker.view.sync();
      await vi.advanceTimersByTimeAsync(checker.view.readDeadlineMs('sync'));
      await syncing;
    };

    // Act
    const deadlines = [checker.view.readDeadlineMs('sync')];
    await abandonedSync();
    deadlines.push(checker.view.readDeadlineMs('sync'));
    await abandonedSync();
    deadlines.push(checker.view.readDeadlineMs('sync'));
    hang = false;
    await checker.view.sync();
    clock.ms = 200;
    deadlines.push(checker.view.readDeadlineMs('sync'));

    // Assess
    expect(deadlines).toEqual([5000, 10_000, 20_000, 5000]);
    expect(checker.view.counters).toMatchObject({ syncFailures: 2, syncs: 1 });
  });

  it('abandons a read that passes its deadline, aborting its signal: answers from memory while fresh, then fails closed', async () => {
    // Prepare: the delta read never answers unless aborted; timers and the monotonic clock are the test's.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const reader = new MemoryReader();
    let aborted: unknown;
    reader.queryChanges = (_since, _now, _visit, signal) =>
      new Promise<ReadSummary>((_, reject) => signal?.addEventListener('abort', () => reject((aborted = signal.reason))));
    const clock = { ms: 0 };
    const checker = createRevocationChecker({
      reader,
      settings: { ...settings, syncIntervalMs: 10, maxStalenessMs: 150 },
      rules,
      monotonicNow: () => clock.ms,
    });
    await checker.load();

    // Act: at 20 ms the sync due gets the 130 ms left before the view turns stale; the request
    // waiting on it is answered from memory at 150 ms (fresh to its last millisecond). At 200 ms
    // the view is stale: its sync gets the cap, doubled since the last one was abandoned.
    clock.ms = 20;
    const first = Promise.resolve(checker.findRevocation(token('any'), T0)).catch((caught: unknown) => caught);
    clock.ms = 150;
    await vi.advanceTimersByTimeAsync(130);
    const firstAnswer = await first;
    clock.ms = 200;
    const deadlineWhenStale = checker.view.readDeadlineMs('sync');
    const second = Promise.resolve(checker.findRevocation(token('any'), T0)).catch((caught: unknown) => caught);
    await vi.advanceTimersByTimeAsync(deadlineWhenStale);
    const secondAnswer = await second;

    // Assess
    expect(firstAnswer).toBeUndefined();
    expect(deadlineWhenStale).toBe(10_000);
    expect(secondAnswer).toBeInstanceOf(RevocationStateUnavailableError);
    expect(aborted).toBeInstanceOf(RevocationStateUnavailableError);
    expect(String((aborted as Error).message)).toMatch(/deadline of 10000 ms/);
  });
});

describe('EventualChecker', () => {
  it('answers synchronously while the view is current, and with a promise when a sync is due', async () => {
    const { reader, clock, checker } = setup();
    reader.items.push(revoked('stolen'));
    await checker.load();

    expect(checker.findRevocation(token('stolen'), T0 + 999)).toBe('revoked_jti');
    reader.items.push(revoked('later'));
    clock.ms = T0 + 1000;
    const answer = checker.findRevocation(token('later'), clock.ms);

    expect(answer).toBeInstanceOf(Promise);
    expect(await answer).toBe('revoked_jti');
    expect(checker.view.counters).toMatchObject({ loads: 1, syncs: 1 });
  });

  it('refuses a token without jti whose signature id is revoked, and no other', async () => {
    // Prepare: WSO2 revokes a jti-less JWT by its signature, stored as a jti.
    const { reader, checker } = setup();
    reader.items.push(revoked('c2lnbmF0dXJlLXR3aW4'));
    await checker.load();
    const jtiLess = (signatures: string[]): RevocableToken => {
      const base = token('sha256:hash-of-signed-part');
      return { ...base, revocationIds: { ...base.revocationIds, signatures } };
    };

    // Act
    const answers = [
      checker.findRevocation(jtiLess(['c2lnbmF0dXJl', 'c2lnbmF0dXJlLXR3aW4']), T0),
      checker.findRevocation(jtiLess(['b3RoZXI', 'b3RoZXItdHdpbg']), T0),
      checker.findRevocation(jtiLess([]), T0),
    ];

    // Assess
    expect(answers).toEqual(['revoked_jti', undefined, undefined]);
  });

  it('refuses every token of a revoked session, issued before or after the revocation, and no other, until the entry expires', async () => {
    // Prepare: the session revoked at T0 - 1 s, for a token lifetime (3600 s) + tolerance (60 s).
    const { reader, clock, checker } = setup({ maxStalenessMs: 10_000_000 });
    reader.items.push(sessionRevocation(ISS, 'sid-1', T0 - 1000, rules));
    reader.items.push(sessionRevocation('https://other.example.com/', 'sid-2', T0 - 1000, rules));
    await checker.load();

    // Act
    const now = [
      checker.findRevocation(ofSession('sid-1', -3000), T0),
      checker.findRevocation(ofSession('sid-1', +30), T0),
      checker.findRevocation(ofSession('sid-2'), T0),
      checker.findRevocation(ofSession(undefined), T0),
    ];
    clock.ms = T0 - 1000 + 3660_000 - 1;
    const lastMs = await checker.findRevocation(ofSession('sid-1', 3600), clock.ms);
    clock.ms = T0 - 1000 + 3660_000;
    const gone = await checker.findRevocation(ofSession('sid-1', 3600), clock.ms);

    // Assess
    expect(now).toEqual(['revoked_session', 'revoked_session', undefined, undefined]);
    expect(lastMs).toBe('revoked_session');
    expect(gone).toBeUndefined();
    expect(checker.view.entries).toMatchObject({ session: 2 });
  });

  it('fails closed past the staleness limit with the read error as cause, and retries once per interval', async () => {
    const { reader, clock, checker } = setup();
    await checker.load();
    reader.failing = true;
    clock.ms = T0 + 5001;

    const error = await Promise.resolve(checker.findRevocation(token('any'), clock.ms)).catch((caught: unknown) => caught);
    await Promise.resolve(checker.findRevocation(token('any'), clock.ms + 500)).catch(() => {});

    expect(error).toBeInstanceOf(RevocationStateUnavailableError);
    expect(((error as Error).cause as Error).message).toBe('ECONNREFUSED');
    expect((error as Error).message).toMatch(/^the revocation view is 5001 ms old/);
    expect(checker.view.counters.syncFailures).toBe(1);
  });

  it('in open mode allows what memory does not refuse, counts it and logs once per interval', async () => {
    const { reader, clock, checker, log } = setup({ failMode: 'open' });
    reader.items.push(revoked('stolen'));
    await checker.load();
    reader.failing = true;
    clock.ms = T0 + 6000;

    expect(await checker.findRevocation(token('a'), clock.ms)).toBeUndefined();
    expect(await checker.findRevocation(token('b'), clock.ms + 1)).toBeUndefined();
    expect(await checker.findRevocation(token('stolen'), clock.ms + 2)).toBe('revoked_jti');

    expect(checker.view.counters.failOpenAllows).toBe(2);
    expect(log.lines.filter((line) => line.message.includes('REVOCATION_FAIL_MODE=open'))).toHaveLength(1);
  });

  it('throws from load when the load fails in closed mode, and only logs in open mode', async () => {
    const closed = setup();
    const open = setup({ failMode: 'open' });
    closed.reader.failing = true;
    open.reader.failing = true;

    await expect(closed.checker.load()).rejects.toThrow(/^the revocations could not be loaded: Error: ECONNREFUSED/);
    await expect(open.checker.load()).resolves.toBeUndefined();
    expect(open.view.isLoaded).toBe(false);
    expect(open.view.counters.loadFailures).toBe(1);
  });
});

describe('StrongChecker', () => {
  it('reads the token’s keys consistently on every request memory does not refuse', async () => {
    const { reader, checker } = setup({ consistency: 'strong' });
    await checker.load();
    const readsAfterLoad = reader.reads;
    reader.items.push(revoked('just-now'));

    expect(await checker.findRevocation(token('just-now'), T0 + 10)).toBe('revoked_jti');
    expect(await checker.findRevocation(token('other'), T0 + 60_000)).toBeUndefined();
    // The first answer is now in memory: refused without a read.
    expect(checker.findRevocation(token('just-now'), T0 + 60_001)).toBe('revoked_jti');

    expect(reader.reads - readsAfterLoad).toBe(2);
    expect(checker.view.counters.strongReads).toBe(2);
  });

  it('refuses a token of a session revoked after the load, by its consistent read', async () => {
    const { reader, checker } = setup({ consistency: 'strong' });
    await checker.load();
    reader.items.push(sessionRevocation(ISS, 'sid-9', T0, rules));

    expect(await checker.findRevocation(ofSession('sid-9'), T0 + 10)).toBe('revoked_session');
    expect(await checker.findRevocation(ofSession('sid-8'), T0 + 10)).toBeUndefined();
  });

  it('fails closed when the consistent read fails', async () => {
    const { reader, checker } = setup({ consistency: 'strong' });
    await checker.load();
    reader.failing = true;

    const error = await Promise.resolve(checker.findRevocation(token('any'), T0)).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(RevocationStateUnavailableError);
    expect((error as Error).message).toMatch(/^the consistent revocation read failed: /);
    expect(checker.view.counters.strongReadFailures).toBe(1);
  });
});

import { describe, expect, it } from 'vitest';
import {
  createRevocationChecker,
  type ReadSummary,
  type RevocableToken,
  type Revocation,
  type RevocationReader,
  type RevocationSettings,
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
  revocationIds: { jti: tokenId, subject: 'alice', client: 'app' },
  issuedAtEpochSeconds: T0 / 1000 - 10,
});
const revoked = (jti: string): Revocation => ({ kind: 'jti', issuer: ISS, jti, expiresAtEpochSeconds: T0 / 1000 + 600 });

/** A table in memory: scans and delta reads see what was added, and it can be made to fail. */
class MemoryReader implements RevocationReader {
  readonly items: Revocation[] = [];
  failing = false;
  reads = 0;
  private read(visit: (revocation: Revocation) => void): Promise<ReadSummary> {
    this.reads++;
    if (this.failing) return Promise.reject(new Error('ECONNREFUSED'));
    for (const item of this.items) visit(item);
    return Promise.resolve({ items: this.items.length, expired: 0, skipped: 0 });
  }
  scanLive(_segments: number, _now: number, visit: (revocation: Revocation) => void) {
    return this.read(visit);
  }
  queryChanges(_since: number, _now: number, visit: (revocation: Revocation) => void) {
    return this.read(visit);
  }
  async getForToken(keys: TokenKeys): Promise<Revocation[]> {
    this.reads++;
    if (this.failing) throw new Error('ECONNREFUSED');
    return this.items.filter((item) => item.kind === 'jti' && item.jti === keys.revocationIds.jti);
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

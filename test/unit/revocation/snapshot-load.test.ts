import { describe, expect, it } from 'vitest';
import {
  createRevocationChecker,
  encodeSnapshot,
  RevocationCache,
  RevocationView,
  type ReadSummary,
  type RevocableToken,
  type Revocation,
  type RevocationReader,
  type RevocationSettings,
  type SnapshotSource,
} from '../../../lambda/revocation/index.js';
import { RevocationStateUnavailableError, SnapshotRefusedError, type SnapshotRefusalReason } from '../../../lambda/shared/index.js';
import { LogRecorder } from '../../support/log-recorder.js';

const ISS = 'https://issuer.example.com/';
const T0 = 1_800_000_000_000;
const rules = { maxTokenLifetimeSeconds: 3600, clockToleranceSeconds: 60 };
const RETENTION_S = 3660;
const settings: RevocationSettings = {
  tableName: 'revocations',
  syncIntervalMs: 1000,
  maxStalenessMs: 5000,
  failMode: 'closed',
  consistency: 'eventual',
  scanSegments: 4,
  syncOverlapMs: 5000,
  snapshot: { uri: 'memory://snapshot', maxAgeMs: 300_000, maxBytes: 1 << 26, timeoutMs: 1000 },
};
const token = (jti: string): RevocableToken => ({
  issuer: ISS,
  revocationIds: { jti, subject: 'alice', client: 'app', signatures: [], session: undefined },
  issuedAtEpochSeconds: T0 / 1000 - 10,
});
const jti = (id: string): Revocation => ({ kind: 'jti', issuer: ISS, jti: id, expiresAtEpochSeconds: T0 / 1000 + 600 });

/** The table: what a Scan returns, and what a delta read returns; counts both. */
class MemoryReader implements RevocationReader {
  scanned: Revocation[] = [];
  changed: Revocation[] = [];
  scans = 0;
  readonly sinces: number[] = [];
  failQueries = false;
  scanLive(_segments: number, _now: number, visit: (revocation: Revocation) => void): Promise<ReadSummary> {
    this.scans++;
    for (const item of this.scanned) visit(item);
    return Promise.resolve({ items: this.scanned.length, expired: 0, skipped: 0 });
  }
  queryChanges(since: number, _now: number, visit: (revocation: Revocation) => void): Promise<ReadSummary> {
    this.sinces.push(since);
    if (this.failQueries) return Promise.reject(new RevocationStateUnavailableError('throttled'));
    for (const item of this.changed) visit(item);
    return Promise.resolve({ items: this.changed.length, expired: 0, skipped: 0 });
  }
  getForToken(): Promise<Revocation[]> {
    return Promise.resolve([]);
  }
}

/** A snapshot held in memory, served in small chunks; counts its reads. */
class MemorySource implements SnapshotSource {
  readonly uri = 'memory://snapshot';
  reads = 0;
  constructor(
    public bytes: Uint8Array | undefined,
    public delayMs = 0,
  ) {}
  async *read(): AsyncIterable<Uint8Array> {
    this.reads++;
    if (this.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    if (this.bytes === undefined) throw new SnapshotRefusedError('missing', 'no such object');
    for (let offset = 0; offset < this.bytes.length; offset += 1000) yield this.bytes.subarray(offset, offset + 1000);
  }
}

function snapshotOf(entries: Revocation[], watermarkEpochMs: number): Uint8Array {
  const cache = new RevocationCache({ cutoffRetentionSeconds: RETENTION_S, seed: 7 });
  for (const entry of entries) cache.apply(entry, T0 / 1000);
  const image = encodeSnapshot(cache, {
    watermarkEpochMs,
    createdAtEpochMs: watermarkEpochMs,
    scanBaseEpochMs: T0 - 3_600_000,
    tableName: 'revocations',
  });
  return Buffer.concat(image.parts);
}

function setup(source: SnapshotSource) {
  const reader = new MemoryReader();
  const log = new LogRecorder();
  const fallbacks: SnapshotRefusalReason[] = [];
  const checker = createRevocationChecker({
    reader,
    settings,
    rules,
    log,
    now: () => T0,
    monotonicNow: () => performance.now(),
    snapshotSource: source,
    onSnapshotFallback: (reason) => fallbacks.push(reason),
  });
  return { reader, log, fallbacks, checker, view: checker.view };
}

describe('RevocationView, loading from a snapshot', () => {
  it('loads the snapshot, then reads the changes since its watermark minus the overlap, and never scans', async () => {
    const watermark = T0 - 20_000;
    const { reader, checker, view, fallbacks, log } = setup(new MemorySource(snapshotOf([jti('before-snapshot')], watermark)));
    reader.changed = [jti('after-snapshot')];
    reader.scanned = [jti('only-in-a-scan')];

    await checker.load();

    expect(reader.scans).toBe(0);
    expect(reader.sinces).toEqual([watermark - 5000 - 1]);
    expect(view.lookup(token('before-snapshot'), T0)).toBe('revoked_jti');
    expect(view.lookup(token('after-snapshot'), T0)).toBe('revoked_jti');
    expect(view.lookup(token('only-in-a-scan'), T0)).toBeUndefined();
    expect(view.isFresh()).toBe(true);
    expect(view.counters).toMatchObject({ loads: 1, snapshotLoads: 1, snapshotFallbacks: 0 });
    expect(fallbacks).toEqual([]);
    expect(log.lines.find((line) => line.message === 'revocations loaded')?.extra).toMatchObject({
      source: 'snapshot',
      snapshot: { ageMs: 20_000 },
    });
  });

  it('falls back to a Scan when the snapshot is refused, logging and counting the reason', async () => {
    const bytes = snapshotOf([jti('before-snapshot')], T0 - 20_000);
    bytes[bytes.length - 1]! ^= 0xff;
    const { reader, checker, view, fallbacks, log } = setup(new MemorySource(bytes));
    reader.scanned = [jti('before-snapshot')];

    await checker.load();

    expect(reader.scans).toBe(1);
    expect(reader.sinces).toEqual([]);
    expect(view.lookup(token('before-snapshot'), T0)).toBe('revoked_jti');
    expect(fallbacks).toEqual(['checksum']);
    expect(view.counters).toMatchObject({ loads: 1, snapshotLoads: 0, snapshotFallbacks: 1 });
    const warning = log.lines.find((line) => line.message === 'revocation snapshot not used; loading with a Scan');
    expect(warning).toMatchObject({ level: 'warn', extra: { code: 'ERR_SNAPSHOT_REFUSED', reason: 'checksum', uri: 'memory://snapshot' } });
    expect(log.lines.find((line) => line.message === 'revocations loaded')?.extra).toMatchObject({ source: 'scan' });
  });

  it('falls back when there is no snapshot yet (missing) and when it is too old (too_old)', async () => {
    const missing = setup(new MemorySource(undefined));
    await missing.checker.load();
    const old = setup(new MemorySource(snapshotOf([], T0 - 300_001)));
    await old.checker.load();

    expect(missing.fallbacks).toEqual(['missing']);
    expect(old.fallbacks).toEqual(['too_old']);
    expect([missing.reader.scans, old.reader.scans]).toEqual([1, 1]);
  });

  it('falls back when the snapshot does not arrive within its deadline: timeout', async () => {
    const { reader, checker, fallbacks } = setup(new MemorySource(snapshotOf([], T0 - 1000), 5000));

    await checker.load();

    expect(fallbacks).toEqual(['timeout']);
    expect(reader.scans).toBe(1);
  });

  it('keeps a good snapshot whose delta read failed, and retries only the delta', async () => {
    const source = new MemorySource(snapshotOf([jti('before-snapshot')], T0 - 20_000));
    const { reader, view, fallbacks } = setup(source);
    reader.failQueries = true;

    expect(await view.load()).toBe(false);
    reader.failQueries = false;
    expect(await view.load()).toBe(true);

    expect(source.reads).toBe(1);
    expect(reader.scans).toBe(0);
    expect(reader.sinces).toHaveLength(2);
    expect(fallbacks).toEqual([]);
    expect(view.lookup(token('before-snapshot'), T0)).toBe('revoked_jti');
  });
});

describe('RevocationView.exportSnapshot', () => {
  it('writes the view with the start of its last successful read as the watermark', async () => {
    let wallMs = T0;
    let monoMs = 0;
    const reader = new MemoryReader();
    reader.scanned = [jti('scanned')];
    const view = new RevocationView({ reader, settings, rules, now: () => wallMs, monotonicNow: () => monoMs });
    await view.load();
    wallMs += 1500;
    monoMs += 1500;

    const image = view.exportSnapshot();

    expect(image.header).toMatchObject({
      watermarkEpochMs: T0,
      createdAtEpochMs: T0 + 1500,
      scanBaseEpochMs: T0,
      tableName: 'revocations',
    });
    const loaded = setup(new MemorySource(Buffer.concat(image.parts)));
    await loaded.checker.load();
    expect(loaded.view.lookup(token('scanned'), T0)).toBe('revoked_jti');
  });

  it('refuses to export a view that is not loaded or no longer fresh', async () => {
    let monoMs = 0;
    const view = new RevocationView({ reader: new MemoryReader(), settings, rules, now: () => T0, monotonicNow: () => monoMs });
    expect(() => view.exportSnapshot()).toThrow(RevocationStateUnavailableError);
    await view.load();
    monoMs += 5001;

    expect(() => view.exportSnapshot()).toThrow(RevocationStateUnavailableError);
  });
});

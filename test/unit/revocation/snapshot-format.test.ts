import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  ANY_ISSUER,
  encodeSnapshot,
  RevocationCache,
  SNAPSHOT_FORMAT_VERSION,
  SnapshotDecoder,
  type EncodedSnapshot,
  type SnapshotExpectations,
} from '../../../lambda/revocation/index.js';
import { SnapshotRefusedError, type SnapshotRefusalReason } from '../../../lambda/shared/index.js';

const ISS = 'https://issuer.example.com/';
const NOW_MS = 1_800_000_000_000;
const NOW_S = NOW_MS / 1000;
const RETENTION_S = 86_460;
const TABLE = 'revocations';
const expectations: SnapshotExpectations = {
  cutoffRetentionSeconds: RETENTION_S,
  tableName: TABLE,
  nowEpochMs: NOW_MS,
  maxAgeMs: 300_000,
  maxBytes: 64 * 1024 * 1024,
};
const metadata = {
  watermarkEpochMs: NOW_MS - 10_000,
  createdAtEpochMs: NOW_MS - 9_000,
  scanBaseEpochMs: NOW_MS - 60_000,
  tableName: TABLE,
};

/** A cache with every kind (jti, subject, client, session), for its issuer and for any issuer, big enough that the jti table has grown. */
function populatedCache(seed = 12345): RevocationCache {
  const cache = new RevocationCache({ cutoffRetentionSeconds: RETENTION_S, seed });
  for (let i = 0; i < 1000; i++) cache.apply({ kind: 'jti', issuer: ISS, jti: `jti-${i}`, expiresAtEpochSeconds: NOW_S + 600 + i }, NOW_S);
  cache.apply({ kind: 'jti', issuer: ANY_ISSUER, jti: 'everywhere', expiresAtEpochSeconds: NOW_S + 600 }, NOW_S);
  cache.apply(
    { kind: 'subject', issuer: ISS, id: 'alice', revokedAtEpochMs: NOW_MS - 5000, expiresAtEpochSeconds: NOW_S + RETENTION_S },
    NOW_S,
  );
  cache.apply(
    { kind: 'subject', issuer: ANY_ISSUER, id: 'bob', revokedAtEpochMs: NOW_MS - 4000, expiresAtEpochSeconds: NOW_S + RETENTION_S },
    NOW_S,
  );
  cache.apply(
    { kind: 'client', issuer: ISS, id: 'app', revokedAtEpochMs: NOW_MS - 3000, expiresAtEpochSeconds: NOW_S + RETENTION_S },
    NOW_S,
  );
  cache.apply(
    { kind: 'client', issuer: ANY_ISSUER, id: 'rogue', revokedAtEpochMs: NOW_MS - 2000, expiresAtEpochSeconds: NOW_S + RETENTION_S },
    NOW_S,
  );
  cache.apply({ kind: 'session', issuer: ISS, id: 'sid-1', revokedAtEpochMs: NOW_MS - 1000, expiresAtEpochSeconds: NOW_S + 3600 }, NOW_S);
  cache.apply(
    { kind: 'session', issuer: ANY_ISSUER, id: 'sid-everywhere', revokedAtEpochMs: NOW_MS - 500, expiresAtEpochSeconds: NOW_S + 3600 },
    NOW_S,
  );
  return cache;
}

function bytesOf(image: EncodedSnapshot): Uint8Array {
  return Buffer.concat(image.parts.map((part) => Buffer.from(part.buffer, part.byteOffset, part.byteLength)));
}

/** Feeds `bytes` to a decoder in chunks of `chunkBytes` (any split must work) and finishes. */
function decode(bytes: Uint8Array, overrides: Partial<SnapshotExpectations> = {}, chunkBytes = 4093) {
  const decoder = new SnapshotDecoder({ ...expectations, ...overrides });
  for (let offset = 0; offset < bytes.length; offset += chunkBytes) decoder.push(bytes.subarray(offset, offset + chunkBytes));
  return decoder.finish();
}

function refusalOf(action: () => unknown): SnapshotRefusalReason | undefined {
  try {
    action();
  } catch (error) {
    if (error instanceof SnapshotRefusedError) return error.reason;
    throw error;
  }
  return undefined;
}

/**
 * An independent writer of the layout documented in snapshot-format.ts (and docs/design.md,
 * "Snapshots"), from its offsets alone, for the cases the real encoder never makes: another
 * version, an unknown or missing table, a wrong count. The checksum is recomputed, so each case
 * reaches the check it is about.
 */
function forge(
  image: EncodedSnapshot,
  change: { version?: number; renameKind?: [string, string]; dropTables?: number; countDelta?: number; duplicateFirst?: boolean } = {},
): Uint8Array {
  const source = bytesOf(image);
  const view = new DataView(source.buffer, source.byteOffset, source.byteLength);
  type Table = { kind: string; flags: number; layout: number; capacity: number; count: number; next: number; data: Uint8Array };
  const headerBytes = view.getUint32(12, true);
  const count = view.getUint32(88, true);
  const nameBytes = view.getUint32(92, true);
  let tables: Table[] = [];
  for (let index = 0; index < count; index++) {
    const at = 96 + index * 48;
    const kind = Buffer.from(source.subarray(at, at + 16))
      .toString('latin1')
      .replace(/\0+$/, '');
    const capacity = view.getUint32(at + 24, true);
    const layout = view.getUint32(at + 20, true);
    const offset = view.getFloat64(at + 40, true);
    tables.push({
      kind,
      flags: view.getUint32(at + 16, true),
      layout,
      capacity,
      count: view.getUint32(at + 28, true),
      next: view.getFloat64(at + 32, true),
      data: source.subarray(offset, offset + capacity * (layout === 1 ? 12 : 16)),
    });
  }
  const name = source.subarray(96 + count * 48, 96 + count * 48 + nameBytes);
  expect(headerBytes).toBe(Math.ceil((96 + count * 48 + nameBytes) / 8) * 8);
  if (change.renameKind)
    tables = tables.map((table) => (table.kind === change.renameKind![0] ? { ...table, kind: change.renameKind![1] } : table));
  if (change.dropTables) tables = tables.slice(0, tables.length - change.dropTables);
  if (change.countDelta) tables[0] = { ...tables[0]!, count: tables[0]!.count + change.countDelta };
  if (change.duplicateFirst) tables = [tables[0]!, ...tables.slice(0, -1)];
  const newHeaderBytes = Math.ceil((96 + tables.length * 48 + name.length) / 8) * 8;
  const total = newHeaderBytes + tables.reduce((sum, table) => sum + table.data.length, 0);
  const out = new Uint8Array(total);
  const outView = new DataView(out.buffer);
  out.set(source.subarray(0, 8), 0);
  outView.setUint32(8, change.version ?? view.getUint32(8, true), true);
  outView.setUint32(12, newHeaderBytes, true);
  outView.setFloat64(48, total, true);
  out.set(source.subarray(56, 88), 56);
  outView.setUint32(88, tables.length, true);
  outView.setUint32(92, name.length, true);
  let offset = newHeaderBytes;
  tables.forEach((table, index) => {
    const at = 96 + index * 48;
    out.set(Buffer.from(table.kind, 'latin1'), at);
    outView.setUint32(at + 16, table.flags, true);
    outView.setUint32(at + 20, table.layout, true);
    outView.setUint32(at + 24, table.capacity, true);
    outView.setUint32(at + 28, table.count, true);
    outView.setFloat64(at + 32, table.next, true);
    outView.setFloat64(at + 40, offset, true);
    out.set(table.data, offset);
    offset += table.data.length;
  });
  out.set(name, 96 + tables.length * 48);
  out.set(createHash('sha256').update(out.subarray(48)).digest(), 16);
  return out;
}

describe('the revocation snapshot format', () => {
  it('round-trips every table of the cache, its seed and its settings, whatever the chunking', () => {
    const cache = populatedCache();
    const image = encodeSnapshot(cache, metadata);
    const bytes = bytesOf(image);

    for (const chunkBytes of [1, 7, 4093, bytes.length]) {
      const { cache: loaded, header } = decode(bytes, {}, chunkBytes);
      expect(loaded.seed).toBe(12345);
      expect(loaded.sizes).toEqual(cache.sizes);
      expect(loaded.byteLength).toBe(cache.byteLength);
      expect(header).toMatchObject({ ...metadata, version: SNAPSHOT_FORMAT_VERSION, byteLength: bytes.length, seed: 12345 });
      expect(header.tables.map((table) => `${table.kind}${table.anyIssuer ? '*' : ''}`)).toEqual(
        cache.tables.map((table) => `${table.kind}${table.anyIssuer ? '*' : ''}`),
      );
      for (let i = 0; i < 1000; i += 97) expect(loaded.isJtiRevoked(ISS, `jti-${i}`, NOW_S)).toBe(true);
      expect(loaded.isJtiRevoked(ISS, 'never-revoked', NOW_S)).toBe(false);
      expect(loaded.isJtiRevoked('https://other.example/', 'everywhere', NOW_S)).toBe(true);
      expect(loaded.isSubjectRevoked(ISS, 'alice', (NOW_MS - 6000) / 1000, NOW_S)).toBe(true);
      expect(loaded.isSubjectRevoked(ISS, 'alice', NOW_S, NOW_S)).toBe(false);
      expect(loaded.subjectCutoffMs('https://other.example/', 'bob', NOW_S)).toBe(NOW_MS - 4000);
      expect(loaded.clientCutoffMs(ISS, 'app', NOW_S)).toBe(NOW_MS - 3000);
      expect(loaded.clientCutoffMs(ISS, 'rogue', NOW_S)).toBe(NOW_MS - 2000);
    }
  });

  it('carries session revocations: a revoked session stays revoked after a round trip, until its expiry', () => {
    const cache = populatedCache();
    expect(cache.sizes.session).toBe(2);

    const { cache: loaded, header } = decode(bytesOf(encodeSnapshot(cache, metadata)));

    expect(header.tables.filter((table) => table.kind === 'session').map((table) => [table.anyIssuer, table.layout, table.count])).toEqual([
      [false, 'expiry', 1],
      [true, 'expiry', 1],
    ]);
    expect(loaded.sizes.session).toBe(2);
    expect(loaded.isSessionRevoked(ISS, 'sid-1', NOW_S)).toBe(true);
    expect(loaded.isSessionRevoked('https://other.example/', 'sid-1', NOW_S)).toBe(false);
    expect(loaded.isSessionRevoked('https://other.example/', 'sid-everywhere', NOW_S)).toBe(true);
    expect(loaded.isSessionRevoked(ISS, 'sid-2', NOW_S)).toBe(false);
    expect(loaded.isSessionRevoked(ISS, 'sid-1', NOW_S + 3600)).toBe(false);
  });

  it('loads tables that keep working as tables: they grow, take new entries and sweep', () => {
    const { cache } = decode(bytesOf(encodeSnapshot(populatedCache(), metadata)));
    for (let i = 0; i < 5000; i++) cache.apply({ kind: 'jti', issuer: ISS, jti: `more-${i}`, expiresAtEpochSeconds: NOW_S + 10 }, NOW_S);

    expect(cache.isJtiRevoked(ISS, 'jti-999', NOW_S)).toBe(true);
    expect(cache.isJtiRevoked(ISS, 'more-4999', NOW_S)).toBe(true);
    expect(cache.sweep(NOW_S + 11)).toBe(5000);
    expect(cache.isJtiRevoked(ISS, 'jti-0', NOW_S + 11)).toBe(true);
  });

  it('encodes the header at the documented offsets', () => {
    const image = encodeSnapshot(populatedCache(), metadata);
    const header = image.parts[0]!;
    const view = new DataView(header.buffer, header.byteOffset, header.byteLength);

    expect([...header.subarray(0, 8)]).toEqual([0x89, 0x52, 0x56, 0x4b, 0x53, 0x4e, 0x50, 0x0a]);
    expect(view.getUint32(8, true)).toBe(1);
    expect(view.getUint32(12, true) % 8).toBe(0);
    expect(view.getFloat64(48, true)).toBe(image.byteLength);
    expect(view.getFloat64(64, true)).toBe(metadata.watermarkEpochMs);
    expect(view.getUint32(80, true)).toBe(12345);
    expect(view.getUint32(84, true)).toBe(RETENTION_S);
    expect(view.getUint32(88, true)).toBe(8); // jti, subject, client and session, each for its issuer and for any issuer
    expect(Buffer.from(header.subarray(96, 112)).toString('latin1')).toBe(`jti${'\0'.repeat(13)}`);
    expect(Buffer.from(header.subarray(16, 48)).toString('hex')).toBe(
      createHash('sha256').update(bytesOf(image).subarray(48)).digest('hex'),
    );
  });

  it('refuses a body byte changed in transit: checksum', () => {
    const bytes = bytesOf(encodeSnapshot(populatedCache(), metadata));
    bytes[bytes.length - 100]! ^= 0x01;

    expect(refusalOf(() => decode(bytes))).toBe('checksum');
  });

  it('refuses a header field changed after writing: checksum', () => {
    const bytes = bytesOf(encodeSnapshot(populatedCache(), metadata));
    new DataView(bytes.buffer, bytes.byteOffset).setUint32(80, 999, true);

    expect(refusalOf(() => decode(bytes))).toBe('checksum');
  });

  it('refuses another format version before reading its body: version', () => {
    const forged = forge(encodeSnapshot(populatedCache(), metadata), { version: 2 });

    expect(refusalOf(() => new SnapshotDecoder(expectations).push(forged.subarray(0, 16)))).toBe('version');
  });

  it('refuses a table kind this version does not know, rather than misread it: unknown_table', () => {
    const forged = forge(encodeSnapshot(populatedCache(), metadata), { renameKind: ['client', 'device'] });

    expect(refusalOf(() => decode(forged))).toBe('unknown_table');
  });

  it('refuses a snapshot that lacks a table this version holds (an older writer): missing_table', () => {
    const forged = forge(encodeSnapshot(populatedCache(), metadata), { dropTables: 1 });

    expect(refusalOf(() => decode(forged))).toBe('missing_table');
  });

  it('refuses a table listed twice, and a count its slots do not hold: format', () => {
    const image = encodeSnapshot(populatedCache(), metadata);

    expect(refusalOf(() => decode(forge(image, { duplicateFirst: true })))).toBe('format');
    expect(refusalOf(() => decode(forge(image, { countDelta: -1 })))).toBe('format');
  });

  it('refuses a snapshot cut short, wherever it ends: truncated', () => {
    const bytes = bytesOf(encodeSnapshot(populatedCache(), metadata));

    for (const length of [0, 10, 200, bytes.length - 1]) expect(refusalOf(() => decode(bytes.subarray(0, length)))).toBe('truncated');
  });

  it('refuses bytes past the declared end, and what is not a snapshot: format', () => {
    const bytes = bytesOf(encodeSnapshot(populatedCache(), metadata));

    expect(refusalOf(() => decode(Buffer.concat([bytes, Buffer.from([0])])))).toBe('format');
    expect(refusalOf(() => decode(Buffer.from('{"not":"a snapshot"}'.padEnd(200))))).toBe('format');
  });

  it('refuses a watermark older than the maximum age: too_old', () => {
    const bytes = bytesOf(encodeSnapshot(populatedCache(), { ...metadata, watermarkEpochMs: NOW_MS - 300_001 }));

    expect(refusalOf(() => decode(bytes))).toBe('too_old');
    expect(refusalOf(() => decode(bytes, { maxAgeMs: 300_001 }))).toBeUndefined();
  });

  it('refuses a watermark ahead of the reader’s clock beyond the allowance: clock', () => {
    const bytes = bytesOf(encodeSnapshot(populatedCache(), { ...metadata, watermarkEpochMs: NOW_MS + 1001 }));

    expect(refusalOf(() => decode(bytes))).toBe('clock');
  });

  it('refuses a snapshot of another table or another cut-off retention: settings', () => {
    const bytes = bytesOf(encodeSnapshot(populatedCache(), metadata));

    expect(refusalOf(() => decode(bytes, { cutoffRetentionSeconds: RETENTION_S + 1 }))).toBe('settings');
    expect(refusalOf(() => decode(bytes, { tableName: 'staging-revocations' }))).toBe('settings');
  });

  it('refuses a snapshot larger than the cap from its header: too_large', () => {
    const bytes = bytesOf(encodeSnapshot(populatedCache(), metadata));

    expect(refusalOf(() => decode(bytes, { maxBytes: bytes.length - 1 }))).toBe('too_large');
  });
});

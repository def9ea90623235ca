// Over 300 lines: the one module that knows the snapshot's byte layout; writer and reader share its offsets and rules.
import { createHash } from 'node:crypto';
import { SnapshotRefusedError, type SnapshotRefusalReason } from '../shared/index.js';
import type { HashedTable, TableLayout } from './hashed-table.js';
import type { SnapshotSource } from './reader-writer.js';
import { RevocationCache } from './revocation-cache.js';

/**
 * The revocation snapshot: a versioned, checksummed binary image of a {@link RevocationCache},
 * its tables' typed arrays as they are in memory, so loading one is a copy into typed arrays, not
 * a parse (docs/scale.md, "Cold start and snapshots", has the layout as a table). All numbers little-endian.
 *
 * ```
 *  0   8  magic 89 52 56 4B 53 4E 50 0A ("\x89RVKSNP\n": a high-bit byte and a newline, so a
 *         7-bit or text-mode transfer that damaged it is refused at once, as PNG does)
 *  8   4  format version (u32)
 * 12   4  header bytes (u32): where the first table's slots begin; a multiple of 8
 * 16  32  SHA-256 of every byte from offset 48 to the end (the rest of the header and the slots)
 * 48   8  total bytes (f64)
 * 56   8  created at, epoch ms (f64)
 * 64   8  watermark, epoch ms (f64): the start of the last successful read the image reflects
 * 72   8  scan base, epoch ms (f64): when the chain of snapshots and deltas last read the whole table
 * 80   4  hash seed (u32)
 * 84   4  cut-off retention, seconds (u32)
 * 88   4  table count n (u32)
 * 92   4  source table name length (u32, UTF-8 bytes)
 * 96  48n table descriptors: kind (16 bytes ASCII, NUL-padded), flags (u32, bit 0: any issuer),
 *         layout (u32: 1 expiry, 2 cut-off), capacity (u32, slots), count (u32), next expiry
 *         (f64, epoch s, a lower bound), data offset (f64)
 *  …      source table name, then zeros to the header's end
 *  …      each table's slots in descriptor order: capacity × 12 bytes (expiry) or × 16 (cut-off)
 * ```
 */

/** The first 8 bytes of every snapshot. */
export const SNAPSHOT_MAGIC: Readonly<Uint8Array> = Uint8Array.of(0x89, 0x52, 0x56, 0x4b, 0x53, 0x4e, 0x50, 0x0a);
/** The format version this code writes and the only one it reads. */
export const SNAPSHOT_FORMAT_VERSION = 1;
/** Magic, version, header length and the SHA-256: the bytes the checksum does not cover. */
const PREAMBLE_BYTES = 48;
const FIXED_HEADER_BYTES = 96;
const DESCRIPTOR_BYTES = 48;
const KIND_BYTES = 16;
const MAX_TABLES = 64;
const MAX_TABLE_NAME_BYTES = 1024;
const MAX_HEADER_BYTES = FIXED_HEADER_BYTES + MAX_TABLES * DESCRIPTOR_BYTES + MAX_TABLE_NAME_BYTES + 8;
const LAYOUT_CODES: Readonly<Record<TableLayout, number>> = { expiry: 1, cutoff: 2 };
const SLOT_BYTES: Readonly<Record<TableLayout, number>> = { expiry: 12, cutoff: 16 };
const ANY_ISSUER_FLAG = 1;
/**
 * How far ahead of this instance's clock a snapshot's watermark may be: NTP-synced clocks differ by
 * milliseconds; a watermark further ahead would make the delta read skip writes.
 */
export const SNAPSHOT_CLOCK_ALLOWANCE_MS = 1000;
const LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

/** What a snapshot says about itself besides its tables. */
export interface SnapshotMetadata {
  /**
   * The wall-clock start of the last successful read the image reflects (epoch ms): it holds every
   * item stamped before that, less what the index had not shown yet, which a delta read from
   * watermark − REVOCATION_SYNC_OVERLAP_MS brings (docs/scale.md, "Cold start and snapshots").
   */
  readonly watermarkEpochMs: number;
  readonly createdAtEpochMs: number;
  /** When the chain of snapshots and deltas this image comes from last read the whole table with a Scan. */
  readonly scanBaseEpochMs: number;
  /** The revocation table the image was read from: a reader of another table refuses it. */
  readonly tableName: string;
}

/** One table as a snapshot's header describes it. */
export interface SnapshotTableDescriptor {
  readonly kind: string;
  readonly anyIssuer: boolean;
  readonly layout: TableLayout;
  readonly capacity: number;
  readonly count: number;
  readonly nextExpiryEpochSeconds: number;
  readonly offset: number;
  readonly byteLength: number;
}

/** A snapshot's header, decoded. */
export interface SnapshotHeader extends SnapshotMetadata {
  readonly version: number;
  readonly byteLength: number;
  readonly seed: number;
  readonly cutoffRetentionSeconds: number;
  readonly tables: readonly SnapshotTableDescriptor[];
  /** SHA-256 of bytes 48 to the end, hex. */
  readonly sha256: string;
}

/** A snapshot ready to write: its parts in order (the header, then views of the tables' slots, not copies). */
export interface EncodedSnapshot {
  readonly header: SnapshotHeader;
  readonly parts: readonly Uint8Array[];
  readonly byteLength: number;
}

/**
 * The snapshot of a cache: its header and views of its tables' slots, every table of
 * `cache.tables` in that order. Write the parts out before the cache changes again.
 */
export function encodeSnapshot(cache: RevocationCache, metadata: SnapshotMetadata): EncodedSnapshot {
  if (!LITTLE_ENDIAN) throw new RangeError('snapshots are little-endian, and this platform is not');
  const name = Buffer.from(metadata.tableName, 'utf8');
  if (name.length > MAX_TABLE_NAME_BYTES) throw new RangeError(`table name is ${name.length} bytes, more than ${MAX_TABLE_NAME_BYTES}`);
  const states = cache.tables.map(({ kind, anyIssuer, table }) => ({ kind, anyIssuer, state: table.exportState() }));
  const headerBytes = align8(FIXED_HEADER_BYTES + states.length * DESCRIPTOR_BYTES + name.length);
  const header = new Uint8Array(headerBytes);
  const view = new DataView(header.buffer);
  header.set(SNAPSHOT_MAGIC, 0);
  view.setUint32(8, SNAPSHOT_FORMAT_VERSION, true);
  view.setUint32(12, headerBytes, true);
  view.setFloat64(56, metadata.createdAtEpochMs, true);
  view.setFloat64(64, metadata.watermarkEpochMs, true);
  view.setFloat64(72, metadata.scanBaseEpochMs, true);
  view.setUint32(80, cache.seed, true);
  view.setUint32(84, cache.cutoffRetentionSeconds, true);
  view.setUint32(88, states.length, true);
  view.setUint32(92, name.length, true);
  let offset = headerBytes;
  states.forEach(({ kind, anyIssuer, state }, index) => {
    const at = FIXED_HEADER_BYTES + index * DESCRIPTOR_BYTES;
    header.set(Buffer.from(kind, 'ascii'), at);
    view.setUint32(at + 16, anyIssuer ? ANY_ISSUER_FLAG : 0, true);
    view.setUint32(at + 20, LAYOUT_CODES[state.layout], true);
    view.setUint32(at + 24, state.capacity, true);
    view.setUint32(at + 28, state.count, true);
    view.setFloat64(at + 32, state.nextExpiryEpochSeconds, true);
    view.setFloat64(at + 40, offset, true);
    offset += state.bytes.byteLength;
  });
  view.setFloat64(48, offset, true);
  header.set(name, FIXED_HEADER_BYTES + states.length * DESCRIPTOR_BYTES);
  const hash = createHash('sha256').update(header.subarray(PREAMBLE_BYTES));
  for (const { state } of states) hash.update(state.bytes);
  header.set(hash.digest(), 16);
  return { header: parseHeader(header), parts: [header, ...states.map(({ state }) => state.bytes)], byteLength: offset };
}

/** What a reader requires of a snapshot before it uses it. */
export interface SnapshotExpectations {
  /** The reader's cut-off retention: a snapshot made with another would keep cut-offs for another time. */
  readonly cutoffRetentionSeconds: number;
  /** The table the reader reads its deltas from. */
  readonly tableName: string;
  /** The reader's wall clock, epoch ms. */
  readonly nowEpochMs: number;
  /** The oldest watermark accepted: REVOCATION_SNAPSHOT_MAX_AGE_MS. */
  readonly maxAgeMs: number;
  /** The largest snapshot read: REVOCATION_SNAPSHOT_MAX_BYTES. */
  readonly maxBytes: number;
}

/** A snapshot read, checked and turned into a cache. */
export interface DecodedSnapshot {
  readonly header: SnapshotHeader;
  readonly cache: RevocationCache;
}

/** Reads a snapshot from its source, checking it as the bytes arrive; rejects with SnapshotRefusedError. */
export async function readSnapshot(
  source: SnapshotSource,
  expectations: SnapshotExpectations,
  signal: AbortSignal,
): Promise<DecodedSnapshot> {
  const decoder = new SnapshotDecoder(expectations);
  for await (const chunk of source.read(expectations.maxBytes, signal)) decoder.push(chunk);
  return decoder.finish();
}

/**
 * Decodes a snapshot from its bytes in order, as they arrive: the header is checked as soon as it
 * is complete (so a stale, foreign or unknown snapshot is refused before its body is read), then
 * each chunk is copied straight into the typed array of the table it belongs to while the SHA-256
 * is updated; `finish` compares the digest and only then hands the tables to a new cache. Memory:
 * the tables and one chunk, never the whole file twice.
 */
export class SnapshotDecoder {
  private readonly headerBytes = new Uint8Array(MAX_HEADER_BYTES);
  private headerFilled = 0;
  private header: SnapshotHeader | undefined;
  private cache: RevocationCache | undefined;
  private targets: { readonly table: HashedTable; readonly descriptor: SnapshotTableDescriptor; readonly bytes: Uint8Array }[] = [];
  private position = 0;
  private readonly hash = createHash('sha256');

  constructor(private readonly expectations: SnapshotExpectations) {}

  /** Takes the next bytes. @throws SnapshotRefusedError as soon as the bytes so far show the snapshot is unusable. */
  push(chunk: Uint8Array): void {
    let offset = 0;
    while (offset < chunk.length) {
      if (this.header === undefined) {
        offset += this.fillHeader(chunk.subarray(offset));
        continue;
      }
      if (this.position >= this.header.byteLength)
        throw refused('format', `the snapshot goes on past the ${this.header.byteLength} bytes its header declares`);
      const target = this.targets.find(({ descriptor }) => this.position < descriptor.offset + descriptor.byteLength)!;
      const into = this.position - target.descriptor.offset;
      const piece = chunk.subarray(offset, offset + Math.min(chunk.length - offset, target.bytes.length - into));
      target.bytes.set(piece, into);
      this.hash.update(piece);
      this.position += piece.length;
      offset += piece.length;
    }
  }

  /** The checked snapshot. @throws SnapshotRefusedError: truncated, checksum, or tables that break the cache's rules. */
  finish(): DecodedSnapshot {
    const header = this.header;
    if (header === undefined || this.position < header.byteLength) {
      const declared = header === undefined ? 'its header' : `${header.byteLength} bytes`;
      throw refused('truncated', `the snapshot ends after ${Math.max(this.position, this.headerFilled)} bytes, before ${declared}`);
    }
    const digest = this.hash.digest('hex');
    if (digest !== header.sha256) throw refused('checksum', `the snapshot's SHA-256 is ${digest}, its header says ${header.sha256}`);
    for (const { table, descriptor, bytes } of this.targets) {
      try {
        table.restoreState({ ...descriptor, buffer: bytes.buffer as ArrayBuffer });
      } catch (error) {
        throw refused('format', `table ${describeTable(descriptor)}: ${(error as Error).message}`);
      }
    }
    return { header, cache: this.cache! };
  }

  private fillHeader(chunk: Uint8Array): number {
    const wanted = this.headerFilled < 16 ? 16 : new DataView(this.headerBytes.buffer).getUint32(12, true);
    const taken = Math.min(chunk.length, wanted - this.headerFilled);
    this.headerBytes.set(chunk.subarray(0, taken), this.headerFilled);
    this.headerFilled += taken;
    if (this.headerFilled === 16) checkPreamble(this.headerBytes);
    else if (this.headerFilled === wanted) this.start(parseHeader(this.headerBytes.subarray(0, wanted)));
    return taken;
  }

  /** The header is complete: check it against the reader, then allocate each table's slots. */
  private start(header: SnapshotHeader): void {
    const expected = this.expectations;
    if (header.byteLength > expected.maxBytes) {
      throw refused(
        'too_large',
        `the snapshot is ${header.byteLength} bytes, more than REVOCATION_SNAPSHOT_MAX_BYTES (${expected.maxBytes})`,
      );
    }
    if (!LITTLE_ENDIAN) throw refused('platform', 'snapshots are little-endian, and this platform is not');
    if (header.cutoffRetentionSeconds !== expected.cutoffRetentionSeconds) {
      throw refused(
        'settings',
        `the snapshot keeps cut-offs ${header.cutoffRetentionSeconds} s, this instance ${expected.cutoffRetentionSeconds} s (JWT_MAX_TOKEN_LIFETIME_SECONDS + JWT_CLOCK_TOLERANCE_SECONDS differ)`,
      );
    }
    if (header.tableName !== expected.tableName) {
      throw refused(
        'settings',
        `the snapshot is of table ${JSON.stringify(header.tableName)}, this instance reads ${JSON.stringify(expected.tableName)}`,
      );
    }
    const aheadMs = header.watermarkEpochMs - expected.nowEpochMs;
    if (!(aheadMs <= SNAPSHOT_CLOCK_ALLOWANCE_MS)) {
      throw refused('clock', `the snapshot's watermark is ${Math.round(aheadMs)} ms ahead of this instance's clock`);
    }
    const ageMs = expected.nowEpochMs - header.watermarkEpochMs;
    if (ageMs > expected.maxAgeMs) {
      throw refused(
        'too_old',
        `the snapshot's watermark is ${Math.round(ageMs)} ms old, more than REVOCATION_SNAPSHOT_MAX_AGE_MS (${expected.maxAgeMs})`,
      );
    }
    const cache = new RevocationCache({ cutoffRetentionSeconds: expected.cutoffRetentionSeconds, seed: header.seed });
    const unmatched = new Set(cache.tables);
    this.targets = header.tables.map((descriptor) => {
      const match = cache.tables.find((table) => table.kind === descriptor.kind && table.anyIssuer === descriptor.anyIssuer);
      if (match === undefined || match.table.layout !== descriptor.layout) {
        throw refused('unknown_table', `the snapshot holds a table this version does not know: ${describeTable(descriptor)}`);
      }
      if (!unmatched.delete(match)) throw refused('format', `the snapshot holds table ${describeTable(descriptor)} twice`);
      return { table: match.table, descriptor, bytes: new Uint8Array(new ArrayBuffer(descriptor.byteLength)) };
    });
    const missing = [...unmatched].map((table) => `${table.kind}${table.anyIssuer ? ' (any issuer)' : ''}`);
    if (missing.length > 0) throw refused('missing_table', `the snapshot lacks tables this version holds: ${missing.join(', ')}`);
    this.hash.update(this.headerBytes.subarray(PREAMBLE_BYTES, this.headerFilled));
    this.position = this.headerFilled;
    this.cache = cache;
    this.header = header;
  }
}

/** Magic and version, from the first 16 bytes. */
function checkPreamble(bytes: Uint8Array): void {
  if (!SNAPSHOT_MAGIC.every((byte, index) => bytes[index] === byte))
    throw refused('format', 'not a revocation snapshot (wrong magic bytes)');
  const view = new DataView(bytes.buffer, bytes.byteOffset, 16);
  const version = view.getUint32(8, true);
  if (version !== SNAPSHOT_FORMAT_VERSION) {
    throw refused('version', `snapshot format version ${version}; this version reads only ${SNAPSHOT_FORMAT_VERSION}`);
  }
  const headerBytes = view.getUint32(12, true);
  if (headerBytes < FIXED_HEADER_BYTES || headerBytes > MAX_HEADER_BYTES || headerBytes % 8 !== 0) {
    throw refused('format', `header length ${headerBytes} is not a multiple of 8 from ${FIXED_HEADER_BYTES} to ${MAX_HEADER_BYTES}`);
  }
}

/** The whole header; its structure checked (sizes, offsets, layouts), not yet its meaning for a reader. */
function parseHeader(bytes: Uint8Array): SnapshotHeader {
  checkPreamble(bytes);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerBytes = view.getUint32(12, true);
  const tableCount = view.getUint32(88, true);
  const nameBytes = view.getUint32(92, true);
  if (
    tableCount > MAX_TABLES ||
    nameBytes > MAX_TABLE_NAME_BYTES ||
    align8(FIXED_HEADER_BYTES + tableCount * DESCRIPTOR_BYTES + nameBytes) !== headerBytes
  ) {
    throw refused('format', `a header of ${headerBytes} bytes cannot hold ${tableCount} tables and a ${nameBytes}-byte table name`);
  }
  const tables: SnapshotTableDescriptor[] = [];
  let offset = headerBytes;
  for (let index = 0; index < tableCount; index++) {
    const at = FIXED_HEADER_BYTES + index * DESCRIPTOR_BYTES;
    const kindBytes = bytes.subarray(at, at + KIND_BYTES);
    const end = kindBytes.indexOf(0) < 0 ? KIND_BYTES : kindBytes.indexOf(0);
    const kind = Buffer.from(kindBytes.subarray(0, end)).toString('latin1');
    const flags = view.getUint32(at + 16, true);
    const layout = (Object.keys(LAYOUT_CODES) as TableLayout[]).find((name) => LAYOUT_CODES[name] === view.getUint32(at + 20, true));
    const capacity = view.getUint32(at + 24, true);
    const count = view.getUint32(at + 28, true);
    const dataOffset = view.getFloat64(at + 40, true);
    if (!/^[a-z][a-z0-9_-]*$/.test(kind) || kindBytes.subarray(end).some((byte) => byte !== 0) || (flags & ~ANY_ISSUER_FLAG) !== 0) {
      throw refused('format', `table ${index} has a malformed kind or flags`);
    }
    if (layout === undefined)
      throw refused('unknown_table', `table ${index} (${kind}) has layout ${view.getUint32(at + 20, true)}, unknown to this version`);
    if (capacity < 256 || (capacity & (capacity - 1)) !== 0 || count > capacity * 0.75 || dataOffset !== offset) {
      throw refused(
        'format',
        `table ${index} (${kind}) declares ${count} entries in ${capacity} slots at offset ${dataOffset}: impossible`,
      );
    }
    const byteLength = capacity * SLOT_BYTES[layout];
    tables.push({
      kind,
      anyIssuer: (flags & ANY_ISSUER_FLAG) !== 0,
      layout,
      capacity,
      count,
      nextExpiryEpochSeconds: view.getFloat64(at + 32, true),
      offset,
      byteLength,
    });
    offset += byteLength;
  }
  const byteLength = view.getFloat64(48, true);
  if (byteLength !== offset) throw refused('format', `the header declares ${byteLength} bytes, its tables end at ${offset}`);
  const nameAt = FIXED_HEADER_BYTES + tableCount * DESCRIPTOR_BYTES;
  return {
    version: view.getUint32(8, true),
    byteLength,
    createdAtEpochMs: view.getFloat64(56, true),
    watermarkEpochMs: view.getFloat64(64, true),
    scanBaseEpochMs: view.getFloat64(72, true),
    seed: view.getUint32(80, true),
    cutoffRetentionSeconds: view.getUint32(84, true),
    tableName: Buffer.from(bytes.subarray(nameAt, nameAt + nameBytes)).toString('utf8'),
    tables,
    sha256: Buffer.from(bytes.subarray(16, 48)).toString('hex'),
  };
}

function describeTable(descriptor: Pick<SnapshotTableDescriptor, 'kind' | 'anyIssuer' | 'layout'>): string {
  return `${descriptor.kind}${descriptor.anyIssuer ? ' (any issuer)' : ''}, ${descriptor.layout} layout`;
}

function align8(bytes: number): number {
  return Math.ceil(bytes / 8) * 8;
}

function refused(reason: SnapshotRefusalReason, message: string): SnapshotRefusedError {
  return new SnapshotRefusedError(reason, message);
}

// Over 300 lines: one data structure whose probing, deletion, sweep, resize and hash share invariants.
import { cutoffExpiresAtEpochSeconds } from './revocation.js';

const MIN_CAPACITY = 256;
/** 2^28 slots: 3 GiB for an expiry table, far beyond any Lambda's memory; a snapshot claiming more is refused. */
const MAX_CAPACITY = 2 ** 28;
const MAX_LOAD = 0.75;
/** Below this load after a sweep, the table is rebuilt smaller. */
const MIN_LOAD = 0.125;
const MAX_EXPIRY_EPOCH_SECONDS = 0xffff_ffff;

/** Hash output: [low, high]. A typed array, so storing a 32-bit result never boxes a number. */
const hashOut = new Uint32Array(2);

/**
 * One open-addressing table of (issuer, id) → value, max-wins: the storage under RevocationCache.
 *
 * Two layouts, chosen by `cutoffRetentionSeconds`:
 * - expiry (undefined): 3 words per slot [hashHigh, hashLow, expiresAtEpochSeconds];
 * - cut-off (a number): 4 words per slot [hashHigh, hashLow, T as float64], where the entry
 *   expires at cutoffExpiresAtEpochSeconds(T, cutoffRetentionSeconds) (revocation.ts).
 *
 * A slot is empty when both hash words are 0; a computed hash of (0, 0) is stored as (0, 1).
 * Exported for tests.
 */
export class HashedTable {
  private words: Uint32Array;
  private cutoffs: Float64Array;
  private mask: number;
  private count = 0;
  /** A lower bound of every entry's expiry: a sweep before it finds nothing. */
  private nextExpiryEpochSeconds = Infinity;
  private readonly stride: number;
  /** The lane state after the last issuer hashed, so a run of tokens from one issuer hashes it once. */
  private readonly issuerState = new Int32Array(2);
  private lastIssuer: string | undefined;

  constructor(
    private readonly cutoffRetentionSeconds: number | undefined,
    private readonly seed: number,
    capacity = MIN_CAPACITY,
  ) {
    this.stride = cutoffRetentionSeconds === undefined ? 3 : 4;
    this.mask = capacity - 1;
    this.words = new Uint32Array(0);
    this.cutoffs = new Float64Array(0);
    this.allocate(capacity);
  }

  get size(): number {
    return this.count;
  }

  get capacity(): number {
    return this.mask + 1;
  }

  get byteLength(): number {
    return this.words.byteLength;
  }

  /** `expiry` (3 words per slot) or `cutoff` (2 hash words and a float64 T per slot): how the slots are laid out. */
  get layout(): TableLayout {
    return this.stride === 3 ? 'expiry' : 'cutoff';
  }

  /**
   * The table's state as it is in memory, for a snapshot (lambda/revocation/snapshot-format.ts):
   * the slots' bytes (a view, not a copy: write it out before the table changes), the capacity,
   * the entry count and the lower bound of every expiry.
   */
  exportState(): HashedTableState {
    return {
      layout: this.layout,
      capacity: this.mask + 1,
      count: this.count,
      nextExpiryEpochSeconds: this.nextExpiryEpochSeconds,
      bytes: new Uint8Array(this.words.buffer, this.words.byteOffset, this.words.byteLength),
    };
  }

  /**
   * Takes over slots read from a snapshot: `buffer` becomes the table's storage as it is (no
   * parse, no rehash). The caller has checked the snapshot's checksum; this checks the shape and
   * counts the occupied slots, so a buffer whose count is wrong (a writer's bug) cannot leave a
   * table without an empty slot, where a probe for an absent key would never end.
   * @throws RangeError when the state does not fit this table.
   */
  restoreState(state: RestoredTableState): void {
    const { capacity, count, buffer } = state;
    if (!Number.isInteger(capacity) || capacity < MIN_CAPACITY || (capacity & (capacity - 1)) !== 0 || capacity > MAX_CAPACITY) {
      throw new RangeError(`capacity must be a power of two from ${MIN_CAPACITY} to ${MAX_CAPACITY}, got ${capacity}`);
    }
    if (buffer.byteLength !== capacity * this.stride * 4) {
      throw new RangeError(
        `a ${this.layout} table of ${capacity} slots takes ${capacity * this.stride * 4} bytes, got ${buffer.byteLength}`,
      );
    }
    if (!Number.isInteger(count) || count < 0 || count > capacity * MAX_LOAD) {
      throw new RangeError(`count must be a whole number up to ${capacity * MAX_LOAD} for ${capacity} slots, got ${count}`);
    }
    const words = new Uint32Array(buffer);
    let occupied = 0;
    for (let base = 0; base < words.length; base += this.stride) if (words[base] !== 0 || words[base + 1] !== 0) occupied++;
    if (occupied !== count) throw new RangeError(`the slots hold ${occupied} entries, the count says ${count}`);
    this.words = words;
    this.cutoffs = this.stride === 4 ? new Float64Array(buffer) : new Float64Array(0);
    this.mask = capacity - 1;
    this.count = count;
    // A lower bound is all a sweep needs; NaN or a later value from a snapshot must not skip one.
    this.nextExpiryEpochSeconds = Number.isNaN(state.nextExpiryEpochSeconds) ? -Infinity : state.nextExpiryEpochSeconds;
    this.lastIssuer = undefined;
  }

  /**
   * Whether (issuer, id) is present and not expired (expiry layout). Returns a boolean and reads
   * the arrays directly: a double returned or passed across a call that is not inlined would be
   * boxed, an allocation per request.
   */
  hasLive(issuer: string, id: string, nowEpochSeconds: number): boolean {
    this.hash(issuer, id);
    const slot = this.find(hashOut[1]!, hashOut[0]!);
    return slot >= 0 && this.words[slot * 3 + 2]! > nowEpochSeconds;
  }

  /** Whether a live cut-off of (issuer, id) refuses a token issued at `issuedAtEpochSeconds` (cut-off layout). */
  cutoffCovers(issuer: string, id: string, issuedAtEpochSeconds: number | undefined, nowEpochSeconds: number): boolean {
    this.hash(issuer, id);
    const slot = this.find(hashOut[1]!, hashOut[0]!);
    if (slot < 0) return false;
    const cutoffMs = this.cutoffs[slot * 2 + 1]!;
    if (!(cutoffExpiresAtEpochSeconds(cutoffMs, this.cutoffRetentionSeconds!) > nowEpochSeconds)) return false;
    return issuedAtEpochSeconds === undefined || issuedAtEpochSeconds * 1000 <= cutoffMs;
  }

  /**
   * The value of (issuer, id) if present and not expired: the expiry in epoch seconds (expiry
   * layout) or T in epoch ms (cut-off layout); otherwise 0 (expiry) or -Infinity (cut-off).
   * Not for the request path (see hasLive).
   */
  liveValue(issuer: string, id: string, nowEpochSeconds: number): number {
    this.hash(issuer, id);
    const slot = this.find(hashOut[1]!, hashOut[0]!);
    const absent = this.stride === 3 ? 0 : -Infinity;
    if (slot < 0) return absent;
    return this.expiryAt(slot) > nowEpochSeconds ? this.valueAt(slot) : absent;
  }

  /**
   * Inserts (issuer, id) or raises its value to `value` if that is greater. An entry whose
   * expiry has passed is not inserted.
   * @returns whether anything changed.
   */
  raise(issuer: string, id: string, value: number, nowEpochSeconds: number): boolean {
    if (this.stride === 3) value = Math.min(Math.ceil(value), MAX_EXPIRY_EPOCH_SECONDS);
    if (!(this.expiryOf(value) > nowEpochSeconds)) return false;
    this.hash(issuer, id);
    const high = hashOut[1]!;
    const low = hashOut[0]!;
    const slot = this.find(high, low);
    if (slot >= 0) {
      if (!(value > this.valueAt(slot))) return false;
      this.setValue(slot, value);
      return true;
    }
    if (this.count + 1 > (this.mask + 1) * MAX_LOAD) this.rehash((this.mask + 1) * 2);
    this.place(high, low, value);
    return true;
  }

  /** Removes expired entries in place (backward shift keeps every probe chain intact). */
  sweep(nowEpochSeconds: number): number {
    if (this.count === 0 || nowEpochSeconds < this.nextExpiryEpochSeconds) return 0;
    const words = this.words;
    const stride = this.stride;
    const mask = this.mask;
    // Start just after an empty slot, so no probe chain wraps across the start: a deletion then
    // only pulls entries back from slots not yet visited into the current one (re-examined).
    let start = 0;
    while (words[start * stride] !== 0 || words[start * stride + 1] !== 0) start++;
    let removed = 0;
    let nextExpiry = Infinity;
    for (let step = 0, slot = (start + 1) & mask; step < mask;) {
      const base = slot * stride;
      if (words[base] === 0 && words[base + 1] === 0) {
        step++;
        slot = (slot + 1) & mask;
        continue;
      }
      const expiry = this.expiryAt(slot);
      if (expiry <= nowEpochSeconds) {
        this.deleteAt(slot);
        removed++;
        continue; // the slot may now hold an entry pulled back from further on
      }
      if (expiry < nextExpiry) nextExpiry = expiry;
      step++;
      slot = (slot + 1) & mask;
    }
    this.nextExpiryEpochSeconds = nextExpiry;
    const capacity = mask + 1;
    if (capacity > MIN_CAPACITY && this.count < capacity * MIN_LOAD) this.rehash(capacityFor(this.count));
    return removed;
  }

  private hash(issuer: string, id: string): void {
    if (issuer !== this.lastIssuer) {
      hashIssuer(issuer, this.seed, this.issuerState);
      this.lastIssuer = issuer;
    }
    hashId(this.issuerState, id);
  }

  private find(high: number, low: number): number {
    const words = this.words;
    const stride = this.stride;
    const mask = this.mask;
    for (let slot = low & mask; ; slot = (slot + 1) & mask) {
      const base = slot * stride;
      const storedHigh = words[base]!;
      const storedLow = words[base + 1]!;
      if (storedHigh === high && storedLow === low) return slot;
      if (storedHigh === 0 && storedLow === 0) return -1;
    }
  }

  private place(high: number, low: number, value: number): void {
    const words = this.words;
    const stride = this.stride;
    const mask = this.mask;
    let slot = low & mask;
    while (words[slot * stride] !== 0 || words[slot * stride + 1] !== 0) slot = (slot + 1) & mask;
    words[slot * stride] = high;
    words[slot * stride + 1] = low;
    this.setValue(slot, value);
    this.count++;
    const expiry = this.expiryOf(value);
    if (expiry < this.nextExpiryEpochSeconds) this.nextExpiryEpochSeconds = expiry;
  }

  private deleteAt(slot: number): void {
    const words = this.words;
    const stride = this.stride;
    const mask = this.mask;
    let hole = slot;
    for (let next = (slot + 1) & mask; ; next = (next + 1) & mask) {
      const base = next * stride;
      if (words[base] === 0 && words[base + 1] === 0) break;
      const home = words[base + 1]! & mask;
      // The entry may move back into the hole only if its home slot is not after the hole.
      if (((next - home) & mask) >= ((next - hole) & mask)) {
        words.copyWithin(hole * stride, base, base + stride);
        hole = next;
      }
    }
    words.fill(0, hole * stride, hole * stride + stride);
    this.count--;
  }

  private valueAt(slot: number): number {
    return this.stride === 3 ? this.words[slot * 3 + 2]! : this.cutoffs[slot * 2 + 1]!;
  }

  private setValue(slot: number, value: number): void {
    if (this.stride === 3) this.words[slot * 3 + 2] = value;
    else this.cutoffs[slot * 2 + 1] = value;
  }

  private expiryAt(slot: number): number {
    return this.expiryOf(this.valueAt(slot));
  }

  private expiryOf(value: number): number {
    return this.stride === 3 ? value : cutoffExpiresAtEpochSeconds(value, this.cutoffRetentionSeconds!);
  }

  private allocate(capacity: number): void {
    const buffer = new ArrayBuffer(capacity * this.stride * 4);
    this.words = new Uint32Array(buffer);
    this.cutoffs = this.stride === 4 ? new Float64Array(buffer) : new Float64Array(0);
    this.mask = capacity - 1;
  }

  private rehash(capacity: number): void {
    const oldWords = this.words;
    const oldCutoffs = this.cutoffs;
    const stride = this.stride;
    const oldCapacity = this.mask + 1;
    this.allocate(capacity);
    this.count = 0;
    this.nextExpiryEpochSeconds = Infinity;
    for (let slot = 0; slot < oldCapacity; slot++) {
      const base = slot * stride;
      const high = oldWords[base]!;
      const low = oldWords[base + 1]!;
      if (high === 0 && low === 0) continue;
      this.place(high, low, stride === 3 ? oldWords[base + 2]! : oldCutoffs[slot * 2 + 1]!);
    }
  }
}

/** How a table lays out its slots: see {@link HashedTable}. */
export type TableLayout = 'expiry' | 'cutoff';

/** A table's state as {@link HashedTable.exportState} gives it. */
export interface HashedTableState {
  readonly layout: TableLayout;
  readonly capacity: number;
  readonly count: number;
  readonly nextExpiryEpochSeconds: number;
  /** The slots' bytes: capacity × 12 (expiry) or × 16 (cut-off), in the platform's byte order. */
  readonly bytes: Uint8Array;
}

/** What {@link HashedTable.restoreState} takes: the slots in a buffer of their own. */
export interface RestoredTableState {
  readonly capacity: number;
  readonly count: number;
  readonly nextExpiryEpochSeconds: number;
  readonly buffer: ArrayBuffer;
}

/** The smallest power-of-two capacity that holds `count` entries at half load. */
function capacityFor(count: number): number {
  let capacity = MIN_CAPACITY;
  while (capacity * 0.5 < count) capacity *= 2;
  return capacity;
}

/**
 * A seeded 64-bit hash of (issuer, id) from the strings' UTF-16 code units, two per step, without
 * allocating: two 32-bit lanes with different mixing functions (MurmurHash3's block mix and a
 * multiply-xorshift), so a collision in one lane says nothing about the other, joined by
 * MurmurHash3's finalizer. The issuer's length goes in first, so ("ab", "c") and ("a", "bc")
 * differ. `hashIssuer` runs once per issuer (tokens of one issuer repeat it), `hashId` per lookup.
 */
function hashIssuer(issuer: string, seed: number, state: Int32Array): void {
  let a = seed ^ issuer.length;
  let b = Math.imul(seed ^ 0x2545f491, 0x9e3779b1) ^ issuer.length;
  const pairs = issuer.length & ~1;
  for (let i = 0; i < pairs; i += 2) {
    const k = issuer.charCodeAt(i) | (issuer.charCodeAt(i + 1) << 16);
    a = mixA(a, k);
    b = mixB(b, k);
  }
  if (pairs < issuer.length) {
    // The odd last unit, marked so it differs from a pair with a 0 second unit.
    const k = issuer.charCodeAt(pairs) | 0x10000;
    a = mixA(a, k);
    b = mixB(b, k);
  }
  state[0] = a;
  state[1] = b;
}

/** Continues from an issuer's state over the id and writes [low, high] to `hashOut`. */
function hashId(issuerState: Int32Array, id: string): void {
  let a = mixA(issuerState[0]!, 0x7a3c0000 ^ id.length);
  let b = mixB(issuerState[1]!, 0x7a3c0000 ^ id.length);
  const pairs = id.length & ~1;
  for (let i = 0; i < pairs; i += 2) {
    const k = id.charCodeAt(i) | (id.charCodeAt(i + 1) << 16);
    a = mixA(a, k);
    b = mixB(b, k);
  }
  if (pairs < id.length) {
    const k = id.charCodeAt(pairs) | 0x10000;
    a = mixA(a, k);
    b = mixB(b, k);
  }
  a = fmix(a + b);
  b = fmix(b ^ a ^ 0x7f4a7c15);
  if ((a | b) === 0) a = 1;
  hashOut[0] = a;
  hashOut[1] = b;
}

function mixA(h: number, c: number): number {
  let k = Math.imul(c, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  h ^= Math.imul(k, 0x1b873593);
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

function mixB(h: number, c: number): number {
  h = Math.imul(h ^ c, 0x5bd1e995);
  return h ^ (h >>> 15);
}

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

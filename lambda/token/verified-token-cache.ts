import type { VerifiedToken } from './verified-token.js';

/** A verified token and the key set generation it was verified under. */
export interface RememberedToken {
  readonly token: VerifiedToken;
  readonly keyGeneration: number;
}

interface Entry {
  /** The whole token: an entry answers only for exactly this string. */
  readonly token: string;
  readonly value: RememberedToken;
  readonly acceptableUntilEpochSeconds: number;
}

/**
 * Characters of the token's end (its signature's) that key the maps. Hashing a string costs V8
 * about 1.5 ns per character, so the whole token as a key (about 900 characters for RS256) cost
 * more than everything else a repeated token needs; 32 base64url characters hold 192 bits of the
 * signature. A lookup still compares the whole token, so tokens sharing an end (only a crafted
 * one would) merely displace each other.
 */
const KEY_CHARACTERS = 32;

/**
 * Tokens that passed verification, each kept no longer than its own exp (or age limit). Bounded
 * by generations: new entries go to the current map; when it holds half of `maxEntries`, it
 * becomes the previous one and the previous one is dropped whole. A token found in the previous
 * map moves to the current one, so tokens presented steadily stay while the rest age out. Neither
 * a hit nor an insertion pays for eviction bookkeeping, which a FIFO over one map did on every
 * insertion (docs/performance.md).
 */
export class VerifiedTokenCache {
  private current = new Map<string, Entry>();
  private previous = new Map<string, Entry>();
  private readonly generationSize: number;
  /**
   * One bit per hash of a token's last characters, set for every key either map holds: a clear bit
   * means the cache has never seen the token, so a new token (every fresh decision) costs no map
   * lookup. A set bit may be stale or shared and only costs the lookup. Rebuilt when a generation
   * is dropped.
   */
  private readonly presence: Uint32Array;
  private readonly presenceShift: number;

  constructor(private readonly maxEntries: number) {
    // With room for a single entry there is no previous generation: a new entry replaces the old.
    this.generationSize = maxEntries === 1 ? 1 : Math.floor(maxEntries / 2);
    // About 16 bits per entry (a clear bit for ~95% of new tokens), from 1 Ki to 4 Mi bits.
    const bits = Math.min(22, Math.max(10, Math.ceil(Math.log2(Math.max(1, maxEntries) * 16))));
    this.presence = new Uint32Array(2 ** (bits - 5));
    this.presenceShift = 32 - bits;
  }

  get(token: string, nowEpochSeconds: number): RememberedToken | undefined {
    const bit = this.presenceBit(token);
    if ((this.presence[bit >>> 5]! & (1 << (bit & 31))) === 0) return undefined;
    const key = keyOf(token);
    let entry = this.current.get(key);
    if (entry === undefined) {
      entry = this.previous.get(key);
      if (entry === undefined || entry.token !== token || nowEpochSeconds >= entry.acceptableUntilEpochSeconds) return undefined;
      this.insert(key, entry);
      return entry.value;
    }
    if (entry.token !== token) return undefined;
    if (nowEpochSeconds >= entry.acceptableUntilEpochSeconds) {
      this.current.delete(key);
      this.previous.delete(key);
      return undefined;
    }
    return entry.value;
  }

  set(token: string, value: RememberedToken, acceptableUntilEpochSeconds: number): void {
    if (this.maxEntries === 0) return;
    this.insert(keyOf(token), { token, value, acceptableUntilEpochSeconds });
  }

  /** Entries held, at most maxEntries (a token present in both generations counts twice). */
  get size(): number {
    return this.current.size + this.previous.size;
  }

  private insert(key: string, entry: Entry): void {
    if (this.current.size >= this.generationSize) {
      this.previous = this.maxEntries === 1 ? new Map() : this.current;
      this.current = new Map();
      this.presence.fill(0);
      for (const kept of this.previous.keys()) this.markPresent(kept);
    }
    this.current.set(key, entry);
    this.markPresent(key);
  }

  private markPresent(key: string): void {
    const bit = this.presenceBit(key);
    this.presence[bit >>> 5]! |= 1 << (bit & 31);
  }

  /** From the last characters, which a key shares with its token; a signature's are as good as random. */
  private presenceBit(tokenOrKey: string): number {
    const end = tokenOrKey.length;
    const tail =
      tokenOrKey.charCodeAt(end - 2) |
      (tokenOrKey.charCodeAt(end - 3) << 8) |
      (tokenOrKey.charCodeAt(end - 4) << 16) |
      (tokenOrKey.charCodeAt(end - 5) << 24);
    return Math.imul(tail, 0x9e3779b1) >>> this.presenceShift;
  }
}

function keyOf(token: string): string {
  return token.length > KEY_CHARACTERS ? token.slice(-KEY_CHARACTERS) : token;
}

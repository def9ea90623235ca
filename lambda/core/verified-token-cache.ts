import type { VerifiedToken } from './verified-token.js';

/** A verified token and the key set generation it was verified under. */
export interface RememberedToken {
  readonly token: VerifiedToken;
  readonly keyGeneration: number;
}

interface Entry {
  readonly value: RememberedToken;
  readonly acceptableUntilEpochSeconds: number;
}

/**
 * Tokens that passed verification, keyed by the exact token string, each kept no longer than its
 * own exp (or age limit). Bounded: past `maxEntries` the oldest insertion goes first, which is
 * close to LRU for tokens that are presented steadily and costs no bookkeeping per hit.
 */
export class VerifiedTokenCache {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly maxEntries: number) {}

  get(token: string, nowEpochSeconds: number): RememberedToken | undefined {
    const entry = this.entries.get(token);
    if (entry === undefined) return undefined;
    if (nowEpochSeconds >= entry.acceptableUntilEpochSeconds) {
      this.entries.delete(token);
      return undefined;
    }
    return entry.value;
  }

  set(token: string, value: RememberedToken, acceptableUntilEpochSeconds: number): void {
    if (this.maxEntries === 0) return;
    if (this.entries.size >= this.maxEntries && !this.entries.has(token)) {
      this.entries.delete(this.entries.keys().next().value!);
    }
    this.entries.set(token, { value, acceptableUntilEpochSeconds });
  }

  get size(): number {
    return this.entries.size;
  }
}

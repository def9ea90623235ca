/**
 * The `jti`s of logout tokens and SETs this instance accepted, each until the token can no longer
 * be accepted (OIDC Back-Channel Logout 1.0 §2.6 step 7: "verify that another Logout Token with
 * the same jti value has not been recently received"; RFC 8417 §2.2: `jti` identifies a SET).
 *
 * Per instance, in memory: another instance of the function does not know what this one saw. A
 * replay that reaches another instance republishes the same revocation, which the ingest applies
 * idempotently (a cut-off only moves forward; a session or jti already revoked stays so), so it
 * changes nothing; no table is needed for that. Bounded: once `maxEntries` are held, expired
 * entries are dropped and then the oldest.
 */
export class ReplayCache {
  private readonly seen = new Map<string, number>();

  constructor(private readonly maxEntries: number) {}

  /** Whether (issuer, jti) was remembered and has not expired. */
  has(issuer: string, jti: string, nowMs: number): boolean {
    const until = this.seen.get(key(issuer, jti));
    return until !== undefined && until > nowMs;
  }

  /** Remembers (issuer, jti) until `untilMs`. */
  remember(issuer: string, jti: string, untilMs: number, nowMs: number): void {
    if (this.maxEntries === 0) return;
    const id = key(issuer, jti);
    this.seen.delete(id);
    if (this.seen.size >= this.maxEntries) this.evict(nowMs);
    this.seen.set(id, untilMs);
  }

  get size(): number {
    return this.seen.size;
  }

  private evict(nowMs: number): void {
    for (const [id, until] of this.seen) if (until <= nowMs) this.seen.delete(id);
    // Insertion order is age order: the first entries are the oldest.
    for (const id of this.seen.keys()) {
      if (this.seen.size < this.maxEntries) break;
      this.seen.delete(id);
    }
  }
}

function key(issuer: string, jti: string): string {
  return `${issuer}\u0000${jti}`;
}

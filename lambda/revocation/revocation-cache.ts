import { randomInt } from 'node:crypto';
import { HashedTable } from './hashed-table.js';
import { ANY_ISSUER, type Revocation, type RevocationKind } from './revocation.js';

/**
 * The authorizer's in-process view of the revocation table: "is this jti revoked", "what is this
 * subject's cut-off", "what is this client's cut-off", "is this session revoked", each answered in
 * O(1) without allocating.
 *
 * Each kind lives in open-addressing hash tables (linear probing, backward-shift deletion) held
 * in typed arrays. A slot stores a 64-bit hash of (issuer, id) instead of the strings, so an entry
 * costs 12 bytes per slot for a jti or a session (hash + expiry in epoch seconds: a session is
 * refused whatever the token's iat, so only its expiry matters) and 16 for a cut-off (hash + T in
 * epoch milliseconds as a float64, exact for `iat * 1000 <= T`). Tables double at a load
 * factor of 0.75, so a growing jti table costs 16 to 32 bytes per entry (25 at one million); one
 * that sweeps leave under 1/8 full is rebuilt smaller. A `Map<string, number>` of the same
 * (issuer, jti) data takes about 150 bytes per entry (bench/revocation-measure.ts).
 *
 * Hash collisions only ever deny: a lookup answers "revoked" for a key that was never revoked when
 * its 64-bit hash equals that of a stored entry, with probability about n / 2^64 per lookup for n
 * stored entries (5e-14 at one million entries); two stored entries with the same hash merge with
 * max-wins, so both stay revoked at least as long as they should. No collision makes a revoked
 * token pass. The hash is seeded per process, so colliding ids cannot be precomputed.
 *
 * Entries whose issuer is {@link ANY_ISSUER} are kept in separate tables, so the second lookup a
 * token needs for them costs nothing while there are none (the common case).
 */
export class RevocationCache {
  private readonly jtis: HashedTable;
  private readonly jtisAnyIssuer: HashedTable;
  private readonly subjects: HashedTable;
  private readonly subjectsAnyIssuer: HashedTable;
  private readonly clients: HashedTable;
  private readonly clientsAnyIssuer: HashedTable;
  private readonly sessions: HashedTable;
  private readonly sessionsAnyIssuer: HashedTable;

  constructor(options: RevocationCacheOptions) {
    const seed = options.seed ?? randomInt(0, 2 ** 32);
    const retention = options.cutoffRetentionSeconds;
    if (!Number.isInteger(retention) || retention < 0) {
      throw new RangeError(`cutoffRetentionSeconds must be a whole number of seconds, got ${retention}`);
    }
    this.jtis = new HashedTable(undefined, seed);
    this.jtisAnyIssuer = new HashedTable(undefined, seed);
    this.subjects = new HashedTable(retention, seed);
    this.subjectsAnyIssuer = new HashedTable(retention, seed);
    this.clients = new HashedTable(retention, seed);
    this.clientsAnyIssuer = new HashedTable(retention, seed);
    this.sessions = new HashedTable(undefined, seed);
    this.sessionsAnyIssuer = new HashedTable(undefined, seed);
  }

  /**
   * Adds a revocation with max-wins (a later expiry, a later cut-off); one that has already
   * expired is ignored. Idempotent, so re-reading overlapping changes is harmless.
   * @returns whether the view changed.
   */
  apply(revocation: Revocation, nowEpochSeconds: number): boolean {
    if (!(revocation.expiresAtEpochSeconds > nowEpochSeconds)) return false;
    const any = revocation.issuer === ANY_ISSUER;
    switch (revocation.kind) {
      case 'jti':
        return (any ? this.jtisAnyIssuer : this.jtis).raise(
          revocation.issuer,
          revocation.jti,
          revocation.expiresAtEpochSeconds,
          nowEpochSeconds,
        );
      case 'subject':
        return (any ? this.subjectsAnyIssuer : this.subjects).raise(
          revocation.issuer,
          revocation.id,
          revocation.revokedAtEpochMs,
          nowEpochSeconds,
        );
      case 'client':
        return (any ? this.clientsAnyIssuer : this.clients).raise(
          revocation.issuer,
          revocation.id,
          revocation.revokedAtEpochMs,
          nowEpochSeconds,
        );
      case 'session':
        // Expiry layout, like a jti: the entry refuses every token of the session while it lives.
        return (any ? this.sessionsAnyIssuer : this.sessions).raise(
          revocation.issuer,
          revocation.id,
          revocation.expiresAtEpochSeconds,
          nowEpochSeconds,
        );
    }
  }

  /** Whether the token with this jti from this issuer (or from any issuer) is revoked. */
  isJtiRevoked(issuer: string, jti: string, nowEpochSeconds: number): boolean {
    return (
      this.jtis.hasLive(issuer, jti, nowEpochSeconds) ||
      (this.jtisAnyIssuer.size > 0 && this.jtisAnyIssuer.hasLive(ANY_ISSUER, jti, nowEpochSeconds))
    );
  }

  /**
   * Whether a cut-off of this subject (its issuer's or any issuer's, so the later of the two)
   * refuses a token issued at `issuedAtEpochSeconds`: `iat * 1000 <= T`. A token without iat is
   * refused by any cut-off, since it cannot be shown to be newer.
   */
  isSubjectRevoked(issuer: string, subject: string, issuedAtEpochSeconds: number | undefined, nowEpochSeconds: number): boolean {
    return (
      this.subjects.cutoffCovers(issuer, subject, issuedAtEpochSeconds, nowEpochSeconds) ||
      (this.subjectsAnyIssuer.size > 0 && this.subjectsAnyIssuer.cutoffCovers(ANY_ISSUER, subject, issuedAtEpochSeconds, nowEpochSeconds))
    );
  }

  /** The same as {@link isSubjectRevoked}, for the client claim. */
  isClientRevoked(issuer: string, clientId: string, issuedAtEpochSeconds: number | undefined, nowEpochSeconds: number): boolean {
    return (
      this.clients.cutoffCovers(issuer, clientId, issuedAtEpochSeconds, nowEpochSeconds) ||
      (this.clientsAnyIssuer.size > 0 && this.clientsAnyIssuer.cutoffCovers(ANY_ISSUER, clientId, issuedAtEpochSeconds, nowEpochSeconds))
    );
  }

  /** Whether this session of this issuer (or of any issuer) is revoked: every token carrying it is refused, whatever its iat. */
  isSessionRevoked(issuer: string, session: string, nowEpochSeconds: number): boolean {
    return (
      this.sessions.hasLive(issuer, session, nowEpochSeconds) ||
      (this.sessionsAnyIssuer.size > 0 && this.sessionsAnyIssuer.hasLive(ANY_ISSUER, session, nowEpochSeconds))
    );
  }

  /** The subject's cut-off T in epoch ms (the later of its issuer's and any issuer's), or -Infinity. For diagnostics. */
  subjectCutoffMs(issuer: string, subject: string, nowEpochSeconds: number): number {
    return Math.max(
      this.subjects.liveValue(issuer, subject, nowEpochSeconds),
      this.subjectsAnyIssuer.liveValue(ANY_ISSUER, subject, nowEpochSeconds),
    );
  }

  /** The client's cut-off T in epoch ms (the later of its issuer's and any issuer's), or -Infinity. For diagnostics. */
  clientCutoffMs(issuer: string, clientId: string, nowEpochSeconds: number): number {
    return Math.max(
      this.clients.liveValue(issuer, clientId, nowEpochSeconds),
      this.clientsAnyIssuer.liveValue(ANY_ISSUER, clientId, nowEpochSeconds),
    );
  }

  /**
   * Removes every entry that expired, in place, and shrinks tables that became mostly empty.
   * Costs one pass over the slots of each table that holds an expired entry, so callers run it
   * from the sync path at most every few seconds, never per request.
   * @returns how many entries were removed.
   */
  sweep(nowEpochSeconds: number): number {
    let removed = 0;
    for (const table of this.tables()) removed += table.sweep(nowEpochSeconds);
    return removed;
  }

  /** Live and not-yet-swept entries, per kind. */
  get sizes(): Readonly<Record<RevocationKind, number>> {
    return {
      jti: this.jtis.size + this.jtisAnyIssuer.size,
      subject: this.subjects.size + this.subjectsAnyIssuer.size,
      client: this.clients.size + this.clientsAnyIssuer.size,
      session: this.sessions.size + this.sessionsAnyIssuer.size,
    };
  }

  /** Entries of every kind. */
  get size(): number {
    let size = 0;
    for (const table of this.tables()) size += table.size;
    return size;
  }

  /** Bytes held by the tables' typed arrays. */
  get byteLength(): number {
    let bytes = 0;
    for (const table of this.tables()) bytes += table.byteLength;
    return bytes;
  }

  /** Every table the cache holds, the one list of them: sweep, size and byteLength go through it. */
  private tables(): HashedTable[] {
    return [
      this.jtis,
      this.jtisAnyIssuer,
      this.subjects,
      this.subjectsAnyIssuer,
      this.clients,
      this.clientsAnyIssuer,
      this.sessions,
      this.sessionsAnyIssuer,
    ];
  }
}

export interface RevocationCacheOptions {
  /** How long a cut-off matters after T: `cutoffRetentionSeconds(rules)` (revocation.ts). */
  readonly cutoffRetentionSeconds: number;
  /** Hash seed; random per process unless a test fixes it. */
  readonly seed?: number;
}

import type { Revocation, RevocationIds, RevocationKind } from './revocation.js';

/**
 * The two sides of the revocation table as the functions see it: the authorizer reads, the ingest
 * writes. RevocationStore implements both against DynamoDB; tests and benchmarks pass models.
 */

/**
 * The reads the authorizer's view needs. Each rejects with RevocationStateUnavailableError, the
 * cause kept. `signal` is the read's overall deadline: every request of the read is sent with it,
 * and a read whose signal fired stops (its requests aborted, body and all).
 */
export interface RevocationReader {
  /** Every live revocation (cold start), `segments` reads in parallel. */
  scanLive(segments: number, nowEpochSeconds: number, visit: (revocation: Revocation) => void, signal?: AbortSignal): Promise<ReadSummary>;
  /** The live revocations written after `sinceEpochMs` (delta sync); callers overlap reads and apply with max-wins. */
  queryChanges(
    sinceEpochMs: number,
    nowEpochSeconds: number,
    visit: (revocation: Revocation) => void,
    signal?: AbortSignal,
  ): Promise<ReadSummary>;
  /** Consistent reads of every key a token can be revoked under (strong consistency). */
  getForToken(token: TokenKeys, nowEpochSeconds: number, signal?: AbortSignal): Promise<Revocation[]>;
  /**
   * One change-head replica, picked at random, possibly lagging (docs/design.md, "The change
   * head"): the largest change stamp of a completed batch of writes, and the change feed's state
   * when a feed writer runs. A reader without it makes the view query the change index on every
   * sync, as before the head.
   */
  readHead?(signal?: AbortSignal): Promise<ChangeHead>;
}

/** What one change-head item holds. */
export interface ChangeHead {
  /** The largest change stamp (epoch ms) of a completed batch of writes; undefined before the first. */
  readonly changedAtMs: number | undefined;
  /** The change feed's state; undefined while no feed writer has written one. */
  readonly feed: FeedHead | undefined;
}

/**
 * The change feed's state (docs/scale.md, "The change feed"; lambda/contract/table-schema.ts,
 * `head.feed`): pages 1 .. seq hold, between them, every revocation written and stamped up to
 * `atMs` minus the sync overlap. Epoch ms throughout, except the page numbers.
 */
export interface FeedHead {
  /** The last page published (0: none yet). */
  readonly seq: number;
  /** Every revocation in pages 1 .. seq was stamped at or before this. */
  readonly seqAtMs: number;
  /** A page at most `seq` ... */
  readonly base: number;
  /** ... such that every revocation in pages 1 .. base was stamped at or before this. */
  readonly baseAtMs: number;
  /** The start of the feed writer's last complete read of the change index. */
  readonly atMs: number;
}

/** The change feed's pages, as the authorizer reads them (lambda/feed/ implements it against the table). */
export interface FeedReader {
  /**
   * Pages `first` .. `last` (inclusive; at most SCHEMA.feed.slots of them), each from one replica
   * picked at random, every live revocation of each handed to `visit`. A page whose slot holds
   * another page (overwritten already, or not yet visible on that replica) is not read: `missing`
   * is then the first such page number, and the caller reads the change index instead.
   */
  readPages(
    first: number,
    last: number,
    nowEpochSeconds: number,
    visit: (revocation: Revocation) => void,
    signal?: AbortSignal,
  ): Promise<ReadSummary & { missing: number | undefined; refused?: FeedPageRefused }>;
}

/** A page that was there but could not be decoded (a writer's bug, or damage): logged by the reader. */
export interface FeedPageRefused {
  readonly seq: number;
  /** The replica's item key. */
  readonly key: string;
  readonly problem: { readonly reason: string; readonly message: string };
}

/** The write the ingest needs. Rejects with RevocationWriteError; retrying the whole batch is safe. */
export interface RevocationWriter {
  /** Conditional, idempotent, monotonic writes: a cut-off only moves forward, a jti's or a session's expiry only extends. */
  applyRevocations(revocations: readonly Revocation[], options?: ApplyOptions): Promise<ApplyResult>;
}

export interface ApplyOptions {
  /** Fixes every write's change stamp instead of stamping each as it is sent; for tests. @default undefined */
  readonly nowMs?: number;
  /** Writes in flight at once. @default 32 */
  readonly concurrency?: number;
}

/** How many revocations a batch changed, and how many it left as they were, per kind. */
export interface ApplyResult {
  readonly applied: Record<RevocationKind, number>;
  readonly unchanged: Record<RevocationKind, number>;
}

/** What a read returned: live items handed on, expired ones DynamoDB still held, unreadable ones. */
export interface ReadSummary {
  items: number;
  expired: number;
  skipped: number;
}

/** The fields of a verified token that revocations are keyed by. */
export interface TokenKeys {
  readonly issuer: string;
  /**
   * The stored ids (storedId, revocation.ts) of the token's jti (or whole-token hash), subject,
   * client and session, and the signature spellings of a token without jti: computed once when the
   * token is verified, never per request.
   */
  readonly revocationIds: RevocationIds;
}

/** What the revocation check reads of a verified token: its keys and, for cut-offs, when it was issued. */
export interface RevocableToken extends TokenKeys {
  /** `iat`; undefined only when the operator removed iat from the required claims. */
  readonly issuedAtEpochSeconds: number | undefined;
}

/**
 * Where a snapshot of the view is read from (lambda/snapshot/: S3, or a file locally). The bytes
 * arrive as they are read, so the decoder can check the header before the body and copy the body
 * straight into typed arrays.
 */
export interface SnapshotSource {
  /** `s3://bucket/key` or `file:///abs/path`, for logs. */
  readonly uri: string;
  /**
   * The snapshot's bytes in order. Rejects (or throws from the iteration) with
   * SnapshotRefusedError: `missing` (no such object), `too_large` (over `maxBytes`), `unavailable`
   * (any other failure, the cause kept). Stops when `signal` fires.
   */
  read(maxBytes: number, signal: AbortSignal): AsyncIterable<Uint8Array>;
}

/** Where the snapshot writer puts a snapshot: replaced whole or not at all. */
export interface SnapshotSink {
  readonly uri: string;
  /** Writes `parts` (in order, `byteLength` bytes in all) as the new snapshot, atomically. */
  write(parts: readonly Uint8Array[], byteLength: number, signal?: AbortSignal): Promise<void>;
}

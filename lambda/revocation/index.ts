/**
 * Revocation state: the model (kinds, retention rule), the table codec (pure), the store (DynamoDB
 * I/O behind the reader and writer interfaces), the in-process view and the checkers that decide
 * from it (eventual, strong), and the snapshot format (the view's image, read at cold start). The ingest writes through RevocationWriter; the authorizer reads
 * through createRevocationChecker; local/ and bench/ use the store, codec and retries.
 */
export { createRevocationChecker } from './create-revocation-checker.js';
export { EventualChecker } from './eventual-checker.js';
export { FailModePolicy } from './fail-mode-policy.js';
export { HashedTable, type HashedTableState, type TableLayout } from './hashed-table.js';
export type {
  ApplyOptions,
  ApplyResult,
  ChangeHead,
  FeedHead,
  FeedPageRefused,
  FeedReader,
  ReadSummary,
  RevocableToken,
  RevocationReader,
  RevocationWriter,
  SnapshotSink,
  SnapshotSource,
  TokenKeys,
} from './reader-writer.js';
export { errorName, forEachLimited, Retrier, type RetryOptions } from './retry.js';
export { RevocationCache, type CacheTable, type RevocationCacheOptions } from './revocation-cache.js';
export type { RevocationChecker, ViewRevocationChecker } from './revocation-checker.js';
export { createRevocationClient, RevocationStore, type RevocationStoreOptions } from './revocation-store.js';
export { RevocationView, type RevocationCounters, type RevocationViewOptions } from './revocation-view.js';
export {
  ANY_ISSUER,
  countsByKind,
  cutoffExpiresAtEpochSeconds,
  cutoffRetentionSeconds,
  cutoffRevocation,
  HASHED_ID_PREFIX,
  jtiRevocation,
  MAX_CLEAR_ID_BYTES,
  REVOCATION_KINDS,
  revocationId,
  revocationIdsOf,
  sessionRevocation,
  storedId,
  type CutoffRevocation,
  type JtiRevocation,
  type RetentionRules,
  type Revocation,
  type RevocationIds,
  type RevocationKind,
  type SessionRevocation,
} from './revocation.js';
export type { Consistency, FailMode, RevocationSettings, SnapshotSettings } from './settings.js';
export {
  encodeSnapshot,
  readSnapshot,
  SNAPSHOT_CLOCK_ALLOWANCE_MS,
  SNAPSHOT_FORMAT_VERSION,
  SNAPSHOT_MAGIC,
  SnapshotDecoder,
  type DecodedSnapshot,
  type EncodedSnapshot,
  type SnapshotExpectations,
  type SnapshotHeader,
  type SnapshotMetadata,
  type SnapshotTableDescriptor,
} from './snapshot-format.js';
export { StrongChecker } from './strong-checker.js';
export {
  assertStorable,
  ATTRIBUTES,
  changeHeadOf,
  feedHeadOf,
  feedPageKey,
  headKey,
  headOf,
  headRead,
  isHeadKey,
  isStoredId,
  issuerProblem,
  MAX_ENCODED_ISSUER_BYTES,
  MAX_ISSUER_BYTES,
  MAX_KEY_BYTES,
  MAX_TTL_EPOCH_SECONDS,
  MIN_CUTOFF_EPOCH_MS,
  parseRevocationKey,
  revocationKey,
  revocationKeyBytes,
  shardOf,
  storageProblem,
  toItem,
  toRevocation,
  type StorageProblem,
} from './table-codec.js';

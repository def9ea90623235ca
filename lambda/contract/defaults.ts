/**
 * The default of every setting the functions read from their environment, in one place: the
 * functions apply them when a variable is unset (config/load-config.ts), the CDK construct when a
 * prop is (infra/), and docs cite this file. Units are in the names.
 */
export const DEFAULTS = {
  /** REVOCATION_TABLE_NAME. */
  tableName: 'revocations',
  /** JWT_CLOCK_TOLERANCE_SECONDS; also added to every revocation's TTL. */
  clockToleranceSeconds: 60,
  /** JWT_MAX_TOKEN_LIFETIME_SECONDS: 24 hours; also bounds how long a cut-off is kept. */
  maxTokenLifetimeSeconds: 86_400,
  /** JWT_REQUIRED_CLAIMS. */
  requiredClaims: ['iss', 'sub', 'aud', 'exp', 'iat', 'jti'],
  /** JWT_TYP: accepted `typ` header values. */
  acceptedTypes: ['at+jwt', 'jwt'],
  /** JWT_TYP_REQUIRED. */
  typeRequired: false,
  /** JWT_MAX_TOKEN_BYTES. */
  maxTokenBytes: 8192,
  /** JWT_CLIENT_CLAIM: the claim naming the OAuth client, matched by client cut-offs. */
  clientClaim: 'client_id',
  /** JWT_SUBJECT_CLAIM: the claim subject cut-offs match (WSO2 Identity Server: `entity_id`). */
  subjectClaim: 'sub',
  /**
   * JWT_SESSION_CLAIM: the claim session revocations match; `sid`, the OpenID Connect session id
   * (Front-Channel Logout 1.0 §3, Back-Channel Logout 1.0 §2.4). Cognito: `origin_jti`.
   */
  sessionClaim: 'sid',
  /** JWKS_TIMEOUT_MS. */
  jwksTimeoutMs: 5000,
  /** JWKS_COOLDOWN_MS. */
  jwksCooldownMs: 30_000,
  /** JWKS_CACHE_MAX_AGE_MS: 10 minutes. */
  jwksCacheMaxAgeMs: 600_000,
  /** JWKS_MAX_BYTES: 1 MiB, about two thousand RSA keys; a larger key set is refused. */
  jwksMaxBytes: 1_048_576,
  /** REVOCATION_SYNC_INTERVAL_MS. */
  syncIntervalMs: 1000,
  /** REVOCATION_MAX_STALENESS_MS. */
  maxStalenessMs: 30_000,
  /** REVOCATION_FAIL_MODE. */
  failMode: 'closed',
  /** REVOCATION_CONSISTENCY. */
  consistency: 'eventual',
  /** REVOCATION_SCAN_SEGMENTS. */
  scanSegments: 4,
  /** REVOCATION_SYNC_OVERLAP_MS. */
  syncOverlapMs: 5000,
  /** REVOCATION_SNAPSHOT_MAX_AGE_MS: 5 minutes, five missed writes at the default schedule of one a minute. */
  snapshotMaxAgeMs: 300_000,
  /** REVOCATION_SNAPSHOT_MAX_BYTES: 512 MiB, about 20 million revocations. */
  snapshotMaxBytes: 536_870_912,
  /** REVOCATION_SNAPSHOT_TIMEOUT_MS: the snapshot's read, GET and body; then a Scan. */
  snapshotTimeoutMs: 5000,
  /** SNAPSHOT_RESCAN_INTERVAL_MS: how often the snapshot writer reads the whole table again instead of building on the previous snapshot. */
  snapshotRescanIntervalMs: 3_600_000,
  /** snapshotInterval (CDK): how often the scheduled snapshot function runs, in minutes. */
  snapshotIntervalMinutes: 1,
  /**
   * REVOCATION_FULL_SYNC_INTERVAL_MS: the longest an instance goes without querying the change
   * index while the change head does not move (a safety net for a head a writer failed to raise).
   */
  fullSyncIntervalMs: 60_000,
  /**
   * REVOCATION_FEED_MAX_LAG_MS: the oldest change feed an instance follows (its writer's last read
   * of the change index at most this long ago); past it, every sync queries the index itself.
   */
  feedMaxLagMs: 5000,
  /** REVOCATION_SCAN_CONCURRENCY: Scan segments read at once by one cold-start load. */
  scanConcurrency: 4,
  /** REVOCATION_SCAN_PAGES_PER_SECOND: Scan pages one load may start per second; 0 is no limit. */
  scanPagesPerSecond: 0,
  /** TOKEN_CACHE_MAX_ENTRIES. */
  tokenCacheMaxEntries: 10_000,
  /** INGEST_WRITE_CONCURRENCY. */
  writeConcurrency: 32,
  /** FEED_INTERVAL_MS: from the start of one change-feed step to the start of the next (docs/scale.md, "The change feed"). */
  feedIntervalMs: 1000,
  /**
   * INGEST_RAISE_CHANGE_HEAD: `true` raises the change head after every batch; `auto` (what the
   * construct sets with the change feed) only while no feed writer is live, so the head takes over
   * when the feed stops; `false` never.
   */
  raiseChangeHead: true as boolean | 'auto',
} as const;

/** Values of REVOCATION_FAIL_MODE: what a decision does while the revocation view is unusable. */
export const FAIL_MODES = ['closed', 'open'] as const;

/** Values of REVOCATION_CONSISTENCY: `strong` adds a consistent read of the token's keys to every request. */
export const CONSISTENCY_LEVELS = ['eventual', 'strong'] as const;

/**
 * Values of AUTHORIZER_RESPONSE_MODE: the shape of an HTTP API payload 2.0 answer. `simple` for an
 * authorizer created with simple responses, `iam` for one that expects an IAM policy; the event does
 * not say which, so the deployment does (the CDK construct sets it to match the authorizers it
 * creates). Unset: both forms in one answer.
 */
export const RESPONSE_MODES = ['simple', 'iam'] as const;
export type ResponseMode = (typeof RESPONSE_MODES)[number];

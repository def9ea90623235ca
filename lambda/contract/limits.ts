/**
 * The allowed range of each numeric setting, in one place: the functions refuse a variable outside
 * it at cold start (config/load-config.ts), the CDK construct refuses the matching prop at synth
 * time (infra/). A missing `max` means no upper bound.
 */
export const LIMITS = {
  clockToleranceSeconds: { min: 0, max: 3600 },
  maxTokenLifetimeSeconds: { min: 1 },
  maxTokenAgeSeconds: { min: 1 },
  // At most 255 KiB: a whole-token revocation of any token the authorizer accepts must fit one SNS message (256 KiB).
  maxTokenBytes: { min: 256, max: 261_120 },
  jwksTimeoutMs: { min: 1 },
  jwksCacheMaxAgeMs: { min: 1000 },
  jwksMaxBytes: { min: 1024, max: 67_108_864 },
  maxStalenessMs: { min: 1 },
  scanSegments: { min: 1, max: 1_000_000 },
  scanConcurrency: { min: 1, max: 1000 },
  scanPagesPerSecond: { min: 0, max: 100_000 },
  fullSyncIntervalMs: { min: 1000 },
  writeConcurrency: { min: 1, max: 1000 },
  snapshotMaxAgeMs: { min: 1000 },
  // 4 GiB: far above what a Lambda can hold; the format's offsets are exact to 2^53 anyway.
  snapshotMaxBytes: { min: 4096, max: 4_294_967_296 },
  snapshotTimeoutMs: { min: 100 },
  snapshotRescanIntervalMs: { min: 60_000 },
  // Under 100 ms the head writes (one per replica per step) cost more than they tell; over a minute the
  // feed lags more than the full sync that backs it up (fullSyncIntervalMs' default).
  feedIntervalMs: { min: 100, max: 60_000 },
} as const satisfies Record<string, { readonly min: number; readonly max?: number }>;

/**
 * The authorizer context built from JWT_CONTEXT_CLAIMS (api-gateway/context-claims.ts). API
 * Gateway caps a Lambda authorizer's whole result (principal, policy, context) at 8 KB, a quota
 * that cannot be raised ("Amazon API Gateway quotas": AWS Lambda authorizer result size), and
 * context values often become request headers of the integration: half the result for the
 * context leaves the policy and principal room, and a value of 1 KB holds some fifty group names.
 * A claim over either bound is left out of the context (and logged), never cut.
 */
export const CONTEXT_LIMITS = {
  /** UTF-8 bytes of one value as the context carries it (a flattened array or object: its JSON). */
  valueMaxBytes: 1024,
  /** UTF-8 bytes of every name and value together. */
  totalMaxBytes: 4096,
  /** Claims JWT_CONTEXT_CLAIMS may list. */
  maxClaims: 64,
} as const;

/** OIDC discovery (token/discovery.ts): the largest configuration document read. Real ones are 1 to 10 KB. */
export const DISCOVERY_MAX_BYTES = 65_536;

/** JWT_ROUTE_SCOPES: the most routes and scopes per route it may list (HTTP APIs allow 300 routes by default). */
export const ROUTE_SCOPE_LIMITS = { maxRoutes: 1000, maxScopesPerRoute: 50 } as const;

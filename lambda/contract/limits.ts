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
} as const satisfies Record<string, { readonly min: number; readonly max?: number }>;

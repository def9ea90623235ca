import type { CONSISTENCY_LEVELS, FAIL_MODES } from '../contract/index.js';

/** What a decision does while the revocation view is unusable: throw (`closed`) or allow loudly (`open`). */
export type FailMode = (typeof FAIL_MODES)[number];

/** `strong` adds a consistent read of the token's keys to every request the view does not refuse. */
export type Consistency = (typeof CONSISTENCY_LEVELS)[number];

/** How the authorizer reads and keeps revocation state. */
export interface RevocationSettings {
  /** @default revocations */
  readonly tableName: string;
  /** Minimum time between delta reads of the table. @default 1000 */
  readonly syncIntervalMs: number;
  /** Age of the in-process view beyond which decisions fail (or, in open mode, allow loudly). @default 30000 */
  readonly maxStalenessMs: number;
  /** @default closed */
  readonly failMode: FailMode;
  /** @default eventual */
  readonly consistency: Consistency;
  /** Parallel Scan segments for the cold-start load. @default 4 */
  readonly scanSegments: number;
  /** How far back each delta read reaches before the previous one, covering index lag. @default 5000 */
  readonly syncOverlapMs: number;
  /**
   * Longest time without a query of the change index while the change head does not move: the
   * safety net for a head a writer failed to raise (docs/design.md, "The change head"). @default 60000
   */
  readonly fullSyncIntervalMs?: number;
  /**
   * The oldest change feed followed: a feed whose writer last read the change index longer ago is
   * not, and every sync queries the index itself (docs/scale.md, "The change feed"); 0 never
   * follows a feed. @default 5000
   */
  readonly feedMaxLagMs?: number;
  /** Scan segments one cold-start load reads at once (at most scanSegments). @default 4 */
  readonly scanConcurrency?: number;
  /** Scan pages one cold-start load starts per second, across its segments; 0 is no limit. @default 0 */
  readonly scanPagesPerSecond?: number;
  /** Where a cold start reads a snapshot first (REVOCATION_SNAPSHOT_URI and its limits). @default undefined - no snapshot: always a Scan */
  readonly snapshot?: SnapshotSettings;
}

/** How the authorizer reads a revocation snapshot at cold start (docs/scale.md, "Cold start and snapshots"). */
export interface SnapshotSettings {
  /** `s3://bucket/key` or `file:///abs/path`. */
  readonly uri: string;
  /** Oldest watermark a cold start accepts; an older snapshot is refused (`too_old`). @default 300000 */
  readonly maxAgeMs: number;
  /** Largest snapshot read; a larger one is refused (`too_large`). @default 536870912 */
  readonly maxBytes: number;
  /** Deadline of the snapshot's read (GET and body); past it the load falls back to a Scan. @default 5000 */
  readonly timeoutMs: number;
}

import { DEFAULTS, LIMITS } from '../contract/index.js';
import type { SnapshotSettings } from '../revocation/index.js';
import { SNAPSHOT_URI_SHAPE, snapshotUriProblem } from '../snapshot/index.js';
import type { EnvReader } from './env-reader.js';

/** Readers of the settings more than one function reads, each with the same rule everywhere. */

/** Both functions read these two, with the same rule: TTLs and cut-offs must line up. */
export function readClockTolerance(read: EnvReader): number {
  const { min, max } = LIMITS.clockToleranceSeconds;
  return read.integer('JWT_CLOCK_TOLERANCE_SECONDS', DEFAULTS.clockToleranceSeconds, 'seconds', min, max);
}

export function readMaxTokenLifetime(read: EnvReader): number {
  return read.integer('JWT_MAX_TOKEN_LIFETIME_SECONDS', DEFAULTS.maxTokenLifetimeSeconds, 'seconds', LIMITS.maxTokenLifetimeSeconds.min);
}

/**
 * REVOCATION_SNAPSHOT_URI and its limits; undefined when the URI is unset (`required` makes that a
 * problem). The limits are read only with a URI, so a stray one alone is not an error.
 */
/** How a full read and a delta read go over the table: the authorizer's, and the snapshot writer's, which reads it the same way. */
export function readTableReads(read: EnvReader): { readonly scanSegments: number; readonly syncOverlapMs: number } {
  return {
    scanSegments: read.integer(
      'REVOCATION_SCAN_SEGMENTS',
      DEFAULTS.scanSegments,
      'segments',
      LIMITS.scanSegments.min,
      LIMITS.scanSegments.max,
    ),
    syncOverlapMs: read.integer('REVOCATION_SYNC_OVERLAP_MS', DEFAULTS.syncOverlapMs, 'milliseconds'),
  };
}

export function readSnapshotSettings(read: EnvReader, required: boolean): SnapshotSettings | undefined {
  const uri = read.optional('REVOCATION_SNAPSHOT_URI');
  if (uri === undefined) {
    if (required) read.problems.push(`REVOCATION_SNAPSHOT_URI must name where the snapshot is written (${SNAPSHOT_URI_SHAPE})`);
    return undefined;
  }
  const problem = snapshotUriProblem(uri);
  if (problem !== undefined) read.problems.push(`REVOCATION_SNAPSHOT_URI must be ${SNAPSHOT_URI_SHAPE}: ${problem}, got "${uri}"`);
  return {
    uri,
    maxAgeMs: read.integer('REVOCATION_SNAPSHOT_MAX_AGE_MS', DEFAULTS.snapshotMaxAgeMs, 'milliseconds', LIMITS.snapshotMaxAgeMs.min),
    maxBytes: read.integer(
      'REVOCATION_SNAPSHOT_MAX_BYTES',
      DEFAULTS.snapshotMaxBytes,
      'bytes',
      LIMITS.snapshotMaxBytes.min,
      LIMITS.snapshotMaxBytes.max,
    ),
    timeoutMs: read.integer('REVOCATION_SNAPSHOT_TIMEOUT_MS', DEFAULTS.snapshotTimeoutMs, 'milliseconds', LIMITS.snapshotTimeoutMs.min),
  };
}

/** Freezes a settings object and everything in it. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

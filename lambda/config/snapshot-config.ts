import { DEFAULTS, LIMITS } from '../contract/index.js';
import type { RetentionRules, RevocationSettings, SnapshotSettings } from '../revocation/index.js';
import { ConfigurationError } from '../shared/index.js';
import { EnvReader, type Environment } from './env-reader.js';
import { deepFreeze, readClockTolerance, readMaxTokenLifetime, readSnapshotSettings, readTableReads } from './settings-readers.js';

/** The scheduled snapshot function's settings (lambda/snapshot.ts). */
export interface SnapshotWriterConfig {
  /** How the writer reads the table (as the authorizer does) and the previous snapshot; `snapshot` is required here. */
  readonly revocation: RevocationSettings & { readonly snapshot: SnapshotSettings };
  readonly rules: RetentionRules;
  /** How often the writer reads the whole table again instead of building on the previous snapshot. @default 3600000 */
  readonly rescanIntervalMs: number;
}

/**
 * Reads and validates the snapshot function's environment: the table and retention as the
 * authorizer reads them (they must match, or every authorizer refuses the snapshot as `settings`),
 * REVOCATION_SNAPSHOT_URI (required) and SNAPSHOT_RESCAN_INTERVAL_MS.
 */
export function loadSnapshotWriterConfig(env: Environment): SnapshotWriterConfig {
  const read = new EnvReader(env);
  const rules = { clockToleranceSeconds: readClockTolerance(read), maxTokenLifetimeSeconds: readMaxTokenLifetime(read) };
  const snapshot = readSnapshotSettings(read, true);
  const revocation = {
    tableName: read.string('REVOCATION_TABLE_NAME', DEFAULTS.tableName),
    // The writer syncs on each run and exports at once: its view is never older than one read.
    syncIntervalMs: 0,
    maxStalenessMs: DEFAULTS.maxStalenessMs,
    failMode: 'closed' as const,
    consistency: 'eventual' as const,
    ...readTableReads(read),
    snapshot: snapshot ?? { uri: '', maxAgeMs: 0, maxBytes: 0, timeoutMs: 0 },
  };
  const rescanIntervalMs = read.integer(
    'SNAPSHOT_RESCAN_INTERVAL_MS',
    DEFAULTS.snapshotRescanIntervalMs,
    'milliseconds',
    LIMITS.snapshotRescanIntervalMs.min,
  );
  if (read.problems.length > 0) throw new ConfigurationError(read.problems);
  return deepFreeze({ revocation, rules, rescanIntervalMs });
}

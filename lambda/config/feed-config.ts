import { DEFAULTS, LIMITS } from '../contract/index.js';
import { ConfigurationError } from '../shared/index.js';
import { EnvReader, type Environment } from './env-reader.js';
import { deepFreeze, readTableReads } from './settings-readers.js';

/** The change-feed writer's settings (lambda/feed.ts). */
export interface FeedWriterConfig {
  /** REVOCATION_TABLE_NAME. @default revocations */
  readonly tableName: string;
  /** REVOCATION_SYNC_OVERLAP_MS: how far each read of the change index reaches back before the previous one began. @default 5000 */
  readonly syncOverlapMs: number;
  /** FEED_INTERVAL_MS: from the start of one step to the start of the next. @default 1000 */
  readonly intervalMs: number;
}

/**
 * Reads and validates the feed writer's environment: the table, the sync overlap as the authorizer
 * reads it (the feed's pages are only complete up to `feedAt` minus this overlap, the rule readers
 * apply), and FEED_INTERVAL_MS.
 */
export function loadFeedWriterConfig(env: Environment): FeedWriterConfig {
  const read = new EnvReader(env);
  const tableName = read.string('REVOCATION_TABLE_NAME', DEFAULTS.tableName);
  const { syncOverlapMs } = readTableReads(read);
  const { min, max } = LIMITS.feedIntervalMs;
  const intervalMs = read.integer('FEED_INTERVAL_MS', DEFAULTS.feedIntervalMs, 'milliseconds', min, max);
  if (read.problems.length > 0) throw new ConfigurationError(read.problems);
  return deepFreeze({ tableName, syncOverlapMs, intervalMs });
}

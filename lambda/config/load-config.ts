import {
  COGNITO_PRESET,
  CONSISTENCY_LEVELS,
  DEFAULTS,
  FAIL_MODES,
  LIMITS,
  PRESETS,
  RESPONSE_MODES,
  type Preset,
  type ResponseMode,
} from '../contract/index.js';
import type { RevocationSettings } from '../revocation/index.js';
import { ConfigurationError } from '../shared/index.js';
import { normalizeType, type IssuerConfig, type JwksSettings, type TokenRules } from '../token/index.js';
import { EnvReader, type Environment } from './env-reader.js';
import { deepFreeze, readClockTolerance, readMaxTokenLifetime, readSnapshotSettings, readTableReads } from './settings-readers.js';
import { readIssuers } from './issuers.js';
import { readRequestSettings, type RequestSettings } from './request-settings.js';

/**
 * The functions' environment → typed, frozen settings, read once per cold start. Defaults and
 * ranges come from lambda/contract (defaults.ts, limits.ts), which the CDK construct reads too.
 */

export interface AuthorizerConfig {
  readonly issuers: readonly IssuerConfig[];
  readonly rules: TokenRules;
  readonly jwks: JwksSettings;
  readonly revocation: RevocationSettings;
  /** Verified tokens remembered per instance so a repeated token skips signature work. 0 disables. @default 10000 */
  readonly tokenCacheMaxEntries: number;
  /**
   * Shape of a payload 2.0 answer. @default undefined - both shapes in one object (isAuthorized,
   * principalId, policyDocument), kept for deployments made before the variable existed
   */
  readonly responseMode: ResponseMode | undefined;
  /** JWT_PRESET: settings for an issuer family (Cognito). @default undefined */
  readonly preset: Preset | undefined;
  /** Token sources, route scopes and the context (request-settings.ts). */
  readonly request: RequestSettings;
}

export interface IngestConfig {
  /** @default revocations */
  readonly tableName: string;
  /** Added to every TTL and allowed as clock skew for revocation times. @default 60 */
  readonly clockToleranceSeconds: number;
  /** Subject and client cut-offs are kept for T + this + tolerance. @default 86400 */
  readonly maxTokenLifetimeSeconds: number;
  /** Conditional writes in flight at once for a large batch. @default 32 */
  readonly writeConcurrency: number;
  /**
   * INGEST_RAISE_CHANGE_HEAD: raise the change head (`headAt`, one write per head replica) after
   * each batch: `true`; `auto`, only while no change feed is live (readers that follow a feed
   * never read `headAt`); `false`, never. @default true
   */
  readonly raiseChangeHead: boolean | 'auto';
}

/** Reads and validates the authorizer's environment once; reports every problem at once. */
export function loadAuthorizerConfig(env: Environment): AuthorizerConfig {
  const read = new EnvReader(env);
  const preset = read.optional('JWT_PRESET') === undefined ? undefined : read.oneOf('JWT_PRESET', PRESETS, 'cognito');
  const rules = readTokenRules(read, preset);
  const issuers = readIssuers(read, preset);
  const jwks: JwksSettings = {
    timeoutMs: read.integer('JWKS_TIMEOUT_MS', DEFAULTS.jwksTimeoutMs, 'milliseconds', LIMITS.jwksTimeoutMs.min),
    cooldownMs: read.integer('JWKS_COOLDOWN_MS', DEFAULTS.jwksCooldownMs, 'milliseconds'),
    cacheMaxAgeMs: read.integer('JWKS_CACHE_MAX_AGE_MS', DEFAULTS.jwksCacheMaxAgeMs, 'milliseconds', LIMITS.jwksCacheMaxAgeMs.min),
    maxBytes: read.integer('JWKS_MAX_BYTES', DEFAULTS.jwksMaxBytes, 'bytes', LIMITS.jwksMaxBytes.min, LIMITS.jwksMaxBytes.max),
  };
  const maxStalenessMs = read.integer('REVOCATION_MAX_STALENESS_MS', DEFAULTS.maxStalenessMs, 'milliseconds', LIMITS.maxStalenessMs.min);
  const revocation: RevocationSettings = {
    tableName: read.string('REVOCATION_TABLE_NAME', DEFAULTS.tableName),
    syncIntervalMs: read.integer('REVOCATION_SYNC_INTERVAL_MS', DEFAULTS.syncIntervalMs, 'milliseconds'),
    maxStalenessMs,
    failMode: read.oneOf('REVOCATION_FAIL_MODE', FAIL_MODES, DEFAULTS.failMode),
    consistency: read.oneOf('REVOCATION_CONSISTENCY', CONSISTENCY_LEVELS, DEFAULTS.consistency),
    ...readTableReads(read),
    snapshot: readSnapshotSettings(read, false),
    fullSyncIntervalMs: read.integer(
      'REVOCATION_FULL_SYNC_INTERVAL_MS',
      DEFAULTS.fullSyncIntervalMs,
      'milliseconds',
      LIMITS.fullSyncIntervalMs.min,
    ),
    // By default at most half the staleness bound, so a small bound needs no setting of its own.
    feedMaxLagMs: read.integer(
      'REVOCATION_FEED_MAX_LAG_MS',
      Math.min(DEFAULTS.feedMaxLagMs, Math.floor(maxStalenessMs / 2)),
      'milliseconds',
    ),
    scanConcurrency: read.integer(
      'REVOCATION_SCAN_CONCURRENCY',
      DEFAULTS.scanConcurrency,
      'segments',
      LIMITS.scanConcurrency.min,
      LIMITS.scanConcurrency.max,
    ),
    scanPagesPerSecond: read.integer(
      'REVOCATION_SCAN_PAGES_PER_SECOND',
      DEFAULTS.scanPagesPerSecond,
      'pages per second',
      LIMITS.scanPagesPerSecond.min,
      LIMITS.scanPagesPerSecond.max,
    ),
  };
  if (revocation.maxStalenessMs <= revocation.syncIntervalMs) {
    read.problems.push(
      `REVOCATION_MAX_STALENESS_MS (${revocation.maxStalenessMs}) must be greater than REVOCATION_SYNC_INTERVAL_MS (${revocation.syncIntervalMs}), or every sync would fail the staleness check`,
    );
  }
  if (revocation.feedMaxLagMs! >= revocation.maxStalenessMs) {
    read.problems.push(
      `REVOCATION_FEED_MAX_LAG_MS (${revocation.feedMaxLagMs}) must be less than REVOCATION_MAX_STALENESS_MS (${revocation.maxStalenessMs}), or a view following a feed that old would already be too stale to answer`,
    );
  }
  const tokenCacheMaxEntries = read.integer('TOKEN_CACHE_MAX_ENTRIES', DEFAULTS.tokenCacheMaxEntries, 'entries');
  const responseMode =
    read.optional('AUTHORIZER_RESPONSE_MODE') === undefined ? undefined : read.oneOf('AUTHORIZER_RESPONSE_MODE', RESPONSE_MODES, 'simple');
  const request = readRequestSettings(read, preset === 'cognito' ? COGNITO_PRESET.contextClaims : []);
  if (read.problems.length > 0) throw new ConfigurationError(read.problems);
  return deepFreeze({ issuers, rules, jwks, revocation, tokenCacheMaxEntries, responseMode, preset, request });
}

/** Reads and validates the ingest function's environment once. */
export function loadIngestConfig(env: Environment): IngestConfig {
  const read = new EnvReader(env);
  const config: IngestConfig = {
    tableName: read.string('REVOCATION_TABLE_NAME', DEFAULTS.tableName),
    clockToleranceSeconds: readClockTolerance(read),
    maxTokenLifetimeSeconds: readMaxTokenLifetime(read),
    writeConcurrency: read.integer(
      'INGEST_WRITE_CONCURRENCY',
      DEFAULTS.writeConcurrency,
      'writes',
      LIMITS.writeConcurrency.min,
      LIMITS.writeConcurrency.max,
    ),
    raiseChangeHead: readChangeHeadRaise(read),
  };
  if (read.problems.length > 0) throw new ConfigurationError(read.problems);
  return Object.freeze(config);
}

export function readTokenRules(read: EnvReader, preset: Preset | undefined): TokenRules {
  const maxTokenAge = read.optional('JWT_MAX_TOKEN_AGE_SECONDS');
  const typeRequired = read.boolean('JWT_TYP_REQUIRED', DEFAULTS.typeRequired);
  if (preset === 'cognito' && typeRequired) {
    read.problems.push('JWT_TYP_REQUIRED cannot be true with JWT_PRESET=cognito: Cognito access tokens carry no typ header');
  }
  return {
    clockToleranceSeconds: readClockTolerance(read),
    maxTokenLifetimeSeconds: readMaxTokenLifetime(read),
    maxTokenAgeSeconds:
      maxTokenAge === undefined ? undefined : read.integer('JWT_MAX_TOKEN_AGE_SECONDS', 0, 'seconds', LIMITS.maxTokenAgeSeconds.min),
    requiredClaims: read.list('JWT_REQUIRED_CLAIMS', preset === 'cognito' ? COGNITO_PRESET.requiredClaims : DEFAULTS.requiredClaims),
    acceptedTypes: read.list('JWT_TYP', DEFAULTS.acceptedTypes).map(normalizeType),
    typeRequired,
    maxTokenBytes: read.integer('JWT_MAX_TOKEN_BYTES', DEFAULTS.maxTokenBytes, 'bytes', LIMITS.maxTokenBytes.min, LIMITS.maxTokenBytes.max),
  };
}

/** INGEST_RAISE_CHANGE_HEAD: true or false (or 1, 0), or auto. */
function readChangeHeadRaise(read: EnvReader): boolean | 'auto' {
  if (read.optional('INGEST_RAISE_CHANGE_HEAD')?.toLowerCase() === 'auto') return 'auto';
  const value = read.optional('INGEST_RAISE_CHANGE_HEAD')?.toLowerCase();
  if (value === undefined) return DEFAULTS.raiseChangeHead;
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  read.problems.push(`INGEST_RAISE_CHANGE_HEAD must be true, false or auto, got "${value}"`);
  return DEFAULTS.raiseChangeHead;
}

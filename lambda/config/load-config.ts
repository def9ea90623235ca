import {
  CONSISTENCY_LEVELS,
  DEFAULT_ALGORITHMS,
  DEFAULTS,
  FAIL_MODES,
  LIMITS,
  RESPONSE_MODES,
  splitList,
  SUPPORTED_ALGORITHMS,
  type Algorithm,
  type ResponseMode,
} from '../contract/index.js';
import { ANY_ISSUER, issuerProblem, type RevocationSettings } from '../revocation/index.js';
import { ConfigurationError } from '../shared/index.js';
import { normalizeType, type IssuerConfig, type JwksSettings, type TokenRules } from '../token/index.js';
import { EnvReader, type Environment } from './env-reader.js';

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
}

/** Reads and validates the authorizer's environment once; reports every problem at once. */
export function loadAuthorizerConfig(env: Environment): AuthorizerConfig {
  const read = new EnvReader(env);
  const rules = readTokenRules(read);
  const issuers = readIssuers(read);
  const jwks: JwksSettings = {
    timeoutMs: read.integer('JWKS_TIMEOUT_MS', DEFAULTS.jwksTimeoutMs, 'milliseconds', LIMITS.jwksTimeoutMs.min),
    cooldownMs: read.integer('JWKS_COOLDOWN_MS', DEFAULTS.jwksCooldownMs, 'milliseconds'),
    cacheMaxAgeMs: read.integer('JWKS_CACHE_MAX_AGE_MS', DEFAULTS.jwksCacheMaxAgeMs, 'milliseconds', LIMITS.jwksCacheMaxAgeMs.min),
    maxBytes: read.integer('JWKS_MAX_BYTES', DEFAULTS.jwksMaxBytes, 'bytes', LIMITS.jwksMaxBytes.min, LIMITS.jwksMaxBytes.max),
  };
  const revocation: RevocationSettings = {
    tableName: read.string('REVOCATION_TABLE_NAME', DEFAULTS.tableName),
    syncIntervalMs: read.integer('REVOCATION_SYNC_INTERVAL_MS', DEFAULTS.syncIntervalMs, 'milliseconds'),
    maxStalenessMs: read.integer('REVOCATION_MAX_STALENESS_MS', DEFAULTS.maxStalenessMs, 'milliseconds', LIMITS.maxStalenessMs.min),
    failMode: read.oneOf('REVOCATION_FAIL_MODE', FAIL_MODES, DEFAULTS.failMode),
    consistency: read.oneOf('REVOCATION_CONSISTENCY', CONSISTENCY_LEVELS, DEFAULTS.consistency),
    scanSegments: read.integer(
      'REVOCATION_SCAN_SEGMENTS',
      DEFAULTS.scanSegments,
      'segments',
      LIMITS.scanSegments.min,
      LIMITS.scanSegments.max,
    ),
    syncOverlapMs: read.integer('REVOCATION_SYNC_OVERLAP_MS', DEFAULTS.syncOverlapMs, 'milliseconds'),
    fullSyncIntervalMs: read.integer(
      'REVOCATION_FULL_SYNC_INTERVAL_MS',
      DEFAULTS.fullSyncIntervalMs,
      'milliseconds',
      LIMITS.fullSyncIntervalMs.min,
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
  const tokenCacheMaxEntries = read.integer('TOKEN_CACHE_MAX_ENTRIES', DEFAULTS.tokenCacheMaxEntries, 'entries');
  const responseMode =
    read.optional('AUTHORIZER_RESPONSE_MODE') === undefined ? undefined : read.oneOf('AUTHORIZER_RESPONSE_MODE', RESPONSE_MODES, 'simple');
  if (read.problems.length > 0) throw new ConfigurationError(read.problems);
  return deepFreeze({ issuers, rules, jwks, revocation, tokenCacheMaxEntries, responseMode });
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
  };
  if (read.problems.length > 0) throw new ConfigurationError(read.problems);
  return Object.freeze(config);
}

function readTokenRules(read: EnvReader): TokenRules {
  const maxTokenAge = read.optional('JWT_MAX_TOKEN_AGE_SECONDS');
  return {
    clockToleranceSeconds: readClockTolerance(read),
    maxTokenLifetimeSeconds: readMaxTokenLifetime(read),
    maxTokenAgeSeconds:
      maxTokenAge === undefined ? undefined : read.integer('JWT_MAX_TOKEN_AGE_SECONDS', 0, 'seconds', LIMITS.maxTokenAgeSeconds.min),
    requiredClaims: read.list('JWT_REQUIRED_CLAIMS', DEFAULTS.requiredClaims),
    acceptedTypes: read.list('JWT_TYP', DEFAULTS.acceptedTypes).map(normalizeType),
    typeRequired: read.boolean('JWT_TYP_REQUIRED', DEFAULTS.typeRequired),
    maxTokenBytes: read.integer('JWT_MAX_TOKEN_BYTES', DEFAULTS.maxTokenBytes, 'bytes', LIMITS.maxTokenBytes.min, LIMITS.maxTokenBytes.max),
  };
}

/** Both functions read these two, with the same rule: TTLs and cut-offs must line up. */
function readClockTolerance(read: EnvReader): number {
  const { min, max } = LIMITS.clockToleranceSeconds;
  return read.integer('JWT_CLOCK_TOLERANCE_SECONDS', DEFAULTS.clockToleranceSeconds, 'seconds', min, max);
}

function readMaxTokenLifetime(read: EnvReader): number {
  return read.integer('JWT_MAX_TOKEN_LIFETIME_SECONDS', DEFAULTS.maxTokenLifetimeSeconds, 'seconds', LIMITS.maxTokenLifetimeSeconds.min);
}

function readIssuers(read: EnvReader): IssuerConfig[] {
  const json = read.optional('JWT_ISSUERS');
  const single = read.optional('JWT_ISSUER');
  const defaultAlgorithms = readAlgorithms(read, 'JWT_ALGORITHMS', read.optional('JWT_ALGORITHMS'));
  const defaultClaims = {
    clientClaim: read.string('JWT_CLIENT_CLAIM', DEFAULTS.clientClaim),
    subjectClaim: read.string('JWT_SUBJECT_CLAIM', DEFAULTS.subjectClaim),
  };
  if (json !== undefined && single !== undefined) {
    read.problems.push('set either JWT_ISSUERS (JSON, several issuers) or JWT_ISSUER with JWKS_URI, not both');
    return [];
  }
  if (json !== undefined) return readIssuersJson(read, json, defaultAlgorithms, defaultClaims);
  if (single === undefined) {
    read.problems.push('JWT_ISSUER must name the trusted token issuer (or use JWT_ISSUERS for several)');
    return [];
  }
  const jwksUri = read.optional('JWKS_URI');
  if (jwksUri === undefined) read.problems.push('JWKS_URI must be the issuer key set URL (https://...)');
  else checkJwksUri(read, 'JWKS_URI', jwksUri);
  const audiences = read.list('JWT_AUDIENCE', []);
  if (audiences.length === 0) read.problems.push('JWT_AUDIENCE must list the accepted audience values');
  if (splitList(single).includes(ANY_ISSUER)) {
    read.problems.push(`JWT_ISSUER "${ANY_ISSUER}" is reserved: it marks revocations that apply to every issuer`);
  }
  splitList(single).forEach((issuer, index) =>
    checkIssuerRule(read, splitList(single).length === 1 ? 'JWT_ISSUER' : `JWT_ISSUER entry ${index + 1}`, issuer),
  );
  return splitList(single).map((issuer) => ({
    issuer,
    jwksUri: jwksUri ?? '',
    audiences,
    algorithms: defaultAlgorithms,
    ...defaultClaims,
  }));
}

function readIssuersJson(
  read: EnvReader,
  json: string,
  defaultAlgorithms: readonly Algorithm[],
  defaultClaims: { readonly clientClaim: string; readonly subjectClaim: string },
): IssuerConfig[] {
  const shape = 'a JSON array of {"issuer","jwksUri","audience"[,"algorithms","clientClaim","subjectClaim"]}';
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    read.problems.push(`JWT_ISSUERS must be ${shape}, got invalid JSON`);
    return [];
  }
  if (!Array.isArray(parsed) || parsed.length === 0) {
    read.problems.push(`JWT_ISSUERS must be ${shape}, got ${JSON.stringify(parsed)}`);
    return [];
  }
  const issuers: IssuerConfig[] = [];
  parsed.forEach((entry: unknown, index) => {
    const where = `JWT_ISSUERS[${index}]`;
    if (typeof entry !== 'object' || entry === null) {
      read.problems.push(`${where} must be an object`);
      return;
    }
    const record = entry as Record<string, unknown>;
    const issuer = record.issuer;
    const jwksUri = record.jwksUri;
    const audience = record.audience;
    const audiences = typeof audience === 'string' ? [audience] : audience;
    if (typeof issuer !== 'string' || issuer === '') read.problems.push(`${where}.issuer must be a non-empty string`);
    if (typeof jwksUri !== 'string') read.problems.push(`${where}.jwksUri must be a URL string`);
    else checkJwksUri(read, `${where}.jwksUri`, jwksUri);
    if (!isNonEmptyStringArray(audiences)) read.problems.push(`${where}.audience must be a string or a non-empty array of strings`);
    const algorithms =
      record.algorithms === undefined
        ? defaultAlgorithms
        : Array.isArray(record.algorithms) && record.algorithms.every((alg) => typeof alg === 'string')
          ? readAlgorithms(read, `${where}.algorithms`, record.algorithms.join(','))
          : (read.problems.push(`${where}.algorithms must be an array of algorithm names`), defaultAlgorithms);
    const clientClaim = record.clientClaim ?? defaultClaims.clientClaim;
    if (typeof clientClaim !== 'string' || clientClaim === '') read.problems.push(`${where}.clientClaim must be a claim name`);
    const subjectClaim = record.subjectClaim ?? defaultClaims.subjectClaim;
    if (typeof subjectClaim !== 'string' || subjectClaim === '') read.problems.push(`${where}.subjectClaim must be a claim name`);
    if (issuer === ANY_ISSUER)
      read.problems.push(`${where}.issuer "${ANY_ISSUER}" is reserved: it marks revocations that apply to every issuer`);
    else if (typeof issuer === 'string' && issuer !== '') checkIssuerRule(read, `${where}.issuer`, issuer);
    if (
      typeof issuer === 'string' &&
      typeof jwksUri === 'string' &&
      isNonEmptyStringArray(audiences) &&
      typeof clientClaim === 'string' &&
      typeof subjectClaim === 'string'
    ) {
      if (issuers.some((known) => known.issuer === issuer)) read.problems.push(`${where}.issuer "${issuer}" is listed twice`);
      issuers.push({ issuer, jwksUri, audiences, algorithms, clientClaim, subjectClaim });
    }
  });
  return issuers;
}

/**
 * Every trusted issuer must be one a revocation can name (issuerProblem: the table key holds it
 * beside any stored id), or its tokens would be allowed and never revocable.
 */
function checkIssuerRule(read: EnvReader, name: string, issuer: string): void {
  const problem = issuerProblem(issuer);
  if (problem !== undefined) {
    read.problems.push(`${name} ${problem}: revocations could not name it, so its tokens could never be revoked`);
  }
}

function readAlgorithms(read: EnvReader, name: string, value: string | undefined): readonly Algorithm[] {
  if (value === undefined) return DEFAULT_ALGORITHMS;
  const requested = splitList(value);
  const unsupported = requested.filter((alg) => !(SUPPORTED_ALGORITHMS as readonly string[]).includes(alg));
  if (unsupported.length > 0 || requested.length === 0) {
    read.problems.push(
      `${name} must list algorithms from ${SUPPORTED_ALGORITHMS.join(', ')}; not allowed: ${unsupported.join(', ') || '(empty)'}`,
    );
    return DEFAULT_ALGORITHMS;
  }
  return requested as Algorithm[];
}

function checkJwksUri(read: EnvReader, name: string, value: string): void {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    read.problems.push(`${name} must be an absolute URL, got "${value}"`);
    return;
  }
  // Plain HTTP only on loopback, where the local stack serves its demo issuer.
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    read.problems.push(`${name} must use https (plain http is allowed only on localhost), got "${value}"`);
  }
}

function isNonEmptyStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.length > 0 && value.every((entry) => typeof entry === 'string' && entry !== '');
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

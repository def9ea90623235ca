import { ConfigurationError } from './errors.js';
import { EnvReader, splitList, type Environment } from './env.js';
import { ANY_ISSUER } from './revocation.js';

/** Asymmetric JWS algorithms this product can verify. Symmetric (HS*) and `none` never are. */
export const SUPPORTED_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
] as const;
export type Algorithm = (typeof SUPPORTED_ALGORITHMS)[number];

/** @default RS256, ES256, PS256, EdDSA */
export const DEFAULT_ALGORITHMS: readonly Algorithm[] = ['RS256', 'ES256', 'PS256', 'EdDSA'];

/**
 * AUTHORIZER_RESPONSE_MODE: the shape of an HTTP API payload 2.0 answer. `simple` for an authorizer
 * created with simple responses, `iam` for one that expects an IAM policy; the event does not say
 * which, so the deployment does (the CDK construct sets it to match the authorizers it creates).
 */
export const RESPONSE_MODES = ['simple', 'iam'] as const;
export type ResponseMode = (typeof RESPONSE_MODES)[number];

/** One trusted token issuer and what its tokens must satisfy. */
export interface IssuerConfig {
  /** Compared to the `iss` claim exactly, byte for byte. */
  readonly issuer: string;
  readonly jwksUri: string;
  /** A token passes when any of its `aud` values equals any of these. */
  readonly audiences: readonly string[];
  readonly algorithms: readonly Algorithm[];
  /** The claim naming the OAuth client, used for client revocation and the context. @default client_id */
  readonly clientClaim: string;
}

/** Claim and structure rules shared by every issuer. */
export interface TokenRules {
  /** @default 60 */
  readonly clockToleranceSeconds: number;
  /** Upper bound on `exp - iat`; also bounds how long a subject or client cut-off is kept. @default 86400 */
  readonly maxTokenLifetimeSeconds: number;
  /** Upper bound on `now - iat`; undefined means only `exp` limits age. @default undefined */
  readonly maxTokenAgeSeconds: number | undefined;
  /** @default iss sub aud exp iat jti */
  readonly requiredClaims: readonly string[];
  /** Accepted `typ` header values, lowercased, without an `application/` prefix. @default at+jwt, jwt */
  readonly acceptedTypes: readonly string[];
  /** Whether a token without a `typ` header is refused. @default false */
  readonly typeRequired: boolean;
  /** Tokens longer than this are refused before any decoding. @default 8192 */
  readonly maxTokenBytes: number;
}

/** How issuers' key sets are fetched and kept. */
export interface JwksSettings {
  /** @default 5000 */
  readonly timeoutMs: number;
  /** Minimum time between refetches triggered by an unknown `kid`. @default 30000 */
  readonly cooldownMs: number;
  /** Age after which a held key set is refreshed in the background; it is kept if that fails. @default 600000 */
  readonly cacheMaxAgeMs: number;
}

/** How the authorizer reads and keeps revocation state. */
export interface RevocationSettings {
  /** @default revocations */
  readonly tableName: string;
  /** Minimum time between delta reads of the table. @default 1000 */
  readonly syncIntervalMs: number;
  /** Age of the in-process view beyond which decisions fail (or, in open mode, allow loudly). @default 30000 */
  readonly maxStalenessMs: number;
  /** @default closed */
  readonly failMode: 'closed' | 'open';
  /** `strong` adds a consistent read of the token's keys to every request. @default eventual */
  readonly consistency: 'eventual' | 'strong';
  /** Parallel Scan segments for the cold-start load. @default 4 */
  readonly scanSegments: number;
  /** How far back each delta read reaches before the previous one, covering index lag. @default 5000 */
  readonly syncOverlapMs: number;
}

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

const DEFAULT_REQUIRED_CLAIMS = ['iss', 'sub', 'aud', 'exp', 'iat', 'jti'];

/** Reads and validates the authorizer's environment once; reports every problem at once. */
export function loadAuthorizerConfig(env: Environment): AuthorizerConfig {
  const read = new EnvReader(env);
  const rules = readTokenRules(read);
  const issuers = readIssuers(read);
  const jwks: JwksSettings = {
    timeoutMs: read.integer('JWKS_TIMEOUT_MS', 5000, 'milliseconds', 1),
    cooldownMs: read.integer('JWKS_COOLDOWN_MS', 30_000, 'milliseconds'),
    cacheMaxAgeMs: read.integer('JWKS_CACHE_MAX_AGE_MS', 600_000, 'milliseconds', 1000),
  };
  const revocation: RevocationSettings = {
    tableName: read.string('REVOCATION_TABLE_NAME', 'revocations'),
    syncIntervalMs: read.integer('REVOCATION_SYNC_INTERVAL_MS', 1000, 'milliseconds'),
    maxStalenessMs: read.integer('REVOCATION_MAX_STALENESS_MS', 30_000, 'milliseconds', 1),
    failMode: read.oneOf('REVOCATION_FAIL_MODE', ['closed', 'open'], 'closed'),
    consistency: read.oneOf('REVOCATION_CONSISTENCY', ['eventual', 'strong'], 'eventual'),
    scanSegments: read.integer('REVOCATION_SCAN_SEGMENTS', 4, 'segments', 1, 1_000_000),
    syncOverlapMs: read.integer('REVOCATION_SYNC_OVERLAP_MS', 5000, 'milliseconds'),
  };
  if (revocation.maxStalenessMs <= revocation.syncIntervalMs) {
    read.problems.push(
      `REVOCATION_MAX_STALENESS_MS (${revocation.maxStalenessMs}) must be greater than REVOCATION_SYNC_INTERVAL_MS (${revocation.syncIntervalMs}), or every sync would fail the staleness check`,
    );
  }
  const tokenCacheMaxEntries = read.integer('TOKEN_CACHE_MAX_ENTRIES', 10_000, 'entries');
  const responseMode =
    read.optional('AUTHORIZER_RESPONSE_MODE') === undefined ? undefined : read.oneOf('AUTHORIZER_RESPONSE_MODE', RESPONSE_MODES, 'simple');
  if (read.problems.length > 0) throw new ConfigurationError(read.problems);
  return deepFreeze({ issuers, rules, jwks, revocation, tokenCacheMaxEntries, responseMode });
}

/** Reads and validates the ingest function's environment once. */
export function loadIngestConfig(env: Environment): IngestConfig {
  const read = new EnvReader(env);
  const config: IngestConfig = {
    tableName: read.string('REVOCATION_TABLE_NAME', 'revocations'),
    clockToleranceSeconds: read.integer('JWT_CLOCK_TOLERANCE_SECONDS', 60, 'seconds', 0, 3600),
    maxTokenLifetimeSeconds: read.integer('JWT_MAX_TOKEN_LIFETIME_SECONDS', 86_400, 'seconds', 1),
    writeConcurrency: read.integer('INGEST_WRITE_CONCURRENCY', 32, 'writes', 1, 1000),
  };
  if (read.problems.length > 0) throw new ConfigurationError(read.problems);
  return Object.freeze(config);
}

function readTokenRules(read: EnvReader): TokenRules {
  const maxTokenAge = read.optional('JWT_MAX_TOKEN_AGE_SECONDS');
  return {
    clockToleranceSeconds: read.integer('JWT_CLOCK_TOLERANCE_SECONDS', 60, 'seconds', 0, 3600),
    maxTokenLifetimeSeconds: read.integer('JWT_MAX_TOKEN_LIFETIME_SECONDS', 86_400, 'seconds', 1),
    maxTokenAgeSeconds: maxTokenAge === undefined ? undefined : read.integer('JWT_MAX_TOKEN_AGE_SECONDS', 0, 'seconds', 1),
    requiredClaims: read.list('JWT_REQUIRED_CLAIMS', DEFAULT_REQUIRED_CLAIMS),
    acceptedTypes: read.list('JWT_TYP', ['at+jwt', 'jwt']).map(normalizeType),
    typeRequired: read.boolean('JWT_TYP_REQUIRED', false),
    maxTokenBytes: read.integer('JWT_MAX_TOKEN_BYTES', 8192, 'bytes', 256, 1_048_576),
  };
}

/** RFC 7515 §4.1.9: `typ` compares case-insensitively and may omit the `application/` prefix. */
export function normalizeType(typ: string): string {
  const lower = typ.toLowerCase();
  return lower.startsWith('application/') ? lower.slice('application/'.length) : lower;
}

function readIssuers(read: EnvReader): IssuerConfig[] {
  const json = read.optional('JWT_ISSUERS');
  const single = read.optional('JWT_ISSUER');
  const defaultAlgorithms = readAlgorithms(read, 'JWT_ALGORITHMS', read.optional('JWT_ALGORITHMS'));
  const defaultClientClaim = read.string('JWT_CLIENT_CLAIM', 'client_id');
  if (json !== undefined && single !== undefined) {
    read.problems.push('set either JWT_ISSUERS (JSON, several issuers) or JWT_ISSUER with JWKS_URI, not both');
    return [];
  }
  if (json !== undefined) return readIssuersJson(read, json, defaultAlgorithms, defaultClientClaim);
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
  return splitList(single).map((issuer) => ({
    issuer,
    jwksUri: jwksUri ?? '',
    audiences,
    algorithms: defaultAlgorithms,
    clientClaim: defaultClientClaim,
  }));
}

function readIssuersJson(
  read: EnvReader,
  json: string,
  defaultAlgorithms: readonly Algorithm[],
  defaultClientClaim: string,
): IssuerConfig[] {
  const shape = 'a JSON array of {"issuer","jwksUri","audience"[,"algorithms","clientClaim"]}';
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
    const clientClaim = record.clientClaim ?? defaultClientClaim;
    if (typeof clientClaim !== 'string' || clientClaim === '') read.problems.push(`${where}.clientClaim must be a claim name`);
    if (issuer === ANY_ISSUER)
      read.problems.push(`${where}.issuer "${ANY_ISSUER}" is reserved: it marks revocations that apply to every issuer`);
    if (typeof issuer === 'string' && typeof jwksUri === 'string' && isNonEmptyStringArray(audiences) && typeof clientClaim === 'string') {
      if (issuers.some((known) => known.issuer === issuer)) read.problems.push(`${where}.issuer "${issuer}" is listed twice`);
      issuers.push({ issuer, jwksUri, audiences, algorithms, clientClaim });
    }
  });
  return issuers;
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

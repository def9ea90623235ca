import { Stack } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { COGNITO_PRESET, DEFAULTS, formatTokenSources, isDefaultTokenSources, SERVICE_NAMES } from '../lambda/contract/index.js';
import type { ResolvedSettings, TrustedIssuer } from './props.js';

/**
 * Environment variables the construct sets from its props (see lambda/config/load-config.ts for how the
 * functions read them), each with the prop to use instead of setting it directly.
 */
export const MANAGED_AUTHORIZER_VARIABLES: Readonly<Record<string, string>> = {
  JWT_ISSUERS: 'issuers',
  JWT_ISSUER: 'issuers',
  JWKS_URI: 'issuers',
  JWT_AUDIENCE: 'issuers',
  JWT_ALGORITHMS: 'algorithms',
  JWT_CLIENT_CLAIM: 'clientClaim',
  JWT_SUBJECT_CLAIM: 'subjectClaim',
  JWT_PRESET: 'cognito',
  JWT_ROUTE_SCOPES: 'routeScopes (or requireScopes)',
  JWT_CONTEXT_CLAIMS: 'contextClaims',
  JWT_TOKEN_SOURCES: 'tokenSources',
  JWT_SESSION_CLAIM: 'sessionClaim',
  JWT_CLOCK_TOLERANCE_SECONDS: 'clockTolerance',
  JWT_MAX_TOKEN_LIFETIME_SECONDS: 'maxTokenLifetime',
  REVOCATION_TABLE_NAME: 'tableName',
  REVOCATION_SYNC_INTERVAL_MS: 'syncInterval',
  REVOCATION_MAX_STALENESS_MS: 'maxStaleness',
  REVOCATION_FAIL_MODE: 'failMode',
  REVOCATION_CONSISTENCY: 'consistency',
  AUTHORIZER_RESPONSE_MODE: 'httpResponseType',
  REVOCATION_SNAPSHOT_URI: 'snapshots (the construct points it at its bucket)',
  REVOCATION_SNAPSHOT_MAX_AGE_MS: 'snapshotMaxAge',
  POWERTOOLS_SERVICE_NAME: 'the construct (fixed: the metric contract in lambda/contract/metric-names.ts)',
  POWERTOOLS_METRICS_NAMESPACE: 'metricsNamespace',
  POWERTOOLS_LOG_LEVEL: 'logLevel',
};

/** Environment variables the construct sets on the ingest function, each with the prop to use instead. */
export const MANAGED_INGEST_VARIABLES: Readonly<Record<string, string>> = {
  REVOCATION_TABLE_NAME: 'tableName',
  JWT_CLOCK_TOLERANCE_SECONDS: 'clockTolerance',
  JWT_MAX_TOKEN_LIFETIME_SECONDS: 'maxTokenLifetime',
  POWERTOOLS_SERVICE_NAME: 'the construct (fixed: the metric contract in lambda/contract/metric-names.ts)',
  POWERTOOLS_METRICS_NAMESPACE: 'metricsNamespace',
  POWERTOOLS_LOG_LEVEL: 'logLevel',
};

/** The authorizer's environment. Issuers always go as JWT_ISSUERS JSON: no list splitting to get wrong. */
export function authorizerEnvironment(
  scope: IConstruct,
  settings: ResolvedSettings,
  tableName: string,
  snapshotUri: string | undefined,
): Record<string, string> {
  const trusted = settings.cognito === undefined ? settings.issuers : [cognitoIssuer(settings.cognito)];
  const issuers = trusted.map((entry) => ({
    issuer: entry.issuer,
    ...(entry.jwksUri === undefined ? {} : { jwksUri: entry.jwksUri }),
    audience: typeof entry.audience === 'string' ? entry.audience : [...entry.audience],
    ...(entry.algorithms === undefined ? {} : { algorithms: [...entry.algorithms] }),
    ...(entry.clientClaim === undefined ? {} : { clientClaim: entry.clientClaim }),
    ...(entry.subjectClaim === undefined ? {} : { subjectClaim: entry.subjectClaim }),
    ...(entry.sessionClaim === undefined ? {} : { sessionClaim: entry.sessionClaim }),
  }));
  return {
    ...settings.authorizerEnvironment,
    // toJsonString keeps deploy-time tokens (e.g. a Cognito pool's URL) valid inside the JSON.
    JWT_ISSUERS: Stack.of(scope).toJsonString(issuers),
    ...(settings.algorithms === undefined ? {} : { JWT_ALGORITHMS: settings.algorithms.join(',') }),
    JWT_CLIENT_CLAIM: settings.clientClaim,
    JWT_SUBJECT_CLAIM: settings.subjectClaim,
    ...(settings.cognito === undefined ? {} : { JWT_PRESET: 'cognito' }),
    ...(settings.contextClaims === undefined ? {} : { JWT_CONTEXT_CLAIMS: settings.contextClaims.join(',') }),
    ...(isDefaultTokenSources(settings.tokenSources) ? {} : { JWT_TOKEN_SOURCES: formatTokenSources(settings.tokenSources) }),
    JWT_SESSION_CLAIM: settings.sessionClaim,
    ...sharedVariables(settings, tableName),
    REVOCATION_SYNC_INTERVAL_MS: String(settings.syncInterval.toMilliseconds()),
    REVOCATION_MAX_STALENESS_MS: String(settings.maxStaleness.toMilliseconds()),
    REVOCATION_FAIL_MODE: settings.failMode,
    REVOCATION_CONSISTENCY: settings.consistency,
    // Every HTTP API authorizer the construct creates has this response type; REST ignores it.
    AUTHORIZER_RESPONSE_MODE: settings.httpResponseType,
    ...(snapshotUri === undefined
      ? {}
      : { REVOCATION_SNAPSHOT_URI: snapshotUri, REVOCATION_SNAPSHOT_MAX_AGE_MS: String(settings.snapshotMaxAge.toMilliseconds()) }),
    POWERTOOLS_SERVICE_NAME: SERVICE_NAMES.authorizer,
  };
}

/** The snapshot function's environment: the table and retention exactly as the authorizer's, or every cold start would refuse its snapshot (`settings`). */
export function snapshotEnvironment(settings: ResolvedSettings, tableName: string, snapshotUri: string): Record<string, string> {
  // The writer reads the table as the authorizer does: the same Scan segments and delta overlap.
  const reads = Object.fromEntries(
    ['REVOCATION_SCAN_SEGMENTS', 'REVOCATION_SYNC_OVERLAP_MS'].flatMap((name) =>
      settings.authorizerEnvironment[name] === undefined ? [] : [[name, settings.authorizerEnvironment[name]!]],
    ),
  );
  return {
    ...reads,
    ...sharedVariables(settings, tableName),
    REVOCATION_SNAPSHOT_URI: snapshotUri,
    REVOCATION_SNAPSHOT_MAX_AGE_MS: String(settings.snapshotMaxAge.toMilliseconds()),
    POWERTOOLS_SERVICE_NAME: SERVICE_NAMES.snapshot,
  };
}

/** The issuer of a Cognito user pool's tokens, its key set and its allowed app clients (contract/presets.ts). */
export function cognitoIssuer(trust: NonNullable<ResolvedSettings['cognito']>): TrustedIssuer {
  // "Understanding the access token": iss is https://cognito-idp.<region>.amazonaws.com/<pool id>.
  // From the pool's own region and partition URL suffix, so an imported pool works too.
  const pool = trust.userPool;
  const issuer = `https://cognito-idp.${pool.env.region}.${Stack.of(pool).urlSuffix}/${pool.userPoolId}`;
  return {
    issuer,
    jwksUri: `${issuer}${COGNITO_PRESET.jwksPath}`,
    audience: trust.clients.map((client) => client.userPoolClientId),
  };
}

/**
 * The ingest function's environment. With the change feed, readers that follow it ignore
 * `headAt`, so the ingest raises it (32 writes per batch) only while no feed is live
 * (INGEST_RAISE_CHANGE_HEAD=auto), unless `ingestEnvironment` says otherwise.
 */
export function ingestEnvironment(settings: ResolvedSettings, tableName: string): Record<string, string> {
  return {
    ...(settings.changeFeed ? { INGEST_RAISE_CHANGE_HEAD: 'auto' } : {}),
    ...settings.ingestEnvironment,
    ...sharedVariables(settings, tableName),
    POWERTOOLS_SERVICE_NAME: SERVICE_NAMES.ingest,
  };
}

/**
 * The change feed writer's environment: the table, retention and delta overlap exactly as the
 * authorizer's (its pages promise readers every write stamped up to `feedAt - overlap`).
 */
export function feedEnvironment(settings: ResolvedSettings, tableName: string, feedIntervalMs: number): Record<string, string> {
  return {
    ...sharedVariables(settings, tableName),
    REVOCATION_SYNC_OVERLAP_MS: String(syncOverlapMs(settings)),
    FEED_INTERVAL_MS: String(feedIntervalMs),
    POWERTOOLS_SERVICE_NAME: SERVICE_NAMES.feed,
  };
}

/**
 * REVOCATION_SYNC_OVERLAP_MS as the authorizer reads it (`authorizerEnvironment`, else the
 * default). A malformed value stops the authorizer's cold start; here it counts as the default.
 */
export function syncOverlapMs(settings: ResolvedSettings): number {
  const value = settings.authorizerEnvironment.REVOCATION_SYNC_OVERLAP_MS?.trim();
  return value !== undefined && /^\d+$/.test(value) ? Number(value) : DEFAULTS.syncOverlapMs;
}

/**
 * REVOCATION_FEED_MAX_LAG_MS as the authorizer reads it (`authorizerEnvironment`, else its default:
 * DEFAULTS.feedMaxLagMs, at most half of `maxStaleness`). A malformed value stops the authorizer's
 * cold start; here it counts as the default.
 */
export function feedMaxLagMs(settings: ResolvedSettings): number {
  const value = settings.authorizerEnvironment.REVOCATION_FEED_MAX_LAG_MS?.trim();
  if (value !== undefined && /^\d+$/.test(value)) return Number(value);
  return Math.min(DEFAULTS.feedMaxLagMs, Math.floor(settings.maxStaleness.toMilliseconds() / 2));
}

/** Both functions must agree on these, or TTLs and cut-offs would not line up. */
function sharedVariables(settings: ResolvedSettings, tableName: string): Record<string, string> {
  return {
    REVOCATION_TABLE_NAME: tableName,
    JWT_CLOCK_TOLERANCE_SECONDS: String(settings.clockTolerance.toSeconds()),
    JWT_MAX_TOKEN_LIFETIME_SECONDS: String(settings.maxTokenLifetime.toSeconds()),
    POWERTOOLS_METRICS_NAMESPACE: settings.metricsNamespace,
    POWERTOOLS_LOG_LEVEL: settings.logLevel,
  };
}

import { Duration, Token } from 'aws-cdk-lib';
import {
  CONSISTENCY_LEVELS,
  CONTEXT_LIMITS,
  DEFAULTS,
  FAIL_MODES,
  LIMITS,
  parseRouteKey,
  parseTokenSources,
  RESPONSE_MODES,
  ROUTE_SCOPE_LIMITS,
  SUPPORTED_ALGORITHMS,
} from '../lambda/contract/index.js';
import { MANAGED_AUTHORIZER_VARIABLES, MANAGED_INGEST_VARIABLES } from './function-environment.js';
import { RevocationAuthorizerPropsError, type PropProblem } from './props-error.js';
import type { ResolvedSettings, RevocationAuthorizerProps } from './props.js';

/** API Gateway's limit on an authorizer's result cache TTL, for HTTP and REST APIs alike. */
const MAX_CACHE_TTL_SECONDS = 3600;

/**
 * Checks the resolved props at construction time; throws once with every problem found. Props may
 * come from JSON (context, a config file), so nothing here trusts their TypeScript types.
 */
export function validateProps(settings: ResolvedSettings, props: RevocationAuthorizerProps): void {
  const problems: PropProblem[] = [];
  const add = (prop: string, message: string) => problems.push({ prop, message });

  validateIssuers(settings, add);
  validateRequestProps(settings, props, add);
  const durations = [
    'clockTolerance',
    'maxTokenLifetime',
    'syncInterval',
    'maxStaleness',
    'resultsCacheTtl',
    'snapshotInterval',
    'snapshotMaxAge',
  ] as const;
  const notDurations = durations.filter((prop) => !(settings[prop] instanceof Duration));
  for (const prop of notDurations) add(prop, `must be a Duration, e.g. Duration.seconds(30); got ${describe(settings[prop])}`);
  // The checks below do arithmetic on them.
  if (notDurations.length > 0) throw new RevocationAuthorizerPropsError(problems);

  const cacheTtlProblem = validateCacheTtl(settings.resultsCacheTtl);
  if (cacheTtlProblem !== undefined) problems.push(cacheTtlProblem);

  const syncMs = settings.syncInterval.toMilliseconds({ integral: false });
  const stalenessMs = settings.maxStaleness.toMilliseconds({ integral: false });
  if (!Number.isInteger(syncMs) || syncMs < 0) {
    add('syncInterval', `must be a whole number of milliseconds, 0 or more, got ${settings.syncInterval.toHumanString()}`);
  }
  if (!Number.isInteger(stalenessMs) || stalenessMs <= syncMs) {
    add(
      'maxStaleness',
      `must be greater than syncInterval (${syncMs} ms), got ${stalenessMs} ms: every sync would already be stale. Raise maxStaleness (default ${DEFAULTS.maxStalenessMs / 1000} s) or lower syncInterval`,
    );
  }

  const snapshotMinutes = settings.snapshotInterval.toMinutes({ integral: false });
  if (!Number.isInteger(snapshotMinutes) || snapshotMinutes < 1 || snapshotMinutes > 60) {
    add('snapshotInterval', `must be whole minutes from 1 to 60 (an EventBridge rate), got ${settings.snapshotInterval.toHumanString()}`);
  }
  const snapshotMaxAgeMs = settings.snapshotMaxAge.toMilliseconds({ integral: false });
  if (
    !Number.isInteger(snapshotMaxAgeMs) ||
    snapshotMaxAgeMs < 2 * snapshotMinutes * 60_000 ||
    snapshotMaxAgeMs < LIMITS.snapshotMaxAgeMs.min
  ) {
    add(
      'snapshotMaxAge',
      `must be whole milliseconds, at least twice snapshotInterval (${2 * snapshotMinutes} minutes), got ${settings.snapshotMaxAge.toHumanString()}: a snapshot one late write old would be refused`,
    );
  }
  if (typeof settings.snapshots !== 'boolean') add('snapshots', `must be true or false, got ${describe(settings.snapshots)}`);
  if (typeof settings.changeFeed !== 'boolean') add('changeFeed', `must be true or false, got ${describe(settings.changeFeed)}`);

  const toleranceSeconds = settings.clockTolerance.toSeconds({ integral: false });
  const tolerance = LIMITS.clockToleranceSeconds;
  if (!Number.isInteger(toleranceSeconds) || toleranceSeconds < tolerance.min || toleranceSeconds > tolerance.max) {
    add(
      'clockTolerance',
      `must be a whole number of seconds between ${tolerance.min} and ${tolerance.max}, got ${settings.clockTolerance.toHumanString()}`,
    );
  }
  const lifetimeSeconds = settings.maxTokenLifetime.toSeconds({ integral: false });
  const lifetime = LIMITS.maxTokenLifetimeSeconds;
  if (!Number.isInteger(lifetimeSeconds) || lifetimeSeconds < lifetime.min) {
    add(
      'maxTokenLifetime',
      `must be a whole number of seconds, at least ${lifetime.min}, got ${settings.maxTokenLifetime.toHumanString()}`,
    );
  }

  if (!(FAIL_MODES as readonly string[]).includes(settings.failMode)) {
    add('failMode', `must be 'closed' or 'open', got ${describe(settings.failMode)}`);
  }
  if (!(CONSISTENCY_LEVELS as readonly string[]).includes(settings.consistency)) {
    add('consistency', `must be 'eventual' or 'strong', got ${describe(settings.consistency)}`);
  }

  if (!(RESPONSE_MODES as readonly string[]).includes(settings.httpResponseType)) {
    add(
      'httpResponseType',
      `must be ${RESPONSE_MODES.map((mode) => `'${mode}'`).join(' or ')}, got ${describe(settings.httpResponseType)}`,
    );
  }

  const reserved = settings.reservedConcurrentExecutions;
  if (reserved !== undefined && (!Number.isInteger(reserved) || reserved < 1)) {
    add(
      'reservedConcurrentExecutions',
      `must be a whole number, at least 1, got ${reserved}: 0 would throttle every request. Leave it undefined to use the account's unreserved concurrency`,
    );
  }
  const provisioned = settings.provisionedConcurrentExecutions;
  if (!Number.isInteger(provisioned) || provisioned < 0) {
    add('provisionedConcurrentExecutions', `must be a whole number, 0 or more, got ${provisioned}`);
  } else if (reserved !== undefined && provisioned > reserved) {
    add(
      'provisionedConcurrentExecutions',
      `(${provisioned}) cannot exceed reservedConcurrentExecutions (${reserved}). Raise reservedConcurrentExecutions or lower provisionedConcurrentExecutions`,
    );
  }

  const ingestReserved = settings.ingestReservedConcurrentExecutions;
  if (!Number.isInteger(ingestReserved) || ingestReserved < 1) {
    add(
      'ingestReservedConcurrentExecutions',
      `must be a whole number, at least 1, got ${describe(ingestReserved)}: 0 would throttle every revocation. The default is 5`,
    );
  }

  const memory = settings.authorizerMemorySize;
  if (!Number.isInteger(memory) || memory < 128 || memory > 10_240) {
    add('authorizerMemorySize', `must be a whole number of MiB between 128 and 10240 (Lambda's range), got ${memory}`);
  }

  checkExtraEnvironment('authorizerEnvironment', settings.authorizerEnvironment, MANAGED_AUTHORIZER_VARIABLES, add);
  checkExtraEnvironment('ingestEnvironment', settings.ingestEnvironment, MANAGED_INGEST_VARIABLES, add);

  // CloudWatch's namespace alphabet; the dashboard quotes it inside SEARCH expressions.
  const namespace: unknown = settings.metricsNamespace;
  if (typeof namespace !== 'string' || !/^[0-9A-Za-z.\-_/#: ]{1,255}$/.test(namespace) || namespace.startsWith('AWS/')) {
    add('metricsNamespace', `must be 1 to 255 of A-Z a-z 0-9 . - _ / # : and space, not starting with AWS/, got ${describe(namespace)}`);
  }

  if (props.existingTable !== undefined) {
    for (const prop of ['tableName', 'tableRemovalPolicy', 'tableDeletionProtection'] as const) {
      if (props[prop] !== undefined) add(prop, `does not apply to existingTable: set it on that table instead, or leave existingTable out`);
    }
  }
  validateReplicaRegions(props, add);
  if (props.existingTopic !== undefined && props.topicName !== undefined) {
    add('topicName', 'does not apply to existingTopic: leave one of them out');
  }

  if (problems.length > 0) throw new RevocationAuthorizerPropsError(problems);
}

/** AWS region names: a partition prefix, a geography and a number (us-east-1, eu-central-2, us-gov-west-1). */
const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;

function validateReplicaRegions(props: RevocationAuthorizerProps, add: (prop: string, message: string) => void): void {
  const regions: unknown = props.replicaRegions;
  if (regions === undefined) return;
  if (
    !Array.isArray(regions) ||
    regions.some((region) => typeof region !== 'string' || Token.isUnresolved(region) || !REGION.test(region))
  ) {
    add('replicaRegions', `must be a list of AWS region names such as 'eu-west-1', got ${describe(regions)}`);
    return;
  }
  if (new Set(regions).size !== regions.length) add('replicaRegions', `lists a region twice: ${regions.join(', ')}`);
  if (props.existingTable !== undefined && regions.length > 0) {
    add(
      'replicaRegions',
      'does not apply to existingTable: add the replicas to that table yourself (aws dynamodb update-table --replica-updates), or leave existingTable out',
    );
  }
}

/** Checks a decision cache TTL; shared by the props and the authorizer factories. */
export function validateCacheTtl(ttl: Duration): PropProblem | undefined {
  const seconds = ttl.toSeconds({ integral: false });
  if (Number.isInteger(seconds) && seconds >= 0 && seconds <= MAX_CACHE_TTL_SECONDS) return undefined;
  return {
    prop: 'resultsCacheTtl',
    message: `must be a whole number of seconds between 0 and ${MAX_CACHE_TTL_SECONDS} (API Gateway's limit), got ${ttl.toHumanString()}. Use Duration.seconds(0) to disable caching`,
  };
}

function validateIssuers(settings: ResolvedSettings, add: (prop: string, message: string) => void): void {
  const shape = 'Pass [{ issuer, jwksUri, audience }], or cognito: { userPool, clients }';
  if (!Array.isArray(settings.issuers)) {
    add('issuers', `must be a list of trusted issuers, got ${describe(settings.issuers)}. ${shape}`);
    return;
  }
  if (settings.cognito !== undefined) {
    if (settings.issuers.length > 0)
      add('cognito', 'cannot be combined with issuers: trust the user pool alone, or list it in issuers without the Cognito preset');
    const clients: unknown = settings.cognito.clients;
    if (!Array.isArray(clients) || clients.length === 0)
      add('cognito.clients', 'must list the app clients whose access tokens pass (their client_id is checked)');
    if (settings.cognito.userPool === undefined) add('cognito.userPool', 'must be the user pool whose tokens are accepted');
  } else if (settings.issuers.length === 0) add('issuers', `must list at least one trusted issuer, got none. ${shape}`);
  checkAlgorithms('algorithms', settings.algorithms, add);
  if (typeof settings.clientClaim !== 'string' || settings.clientClaim.trim() === '') {
    add('clientClaim', `must name a claim, e.g. client_id, azp or cid; got ${describe(settings.clientClaim)}`);
  }
  if (typeof settings.subjectClaim !== 'string' || settings.subjectClaim.trim() === '') {
    add('subjectClaim', `must name a claim, e.g. sub or entity_id; got ${describe(settings.subjectClaim)}`);
  }
  if (typeof settings.sessionClaim !== 'string' || settings.sessionClaim.trim() === '') {
    add('sessionClaim', `must name a claim, e.g. sid or origin_jti; got ${describe(settings.sessionClaim)}`);
  }

  const seen = new Set<string>();
  settings.issuers.forEach((entry: unknown, index) => {
    const where = `issuers[${index}]`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      add(where, `must be an object { issuer, jwksUri, audience }, got ${describe(entry)}`);
      return;
    }
    const { issuer, jwksUri, audience, algorithms, clientClaim, subjectClaim, sessionClaim } = entry as Record<string, unknown>;
    checkHttpsUrl(`${where}.issuer`, issuer, add);
    // Without a key set URL the function finds it by OIDC discovery from the (https) issuer.
    if (jwksUri !== undefined) checkHttpsUrl(`${where}.jwksUri`, jwksUri, add);
    const audiences = typeof audience === 'string' ? [audience] : audience;
    if (
      !Array.isArray(audiences) ||
      audiences.length === 0 ||
      audiences.some((value) => typeof value !== 'string' || value.trim() === '')
    ) {
      add(`${where}.audience`, `must be a non-empty string or list of them, got ${describe(audience)}`);
    }
    checkAlgorithms(`${where}.algorithms`, algorithms, add);
    if (clientClaim !== undefined && (typeof clientClaim !== 'string' || clientClaim.trim() === '')) {
      add(`${where}.clientClaim`, 'must name a claim, or be left out to use the construct-wide clientClaim');
    }
    if (subjectClaim !== undefined && (typeof subjectClaim !== 'string' || subjectClaim.trim() === '')) {
      add(`${where}.subjectClaim`, 'must name a claim, or be left out to use the construct-wide subjectClaim');
    }
    if (sessionClaim !== undefined && (typeof sessionClaim !== 'string' || sessionClaim.trim() === '')) {
      add(`${where}.sessionClaim`, 'must name a claim, or be left out to use the construct-wide sessionClaim');
    }
    if (typeof issuer === 'string' && !Token.isUnresolved(issuer)) {
      if (seen.has(issuer)) add(`${where}.issuer`, `"${issuer}" is listed twice; list each issuer once`);
      seen.add(issuer);
    }
  });
}

/** routeScopes, contextClaims and tokenSources: the rules the function applies to their variables (lambda/config). */
function validateRequestProps(
  settings: ResolvedSettings,
  props: RevocationAuthorizerProps,
  add: (prop: string, message: string) => void,
): void {
  const routeScopes: unknown = settings.routeScopes;
  if (typeof routeScopes !== 'object' || routeScopes === null || Array.isArray(routeScopes)) {
    add('routeScopes', `must map route keys to scopes, e.g. { 'GET /orders/{id}': ['orders.read'] }; got ${describe(routeScopes)}`);
  } else {
    const entries = Object.entries(routeScopes as Record<string, unknown>);
    if (entries.length > ROUTE_SCOPE_LIMITS.maxRoutes)
      add('routeScopes', `lists ${entries.length} routes, at most ${ROUTE_SCOPE_LIMITS.maxRoutes}`);
    for (const [key, scopes] of entries) {
      const problem = routeScopesProblem(key, scopes);
      if (problem !== undefined) add(`routeScopes[${JSON.stringify(key)}]`, problem);
    }
  }

  const claims: unknown = settings.contextClaims;
  if (claims !== undefined) {
    if (
      !Array.isArray(claims) ||
      claims.length === 0 ||
      claims.some((claim) => typeof claim !== 'string' || claim.trim() === '' || /[\s,]/.test(claim))
    ) {
      add(
        'contextClaims',
        `must be a non-empty list of claim names (no spaces or commas), e.g. ['sub', 'email', 'cognito:groups']; got ${describe(claims)}`,
      );
    } else if (claims.length > CONTEXT_LIMITS.maxClaims) {
      add('contextClaims', `lists ${claims.length} claims, at most ${CONTEXT_LIMITS.maxClaims}`);
    } else if (new Set(claims).size !== claims.length || claims.includes('__proto__')) {
      add('contextClaims', `must name each claim once, and not __proto__; got ${describe(claims)}`);
    }
  }

  const sources: unknown = props.tokenSources;
  if (sources !== undefined) {
    const { problems } =
      Array.isArray(sources) && sources.every((entry) => typeof entry === 'string')
        ? parseTokenSources(sources.join(','))
        : { problems: ['is not a list of strings'] };
    for (const problem of problems)
      add('tokenSources', `${problem} (entries are header:NAME, query:NAME or cookie:NAME); got ${describe(sources)}`);
  }
}

/** Why a routeScopes entry (or a requireScopes call) is wrong, undefined when it is right. */
export function routeScopesProblem(key: string, scopes: unknown): string | undefined {
  const route = parseRouteKey(key);
  if ('problem' in route) return route.problem;
  // RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ).
  if (
    !Array.isArray(scopes) ||
    scopes.length === 0 ||
    scopes.some((scope) => typeof scope !== 'string' || !/^[\x21\x23-\x5b\x5d-\x7e]+$/.test(scope))
  ) {
    return `must be a non-empty list of scopes (RFC 6749 scope tokens: no spaces, quotes or backslashes), got ${describe(scopes)}`;
  }
  if (scopes.length > ROUTE_SCOPE_LIMITS.maxScopesPerRoute)
    return `lists ${scopes.length} scopes, at most ${ROUTE_SCOPE_LIMITS.maxScopesPerRoute}`;
  return undefined;
}

function checkHttpsUrl(prop: string, value: unknown, add: (prop: string, message: string) => void): void {
  // A token (e.g. a Cognito user pool's provider URL) is only known at deploy time.
  if (typeof value === 'string' && Token.isUnresolved(value)) return;
  let url: URL | undefined;
  try {
    url = typeof value === 'string' ? new URL(value) : undefined;
  } catch {
    url = undefined;
  }
  if (url?.protocol !== 'https:') {
    add(
      prop,
      `must be an absolute https URL, got ${describe(value)}. Use the value your issuer publishes, e.g. https://issuer.example.com/`,
    );
  }
}

function checkAlgorithms(prop: string, algorithms: unknown, add: (prop: string, message: string) => void): void {
  if (algorithms === undefined) return;
  if (!Array.isArray(algorithms)) {
    add(prop, `must be a list of algorithm names from ${SUPPORTED_ALGORITHMS.join(', ')}, got ${describe(algorithms)}`);
    return;
  }
  const unsupported = algorithms.filter((alg) => !(SUPPORTED_ALGORITHMS as readonly unknown[]).includes(alg));
  if (algorithms.length === 0 || unsupported.length > 0) {
    add(
      prop,
      `must list algorithms from ${SUPPORTED_ALGORITHMS.join(', ')}; not allowed: ${unsupported.join(', ') || '(empty list)'}. Symmetric (HS*) and none are never accepted`,
    );
  }
}

/** A value as a message shows it: JSON where it has one, else its type. */
function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value instanceof Duration) return value.toHumanString();
  try {
    return JSON.stringify(value) ?? typeof value;
  } catch {
    return typeof value;
  }
}

function checkExtraEnvironment(
  prop: string,
  environment: Readonly<Record<string, string>>,
  managed: Readonly<Record<string, string>>,
  add: (prop: string, message: string) => void,
): void {
  for (const name of Object.keys(environment)) {
    const owner = managed[name];
    if (owner !== undefined) add(prop, `must not set ${name}: the construct sets it from ${owner}; use that instead`);
  }
}

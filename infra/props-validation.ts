import { Duration, RemovalPolicy, Token } from 'aws-cdk-lib';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { DEFAULTS, LIMITS, SUPPORTED_ALGORITHMS, type Algorithm } from '../lambda/contract/index.js';
import { MANAGED_AUTHORIZER_VARIABLES, MANAGED_INGEST_VARIABLES } from './function-environment.js';
import { RevocationAuthorizerPropsError, type PropProblem } from './props-error.js';
import type { RevocationConsistency, RevocationFailMode, TrustedIssuer } from './revocation-authorizer.js';

/** The construct's props with every default applied. */
export interface ResolvedSettings {
  readonly issuers: readonly TrustedIssuer[];
  readonly algorithms: readonly Algorithm[] | undefined;
  readonly clientClaim: string;
  readonly clockTolerance: Duration;
  readonly maxTokenLifetime: Duration;
  readonly syncInterval: Duration;
  readonly maxStaleness: Duration;
  readonly failMode: RevocationFailMode;
  readonly consistency: RevocationConsistency;
  readonly resultsCacheTtl: Duration;
  readonly reservedConcurrentExecutions: number | undefined;
  readonly provisionedConcurrentExecutions: number;
  readonly authorizerMemorySize: number;
  readonly authorizerEnvironment: Readonly<Record<string, string>>;
  readonly ingestEnvironment: Readonly<Record<string, string>>;
  readonly logLevel: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  readonly logRetention: RetentionDays;
  readonly metricsNamespace: string;
  readonly tableRemovalPolicy: RemovalPolicy;
}

/** API Gateway's limit on an authorizer's result cache TTL, for HTTP and REST APIs alike. */
const MAX_CACHE_TTL_SECONDS = 3600;

/** Checks the resolved props at construction time; throws once with every problem found. */
export function validateProps(settings: ResolvedSettings): void {
  const problems: PropProblem[] = [];
  const add = (prop: string, message: string) => problems.push({ prop, message });

  validateIssuers(settings, add);

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

  if (!(['closed', 'open'] as const).includes(settings.failMode)) {
    add('failMode', `must be 'closed' or 'open', got ${JSON.stringify(settings.failMode)}`);
  }
  if (!(['eventual', 'strong'] as const).includes(settings.consistency)) {
    add('consistency', `must be 'eventual' or 'strong', got ${JSON.stringify(settings.consistency)}`);
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

  const memory = settings.authorizerMemorySize;
  if (!Number.isInteger(memory) || memory < 128 || memory > 10_240) {
    add('authorizerMemorySize', `must be a whole number of MiB between 128 and 10240 (Lambda's range), got ${memory}`);
  }

  checkExtraEnvironment('authorizerEnvironment', settings.authorizerEnvironment, MANAGED_AUTHORIZER_VARIABLES, add);
  checkExtraEnvironment('ingestEnvironment', settings.ingestEnvironment, MANAGED_INGEST_VARIABLES, add);

  // CloudWatch's namespace alphabet; the dashboard quotes it inside SEARCH expressions.
  if (!/^[0-9A-Za-z.\-_/#: ]{1,255}$/.test(settings.metricsNamespace) || settings.metricsNamespace.startsWith('AWS/')) {
    add(
      'metricsNamespace',
      `must be 1 to 255 of A-Z a-z 0-9 . - _ / # : and space, not starting with AWS/, got ${JSON.stringify(settings.metricsNamespace)}`,
    );
  }

  if (problems.length > 0) throw new RevocationAuthorizerPropsError(problems);
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
  if (settings.issuers.length === 0) {
    add('issuers', 'must list at least one trusted issuer, got none. Pass [{ issuer, jwksUri, audience }]');
  }
  checkAlgorithms('algorithms', settings.algorithms, add);
  if (settings.clientClaim.trim() === '') add('clientClaim', 'must name a claim, e.g. client_id, azp or cid; got an empty string');

  const seen = new Set<string>();
  settings.issuers.forEach((entry, index) => {
    const where = `issuers[${index}]`;
    checkHttpsUrl(`${where}.issuer`, entry.issuer, add);
    checkHttpsUrl(`${where}.jwksUri`, entry.jwksUri, add);
    const audiences = typeof entry.audience === 'string' ? [entry.audience] : entry.audience;
    if (audiences.length === 0 || audiences.some((audience) => audience.trim() === '')) {
      add(`${where}.audience`, `must be a non-empty string or list of them, got ${JSON.stringify(entry.audience)}`);
    }
    checkAlgorithms(`${where}.algorithms`, entry.algorithms, add);
    if (entry.clientClaim !== undefined && entry.clientClaim.trim() === '') {
      add(`${where}.clientClaim`, 'must name a claim, or be left out to use the construct-wide clientClaim');
    }
    if (!Token.isUnresolved(entry.issuer)) {
      if (seen.has(entry.issuer)) add(`${where}.issuer`, `"${entry.issuer}" is listed twice; list each issuer once`);
      seen.add(entry.issuer);
    }
  });
}

function checkHttpsUrl(prop: string, value: string, add: (prop: string, message: string) => void): void {
  // A token (e.g. a Cognito user pool's provider URL) is only known at deploy time.
  if (Token.isUnresolved(value)) return;
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (url?.protocol !== 'https:') {
    add(
      prop,
      `must be an absolute https URL, got ${JSON.stringify(value)}. Use the value your issuer publishes, e.g. https://issuer.example.com/`,
    );
  }
}

function checkAlgorithms(prop: string, algorithms: readonly string[] | undefined, add: (prop: string, message: string) => void): void {
  if (algorithms === undefined) return;
  const unsupported = algorithms.filter((alg) => !(SUPPORTED_ALGORITHMS as readonly string[]).includes(alg));
  if (algorithms.length === 0 || unsupported.length > 0) {
    add(
      prop,
      `must list algorithms from ${SUPPORTED_ALGORITHMS.join(', ')}; not allowed: ${unsupported.join(', ') || '(empty list)'}. Symmetric (HS*) and none are never accepted`,
    );
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

import type { ContextPlan } from '../api-gateway/index.js';
import {
  CONTEXT_LIMITS,
  DEFAULT_TOKEN_SOURCES,
  parseRouteKey,
  parseTokenSources,
  ROUTE_SCOPE_LIMITS,
  splitList,
  type TokenSource,
} from '../contract/index.js';
import type { EnvReader } from './env-reader.js';

/** What the authorizer reads of a request and hands on, beyond the token's validity. */
export interface RequestSettings {
  /** JWT_TOKEN_SOURCES: where the token is looked for, in order. @default header:authorization */
  readonly tokenSources: readonly TokenSource[];
  /** JWT_ROUTE_SCOPES: route key → scopes, any one of which a token must hold. @default {} (no route needs a scope) */
  readonly routeScopes: Readonly<Record<string, readonly string[]>>;
  /** JWT_CONTEXT_CLAIMS: the claims the context carries. @default the default context (and a preset's additions) */
  readonly context: ContextPlan;
}

/**
 * Reads JWT_TOKEN_SOURCES, JWT_ROUTE_SCOPES and JWT_CONTEXT_CLAIMS; each problem goes to the
 * reader's list, naming the variable. `presetContextClaims` join the default context when
 * JWT_CONTEXT_CLAIMS is unset.
 */
export function readRequestSettings(read: EnvReader, presetContextClaims: readonly string[] = []): RequestSettings {
  return {
    tokenSources: readTokenSources(read),
    routeScopes: readRouteScopes(read),
    context: readContextPlan(read, presetContextClaims),
  };
}

function readTokenSources(read: EnvReader): readonly TokenSource[] {
  const value = read.optional('JWT_TOKEN_SOURCES') ?? DEFAULT_TOKEN_SOURCES;
  const { sources, problems } = parseTokenSources(value);
  for (const problem of problems) {
    read.problems.push(
      `JWT_TOKEN_SOURCES ${problem} (entries are header:NAME, query:NAME or cookie:NAME, e.g. header:authorization,query:access_token)`,
    );
  }
  return problems.length === 0 ? sources : parseTokenSources(DEFAULT_TOKEN_SOURCES).sources;
}

const ROUTE_SCOPES_SHAPE =
  'a JSON object from route key to scopes, e.g. {"GET /orders/{id}":["orders.read"],"$default":"api.read api.write"}';

function readRouteScopes(read: EnvReader): Readonly<Record<string, readonly string[]>> {
  const json = read.optional('JWT_ROUTE_SCOPES');
  if (json === undefined) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    read.problems.push(`JWT_ROUTE_SCOPES must be ${ROUTE_SCOPES_SHAPE}, got invalid JSON`);
    return {};
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    read.problems.push(`JWT_ROUTE_SCOPES must be ${ROUTE_SCOPES_SHAPE}, got ${JSON.stringify(parsed)}`);
    return {};
  }
  const entries = Object.entries(parsed as Record<string, unknown>);
  if (entries.length > ROUTE_SCOPE_LIMITS.maxRoutes) {
    read.problems.push(`JWT_ROUTE_SCOPES lists ${entries.length} routes, at most ${ROUTE_SCOPE_LIMITS.maxRoutes} are allowed`);
    return {};
  }
  const routeScopes: Record<string, readonly string[]> = {};
  for (const [key, value] of entries) {
    const where = `JWT_ROUTE_SCOPES[${JSON.stringify(key)}]`;
    const route = parseRouteKey(key);
    if ('problem' in route) {
      read.problems.push(`JWT_ROUTE_SCOPES: ${route.problem}`);
      continue;
    }
    const scopes = typeof value === 'string' ? splitScopes(value) : value;
    if (!Array.isArray(scopes) || scopes.some((scope) => typeof scope !== 'string' || !/^[\x21\x23-\x5b\x5d-\x7e]+$/.test(scope))) {
      // RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ), so no space, quote or backslash.
      read.problems.push(
        `${where} must be a list of scopes (RFC 6749 §3.3 scope tokens: no spaces, quotes or backslashes), got ${JSON.stringify(value)}`,
      );
      continue;
    }
    if (scopes.length === 0) {
      read.problems.push(`${where} lists no scope: leave the route out to let every valid token through`);
      continue;
    }
    if (scopes.length > ROUTE_SCOPE_LIMITS.maxScopesPerRoute) {
      read.problems.push(`${where} lists ${scopes.length} scopes, at most ${ROUTE_SCOPE_LIMITS.maxScopesPerRoute} are allowed`);
      continue;
    }
    routeScopes[key] = [...new Set(scopes as string[])];
  }
  return routeScopes;
}

function splitScopes(value: string): string[] {
  return value.split(' ').filter((scope) => scope !== '');
}

function readContextPlan(read: EnvReader, presetContextClaims: readonly string[]): ContextPlan {
  const value = read.optional('JWT_CONTEXT_CLAIMS');
  if (value === undefined) return { includeDefault: true, claims: presetContextClaims };
  const claims = splitList(value);
  const problems: string[] = [];
  if (claims.length > CONTEXT_LIMITS.maxClaims)
    problems.push(`lists ${claims.length} claims, at most ${CONTEXT_LIMITS.maxClaims} are allowed`);
  for (const claim of new Set(claims)) {
    if (claims.indexOf(claim) !== claims.lastIndexOf(claim)) problems.push(`lists ${claim} twice`);
    if (claim === '__proto__' || claim.length > 256) problems.push(`cannot forward a claim named ${JSON.stringify(claim.slice(0, 40))}`);
  }
  for (const problem of problems)
    read.problems.push(`JWT_CONTEXT_CLAIMS ${problem} (claim names separated by commas, e.g. sub,email,cognito:groups)`);
  return { includeDefault: false, claims: problems.length === 0 ? claims : [] };
}

/**
 * What infra/ and local/ share with the functions: defaults, limits, the algorithm list, metric
 * names, the table schema, function timeouts, presets, route keys and token sources. Plain constants, no imports: the only part of
 * lambda/ that infra/ may import (test/architecture.test.ts).
 */
export { DEFAULT_ALGORITHMS, SUPPORTED_ALGORITHMS, type Algorithm } from './algorithms.js';
export { CONSISTENCY_LEVELS, DEFAULTS, FAIL_MODES, RESPONSE_MODES, type ResponseMode } from './defaults.js';
export { splitList } from './environment.js';
export { FUNCTION_TIMEOUT_SECONDS, INIT_DEADLINE_MS, READ_DEADLINE_CAP_MS, READ_DEADLINE_MAX_MS } from './function-timeouts.js';
export { CONTEXT_LIMITS, DISCOVERY_MAX_BYTES, LIMITS, ROUTE_SCOPE_LIMITS } from './limits.js';
export * from './metric-names.js';
export { COGNITO_ISSUER, COGNITO_PRESET, PRESETS, type Preset } from './presets.js';
export {
  matchRoute,
  parseRouteKey,
  ROUTE_METHODS,
  routeResource,
  SPECIAL_ROUTE_KEYS,
  type ParsedRoute,
  type RouteSegment,
} from './route-keys.js';
export {
  DEFAULT_TOKEN_SOURCES,
  formatTokenSources,
  identitySourcesFor,
  isDefaultTokenSources,
  MAX_TOKEN_SOURCES,
  parseTokenSources,
  tokenAuthorizerHeader,
  type IdentitySourceDialect,
  type TokenSource,
  type TokenSourceKind,
} from './token-sources.js';
export {
  CLIENT_SECRET_HASH,
  LOCAL_RECEIVER_PREFIX,
  RECEIVER_DEFAULTS,
  RECEIVER_LIMITS,
  RECEIVER_ROUTES,
  type ReceiverEndpoint,
} from './receiver.js';
export { REVOCATION_TABLE_SCHEMA } from './table-schema.js';

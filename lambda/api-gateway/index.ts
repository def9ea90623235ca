/** API Gateway's side of the authorizer: every event flavour in, the matching response out. */
export {
  ContextBuilder,
  DEFAULT_CONTEXT_PLAN,
  defaultContext,
  flattenClaim,
  type AuthorizerContext,
  type ContextPlan,
} from './context-claims.js';
export {
  bearerToken,
  findHeader,
  NOT_A_STRING,
  readAuthorizerEvent,
  type ApiFlavour,
  type AuthorizerEvent,
  type AuthorizerRequest,
} from './events.js';
export {
  ResponseBuilder,
  wholeApiArn,
  type AuthorizerResponse,
  type HttpV2Response,
  type PolicyResponse,
  type SimpleResponse,
} from './responses.js';
export { hasAnyScope, RouteScopes, type RouteRule } from './route-scopes.js';
export { TokenSources } from './token-sources.js';

import type { ResponseMode } from '../contract/index.js';
import type { RejectionReason } from '../shared/index.js';
import type { VerifiedToken } from '../token/index.js';
import { ContextBuilder, type AuthorizerContext } from './context-claims.js';
import type { ApiFlavour, AuthorizerRequest } from './events.js';
import type { RouteRule } from './route-scopes.js';

export interface PolicyResponse {
  principalId: string;
  policyDocument: {
    Version: '2012-10-17';
    Statement: [{ Action: 'execute-api:Invoke'; Effect: 'Allow' | 'Deny'; Resource: string }];
  };
  context: AuthorizerContext;
}

/**
 * A payload 2.0 answer when AUTHORIZER_RESPONSE_MODE is unset: the event does not say whether the
 * authorizer was created with simple responses, so it carries both forms. AWS documents only the
 * two separate shapes; the construct always sets the mode, so only deployments made without it
 * (or before it existed) get this one.
 */
export type HttpV2Response = PolicyResponse & { isAuthorized: boolean };

/**
 * An HTTP API simple response (payload 2.0, `enableSimpleResponses`): exactly `isAuthorized` and
 * `context` (API Gateway developer guide, "Control access to HTTP APIs with AWS Lambda
 * authorizers", Lambda function response for format 2.0).
 */
export interface SimpleResponse {
  isAuthorized: boolean;
  context: AuthorizerContext;
}

export type AuthorizerResponse = PolicyResponse | HttpV2Response | SimpleResponse;

/**
 * Whether a REST API answers the reason with an explicit Deny (403) rather than a thrown
 * Unauthorized (401): a valid token that is revoked (any `revoked_*` kind) or lacks the route's scope.
 */
function isRestDeny(reason: RejectionReason): boolean {
  return reason.startsWith('revoked_') || reason === 'insufficient_scope';
}

/**
 * Builds the answers of one authorizer; the handler owns one. Requests to one route repeat its
 * ARN, so it remembers the last policy resource instead of splitting each ARN again.
 */
export class ResponseBuilder {
  private lastResourceArn: string | undefined;
  private lastStagePrefix = '';
  private lastWholeApiArn = '';
  private lastRoute: RouteRule | undefined;
  private lastRoutePrefix = '';
  private lastRouteArn = '';
  private readonly denyContexts = new Map<RejectionReason, AuthorizerContext>();

  /**
   * @param mode shapes a payload 2.0 answer (see ResponseMode); undefined answers both forms at once.
   * @param contexts builds the allow context from the token's claims (JWT_CONTEXT_CLAIMS).
   */
  constructor(
    private readonly mode?: ResponseMode,
    private readonly contexts: ContextBuilder = new ContextBuilder(),
  ) {}

  /**
   * The answer for an allowed token. Its policy names the whole stage, or only `route` when the
   * authorizer checks scopes per route (JWT_ROUTE_SCOPES): a whole-stage Allow cached by API
   * Gateway for one route would let the same token into a route whose scopes it lacks.
   */
  allow(request: AuthorizerRequest, token: VerifiedToken, route?: RouteRule): AuthorizerResponse {
    return this.respond(request, 'Allow', token.sub ?? token.clientId ?? 'anonymous', this.contexts.contextOf(token), route);
  }

  /**
   * The answer for a refused token. A REST API answers 401 only when the authorizer throws
   * `Unauthorized`, so a missing or invalid token throws there; a revoked one, or one without the
   * route's scope, gets an explicit Deny (403). HTTP APIs answer 403 to a deny and 500 to a throw,
   * so they always get a deny. A Deny for a missing scope names only the route.
   */
  deny(request: AuthorizerRequest, reason: RejectionReason, principalId = 'anonymous', route?: RouteRule): AuthorizerResponse {
    if (isRest(request.flavour) && !isRestDeny(reason)) throw new Error('Unauthorized');
    let context = this.denyContexts.get(reason);
    if (context === undefined) this.denyContexts.set(reason, (context = Object.freeze({ reason })));
    return this.respond(request, 'Deny', principalId, context, route);
  }

  private respond(
    request: AuthorizerRequest,
    effect: 'Allow' | 'Deny',
    principalId: string,
    context: AuthorizerContext,
    route: RouteRule | undefined,
  ): AuthorizerResponse {
    const mode = this.mode;
    // Payload 1.0 and REST always expect a policy; only payload 2.0 has the simple form.
    if (request.flavour === 'http-v2' && mode === 'simple') return { isAuthorized: effect === 'Allow', context };
    if (request.resourceArn === undefined) {
      // An IAM authorizer needs a policy scoped to the route; API Gateway always sends routeArn.
      if (mode === 'iam') throw new TypeError('authorizer event has no routeArn');
      return { isAuthorized: effect === 'Allow', context };
    }
    const policyDocument: PolicyResponse['policyDocument'] = {
      Version: '2012-10-17',
      Statement: [{ Action: 'execute-api:Invoke', Effect: effect, Resource: this.resourceOf(request.resourceArn, route) }],
    };
    // Built field by field rather than spread: this runs on every decision.
    if (request.flavour === 'http-v2' && mode === undefined) {
      return { isAuthorized: effect === 'Allow', principalId, policyDocument, context };
    }
    return { principalId, policyDocument, context };
  }

  private resourceOf(resourceArn: string, route: RouteRule | undefined): string {
    if (resourceArn !== this.lastResourceArn) {
      this.lastStagePrefix = stagePrefix(resourceArn);
      this.lastWholeApiArn = this.lastStagePrefix === '' ? resourceArn : `${this.lastStagePrefix}*`;
      this.lastResourceArn = resourceArn;
    }
    if (route === undefined || this.lastStagePrefix === '') return this.lastWholeApiArn;
    if (route !== this.lastRoute || this.lastStagePrefix !== this.lastRoutePrefix) {
      this.lastRouteArn = this.lastStagePrefix + route.resource;
      this.lastRoute = route;
      this.lastRoutePrefix = this.lastStagePrefix;
    }
    return this.lastRouteArn;
  }
}

function isRest(flavour: ApiFlavour): boolean {
  return flavour === 'rest-token' || flavour === 'rest-request';
}

/** `arn:aws:execute-api:region:account:api/stage/VERB/path` → `arn:…:api/stage/`; '' for an ARN without a stage. */
function stagePrefix(resourceArn: string): string {
  const firstSlash = resourceArn.indexOf('/');
  const secondSlash = firstSlash === -1 ? -1 : resourceArn.indexOf('/', firstSlash + 1);
  if (secondSlash !== -1) return resourceArn.slice(0, secondSlash + 1);
  // `api/stage` without a method: the whole stage is `api/stage/*`.
  return firstSlash === -1 ? '' : `${resourceArn}/`;
}

/**
 * `arn:aws:execute-api:region:account:api/stage/VERB/path` → `arn:…:api/stage/*`: the decision is
 * about the token, not the route, so a cached result must hold for every route of the stage.
 */
export function wholeApiArn(resourceArn: string): string {
  const prefix = stagePrefix(resourceArn);
  return prefix === '' ? resourceArn : `${prefix}*`;
}

import type { ResponseMode } from '../core/config.js';
import type { RejectionReason } from '../core/errors.js';
import type { VerifiedToken } from '../core/verified-token.js';
import type { ApiFlavour, AuthorizerRequest } from './events.js';

/** Context values reach the backend as `$context.authorizer.*`; REST allows only flat primitives. */
export type AuthorizerContext = Record<string, string>;

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

/** The claims handed to the backend. */
export function contextOf(token: VerifiedToken): AuthorizerContext {
  const context: AuthorizerContext = { iss: token.issuer, jti: token.tokenId };
  if (token.subject !== undefined) context.sub = token.subject;
  if (token.clientId !== undefined) context.client_id = token.clientId;
  if (token.scope !== undefined) context.scope = token.scope;
  return context;
}

/** Answers an allowed token; `mode` shapes a payload 2.0 answer (see ResponseMode). */
export function allow(request: AuthorizerRequest, token: VerifiedToken, mode?: ResponseMode): AuthorizerResponse {
  return respond(request, 'Allow', token.subject ?? token.clientId ?? 'anonymous', contextOf(token), mode);
}

/**
 * The answer for a refused token. A REST API answers 401 only when the authorizer throws
 * `Unauthorized`, so a missing or invalid token throws there; a revoked one gets an explicit Deny
 * (403). HTTP APIs answer 403 to a deny and 500 to a throw, so they always get a deny.
 */
export function deny(
  request: AuthorizerRequest,
  reason: RejectionReason,
  principalId = 'anonymous',
  mode?: ResponseMode,
): AuthorizerResponse {
  if (isRest(request.flavour) && !reason.startsWith('revoked_')) throw new Error('Unauthorized');
  return respond(request, 'Deny', principalId, { reason }, mode);
}

function respond(
  request: AuthorizerRequest,
  effect: 'Allow' | 'Deny',
  principalId: string,
  context: AuthorizerContext,
  mode: ResponseMode | undefined,
): AuthorizerResponse {
  // Payload 1.0 and REST always expect a policy; only payload 2.0 has the simple form.
  if (request.flavour === 'http-v2' && mode === 'simple') return { isAuthorized: effect === 'Allow', context };
  if (request.resourceArn === undefined) {
    // An IAM authorizer needs a policy scoped to the route; API Gateway always sends routeArn.
    if (mode === 'iam') throw new TypeError('authorizer event has no routeArn');
    return { isAuthorized: effect === 'Allow', context };
  }
  const policyDocument: PolicyResponse['policyDocument'] = {
    Version: '2012-10-17',
    Statement: [{ Action: 'execute-api:Invoke', Effect: effect, Resource: wholeApiArnOf(request.resourceArn) }],
  };
  // Built field by field rather than spread: this runs on every decision.
  if (request.flavour === 'http-v2' && mode === undefined)
    return { isAuthorized: effect === 'Allow', principalId, policyDocument, context };
  return { principalId, policyDocument, context };
}

// Requests to one route repeat its ARN: remember the last answer instead of splitting each time.
let lastResourceArn: string | undefined;
let lastWholeApiArn = '';

function wholeApiArnOf(resourceArn: string): string {
  if (resourceArn !== lastResourceArn) {
    lastWholeApiArn = wholeApiArn(resourceArn);
    lastResourceArn = resourceArn;
  }
  return lastWholeApiArn;
}

function isRest(flavour: ApiFlavour): boolean {
  return flavour === 'rest-token' || flavour === 'rest-request';
}

/**
 * `arn:aws:execute-api:region:account:api/stage/VERB/path` → `arn:…:api/stage/*`: the decision is
 * about the token, not the route, so a cached result must hold for every route of the stage.
 */
export function wholeApiArn(resourceArn: string): string {
  const [api, stage] = resourceArn.split('/', 2);
  return stage === undefined ? resourceArn : `${api}/${stage}/*`;
}

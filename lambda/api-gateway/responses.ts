import type { ResponseMode } from '../contract/index.js';
import type { RejectionReason } from '../shared/index.js';
import type { VerifiedToken } from '../token/index.js';
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

/**
 * The claims handed to the backend: `iss`, `jti`, `sub`, the client claim's value as `client_id`,
 * `scope`, and, when JWT_SUBJECT_CLAIM names another claim (WSO2's `entity_id`), that claim's
 * value under its own name unless the name is already taken.
 */
export function contextOf(token: VerifiedToken): AuthorizerContext {
  const context: AuthorizerContext = { iss: token.issuer, jti: token.tokenId };
  if (token.sub !== undefined) context.sub = token.sub;
  if (token.clientId !== undefined) context.client_id = token.clientId;
  if (token.scope !== undefined) context.scope = token.scope;
  const subjectClaim = token.subjectClaim;
  if (subjectClaim !== 'sub' && token.subject !== undefined && !Object.hasOwn(context, subjectClaim) && subjectClaim !== '__proto__') {
    context[subjectClaim] = token.subject;
  }
  return context;
}

/**
 * Builds the answers of one authorizer; the handler owns one. Requests to one route repeat its
 * ARN, so it remembers the last policy resource instead of splitting each ARN again.
 */
export class ResponseBuilder {
  private lastResourceArn: string | undefined;
  private lastWholeApiArn = '';

  /** @param mode shapes a payload 2.0 answer (see ResponseMode); undefined answers both forms at once. */
  constructor(private readonly mode?: ResponseMode) {}

  allow(request: AuthorizerRequest, token: VerifiedToken): AuthorizerResponse {
    return this.respond(request, 'Allow', token.sub ?? token.clientId ?? 'anonymous', contextOf(token));
  }

  /**
   * The answer for a refused token. A REST API answers 401 only when the authorizer throws
   * `Unauthorized`, so a missing or invalid token throws there; a revoked one gets an explicit Deny
   * (403). HTTP APIs answer 403 to a deny and 500 to a throw, so they always get a deny.
   */
  deny(request: AuthorizerRequest, reason: RejectionReason, principalId = 'anonymous'): AuthorizerResponse {
    if (isRest(request.flavour) && !reason.startsWith('revoked_')) throw new Error('Unauthorized');
    return this.respond(request, 'Deny', principalId, { reason });
  }

  private respond(
    request: AuthorizerRequest,
    effect: 'Allow' | 'Deny',
    principalId: string,
    context: AuthorizerContext,
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
      Statement: [{ Action: 'execute-api:Invoke', Effect: effect, Resource: this.wholeApiArnOf(request.resourceArn) }],
    };
    // Built field by field rather than spread: this runs on every decision.
    if (request.flavour === 'http-v2' && mode === undefined) {
      return { isAuthorized: effect === 'Allow', principalId, policyDocument, context };
    }
    return { principalId, policyDocument, context };
  }

  private wholeApiArnOf(resourceArn: string): string {
    if (resourceArn !== this.lastResourceArn) {
      this.lastWholeApiArn = wholeApiArn(resourceArn);
      this.lastResourceArn = resourceArn;
    }
    return this.lastWholeApiArn;
  }
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

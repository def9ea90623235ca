import {
  ContextBuilder,
  hasAnyScope,
  readAuthorizerEvent,
  ResponseBuilder,
  RouteScopes,
  TokenSources,
  type AuthorizerEvent,
  type AuthorizerRequest,
  type AuthorizerResponse,
  type RouteRule,
} from './api-gateway/index.js';
import type { RequestSettings } from './config/index.js';
import { parseTokenSources, DEFAULT_TOKEN_SOURCES, type ResponseMode } from './contract/index.js';
import type { RevocationChecker } from './revocation/index.js';
import {
  describeError,
  errorCode,
  isPromise,
  loggableString,
  TokenRejectedError,
  type Log,
  type MaybePromise,
  type RejectionReason,
} from './shared/index.js';
import type { VerifiedToken } from './token/index.js';

/** Verifies a token; see TokenVerifier. */
export interface Verifier {
  verify(token: string, nowMs: number): MaybePromise<VerifiedToken>;
}

/** Counts decisions for metrics; called once per decision, so it must be cheap. */
export interface DecisionRecorder {
  /** `allowed` for an allow, the reason for a deny; `monotonicMs` is the request's start on performance.now(). */
  record(reason: RejectionReason | 'allowed', monotonicMs: number): void;
  /** An invocation that threw for a reason other than the token (API Gateway answers 500). */
  recordFailure(): void;
}

export interface AuthorizerDependencies {
  readonly verifier: Verifier;
  readonly revocations: RevocationChecker;
  readonly log: Log;
  readonly decisions?: DecisionRecorder;
  /** Shape of payload 2.0 answers (AUTHORIZER_RESPONSE_MODE); undefined answers both shapes at once. */
  readonly responseMode?: ResponseMode | undefined;
  /**
   * Cold-start work (key prefetch, revocation load), started once when the handler is created so
   * the first request finds it done or under way. Requests never wait on it as such: each step
   * they need waits for (or retries) just its own part, so a missing token is refused even while
   * the table is unreachable, and a failed load is retried by the next request that needs it.
   */
  readonly initialize?: () => Promise<void>;
  readonly now?: () => number;
  /**
   * Token sources, route scopes and the context (JWT_TOKEN_SOURCES, JWT_ROUTE_SCOPES,
   * JWT_CONTEXT_CLAIMS). @default the Authorization header, no route scopes, the default context
   */
  readonly request?: RequestSettings;
}

export type AuthorizerHandler = (event: AuthorizerEvent) => Promise<AuthorizerResponse>;

/**
 * The decision path, top to bottom: event → token (from its sources) → verify → route scopes →
 * revocation check → response. A refused token is a deny with its reason logged; an
 * infrastructure failure (keys or revocation state unavailable) throws, so API Gateway answers
 * 500 and caches nothing. The scope check comes before the revocation check: it needs only the
 * token, so a token without the route's scope is refused even while the table is unreachable.
 */
export function createAuthorizerHandler(deps: AuthorizerDependencies): AuthorizerHandler {
  const now = deps.now ?? Date.now;
  const tokens = new TokenSources(deps.request?.tokenSources ?? parseTokenSources(DEFAULT_TOKEN_SOURCES).sources);
  const routeScopes =
    deps.request !== undefined && Object.keys(deps.request.routeScopes).length > 0 ? new RouteScopes(deps.request.routeScopes) : undefined;
  const responses = new ResponseBuilder(deps.responseMode, new ContextBuilder(deps.request?.context, deps.log));
  deps.initialize?.().catch((error: unknown) => {
    deps.log.warn('cold-start preparation failed; requests will retry what they need', {
      code: errorCode(error),
      error: describeWithCause(error),
    });
  });

  return async function handler(event: AuthorizerEvent): Promise<AuthorizerResponse> {
    const startedMs = performance.now();
    const request = readAuthorizerEvent(event);
    const nowMs = now();
    let token: VerifiedToken | undefined;
    let route: RouteRule | undefined;
    try {
      const verified = deps.verifier.verify(tokens.tokenOf(request), nowMs);
      token = isPromise(verified) ? await verified : verified;
      if (routeScopes !== undefined) {
        route = routeScopes.routeOf(request);
        if (route !== undefined && route.scopes.length > 0 && !hasAnyScope(token.scope, route.scopes)) {
          throw new TokenRejectedError('insufficient_scope', `the token holds none of the scopes of ${route.key}`, {
            claim: 'scope',
            expected: route.scopes,
          });
        }
      }
      // startedMs is performance.now(), the view's monotonic clock: one clock read less per request.
      const checked = deps.revocations.findRevocation(token, nowMs, startedMs);
      const revoked = isPromise(checked) ? await checked : checked;
      if (revoked !== undefined) throw new TokenRejectedError(revoked, 'token revoked');
    } catch (error) {
      if (error instanceof TokenRejectedError) return refuse(request, error, token, route, startedMs);
      deps.decisions?.recordFailure();
      deps.log.error('authorizer failed; answering 500', {
        code: errorCode(error),
        error: describeWithCause(error),
        requestId: request.requestId,
      });
      throw error;
    }
    deps.decisions?.record('allowed', startedMs);
    if (deps.log.debugEnabled !== false) {
      deps.log.debug('allow', {
        decision: 'allow',
        ...claimsForLog(token),
        latencyMs: round(performance.now() - startedMs),
        requestId: request.requestId,
      });
    }
    return responses.allow(request, token, route);
  };

  function refuse(
    request: AuthorizerRequest,
    error: TokenRejectedError,
    token: VerifiedToken | undefined,
    route: RouteRule | undefined,
    startedMs: number,
  ): AuthorizerResponse {
    // A refusal is an answer, whatever happens to its bookkeeping: a metric or a log line that
    // fails must not turn a deny into a 500 (nor trip the errors alarm).
    try {
      deps.decisions?.record(error.reason, startedMs);
      // Claims are logged only once the signature verified (token is set), never the token itself;
      // the failed assertion holds a summary of what was found, never the value (TokenRejectedError).
      deps.log.info('deny', {
        decision: 'deny',
        reason: error.reason,
        code: error.code,
        detail: error.message,
        failedAssertion: error.failedAssertion,
        ...(token === undefined ? {} : claimsForLog(token)),
        route: error.reason === 'insufficient_scope' ? route?.key : undefined,
        latencyMs: round(performance.now() - startedMs),
        requestId: request.requestId,
      });
    } catch {
      // Nothing to do: the log itself is what failed.
    }
    return responses.deny(request, error.reason, token?.sub, error.reason === 'insufficient_scope' ? route : undefined);
  }
}

/**
 * The ids of a verified token as a log line shows them: each as it is when short and printable,
 * else a summary with the id the revocation table keys it by (ids may be long or hold anything).
 */
function claimsForLog(token: VerifiedToken): Record<string, unknown> {
  const ids = token.revocationIds;
  const subjectIsSub = token.subjectClaim === 'sub';
  return {
    sub: subjectIsSub ? loggableString(token.sub, ids.subject) : loggableString(token.sub),
    // The claim a subject cut-off matched, when it is not sub (WSO2's entity_id).
    subject: subjectIsSub ? undefined : loggableString(token.subject, ids.subject),
    client_id: loggableString(token.clientId, ids.client),
    // The session claim's value (sid, or the issuer's JWT_SESSION_CLAIM), which session revocations match.
    session: loggableString(token.sessionId, ids.session),
    jti: loggableString(token.tokenId, ids.jti),
    iss: token.issuer,
  };
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

/** The error and, for a wrapped infrastructure failure, what it wraps. */
function describeWithCause(error: unknown): string {
  const cause = error instanceof Error && error.cause instanceof Error ? ` (cause: ${describeError(error.cause)})` : '';
  return describeError(error) + cause;
}

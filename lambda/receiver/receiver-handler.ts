import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { RECEIVER_ROUTES, type ReceiverEndpoint } from '../contract/index.js';
import {
  describeError,
  errorCode,
  JwksUnavailableError,
  loggableString,
  TokenRejectedError,
  type Log,
  type RejectionReason,
} from '../shared/index.js';
import type { IssuerConfig, SignedJwt, SignedJwtVerifier, TokenVerifier } from '../token/index.js';
import { badRequest, DeliveryRefusedError, PublishFailedError, type DeliveryErrorCode } from './errors.js';
import { readForm, readRequest, requireMediaType, type ReceiverRequest } from './http-request.js';
import { readLogoutToken } from './logout-token.js';
import { ReplayCache } from './replay-cache.js';
import { messageBody, revocationOf, type OutgoingRevocation } from './revocation-messages.js';
import type { RevocationPublisher } from './revocation-publisher.js';
import { readSecurityEvent } from './security-event.js';
import type { ReceiverSettings } from './settings.js';
import { readTokenRevocation } from './token-revocation.js';

/** What the receiver counts; the Lambda entry publishes it as EMF (contract/metric-names.ts). */
export interface ReceiverRecorder {
  delivery(endpoint: ReceiverEndpoint, outcome: 'accepted' | 'refused' | 'failed'): void;
  eventsIgnored(count: number): void;
  revocationsPublished(count: number): void;
}

export interface ReceiverDependencies {
  readonly settings: ReceiverSettings;
  /** Logout tokens: the trusted token issuers' keys. */
  readonly logoutTokens: SignedJwtVerifier;
  /** SETs: the transmitters' keys (RECEIVER_SET_ISSUERS). */
  readonly securityEvents: SignedJwtVerifier;
  /** RFC 7009: the authorizer's own verifier (its rules, JWT_AUDIENCE). */
  readonly accessTokens: TokenVerifier;
  readonly publisher: RevocationPublisher;
  readonly log: Log;
  readonly metrics?: ReceiverRecorder;
  readonly now?: () => number;
}

export type ReceiverHandler = (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;

/** What one accepted delivery comes to, for the answer and the log line. */
interface Accepted {
  readonly revocations: readonly OutgoingRevocation[];
  readonly extra: Record<string, unknown>;
  readonly ignoredEvents?: number;
  /** The (issuer, jti) to remember once published, and until when (epoch ms). */
  readonly remember?: Remember;
}

const ENDPOINT_BY_PATH = new Map<string, ReceiverEndpoint>(
  Object.entries(RECEIVER_ROUTES).map(([endpoint, path]) => [path, endpoint as ReceiverEndpoint]),
);

// RFC 8935 §2.4 codes for the verifier's refusals of a SET: which key or issuer failed is said
// precisely; a signature that does not verify means the transmitter could not be authenticated.
const SET_ERRORS: Partial<Record<RejectionReason, DeliveryErrorCode>> = {
  unknown_issuer: 'invalid_issuer',
  unknown_key: 'invalid_key',
  algorithm_not_allowed: 'invalid_key',
  bad_signature: 'authentication_failed',
};

/**
 * The revocation receiver: HTTP API payload 2.0 events for three routes, each verified with the
 * token verification core and its own claim rules, mapped to the project's revocation messages and
 * published to the revocation topic, answering only once SNS accepted them:
 * - POST /oidc/backchannel-logout: OIDC Back-Channel Logout 1.0 (§2.5 request, §2.6 validation,
 *   §2.8 response: 200, or 400 with an error JSON; Cache-Control: no-store);
 * - POST /ssf/events: RFC 8935 push delivery of SETs (§2.2: 202; §2.3: 400 with `err`, `description`);
 * - POST /oauth2/revoke: RFC 7009 (§2.2: 200, also for an invalid token; §2.2.1 errors; 401
 *   `invalid_client` with WWW-Authenticate).
 * An unavailable key set or a failed publish is a 503: the sender retries, nothing was acknowledged.
 */
export function createReceiverHandler(deps: ReceiverDependencies): ReceiverHandler {
  const now = deps.now ?? Date.now;
  const { settings } = deps;
  const replays = new ReplayCache(settings.replayCacheMaxEntries);
  const tokenIssuers: ReadonlyMap<string, IssuerConfig> = new Map(settings.tokenIssuers.map((issuer) => [issuer.issuer, issuer]));
  const rules = { clockToleranceSeconds: settings.clockToleranceSeconds, maxTokenLifetimeSeconds: settings.maxTokenLifetimeSeconds };

  async function verify(
    verifier: SignedJwtVerifier,
    token: string,
    nowMs: number,
    errors: Partial<Record<RejectionReason, DeliveryErrorCode>>,
  ): Promise<SignedJwt> {
    try {
      return await verifier.verify(token, nowMs);
    } catch (error) {
      if (error instanceof TokenRejectedError) {
        throw new DeliveryRefusedError(400, errors[error.reason] ?? 'invalid_request', error.message, error.reason, { cause: error });
      }
      throw error;
    }
  }

  async function backchannelLogout(request: ReceiverRequest, nowMs: number): Promise<Accepted> {
    // §2.5: the OP POSTs the logout token as the form parameter logout_token.
    const token = readForm(request).get('logout_token');
    if (token === undefined || token === '') throw badRequest('the logout_token parameter is required (§2.5)', 'missing_token');
    const logout = readLogoutToken(await verify(deps.logoutTokens, token, nowMs, {}), settings.audiences, rules, nowMs);
    if (replays.has(logout.issuer, logout.jti, nowMs)) {
      throw badRequest('a logout token with this jti was already received (§2.6 step 7)', 'replayed_jti');
    }
    // §2.4/§2.7: a sid names one session, logged out on its own; only sub logs out every session of the End-User.
    const revocation: OutgoingRevocation =
      logout.sid !== undefined
        ? { type: 'session', sid: logout.sid, iss: logout.issuer }
        : { type: 'subject', sub: logout.sub!, iss: logout.issuer, revokedAt: Math.ceil(logout.issuedAtEpochSeconds * 1000) };
    return {
      revocations: [revocation],
      extra: { iss: logout.issuer, jti: loggableString(logout.jti) },
      remember: { issuer: logout.issuer, jti: logout.jti, untilMs: (logout.expiresAtEpochSeconds + settings.clockToleranceSeconds) * 1000 },
    };
  }

  async function securityEvents(request: ReceiverRequest, nowMs: number): Promise<Accepted> {
    // RFC 8935 §2.1: the SET is the body, Content-Type application/secevent+jwt.
    requireMediaType(request, 'application/secevent+jwt');
    const token = request.body.toString('utf8').trim();
    if (token === '') throw badRequest('the request body holds no SET (RFC 8935 §2.1)', 'missing_token');
    const set = readSecurityEvent(
      await verify(deps.securityEvents, token, nowMs, SET_ERRORS),
      settings.audiences,
      rules,
      { tokenIssuers },
      nowMs,
    );
    const ignored = set.events.filter((event) => event.target === undefined);
    const extra = {
      iss: set.issuer,
      jti: loggableString(set.jti),
      events: set.events.map((event) => event.type.slice(0, 200)),
      ...(ignored.length > 0 ? { ignoredEvents: ignored.map((event) => ({ type: event.type.slice(0, 200), known: event.known })) } : {}),
    };
    // A transmitter retries a SET whose acknowledgement it did not get (RFC 8935 §2.2): the first
    // delivery was published, so this one is acknowledged again without publishing twice.
    if (replays.has(set.issuer, set.jti, nowMs)) return { revocations: [], extra: { ...extra, replayed: true } };
    const revocations = set.events.flatMap((event) => (event.target === undefined ? [] : [revocationOf(event.target, event.revokedAtMs)]));
    // SETs carry no exp (SSF 1.0): remembered for the maximum token lifetime, past which a replay
    // would republish only revocations that no longer matter (the event's cut-off is in the past).
    const remember: Remember = { issuer: set.issuer, jti: set.jti, untilMs: nowMs + settings.maxTokenLifetimeSeconds * 1000 };
    return { revocations, extra, ignoredEvents: ignored.length, remember };
  }

  async function tokenRevocation(request: ReceiverRequest, nowMs: number): Promise<Accepted> {
    const read = await readTokenRevocation(request, settings.clients, deps.accessTokens, nowMs);
    return {
      revocations: read.revocation === undefined ? [] : [read.revocation],
      extra: { clientId: read.clientId, ...(read.invalidTokenReason === undefined ? {} : { invalidToken: read.invalidTokenReason }) },
    };
  }

  const endpoints: Record<ReceiverEndpoint, (request: ReceiverRequest, nowMs: number) => Promise<Accepted>> = {
    backchannelLogout,
    securityEvents,
    tokenRevocation,
  };

  return async function handler(event) {
    const startedMs = performance.now();
    const nowMs = now();
    let endpoint: ReceiverEndpoint | undefined;
    try {
      const request = readRequest(event, settings.maxBodyBytes);
      endpoint = ENDPOINT_BY_PATH.get(request.path) ?? [...ENDPOINT_BY_PATH].find(([path]) => request.path.endsWith(path))?.[1];
      if (endpoint === undefined) return { statusCode: 404, headers: JSON_HEADERS, body: JSON.stringify({ message: 'Not Found' }) };
      if (request.method !== 'POST') {
        throw new DeliveryRefusedError(405, 'invalid_request', 'only POST is allowed', 'method_not_allowed');
      }
      const accepted = await endpoints[endpoint](request, nowMs);
      let messageId: string | undefined;
      if (accepted.revocations.length > 0) {
        const body = messageBody(accepted.revocations, { ...rules, nowMs });
        messageId = await deps.publisher.publish(body);
        deps.metrics?.revocationsPublished(accepted.revocations.length);
      }
      // Only once SNS accepted: a delivery that failed to publish is not a replay when it comes again.
      if (accepted.remember !== undefined)
        replays.remember(accepted.remember.issuer, accepted.remember.jti, accepted.remember.untilMs, nowMs);
      if (accepted.ignoredEvents !== undefined && accepted.ignoredEvents > 0) deps.metrics?.eventsIgnored(accepted.ignoredEvents);
      deps.metrics?.delivery(endpoint, 'accepted');
      deps.log.info('delivery accepted', {
        endpoint,
        ...accepted.extra,
        revocations: accepted.revocations.map(describeRevocation),
        messageId,
        latencyMs: Math.round(performance.now() - startedMs),
      });
      return success(endpoint);
    } catch (error) {
      return failure(error, endpoint, startedMs);
    }
  };

  function failure(error: unknown, endpoint: ReceiverEndpoint | undefined, startedMs: number): APIGatewayProxyStructuredResultV2 {
    const latencyMs = Math.round(performance.now() - startedMs);
    const at = endpoint ?? 'backchannelLogout';
    if (error instanceof DeliveryRefusedError) {
      if (endpoint !== undefined) deps.metrics?.delivery(endpoint, 'refused');
      deps.log.warn('delivery refused', {
        endpoint,
        status: error.status,
        error: error.error,
        reason: error.reason,
        detail: error.message,
        latencyMs,
      });
      return refusal(at, error);
    }
    if (endpoint !== undefined) deps.metrics?.delivery(endpoint, 'failed');
    const transient = error instanceof JwksUnavailableError || error instanceof PublishFailedError;
    deps.log.error(transient ? 'delivery failed; the sender should retry' : 'delivery failed unexpectedly', {
      endpoint,
      code: errorCode(error),
      error: describeError(error),
      ...(error instanceof Error && error.cause !== undefined ? { cause: describeError(error.cause) } : {}),
      latencyMs,
    });
    return {
      statusCode: transient ? 503 : 500,
      headers: { ...errorHeaders(at), ...(transient ? { 'retry-after': '5' } : {}) },
      body: errorBody(at, 'temporarily_unavailable', transient ? 'the revocation could not be recorded now; retry' : 'internal error'),
    };
  }
}

interface Remember {
  readonly issuer: string;
  readonly jti: string;
  readonly untilMs: number;
}

const JSON_HEADERS = { 'content-type': 'application/json', 'cache-control': 'no-store' };

function success(endpoint: ReceiverEndpoint): APIGatewayProxyStructuredResultV2 {
  // Back-Channel Logout §2.8: 200, Cache-Control no-store. RFC 8935 §2.2: 202, body SHOULD be empty.
  // RFC 7009 §2.2: 200, the body is ignored.
  return { statusCode: endpoint === 'securityEvents' ? 202 : 200, headers: { 'cache-control': 'no-store' }, body: '' };
}

function refusal(endpoint: ReceiverEndpoint, error: DeliveryRefusedError): APIGatewayProxyStructuredResultV2 {
  const headers: Record<string, string> = { ...errorHeaders(endpoint) };
  if (error.status === 401) headers['www-authenticate'] = 'Basic realm="oauth2/revoke", charset="UTF-8"';
  if (error.status === 405) headers.allow = 'POST';
  return { statusCode: error.status, headers, body: errorBody(endpoint, error.error, error.message) };
}

function errorHeaders(endpoint: ReceiverEndpoint): Record<string, string> {
  // RFC 6749 §5.1 (which RFC 7009 §2.2.1 and Back-Channel Logout §2.8 follow): no-store and no-cache.
  return endpoint === 'securityEvents' ? { ...JSON_HEADERS } : { ...JSON_HEADERS, pragma: 'no-cache' };
}

/** RFC 8935 §2.3: `{"err","description"}`; RFC 6749 §5.2 (Back-Channel Logout §2.8, RFC 7009 §2.2.1): `{"error","error_description"}`. */
function errorBody(endpoint: ReceiverEndpoint, code: string, description: string): string {
  return JSON.stringify(endpoint === 'securityEvents' ? { err: code, description } : { error: code, error_description: description });
}

/** A published revocation as the log line shows it: kind, issuer and a bounded id. */
function describeRevocation(revocation: OutgoingRevocation): Record<string, unknown> {
  const id = revocation.type === 'subject' ? revocation.sub : revocation.type === 'session' ? revocation.sid : revocation.jti;
  return { type: revocation.type, iss: revocation.iss, id: loggableString(id) };
}

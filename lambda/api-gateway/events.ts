import type { APIGatewayRequestAuthorizerEvent, APIGatewayRequestAuthorizerEventV2, APIGatewayTokenAuthorizerEvent } from 'aws-lambda';

/** Every authorizer event API Gateway sends; the shape tells which API and payload it is. */
export type AuthorizerEvent = APIGatewayRequestAuthorizerEventV2 | APIGatewayRequestAuthorizerEvent | APIGatewayTokenAuthorizerEvent;

/**
 * Which response the caller expects:
 * - `http-v2`: HTTP API, payload 2.0 (simple response or IAM policy, depending on the authorizer);
 * - `http-v1`: HTTP API, payload 1.0 (IAM policy);
 * - `rest-token` / `rest-request`: REST API TOKEN / REQUEST authorizer (IAM policy, 401 by throwing).
 */
export type ApiFlavour = 'http-v2' | 'http-v1' | 'rest-token' | 'rest-request';

/** What the decision path needs from an authorizer event. */
export interface AuthorizerRequest {
  readonly flavour: ApiFlavour;
  /**
   * The Authorization header (or TOKEN identity source) as sent, undefined when absent, or
   * {@link NOT_A_STRING} when the event holds something else there (a number, an array): API
   * Gateway always sends strings, so only a direct invoke does that, and it is refused as a
   * malformed credential, not a crash.
   */
  readonly authorization: string | undefined | typeof NOT_A_STRING;
  /**
   * The invoked route or method ARN. API Gateway always sends it; only a hand-built payload 2.0
   * event may lack it, and then gets a simple response alone (no policy to scope).
   */
  readonly resourceArn: string | undefined;
  readonly requestId: string | undefined;
  /** The event itself, for what only some requests need (other token sources, the route). */
  readonly event: AuthorizerEvent;
}

/** The value of {@link AuthorizerRequest.authorization} for a credential that is not a string. */
export const NOT_A_STRING: unique symbol = Symbol('not a string');

/** Reads an authorizer event of any flavour. Throws TypeError for something that is none of them. */
export function readAuthorizerEvent(event: AuthorizerEvent): AuthorizerRequest {
  if (typeof event !== 'object' || event === null) throw new TypeError('authorizer event must be an object');
  if ('version' in event && event.version === '2.0') {
    return {
      flavour: 'http-v2',
      // Payload 2.0 lower-cases header names (a hand-built event may not); identitySource holds
      // the configured source's value.
      authorization: credential(findHeader(event.headers, 'authorization') ?? firstIdentitySource(event.identitySource)),
      resourceArn: event.routeArn === undefined ? undefined : requireArn(event.routeArn, 'routeArn'),
      requestId: requestIdOf(event.requestContext),
      event,
    };
  }
  if (event.type === 'TOKEN') {
    return {
      flavour: 'rest-token',
      authorization: credential(event.authorizationToken),
      resourceArn: requireArn(event.methodArn, 'methodArn'),
      requestId: undefined,
      event,
    };
  }
  if (event.type === 'REQUEST') {
    // Payload 1.0 of an HTTP API looks like a REST REQUEST event plus `version` and a string
    // `identitySource`.
    const request = event as APIGatewayRequestAuthorizerEvent & { version?: string; identitySource?: string };
    const header = findHeader(request.headers, 'authorization');
    return {
      flavour: request.version === '1.0' ? 'http-v1' : 'rest-request',
      authorization: credential(header ?? (request.version === '1.0' ? request.identitySource : undefined)),
      resourceArn: requireArn(request.methodArn, 'methodArn'),
      requestId: requestIdOf(request.requestContext),
      event,
    };
  }
  throw new TypeError('not an API Gateway authorizer event: expected version 2.0, type TOKEN or type REQUEST');
}

/** A credential as the decision path takes it: a string, absent (undefined or null), or not a string. */
function credential(value: unknown): string | undefined | typeof NOT_A_STRING {
  if (value === undefined || value === null) return undefined;
  return typeof value === 'string' ? value : NOT_A_STRING;
}

/** Payload 2.0's identitySource is an array of the configured sources' values. */
function firstIdentitySource(identitySource: unknown): unknown {
  if (identitySource === undefined || identitySource === null) return undefined;
  return Array.isArray(identitySource) ? identitySource[0] : NOT_A_STRING;
}

/**
 * A header's value by lower-case name, whatever case the event spells it in. Typed loosely: a
 * direct invoke may put any JSON value in a header.
 */
export function findHeader(headers: Record<string, unknown> | null | undefined, name: string): unknown {
  if (typeof headers !== 'object' || headers === null) return undefined;
  const exact = headers[name];
  if (exact !== undefined) return exact;
  for (const key of Object.keys(headers)) {
    if (key.toLowerCase() === name) return headers[key];
  }
  return undefined;
}

/** API Gateway's request id, for log lines: only a string, and only of a sane length. */
function requestIdOf(context: { requestId?: unknown } | null | undefined): string | undefined {
  const id = typeof context === 'object' && context !== null ? context.requestId : undefined;
  return typeof id === 'string' && id.length <= 128 ? id : undefined;
}

function requireArn(arn: unknown, field: string): string {
  if (typeof arn !== 'string' || !arn.startsWith('arn:')) throw new TypeError(`authorizer event has no ${field}`);
  return arn;
}

// RFC 6750 §2.1: `Bearer 1*SP b64token`, the scheme name case-insensitive (RFC 9110 §11.1).
const BEARER_SCHEME = /^bearer /i;
const SPACE = 0x20;

/**
 * The credentials from an Authorization value using the Bearer scheme, or undefined for another
 * scheme or none. Their characters are not checked here: the verifier's structure check (three
 * base64url segments) admits only b64token characters, so it refuses the same values with the
 * same reason, and a second scan of a token as long as a JWT cost about as much as everything
 * else a remembered token needs (docs/performance.md).
 */
export function bearerToken(authorization: string): string | undefined {
  if (!BEARER_SCHEME.test(authorization)) return undefined;
  let start = 7;
  while (authorization.charCodeAt(start) === SPACE) start++;
  let end = authorization.length;
  while (end > start && authorization.charCodeAt(end - 1) === SPACE) end--;
  return end > start ? authorization.slice(start, end) : undefined;
}

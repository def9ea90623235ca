import type { APIGatewayRequestAuthorizerEvent, APIGatewayRequestAuthorizerEventV2 } from 'aws-lambda';
import { isDefaultTokenSources, type TokenSource } from '../contract/index.js';
import { TokenRejectedError } from '../shared/index.js';
import { bearerToken, findHeader, NOT_A_STRING, type AuthorizerRequest } from './events.js';

/**
 * Finds the token of a request in the sources JWT_TOKEN_SOURCES lists, in order: the first source
 * the request carries (present and not blank) is the one read; a later source is never consulted
 * when an earlier one is present, even if that one is malformed, so a request cannot pick which of
 * two credentials is checked. Values are as the event carries them:
 * - `header:authorization`: the Bearer scheme (RFC 6750 §2.1), as without this variable;
 * - `header:NAME`: the token, with or without `Bearer `;
 * - `query:NAME`: `queryStringParameters` (RFC 6750 §2.3's `access_token`, WebSocket `$connect`);
 *   a parameter given twice with different values is refused;
 * - `cookie:NAME`: payload 2.0's `cookies`, or the `Cookie` header of payload 1.0 and REST
 *   (RFC 6265 §4.2.1); quotes around the value are removed; a cookie given twice is refused.
 * A REST TOKEN event carries only its identity source's value (`authorizationToken`): it is read
 * as the first `header:` source of the list, and the other kinds are absent from it.
 */
export class TokenSources {
  private readonly defaultOnly: boolean;
  private readonly firstHeader: TokenSource | undefined;

  constructor(private readonly sources: readonly TokenSource[]) {
    this.defaultOnly = isDefaultTokenSources(sources);
    this.firstHeader = sources.find((source) => source.kind === 'header');
  }

  /** The token; throws TokenRejectedError `missing_token` when no source is present, `malformed_token` for an unusable one. */
  tokenOf(request: AuthorizerRequest): string {
    // The default list reads what readAuthorizerEvent already took: one header, no search.
    if (this.defaultOnly) return fromAuthorization(request.authorization);
    for (const source of this.sources) {
      const value = this.valueOf(source, request);
      if (value === undefined) continue;
      if (typeof value !== 'string') throw new TokenRejectedError('malformed_token', `${describe(source)} is not a string`);
      if (value.trim() === '') continue;
      if (source.kind === 'header' && source.name === 'authorization') return fromAuthorization(value);
      if (source.kind === 'header') return bearerToken(value) ?? value.trim();
      return value;
    }
    throw new TokenRejectedError('missing_token', `no token in ${this.sources.map(describe).join(', ')}`);
  }

  private valueOf(source: TokenSource, request: AuthorizerRequest): unknown {
    const { event, flavour } = request;
    if (flavour === 'rest-token') {
      return source === this.firstHeader ? (event as { authorizationToken?: unknown }).authorizationToken : undefined;
    }
    if (source.kind === 'header') {
      if (source.name === 'authorization') return request.authorization;
      return findHeader((event as { headers?: Record<string, unknown> | null }).headers, source.name);
    }
    if (source.kind === 'query') return queryParameter(event as RequestEvent, source.name);
    if (flavour === 'http-v2') return cookieFromList((event as APIGatewayRequestAuthorizerEventV2).cookies, source.name);
    const header = findHeader((event as RequestEvent).headers, 'cookie');
    return typeof header === 'string' ? cookieFromHeader(header, source.name) : header;
  }
}

type RequestEvent = APIGatewayRequestAuthorizerEvent | APIGatewayRequestAuthorizerEventV2;

function fromAuthorization(authorization: AuthorizerRequest['authorization']): string {
  if (authorization === NOT_A_STRING) throw new TokenRejectedError('malformed_token', 'the Authorization value is not a string');
  const value = authorization?.trim();
  if (!value) throw new TokenRejectedError('missing_token', 'no Authorization header');
  const bearer = bearerToken(value);
  if (bearer === undefined) throw new TokenRejectedError('malformed_token', 'Authorization must use the Bearer scheme');
  return bearer;
}

function queryParameter(event: RequestEvent, name: string): unknown {
  const parameters = event.queryStringParameters as Record<string, unknown> | null | undefined;
  const value = parameters?.[name];
  // Payload 1.0 and REST keep only the last of repeated parameters in queryStringParameters: the
  // multi-value map shows whether there were several. (Payload 2.0 joins them with commas, which
  // no JWT contains, so the verifier refuses such a value.)
  const all = (event as APIGatewayRequestAuthorizerEvent).multiValueQueryStringParameters?.[name] as unknown;
  if (Array.isArray(all) && all.length > 1 && all.some((entry) => entry !== all[0])) {
    throw new TokenRejectedError('malformed_token', `query parameter ${name} is given more than once`);
  }
  return value;
}

/** Payload 2.0 `cookies`: `["name=value", …]`. */
function cookieFromList(cookies: unknown, name: string): unknown {
  if (cookies === undefined || cookies === null) return undefined;
  if (!Array.isArray(cookies)) throw new TokenRejectedError('malformed_token', 'cookies is not a list');
  let found: string | undefined;
  for (const cookie of cookies) {
    if (typeof cookie !== 'string') continue;
    const value = cookieValue(cookie.trim(), name);
    if (value === undefined) continue;
    if (found !== undefined) throw new TokenRejectedError('malformed_token', `cookie ${name} is given more than once`);
    found = value;
  }
  return found;
}

/** A `Cookie` header: `a=1; b=2` (RFC 6265 §4.2.1). */
function cookieFromHeader(header: string, name: string): string | undefined {
  let found: string | undefined;
  for (const pair of header.split(';')) {
    const value = cookieValue(pair.trim(), name);
    if (value === undefined) continue;
    if (found !== undefined) throw new TokenRejectedError('malformed_token', `cookie ${name} is given more than once`);
    found = value;
  }
  return found;
}

function cookieValue(pair: string, name: string): string | undefined {
  if (pair.length <= name.length || pair.charCodeAt(name.length) !== 0x3d || !pair.startsWith(name)) return undefined;
  const value = pair.slice(name.length + 1);
  // RFC 6265 §4.1.1: cookie-value = *cookie-octet / ( DQUOTE *cookie-octet DQUOTE ).
  return value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value;
}

function describe(source: TokenSource): string {
  return `${source.kind}:${source.name}`;
}

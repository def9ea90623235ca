import { identitySourcesFor, tokenAuthorizerHeader, type ParsedRoute, type TokenSource } from '../lambda/contract/index.js';
import { clfTime, type HttpApiIdentity, type HttpApiRequest } from './http-api-event.js';
import { LOCAL_ACCOUNT_ID } from './lambda-runtime.js';
import type { LocalApi } from './route-table.js';

/**
 * The authorizer events of the flavours other than HTTP API payload 2.0 (http-api-event.ts), built
 * from the same request: HTTP API payload 1.0, REST TOKEN and REST REQUEST ("Working with AWS
 * Lambda authorizers for HTTP APIs", payload 1.0; "Input to an Amazon API Gateway Lambda
 * authorizer" for REST), and the payload 1.0 event a Lambda proxy integration behind them gets.
 */

/** The stage of the local REST API (HTTP APIs use `$default`). */
export const LOCAL_REST_STAGE = 'local';

/** The stage in the flavour's ARNs and events. */
export function stageOf(api: LocalApi): string {
  return api.startsWith('rest') ? LOCAL_REST_STAGE : '$default';
}

/** `arn:aws:execute-api:{region}:{account}:{apiId}/{stage}/{METHOD}{path}`: the invoked method's ARN. */
export function methodArn(identity: HttpApiIdentity, api: LocalApi, request: HttpApiRequest): string {
  return `arn:aws:execute-api:${identity.region}:${LOCAL_ACCOUNT_ID}:${identity.apiId}/${stageOf(api)}/${request.method}${request.rawPath}`;
}

/**
 * The values of the identity sources the construct would give this flavour's authorizer for
 * `sources` (contract/token-sources.ts): undefined when one is missing or blank (API Gateway then
 * answers 401 without invoking the authorizer), an empty list when there are none to check.
 */
export function identityValues(api: LocalApi, sources: readonly TokenSource[], request: HttpApiRequest): readonly string[] | undefined {
  const expressions =
    api === 'rest-token'
      ? [`method.request.header.${tokenAuthorizerHeader(sources) ?? 'Authorization'}`]
      : (identitySourcesFor(sources, api === 'rest-request' ? 'rest' : 'http') ?? []);
  const values: string[] = [];
  for (const expression of expressions) {
    const value = identityValue(expression, request);
    if (value === undefined || value.trim() === '') return undefined;
    values.push(value);
  }
  return values;
}

function identityValue(expression: string, request: HttpApiRequest): string | undefined {
  const header = /^(?:\$request|method\.request)\.header\.(.+)$/.exec(expression)?.[1]?.toLowerCase();
  if (header !== undefined) return header === 'cookie' ? cookieHeader(request) : request.headers[header];
  const query = /^(?:\$request|method\.request)\.querystring\.(.+)$/.exec(expression)?.[1];
  if (query !== undefined) return new URLSearchParams(request.rawQueryString).get(query) ?? undefined;
  return undefined;
}

function cookieHeader(request: HttpApiRequest): string | undefined {
  return request.cookies.length === 0 ? undefined : request.cookies.join('; ');
}

/** The resource of a route as a payload 1.0 or REST event names it: the path template; `$default` for REST is the root proxy. */
export function resourceOf(api: LocalApi, route: ParsedRoute): string {
  if (route.kind === 'path') return route.path;
  return api === 'rest-request' || api === 'rest-token' ? '/{proxy+}' : route.key;
}

/** The values of a route's `{parameters}` in `path`, or null when it has none (as API Gateway writes it). */
export function pathParameters(route: ParsedRoute, path: string): Record<string, string> | null {
  const parameters: Record<string, string> = {};
  const parts = path.replace(/^\//, '').split('/');
  if (route.kind === 'special') {
    if (route.key === '$default' && path !== '/') parameters.proxy = parts.join('/');
  } else {
    route.segments.forEach((segment, index) => {
      if ('parameter' in segment) parameters[segment.parameter] = segment.greedy ? parts.slice(index).join('/') : parts[index]!;
    });
  }
  return Object.keys(parameters).length === 0 ? null : parameters;
}

/** A REST TOKEN authorizer event: the identity source's value and the method ARN, nothing else. */
export function restTokenEvent(identity: HttpApiIdentity, request: HttpApiRequest, token: string): Record<string, unknown> {
  return { type: 'TOKEN', authorizationToken: token, methodArn: methodArn(identity, 'rest-token', request) };
}

/** A REST REQUEST or HTTP API payload 1.0 authorizer event. */
export function requestEventV1(
  identity: HttpApiIdentity,
  api: 'http-v1' | 'rest-request',
  request: HttpApiRequest,
  route: ParsedRoute,
  identitySource: readonly string[],
): Record<string, unknown> {
  const event: Record<string, unknown> = {
    type: 'REQUEST',
    methodArn: methodArn(identity, api, request),
    ...proxyFields(identity, api, request, route),
  };
  if (api === 'http-v1') {
    // HTTP API payload 1.0 adds `version` and the identity sources' values, comma-joined.
    event.version = '1.0';
    event.identitySource = identitySource.join(',');
    event.authorizationToken = identitySource.join(',');
  }
  return event;
}

/** The payload 1.0 event a Lambda proxy integration gets behind these flavours, with the authorizer's context. */
export function integrationEventV1(
  identity: HttpApiIdentity,
  api: LocalApi,
  request: HttpApiRequest,
  route: ParsedRoute,
  authorizerContext: Record<string, unknown>,
  principalId: string | undefined,
): Record<string, unknown> {
  const fields = proxyFields(identity, api, request, route);
  const requestContext = { ...(fields.requestContext as Record<string, unknown>), authorizer: { ...authorizerContext, principalId } };
  const text = request.body.length === 0 ? null : request.body.toString('utf8');
  return { ...(api === 'http-v1' ? { version: '1.0' } : {}), ...fields, requestContext, body: text, isBase64Encoded: false };
}

function proxyFields(identity: HttpApiIdentity, api: LocalApi, request: HttpApiRequest, route: ParsedRoute): Record<string, unknown> {
  const headers: Record<string, string> = { ...request.headers };
  const cookie = cookieHeader(request);
  if (cookie !== undefined) headers.cookie = cookie;
  const single: Record<string, string> = {};
  const multi: Record<string, string[]> = {};
  for (const [name, value] of new URLSearchParams(request.rawQueryString)) {
    single[name] = value;
    (multi[name] ??= []).push(value);
  }
  const hasQuery = Object.keys(single).length > 0;
  const resource = resourceOf(api, route);
  const stage = stageOf(api);
  return {
    resource,
    path: request.rawPath,
    httpMethod: request.method,
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, [value]])),
    queryStringParameters: hasQuery ? single : null,
    multiValueQueryStringParameters: hasQuery ? multi : null,
    pathParameters: pathParameters(route, request.rawPath),
    stageVariables: null,
    requestContext: {
      accountId: LOCAL_ACCOUNT_ID,
      apiId: identity.apiId,
      domainName: request.domainName,
      domainPrefix: request.domainName.split('.')[0] ?? request.domainName,
      extendedRequestId: request.requestId,
      httpMethod: request.method,
      identity: { sourceIp: request.sourceIp, userAgent: request.headers['user-agent'] ?? '' },
      path: stage === '$default' ? request.rawPath : `/${stage}${request.rawPath}`,
      protocol: request.protocol,
      requestId: request.requestId,
      requestTime: clfTime(request.timeEpoch),
      requestTimeEpoch: request.timeEpoch,
      resourceId: 'local',
      resourcePath: resource,
      stage,
    },
  };
}

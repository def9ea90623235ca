import { isUtf8 } from 'node:buffer';
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { APIGatewayProxyEventV2WithLambdaAuthorizer, APIGatewayRequestAuthorizerEventV2 } from 'aws-lambda';
import type { ParsedRoute } from '../lambda/contract/index.js';
import { LOCAL_ACCOUNT_ID } from './lambda-runtime.js';

/** The local HTTP API: its id and stage, and the region in its ARNs. */
export interface HttpApiIdentity {
  readonly apiId: string;
  readonly region: string;
}

/** Everything API Gateway reads from a request, taken once so both events agree. */
export interface HttpApiRequest {
  readonly method: string;
  readonly rawPath: string;
  readonly rawQueryString: string;
  /** Lower-cased names; repeated headers comma-joined, as payload 2.0 does. Without `cookie`. */
  readonly headers: Record<string, string>;
  readonly cookies: string[];
  readonly queryStringParameters: Record<string, string> | undefined;
  readonly body: Buffer;
  readonly protocol: string;
  readonly sourceIp: string;
  readonly domainName: string;
  readonly requestId: string;
  readonly timeEpoch: number;
}

/** Payload 2.0 request context, without the authorizer part. */
type RequestContextV2 = APIGatewayRequestAuthorizerEventV2['requestContext'];

/**
 * Reads a Node request the way API Gateway HTTP API does ("Working with AWS Lambda proxy
 * integrations for HTTP APIs", payload format 2.0): header names lower-cased, duplicates joined
 * with commas, cookies moved out of the headers into `cookies`, repeated query parameters joined
 * with commas.
 */
export function readHttpApiRequest(request: IncomingMessage, body: Buffer): HttpApiRequest {
  const url = request.url ?? '/';
  const queryAt = url.indexOf('?');
  const rawPath = queryAt === -1 ? url : url.slice(0, queryAt);
  const rawQueryString = queryAt === -1 ? '' : url.slice(queryAt + 1);
  const headers: Record<string, string> = {};
  let cookies: string[] = [];
  for (const [name, values] of Object.entries(request.headersDistinct)) {
    if (values === undefined) continue;
    if (name === 'cookie') {
      cookies = values
        .flatMap((value) => value.split(';'))
        .map((cookie) => cookie.trim())
        .filter((cookie) => cookie !== '');
      continue;
    }
    headers[name] = values.join(',');
  }
  let queryStringParameters: Record<string, string> | undefined;
  if (rawQueryString !== '') {
    queryStringParameters = {};
    for (const [name, value] of new URLSearchParams(rawQueryString)) {
      const seen = queryStringParameters[name];
      queryStringParameters[name] = seen === undefined ? value : `${seen},${value}`;
    }
  }
  const host = headers.host ?? 'localhost';
  return {
    method: request.method ?? 'GET',
    rawPath,
    rawQueryString,
    headers,
    cookies,
    queryStringParameters,
    body,
    protocol: `HTTP/${request.httpVersion}`,
    sourceIp: (request.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, ''),
    domainName: host.replace(/:\d+$/, ''),
    // API Gateway request ids look like "JKJaXmPLvHcESHA=": 10 random bytes, base64.
    requestId: randomBytes(10).toString('base64'),
    timeEpoch: Date.now(),
  };
}

/** The `Authorization` header, the identity source `$request.header.Authorization`; undefined when absent or empty. */
export function identitySource(request: HttpApiRequest): string | undefined {
  const value = request.headers.authorization;
  return value === undefined || value.trim() === '' ? undefined : value;
}

/** The route of a stack without LOCAL_ROUTES: `$default`, which every request matches. */
export const DEFAULT_ROUTE: ParsedRoute = Object.freeze({ kind: 'special', key: '$default' });

/**
 * The payload 2.0 Lambda authorizer event for `route` ("Working with AWS Lambda authorizers for
 * HTTP APIs"), `identitySource` the values of the authorizer's identity sources (by default the
 * Authorization header). Fields API Gateway leaves out when empty (cookies, query parameters,
 * path parameters, stage variables) are left out here too.
 */
export function authorizerEvent(
  api: HttpApiIdentity,
  request: HttpApiRequest,
  route: ParsedRoute = DEFAULT_ROUTE,
  identityValues?: readonly string[],
): APIGatewayRequestAuthorizerEventV2 {
  const source = identitySource(request);
  const event: Record<string, unknown> = {
    version: '2.0',
    type: 'REQUEST',
    routeArn: routeArn(api, request),
    identitySource: identityValues !== undefined ? [...identityValues] : source === undefined ? [] : [source],
    ...requestFields(request, route),
    requestContext: requestContext(api, request, route),
  };
  return event as unknown as APIGatewayRequestAuthorizerEventV2;
}

/** The payload 2.0 event a Lambda proxy integration receives, with the authorizer's context. */
export function integrationEvent(
  api: HttpApiIdentity,
  request: HttpApiRequest,
  authorizerContext: Record<string, unknown>,
  route: ParsedRoute = DEFAULT_ROUTE,
): APIGatewayProxyEventV2WithLambdaAuthorizer<Record<string, unknown>> {
  const event: Record<string, unknown> = {
    version: '2.0',
    ...requestFields(request, route),
    requestContext: { ...requestContext(api, request, route), authorizer: { lambda: authorizerContext } },
    isBase64Encoded: false,
  };
  if (request.body.length > 0) {
    const text = isUtf8(request.body);
    event.body = text ? request.body.toString('utf8') : request.body.toString('base64');
    event.isBase64Encoded = !text;
  }
  return event as unknown as APIGatewayProxyEventV2WithLambdaAuthorizer<Record<string, unknown>>;
}

/** `arn:aws:execute-api:{region}:{account}:{apiId}/{stage}/{METHOD}{path}`, the ARN of the invoked route. */
export function routeArn(api: HttpApiIdentity, request: HttpApiRequest): string {
  return `arn:aws:execute-api:${api.region}:${LOCAL_ACCOUNT_ID}:${api.apiId}/$default/${request.method}${request.rawPath}`;
}

/** The request's own fields, the same in the authorizer event and the integration event. */
function requestFields(request: HttpApiRequest, route: ParsedRoute): Record<string, unknown> {
  const parameters = pathParametersOf(route, request.rawPath);
  return {
    routeKey: route.key,
    rawPath: request.rawPath,
    rawQueryString: request.rawQueryString,
    ...(request.cookies.length > 0 ? { cookies: request.cookies } : {}),
    headers: request.headers,
    ...(request.queryStringParameters ? { queryStringParameters: request.queryStringParameters } : {}),
    ...(parameters === undefined ? {} : { pathParameters: parameters }),
  };
}

/** A route's `{parameters}` in the path (the `$default` route has none in payload 2.0), undefined when none. */
function pathParametersOf(route: ParsedRoute, path: string): Record<string, string> | undefined {
  if (route.kind !== 'path') return undefined;
  const parts = path.replace(/^\//, '').split('/');
  const parameters: Record<string, string> = {};
  route.segments.forEach((segment, index) => {
    if ('parameter' in segment) parameters[segment.parameter] = segment.greedy ? parts.slice(index).join('/') : parts[index]!;
  });
  return Object.keys(parameters).length === 0 ? undefined : parameters;
}

function requestContext(api: HttpApiIdentity, request: HttpApiRequest, route: ParsedRoute): RequestContextV2 {
  return {
    accountId: LOCAL_ACCOUNT_ID,
    apiId: api.apiId,
    domainName: request.domainName,
    domainPrefix: request.domainName.split('.')[0] ?? request.domainName,
    http: {
      method: request.method,
      path: request.rawPath,
      protocol: request.protocol,
      sourceIp: request.sourceIp,
      userAgent: request.headers['user-agent'] ?? '',
    },
    requestId: request.requestId,
    routeKey: route.key,
    stage: '$default',
    time: clfTime(request.timeEpoch),
    timeEpoch: request.timeEpoch,
  };
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `12/Mar/2020:19:03:58 +0000`: the Common Log Format time API Gateway puts in `time`. */
export function clfTime(epochMs: number): string {
  const date = new Date(epochMs);
  const pad = (value: number) => String(value).padStart(2, '0');
  return (
    `${pad(date.getUTCDate())}/${MONTHS[date.getUTCMonth()]}/${date.getUTCFullYear()}:` +
    `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`
  );
}

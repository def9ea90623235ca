import type { APIGatewayRequestAuthorizerEvent, APIGatewayRequestAuthorizerEventV2, APIGatewayTokenAuthorizerEvent } from 'aws-lambda';

/**
 * Authorizer events shaped as API Gateway sends them (API Gateway developer guide, "Lambda
 * authorizer input" for REST APIs and "payload format" for HTTP APIs).
 */

const ACCOUNT = '123456789012';
const API_ID = 'abcdef123';

export function httpApiV2Event(authorization: string | undefined, path = '/orders/42'): APIGatewayRequestAuthorizerEventV2 {
  const headers: Record<string, string> = { host: `${API_ID}.execute-api.us-east-1.amazonaws.com`, 'user-agent': 'curl/8.5.0' };
  if (authorization !== undefined) headers.authorization = authorization;
  return {
    version: '2.0',
    type: 'REQUEST',
    routeArn: `arn:aws:execute-api:us-east-1:${ACCOUNT}:${API_ID}/$default/GET${path}`,
    identitySource: authorization === undefined ? [] : [authorization],
    routeKey: 'GET /orders/{id}',
    rawPath: path,
    rawQueryString: '',
    cookies: [],
    headers,
    queryStringParameters: {},
    requestContext: {
      accountId: ACCOUNT,
      apiId: API_ID,
      domainName: `${API_ID}.execute-api.us-east-1.amazonaws.com`,
      domainPrefix: API_ID,
      http: { method: 'GET', path, protocol: 'HTTP/1.1', sourceIp: '203.0.113.7', userAgent: 'curl/8.5.0' },
      requestId: 'JKJaXmPLvHcESHA=',
      routeKey: 'GET /orders/{id}',
      stage: '$default',
      time: '12/Mar/2026:19:03:58 +0000',
      timeEpoch: 1_773_342_238_000,
    },
    pathParameters: { id: '42' },
    stageVariables: {},
  } as APIGatewayRequestAuthorizerEventV2;
}

/** HTTP API payload 1.0: a REST-style REQUEST event with `version` and a string identitySource. */
export function httpApiV1Event(authorization: string | undefined): APIGatewayRequestAuthorizerEvent {
  const event = restRequestEvent(authorization === undefined ? {} : { authorization }) as unknown as Record<string, unknown>;
  return {
    ...event,
    version: '1.0',
    identitySource: authorization ?? '',
    methodArn: `arn:aws:execute-api:us-east-1:${ACCOUNT}:${API_ID}/$default/GET/orders/42`,
  } as unknown as APIGatewayRequestAuthorizerEvent;
}

export function restTokenEvent(authorizationToken: string): APIGatewayTokenAuthorizerEvent {
  return {
    type: 'TOKEN',
    authorizationToken,
    methodArn: `arn:aws:execute-api:us-east-1:${ACCOUNT}:${API_ID}/prod/GET/orders/42`,
  };
}

export function restRequestEvent(headers: Record<string, string>): APIGatewayRequestAuthorizerEvent {
  return {
    type: 'REQUEST',
    methodArn: `arn:aws:execute-api:us-east-1:${ACCOUNT}:${API_ID}/prod/GET/orders/42`,
    resource: '/orders/{id}',
    path: '/orders/42',
    httpMethod: 'GET',
    headers: { Host: `${API_ID}.execute-api.us-east-1.amazonaws.com`, ...headers },
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, [value]])),
    queryStringParameters: {},
    multiValueQueryStringParameters: {},
    pathParameters: { id: '42' },
    stageVariables: {},
    requestContext: {
      accountId: ACCOUNT,
      apiId: API_ID,
      httpMethod: 'GET',
      path: '/prod/orders/42',
      protocol: 'HTTP/1.1',
      requestId: 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef',
      requestTimeEpoch: 1_773_342_238_000,
      resourceId: 'xyz789',
      resourcePath: '/orders/{id}',
      stage: 'prod',
      identity: { sourceIp: '203.0.113.7', userAgent: 'curl/8.5.0' },
    },
  } as unknown as APIGatewayRequestAuthorizerEvent;
}

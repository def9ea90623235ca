import { describe, expect, it } from 'vitest';
import { hasAnyScope, readAuthorizerEvent, RouteScopes, type AuthorizerEvent } from '../../../lambda/api-gateway/index.js';
import { httpApiV1Event, httpApiV2Event, restRequestEvent, restTokenEvent } from '../../support/api-gateway-events.js';

const scopes = new RouteScopes({
  'GET /orders/{id}': ['orders.read'],
  'ANY /admin/{proxy+}': ['admin'],
  $connect: ['chat'],
});
const routeOf = (event: unknown) => scopes.routeOf(readAuthorizerEvent(event as AuthorizerEvent));

describe('RouteScopes', () => {
  it("finds a payload 2.0 event's route by its routeKey", () => {
    expect(routeOf(httpApiV2Event('Bearer x'))).toMatchObject({
      key: 'GET /orders/{id}',
      scopes: ['orders.read'],
      resource: 'GET/orders/*',
    });
  });

  it('gives an unlisted route no scopes, and the resource of its own route', () => {
    expect(routeOf({ ...httpApiV2Event('Bearer x'), routeKey: 'POST /orders' })).toMatchObject({ scopes: [], resource: 'POST/orders' });
  });

  it('finds a REST REQUEST and a payload 1.0 route by httpMethod and resource, ANY when the method is not listed', () => {
    expect(routeOf(restRequestEvent({}))?.key).toBe('GET /orders/{id}');
    expect(routeOf(httpApiV1Event('Bearer x'))?.key).toBe('GET /orders/{id}');
    expect(routeOf({ ...restRequestEvent({}), httpMethod: 'DELETE', resource: '/admin/{proxy+}' })?.key).toBe('ANY /admin/{proxy+}');
  });

  it('finds a WebSocket $connect route by requestContext.routeKey', () => {
    const connect = {
      type: 'REQUEST',
      methodArn: 'arn:aws:execute-api:us-east-1:1:abc/prod/$connect',
      requestContext: { routeKey: '$connect' },
    };
    expect(routeOf(connect)).toMatchObject({ key: '$connect', scopes: ['chat'], resource: '$connect' });
  });

  it("matches a TOKEN event's method and path, taken from methodArn, against the listed routes", () => {
    expect(routeOf(restTokenEvent('t'))?.key).toBe('GET /orders/{id}');
    const admin = { ...restTokenEvent('t'), methodArn: 'arn:aws:execute-api:us-east-1:1:abc/prod/PUT/admin/users/7' };
    expect(routeOf(admin)?.key).toBe('ANY /admin/{proxy+}');
  });

  it('names exactly the invoked ARN when the event says nothing of its route', () => {
    const unmatched = { ...restTokenEvent('t'), methodArn: 'arn:aws:execute-api:us-east-1:1:abc/prod/GET/public/page' };
    expect(routeOf(unmatched)).toMatchObject({ scopes: [], resource: 'GET/public/page' });
  });
});

describe('hasAnyScope', () => {
  it('finds a whole scope of a space-separated list, never a part of one', () => {
    expect(hasAnyScope('openid orders.read', ['orders.read'])).toBe(true);
    expect(hasAnyScope('orders.read openid', ['admin', 'orders.read'])).toBe(true);
    expect(hasAnyScope('orders.readwrite', ['orders.read'])).toBe(false);
    expect(hasAnyScope('xorders.read', ['orders.read'])).toBe(false);
    expect(hasAnyScope('orders.read.all orders', ['orders.read'])).toBe(false);
    expect(hasAnyScope(undefined, ['orders.read'])).toBe(false);
  });
});

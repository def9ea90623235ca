import { describe, expect, it } from 'vitest';
import { matchRoute, parseRouteKey, routeResource, type ParsedRoute } from '../../../lambda/contract/index.js';

function parse(key: string): ParsedRoute {
  const route = parseRouteKey(key);
  if ('problem' in route) throw new Error(route.problem);
  return route;
}

describe('parseRouteKey', () => {
  it('reads HTTP API route keys: a method and a path with {parameters} and a final greedy {proxy+}', () => {
    expect(parse('GET /admin/{proxy+}')).toMatchObject({
      kind: 'path',
      method: 'GET',
      path: '/admin/{proxy+}',
      segments: [{ literal: 'admin' }, { parameter: 'proxy', greedy: true }],
    });
    expect(parse('$default')).toEqual({ kind: 'special', key: '$default' });
    expect(parse('$connect')).toEqual({ kind: 'special', key: '$connect' });
    expect(parse('ANY /')).toMatchObject({ method: 'ANY', segments: [] });
  });

  it.each([
    ['a route without a method', '/orders'],
    ['an unknown method', 'FETCH /orders'],
    ['a greedy parameter that is not last', 'GET /{proxy+}/x'],
    ['a path without a leading slash', 'GET orders'],
    ['an empty segment', 'GET /orders//x'],
    ['a wildcard', 'GET /orders/*'],
    ['a lower-case method', 'get /orders'],
  ])('refuses %s', (_, key) => {
    expect(parseRouteKey(key)).toHaveProperty('problem');
  });
});

describe('routeResource', () => {
  it('covers every request of the route in an execute-api ARN tail', () => {
    expect(routeResource(parse('GET /orders/{id}'))).toBe('GET/orders/*');
    expect(routeResource(parse('ANY /admin/{proxy+}'))).toBe('*/admin/*');
    expect(routeResource(parse('POST /'))).toBe('POST/');
    expect(routeResource(parse('$default'))).toBe('*');
    expect(routeResource(parse('$connect'))).toBe('$connect');
  });
});

describe('matchRoute', () => {
  const routes = ['GET /orders/{id}', 'GET /orders/special', 'ANY /orders/{id}', 'GET /admin/{proxy+}', '$default'].map(parse);
  const keyOf = (method: string, path: string) => matchRoute(routes, method, path)?.key;

  it('picks the most specific route, as API Gateway does: literal, then parameter, then greedy; a method before ANY', () => {
    expect(keyOf('GET', '/orders/special')).toBe('GET /orders/special');
    expect(keyOf('GET', '/orders/42')).toBe('GET /orders/{id}');
    expect(keyOf('DELETE', '/orders/42')).toBe('ANY /orders/{id}');
    expect(keyOf('GET', '/admin/users/7')).toBe('GET /admin/{proxy+}');
  });

  it('falls back to $default, and to nothing without it', () => {
    expect(keyOf('GET', '/admin')).toBe('$default');
    expect(keyOf('GET', '/orders/42/items')).toBe('$default');
    expect(matchRoute([parse('GET /orders/{id}')], 'GET', '/other')).toBeUndefined();
  });
});

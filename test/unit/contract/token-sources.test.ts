import { describe, expect, it } from 'vitest';
import { identitySourcesFor, parseTokenSources, tokenAuthorizerHeader } from '../../../lambda/contract/index.js';

describe('parseTokenSources', () => {
  it('reads an ordered list of header, query and cookie sources, header names lower-cased', () => {
    expect(parseTokenSources('header:Authorization, query:access_token cookie:session').sources).toEqual([
      { kind: 'header', name: 'authorization' },
      { kind: 'query', name: 'access_token' },
      { kind: 'cookie', name: 'session' },
    ]);
  });

  it.each([
    ['an unknown kind', 'body:token'],
    ['a kind without a name', 'header'],
    ['a header name with a space-like character', 'header:x(y)'],
    ['a source listed twice', 'header:X-Token,header:x-token'],
    ['nothing', ' , '],
  ])('refuses %s, naming the entry', (_, value) => {
    const { sources, problems } = parseTokenSources(value);
    expect(sources).toEqual([]);
    expect(problems.length).toBeGreaterThan(0);
  });
});

describe('identitySourcesFor', () => {
  const one = (value: string) => parseTokenSources(value).sources;

  it('names a single header or query parameter as API Gateway writes it for each kind of API', () => {
    expect(identitySourcesFor(one('header:authorization'), 'http')).toEqual(['$request.header.Authorization']);
    expect(identitySourcesFor(one('query:access_token'), 'http')).toEqual(['$request.querystring.access_token']);
    expect(identitySourcesFor(one('header:x-access-token'), 'rest')).toEqual(['method.request.header.X-Access-Token']);
    expect(identitySourcesFor(one('query:access_token'), 'websocket')).toEqual(['route.request.querystring.access_token']);
  });

  it('has none for a cookie on an HTTP API (payload 2.0 takes cookies out of the headers), the Cookie header elsewhere', () => {
    expect(identitySourcesFor(one('cookie:session'), 'http')).toBeUndefined();
    expect(identitySourcesFor(one('cookie:session'), 'rest')).toEqual(['method.request.header.Cookie']);
  });

  it('has none for a list of alternatives: API Gateway would answer 401 to a request lacking any one of them', () => {
    expect(identitySourcesFor(one('header:authorization,query:access_token'), 'http')).toBeUndefined();
  });

  it("gives a TOKEN authorizer the list's first header", () => {
    expect(tokenAuthorizerHeader(one('query:t,header:x-token,header:authorization'))).toBe('X-Token');
    expect(tokenAuthorizerHeader(one('query:t'))).toBeUndefined();
  });
});

import { describe, expect, it } from 'vitest';
import { readAuthorizerEvent, TokenSources, type AuthorizerEvent } from '../../../lambda/api-gateway/index.js';
import { parseTokenSources } from '../../../lambda/contract/index.js';
import { TokenRejectedError } from '../../../lambda/shared/index.js';
import { httpApiV1Event, httpApiV2Event, restRequestEvent, restTokenEvent } from '../../support/api-gateway-events.js';

const sources = (value: string) => new TokenSources(parseTokenSources(value).sources);
const tokenOf = (list: string, event: unknown) => sources(list).tokenOf(readAuthorizerEvent(event as AuthorizerEvent));

function refusal(list: string, event: unknown): string | undefined {
  try {
    tokenOf(list, event);
    return undefined;
  } catch (error) {
    if (error instanceof TokenRejectedError) return error.reason;
    throw error;
  }
}

describe('TokenSources', () => {
  it('reads the Bearer token of the Authorization header by default, refusing another scheme', () => {
    expect(tokenOf('header:authorization', httpApiV2Event('Bearer a.b.c'))).toBe('a.b.c');
    expect(refusal('header:authorization', httpApiV2Event('Basic dXNlcg=='))).toBe('malformed_token');
    expect(refusal('header:authorization', httpApiV2Event(undefined))).toBe('missing_token');
  });

  it('reads a query parameter of every REQUEST flavour (RFC 6750 §2.3 access_token)', () => {
    const v2 = { ...httpApiV2Event(undefined), queryStringParameters: { access_token: 'q.v.2' } };
    const v1 = { ...httpApiV1Event(undefined), queryStringParameters: { access_token: 'q.v.1' } };
    const rest = { ...restRequestEvent({}), queryStringParameters: { access_token: 'q.r.r' } };
    expect(tokenOf('query:access_token', v2)).toBe('q.v.2');
    expect(tokenOf('query:access_token', v1)).toBe('q.v.1');
    expect(tokenOf('query:access_token', rest)).toBe('q.r.r');
  });

  it('refuses a query parameter given twice with different values (REST keeps only the last in queryStringParameters)', () => {
    const event = {
      ...restRequestEvent({}),
      queryStringParameters: { access_token: 'b.b.b' },
      multiValueQueryStringParameters: { access_token: ['a.a.a', 'b.b.b'] },
    };
    expect(refusal('query:access_token', event)).toBe('malformed_token');
  });

  it('reads a cookie from payload 2.0 cookies and from the Cookie header of payload 1.0 and REST, unquoting it', () => {
    const v2 = { ...httpApiV2Event(undefined), cookies: ['theme=dark', 'session=c.v.2'] };
    const rest = restRequestEvent({ Cookie: 'theme=dark; session="c.r.r"' });
    expect(tokenOf('cookie:session', v2)).toBe('c.v.2');
    expect(tokenOf('cookie:session', rest)).toBe('c.r.r');
    expect(refusal('cookie:session', { ...httpApiV2Event(undefined), cookies: ['session=a', 'session=b'] })).toBe('malformed_token');
    expect(refusal('cookie:session', { ...httpApiV2Event(undefined), cookies: ['sessionx=a'] })).toBe('missing_token');
  });

  it('takes the first source present, in the listed order, and never falls back past a malformed one', () => {
    const both = { ...httpApiV2Event('Bearer h.h.h'), queryStringParameters: { access_token: 'q.q.q' } };
    expect(tokenOf('query:access_token,header:authorization', both)).toBe('q.q.q');
    expect(tokenOf('header:authorization,query:access_token', both)).toBe('h.h.h');
    const malformedHeader = { ...httpApiV2Event('Basic x'), queryStringParameters: { access_token: 'q.q.q' } };
    expect(refusal('header:authorization,query:access_token', malformedHeader)).toBe('malformed_token');
    const blankQuery = { ...httpApiV2Event('Bearer h.h.h'), queryStringParameters: { access_token: '  ' } };
    expect(tokenOf('query:access_token,header:authorization', blankQuery)).toBe('h.h.h');
  });

  it('reads another header with or without the Bearer scheme', () => {
    expect(tokenOf('header:x-access-token', restRequestEvent({ 'X-Access-Token': 'x.y.z' }))).toBe('x.y.z');
    expect(tokenOf('header:x-access-token', restRequestEvent({ 'x-access-token': 'Bearer x.y.z' }))).toBe('x.y.z');
  });

  it("reads a TOKEN event's authorizationToken as the list's first header, and nothing else from it", () => {
    expect(tokenOf('query:access_token,header:x-access-token', restTokenEvent('t.t.t'))).toBe('t.t.t');
    expect(refusal('query:access_token', restTokenEvent('t.t.t'))).toBe('missing_token');
  });

  it('refuses a value that is not a string (a direct invoke) as malformed, never a TypeError', () => {
    const event = { ...httpApiV2Event(undefined), queryStringParameters: { access_token: 7 } };
    expect(refusal('query:access_token', event)).toBe('malformed_token');
    expect(refusal('cookie:session', { ...httpApiV2Event(undefined), cookies: 'session=x' })).toBe('malformed_token');
  });
});

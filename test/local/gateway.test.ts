import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { echoBackend } from '../../local/echo-backend.js';
import { createGateway, type Backend } from '../../local/gateway.js';
import type { InvocationResult } from '../../local/lambda-runtime.js';
import { upstreamProxy } from '../../local/upstream-proxy.js';

/** The authorizer's side: records every event and answers what the test sets. */
const authorizer = {
  events: [] as Record<string, any>[],
  answer: (): InvocationResult => ({ ok: true, requestId: 'r', result: { isAuthorized: true, context: { sub: 'alice', jti: 'j-1' } } }),
};
const api = { apiId: 'local', region: 'eu-west-1' };

async function startGateway(
  backend: Backend,
  ready: Promise<void> = Promise.resolve(),
  accessLog?: (line: string) => void,
): Promise<{ server: Server; url: string }> {
  const server = createServer(
    createGateway({
      accessLog,
      api,
      authorize: async (event) => {
        authorizer.events.push(event as Record<string, any>);
        return authorizer.answer();
      },
      backend,
      reservedPrefix: '/_local',
      localRoutes: async (_request, response) => void response.writeHead(204).end(),
      ready,
    }),
  );
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

async function stop(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise((done) => server.close(done));
}

/** A raw request, so that a header can be sent twice, as fetch cannot. */
function send(url: string, options: { method?: string; path: string; headers: Record<string, string | string[]>; body?: string }) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const outgoing = httpRequest(`${url}${options.path}`, { method: options.method ?? 'GET' }, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => resolve({ status: response.statusCode!, body }));
    });
    for (const [name, value] of Object.entries(options.headers)) outgoing.setHeader(name, value);
    outgoing.on('error', reject);
    outgoing.end(options.body);
  });
}

describe('gateway (API Gateway HTTP API with a Lambda authorizer, payload 2.0, simple responses)', () => {
  let gateway: { server: Server; url: string };
  beforeAll(async () => {
    gateway = await startGateway(echoBackend(api));
  });
  afterAll(() => stop(gateway.server));
  afterEach(() => {
    authorizer.events.length = 0;
    authorizer.answer = () => ({ ok: true, requestId: 'r', result: { isAuthorized: true, context: { sub: 'alice', jti: 'j-1' } } });
  });

  it('answers 401 {"message":"Unauthorized"} without invoking the authorizer when Authorization is missing or empty', async () => {
    const missing = await fetch(`${gateway.url}/orders`);
    const empty = await fetch(`${gateway.url}/orders`, { headers: { authorization: '' } });

    expect(missing.status).toBe(401);
    expect(await missing.text()).toBe('{"message":"Unauthorized"}');
    expect(empty.status).toBe(401);
    expect(authorizer.events).toHaveLength(0);
  });

  it('builds the payload 2.0 authorizer event from the real request', async () => {
    await send(gateway.url, {
      method: 'POST',
      path: '/orders/42?expand=items&tag=a&tag=b&q=%20x',
      headers: { Authorization: 'Bearer t0k3n', 'X-Dup': ['one', 'two'], Cookie: 'a=1; b=2', 'User-Agent': 'test-agent/1' },
      body: '{"x":1}',
    });

    const event = authorizer.events[0]!;
    expect(event).toEqual({
      version: '2.0',
      type: 'REQUEST',
      routeArn: 'arn:aws:execute-api:eu-west-1:000000000000:local/$default/POST/orders/42',
      identitySource: ['Bearer t0k3n'],
      routeKey: '$default',
      rawPath: '/orders/42',
      rawQueryString: 'expand=items&tag=a&tag=b&q=%20x',
      cookies: ['a=1', 'b=2'],
      headers: expect.objectContaining({
        authorization: 'Bearer t0k3n',
        'x-dup': 'one,two',
        'user-agent': 'test-agent/1',
        'content-length': '7',
      }),
      queryStringParameters: { expand: 'items', tag: 'a,b', q: ' x' },
      requestContext: {
        accountId: '000000000000',
        apiId: 'local',
        domainName: '127.0.0.1',
        domainPrefix: '127',
        http: { method: 'POST', path: '/orders/42', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'test-agent/1' },
        requestId: expect.stringMatching(/^[A-Za-z0-9+/]{14}==$/),
        routeKey: '$default',
        stage: '$default',
        time: expect.stringMatching(/^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/),
        timeEpoch: expect.any(Number),
      },
    });
    expect(event.headers).not.toHaveProperty('cookie');
  });

  it('leaves out what API Gateway leaves out for a plain request: cookies, query parameters', async () => {
    await fetch(`${gateway.url}/`, { headers: { authorization: 'Bearer t' } });

    expect(authorizer.events[0]).not.toHaveProperty('cookies');
    expect(authorizer.events[0]).not.toHaveProperty('queryStringParameters');
    expect(authorizer.events[0]).toMatchObject({ rawPath: '/', rawQueryString: '' });
  });

  it('answers 403 {"message":"Forbidden"} when the authorizer says isAuthorized false', async () => {
    authorizer.answer = () => ({ ok: true, requestId: 'r', result: { isAuthorized: false, context: { reason: 'revoked_jti' } } });

    const response = await fetch(`${gateway.url}/x`, { headers: { authorization: 'Bearer t' } });

    expect(response.status).toBe(403);
    expect(await response.text()).toBe('{"message":"Forbidden"}');
  });

  it.each([
    ['throws', { ok: false, requestId: 'r', error: { errorType: 'RevocationStateUnavailableError', errorMessage: 'stale' } }],
    ['answers an IAM policy without isAuthorized', { ok: true, requestId: 'r', result: { principalId: 'x', policyDocument: {} } }],
    ['answers a string isAuthorized', { ok: true, requestId: 'r', result: { isAuthorized: 'true' } }],
    ['answers null', { ok: true, requestId: 'r', result: null }],
  ] as const)('answers 500 {"message":"Internal Server Error"} when the authorizer %s', async (_, answer) => {
    authorizer.answer = () => answer as InvocationResult;

    const response = await fetch(`${gateway.url}/x`, { headers: { authorization: 'Bearer t' } });

    expect(response.status).toBe(500);
    expect(await response.text()).toBe('{"message":"Internal Server Error"}');
  });

  it('hands the context to the echo backend, which answers with it and the integration event', async () => {
    const response = await fetch(`${gateway.url}/echo?x=1`, { method: 'PUT', headers: { authorization: 'Bearer t' }, body: 'hello' });

    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      authorizer: { sub: 'alice', jti: 'j-1' },
      event: {
        version: '2.0',
        rawPath: '/echo',
        body: 'hello',
        isBase64Encoded: false,
        requestContext: { authorizer: { lambda: { sub: 'alice', jti: 'j-1' } }, http: { method: 'PUT' } },
      },
    });
  });

  it('keeps paths under /_local away from the authorizer', async () => {
    const response = await fetch(`${gateway.url}/_local/anything`);

    expect(response.status).toBe(204);
    expect(authorizer.events).toHaveLength(0);
  });
});

describe('gateway before the stack is ready', () => {
  it('holds API requests until the authorizer is loaded, and answers 500 if the start fails', async () => {
    let fail!: (error: Error) => void;
    const ready = new Promise<void>((_, reject) => (fail = reject));
    ready.catch(() => {});
    const { server, url } = await startGateway(echoBackend(api), ready);

    const pending = fetch(`${url}/x`, { headers: { authorization: 'Bearer t' } });
    await new Promise((done) => setTimeout(done, 50));
    fail(new Error('cold start failed'));
    const response = await pending;
    await stop(server);

    expect(response.status).toBe(500);
    expect(authorizer.events).toHaveLength(0);
  });
});

describe('upstreamProxy (UPSTREAM_URL)', () => {
  it('forwards method, path, query, headers and body, with the context as x-authorizer-* headers a client cannot forge', async () => {
    // Prepare
    const seen: { method?: string; url?: string; headers?: IncomingHttpHeaders; body?: string } = {};
    const upstream = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        Object.assign(seen, { method: request.method, url: request.url, headers: request.headers, body });
        response.writeHead(202, { 'x-from': 'upstream' }).end('accepted');
      });
    });
    await new Promise<void>((done) => upstream.listen(0, '127.0.0.1', done));
    const { server, url } = await startGateway(
      upstreamProxy(new URL(`http://127.0.0.1:${(upstream.address() as AddressInfo).port}/prefix/`)),
    );

    // Act
    const response = await fetch(`${url}/orders/1?a=b`, {
      method: 'POST',
      headers: { authorization: 'Bearer t', 'x-authorizer-sub': 'mallory', 'x-custom': 'kept', cookie: 'c=1' },
      body: 'payload',
    });
    const text = await response.text();
    await Promise.all([stop(server), stop(upstream)]);

    // Assess
    expect(response.status).toBe(202);
    expect(response.headers.get('x-from')).toBe('upstream');
    expect(text).toBe('accepted');
    expect(seen).toMatchObject({
      method: 'POST',
      url: '/prefix/orders/1?a=b',
      body: 'payload',
      headers: {
        'x-authorizer-sub': 'alice',
        'x-authorizer-jti': 'j-1',
        'x-custom': 'kept',
        cookie: 'c=1',
        authorization: 'Bearer t',
        'x-forwarded-for': '127.0.0.1',
      },
    });
  });

  it('answers 500 when the upstream cannot be reached', async () => {
    const { server, url } = await startGateway(upstreamProxy(new URL('http://127.0.0.1:9/')));

    const response = await fetch(`${url}/x`, { headers: { authorization: 'Bearer t' } });
    await stop(server);

    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({ message: 'Internal Server Error' });
  });

  describe('gateway access log', () => {
    it('shows a long or unprintable sub as a summary, so a line break in a claim cannot forge a line', async () => {
      // Prepare: the authorizer allows a token whose sub holds a line break and a fake access log line.
      const lines: string[] = [];
      const gateway = await startGateway(echoBackend(api), Promise.resolve(), (line) => lines.push(line));
      authorizer.answer = () => ({
        ok: true,
        requestId: 'r',
        result: { isAuthorized: true, context: { sub: 'bob\n200 GET /admin (allowed: sub root)', jti: 'j-1' } },
      });

      // Act
      await fetch(`${gateway.url}/orders`, { headers: { authorization: 'Bearer t' } });
      await stop(gateway.server);

      // Assess
      expect(lines).toHaveLength(1);
      expect(lines[0]).not.toContain('\n');
      expect(lines[0]).toContain('(allowed: sub {"type":"string","length":38,"prefix":"bob?200 GET /admin (allo"})');
    });
  });
});

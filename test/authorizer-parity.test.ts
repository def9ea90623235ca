import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthorizerHandler, type AuthorizerHandler } from '../lambda/authorizer-handler.js';
import { loadAuthorizerConfig } from '../lambda/config/index.js';
import type { RevocationChecker } from '../lambda/revocation/index.js';
import type { RevocationReason } from '../lambda/shared/index.js';
import { KeyResolver, TokenVerifier, type VerifiedToken } from '../lambda/token/index.js';
import { httpApiV1Event, httpApiV2Event, restRequestEvent, restTokenEvent } from './support/api-gateway-events.js';
import { TestIssuer } from './support/issuer.js';
import { LogRecorder } from './support/log-recorder.js';

/**
 * Parity with API Gateway's built-in JWT authorizer (issue 13): per-route scopes, claims in the
 * context, token sources other than the Authorization header, the Cognito preset. Real keys, a
 * real JWKS server, the real verifier and handler; revocation by a set of jtis (the checkers have
 * their own tests against dynalite).
 */

class RevokedJtis implements RevocationChecker {
  readonly jtis = new Set<string>();
  findRevocation(token: VerifiedToken): RevocationReason | undefined {
    return this.jtis.has(token.tokenId) ? 'revoked_jti' : undefined;
  }
}

let issuer: TestIssuer;
/** Tokens shaped as Cognito mints them, signed by a key of this issuer, whose iss is a user pool's. */
let cognito: TestIssuer;
const POOL = 'https://cognito-idp.us-west-2.amazonaws.com/us-west-2_example';

beforeAll(async () => {
  [issuer, cognito] = await Promise.all([
    TestIssuer.start({ algorithms: ['RS256'] }),
    TestIssuer.start({ algorithms: ['RS256'], issuer: POOL }),
  ]);
});
afterAll(async () => {
  await Promise.all([issuer?.stop(), cognito?.stop()]);
});

function setup(env: Record<string, string>, base: Record<string, string> = issuer.env) {
  const config = loadAuthorizerConfig({ ...base, ...env });
  const log = new LogRecorder();
  const keys = config.issuers.map((entry) => new KeyResolver(entry, config.jwks, log));
  const revocations = new RevokedJtis();
  const handler: AuthorizerHandler = createAuthorizerHandler({
    verifier: new TokenVerifier(config, keys),
    revocations,
    log,
    responseMode: config.responseMode,
    request: config.request,
  });
  return { handler, log, revocations };
}

const STAGE = 'arn:aws:execute-api:us-east-1:123456789012:abcdef123';
const policy = (effect: 'Allow' | 'Deny', resource: string) => ({
  Version: '2012-10-17',
  Statement: [{ Action: 'execute-api:Invoke', Effect: effect, Resource: resource }],
});

/** A payload 2.0 event for `routeKey`, the token in the Authorization header. */
function routeEvent(routeKey: string, path: string, token: string) {
  const method = routeKey.startsWith('$') ? 'GET' : routeKey.split(' ')[0]!;
  return { ...httpApiV2Event(`Bearer ${token}`, path), routeKey, routeArn: `${STAGE}/$default/${method}${path}` };
}

async function thrown(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the handler to throw');
}

describe('JWT_ROUTE_SCOPES', () => {
  const ROUTE_SCOPES = JSON.stringify({ 'GET /admin/{proxy+}': ['admin', 'ops'], 'GET /orders/{id}': ['orders.read'] });

  it('allows a listed route only with one of its scopes, from a scope string or an scp array, naming the route in the policy', async () => {
    const { handler } = setup({ JWT_ROUTE_SCOPES: ROUTE_SCOPES });
    const withScope = await issuer.token({ sub: 'alice', scope: 'openid ops' });
    const withScp = await issuer.token({ sub: 'alice', scope: undefined, scp: ['admin'] });
    const without = await issuer.token({ sub: 'bob', scope: 'openid orders.read' });

    const allowed = await handler(routeEvent('GET /admin/{proxy+}', '/admin/users/7', withScope));
    const allowedScp = await handler(routeEvent('GET /admin/{proxy+}', '/admin/users/7', withScp));
    const refused = await handler(routeEvent('GET /admin/{proxy+}', '/admin/users/7', without));

    expect(allowed).toMatchObject({ isAuthorized: true, policyDocument: policy('Allow', `${STAGE}/$default/GET/admin/*`) });
    expect(allowedScp).toMatchObject({ isAuthorized: true, policyDocument: policy('Allow', `${STAGE}/$default/GET/admin/*`) });
    expect(refused).toEqual({
      isAuthorized: false,
      principalId: 'bob',
      policyDocument: policy('Deny', `${STAGE}/$default/GET/admin/*`),
      context: { reason: 'insufficient_scope' },
    });
  });

  it('lets any valid token through a route it does not list, naming that route rather than the whole stage', async () => {
    const { handler } = setup({ JWT_ROUTE_SCOPES: ROUTE_SCOPES });
    const token = await issuer.token({ scope: undefined });

    const response = await handler(routeEvent('POST /orders', '/orders', token));
    const fallback = await handler(routeEvent('$default', '/anything/else', token));

    expect(response).toMatchObject({ isAuthorized: true, policyDocument: policy('Allow', `${STAGE}/$default/POST/orders`) });
    expect(fallback).toMatchObject({ isAuthorized: true, policyDocument: policy('Allow', `${STAGE}/$default/*`) });
  });

  it('logs the route and the scopes it wanted, never the token', async () => {
    const { handler, log } = setup({ JWT_ROUTE_SCOPES: ROUTE_SCOPES });
    const token = await issuer.token({ scope: 'read' });

    await handler(routeEvent('GET /orders/{id}', '/orders/42', token));

    expect(log.lines.at(-1)).toMatchObject({
      message: 'deny',
      extra: {
        reason: 'insufficient_scope',
        code: 'ERR_TOKEN_INSUFFICIENT_SCOPE',
        route: 'GET /orders/{id}',
        failedAssertion: { expected: ['orders.read'] },
      },
    });
    expect(log.text).not.toContain(token);
  });

  it('answers REST an explicit Deny (403) for a missing scope, not Unauthorized (401), naming the method', async () => {
    const { handler } = setup({ JWT_ROUTE_SCOPES: ROUTE_SCOPES });
    const token = await issuer.token({ sub: 'carol', scope: 'read' });

    const request = await handler(restRequestEvent({ Authorization: `Bearer ${token}` }));
    const viaToken = await handler(restTokenEvent(`Bearer ${token}`));

    for (const response of [request, viaToken]) {
      expect(response).toEqual({
        principalId: 'carol',
        policyDocument: policy('Deny', `${STAGE}/prod/GET/orders/*`),
        context: { reason: 'insufficient_scope' },
      });
    }
  });

  it('checks payload 1.0 by its resource and method, and still throws Unauthorized on REST for a bad token', async () => {
    const { handler } = setup({ JWT_ROUTE_SCOPES: ROUTE_SCOPES });
    const good = await issuer.token({ scope: 'orders.read' });

    expect(await handler(httpApiV1Event(`Bearer ${good}`))).toMatchObject({
      policyDocument: policy('Allow', `${STAGE}/$default/GET/orders/*`),
    });
    expect(await thrown(handler(restTokenEvent('Bearer not.a.jwt')))).toMatchObject({ message: 'Unauthorized' });
  });

  it('refuses a token without the scope even while the revocation state is unavailable: the scope check needs none', async () => {
    const config = loadAuthorizerConfig({ ...issuer.env, JWT_ROUTE_SCOPES: ROUTE_SCOPES });
    const log = new LogRecorder();
    const handler = createAuthorizerHandler({
      verifier: new TokenVerifier(
        config,
        config.issuers.map((entry) => new KeyResolver(entry, config.jwks, log)),
      ),
      revocations: {
        findRevocation: () => {
          throw new Error('table unreachable');
        },
      },
      log,
      request: config.request,
    });
    const token = await issuer.token({ scope: 'read' });

    expect(await handler(routeEvent('GET /orders/{id}', '/orders/1', token))).toMatchObject({
      isAuthorized: false,
      context: { reason: 'insufficient_scope' },
    });
  });
});

describe('JWT_CONTEXT_CLAIMS', () => {
  it('puts email and groups in the context, the array as JSON, and nothing else', async () => {
    const { handler } = setup({ JWT_CONTEXT_CLAIMS: 'email,groups', AUTHORIZER_RESPONSE_MODE: 'simple' });
    const token = await issuer.token({ email: 'alice@example.com', groups: ['admin', 'eu west'] });

    const response = await handler(httpApiV2Event(`Bearer ${token}`));

    expect(response).toEqual({ isAuthorized: true, context: { email: 'alice@example.com', groups: '["admin","eu west"]' } });
    expect(JSON.stringify(response)).not.toContain(token.split('.')[2]);
  });

  it('forwards custom claims, cognito:groups and the scp array in REST responses as flat values', async () => {
    const { handler } = setup({ JWT_CONTEXT_CLAIMS: 'sub,custom:tier,cognito:groups,scp,email_verified,age' });
    const token = await issuer.token({
      'custom:tier': 'gold',
      'cognito:groups': ['admin'],
      scp: ['a', 'b'],
      email_verified: true,
      age: 42,
    });

    const response = await handler(restRequestEvent({ Authorization: `Bearer ${token}` }));

    expect(response).toMatchObject({
      context: { sub: 'user-1', 'custom:tier': 'gold', 'cognito:groups': '["admin"]', scp: '["a","b"]', email_verified: true, age: 42 },
    });
  });
});

describe('JWT_TOKEN_SOURCES', () => {
  it('reads the token from the query string of a WebSocket $connect REQUEST event', async () => {
    const { handler } = setup({ JWT_TOKEN_SOURCES: 'query:access_token' });
    const token = await issuer.token({ sub: 'dave' });
    // The $connect authorizer event as the API Gateway developer guide shows it, reproduced in
    // aws-powertools/powertools-lambda-typescript packages/parser/src/schemas/api-gateway-websocket.ts.
    const connect = {
      type: 'REQUEST',
      methodArn: 'arn:aws:execute-api:us-east-1:123456789012:abcdef123/default/$connect',
      headers: { Connection: 'upgrade', Host: 'abcdef123.execute-api.us-east-1.amazonaws.com', Upgrade: 'websocket' },
      multiValueHeaders: { Connection: ['upgrade'], Host: ['abcdef123.execute-api.us-east-1.amazonaws.com'], Upgrade: ['websocket'] },
      queryStringParameters: { access_token: token },
      multiValueQueryStringParameters: { access_token: [token] },
      stageVariables: {},
      requestContext: {
        routeKey: '$connect',
        eventType: 'CONNECT',
        extendedRequestId: '...',
        requestTime: '19/Jan/2023:21:13:26 +0000',
        messageDirection: 'IN',
        stage: 'default',
        connectedAt: 1674162806344,
        requestTimeEpoch: 1674162806345,
        identity: { sourceIp: '...' },
        requestId: '...',
        domainName: 'abcdef123.execute-api.us-east-1.amazonaws.com',
        connectionId: '...',
        apiId: 'abcdef123',
      },
      isBase64Encoded: false,
      body: null,
    };

    const allowed = await handler(connect as never);
    const missing = await thrown(handler({ ...connect, queryStringParameters: {}, multiValueQueryStringParameters: {} } as never));

    expect(allowed).toMatchObject({ principalId: 'dave', policyDocument: policy('Allow', `${STAGE}/default/*`) });
    // A WebSocket API answers a thrown Unauthorized with 401, as a REST API does.
    expect(missing).toMatchObject({ message: 'Unauthorized' });
  });

  it('reads a cookie from payload 2.0 and the Cookie header of a REST REQUEST, after an absent header', async () => {
    const { handler } = setup({ JWT_TOKEN_SOURCES: 'header:authorization,cookie:session' });
    const token = await issuer.token({ sub: 'erin' });

    const v2 = await handler({ ...httpApiV2Event(undefined), cookies: ['theme=dark', `session=${token}`] });
    const rest = await handler(restRequestEvent({ Cookie: `theme=dark; session=${token}` }));

    expect(v2).toMatchObject({ isAuthorized: true, principalId: 'erin' });
    expect(rest).toMatchObject({ principalId: 'erin', policyDocument: { Statement: [{ Effect: 'Allow' }] } });
  });
});

describe('JWT_PRESET=cognito', () => {
  /**
   * An access token as Amazon Cognito mints it: the sample payload of "Using the access token"
   * (awsdocs/amazon-cognito-developer-guide@0b4d5467ecf06a602c89f6c91b5eabe3d89e9d73
   * doc_source/amazon-cognito-user-pools-using-the-access-token.md; today at
   * https://docs.aws.amazon.com/cognito/latest/developerguide/amazon-cognito-user-pools-using-the-access-token.html),
   * its times moved to now, header `{kid, alg: RS256}` without `typ`.
   */
  function cognitoClaims(overrides: Record<string, unknown> = {}) {
    const now = Math.floor(Date.now() / 1000);
    return {
      sub: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee',
      device_key: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee',
      'cognito:groups': ['admin'],
      token_use: 'access',
      scope: 'aws.cognito.signin.user.admin',
      auth_time: now,
      iss: POOL,
      exp: now + 3600,
      iat: now,
      origin_jti: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee',
      jti: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeee1',
      client_id: '57cbishk4j24pabc1234567890',
      username: 'janedoe@example.com',
      aud: undefined,
      ...overrides,
    };
  }
  const NO_TYP = { header: { typ: undefined } };
  const cognitoEnv = () => ({
    JWT_PRESET: 'cognito',
    JWT_ISSUER: POOL,
    JWT_AUDIENCE: '57cbishk4j24pabc1234567890',
    JWKS_URI: cognito.jwksUri,
  });

  it('allows an access token of an allowed app client, without aud or typ, with cognito:groups and username in the context', async () => {
    const { handler } = setup({ AUTHORIZER_RESPONSE_MODE: 'simple' }, cognitoEnv());
    const token = await cognito.token(cognitoClaims(), NO_TYP);

    expect(await handler(httpApiV2Event(`Bearer ${token}`))).toEqual({
      isAuthorized: true,
      context: {
        iss: POOL,
        jti: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeee1',
        sub: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee',
        client_id: '57cbishk4j24pabc1234567890',
        scope: 'aws.cognito.signin.user.admin',
        'cognito:groups': '["admin"]',
        username: 'janedoe@example.com',
      },
    });
  });

  it('refuses an ID token (token_use: id) with reason wrong_type, even though its aud is an allowed client', async () => {
    const { handler, log } = setup({}, cognitoEnv());
    // The ID token of "Using the ID token" carries aud (the app client id) and token_use: id.
    const idToken = await cognito.token(
      cognitoClaims({ token_use: 'id', aud: '57cbishk4j24pabc1234567890', email: 'janedoe@example.com', client_id: undefined }),
      NO_TYP,
    );

    expect(await handler(httpApiV2Event(`Bearer ${idToken}`))).toMatchObject({ isAuthorized: false, context: { reason: 'wrong_type' } });
    expect(log.lines.at(-1)?.extra).toMatchObject({
      detail: 'token_use is id: an ID token is not an access token',
      failedAssertion: { claim: 'token_use', actual: { type: 'string', length: 2, prefix: 'id' } },
    });
  });

  it('refuses an access token of another app client, matching client_id against the audience list', async () => {
    const { handler } = setup({}, cognitoEnv());
    const other = await cognito.token(cognitoClaims({ client_id: 'another-client' }), NO_TYP);

    expect(await handler(httpApiV2Event(`Bearer ${other}`))).toMatchObject({ isAuthorized: false, context: { reason: 'wrong_audience' } });
  });

  it('requires jti, as Cognito access tokens carry one', async () => {
    const { handler } = setup({}, cognitoEnv());
    const noJti = await cognito.token(cognitoClaims({ jti: undefined }), NO_TYP);

    expect(await handler(httpApiV2Event(`Bearer ${noJti}`))).toMatchObject({ isAuthorized: false, context: { reason: 'missing_claim' } });
  });
});

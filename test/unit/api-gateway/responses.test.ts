import { describe, expect, it } from 'vitest';
import { ResponseBuilder, wholeApiArn, type AuthorizerRequest } from '../../../lambda/api-gateway/index.js';
import type { VerifiedToken } from '../../../lambda/token/index.js';

const ARN = 'arn:aws:execute-api:eu-west-1:111111111111:abc123/prod/GET/orders/7';
const request = (overrides: Partial<AuthorizerRequest> = {}): AuthorizerRequest => ({
  flavour: 'http-v2',
  authorization: 'Bearer x',
  resourceArn: ARN,
  requestId: 'r',
  event: { version: '2.0' } as AuthorizerRequest['event'],
  ...overrides,
});
const token: VerifiedToken = {
  issuer: 'https://issuer.example.com/',
  sub: 'alice',
  subject: 'alice',
  subjectClaim: 'sub',
  tokenId: 'token-1',
  signatureIds: [],
  clientId: 'app-7',
  sessionId: undefined,
  revocationIds: { jti: 'token-1', subject: 'alice', client: 'app-7', signatures: [], session: undefined },
  issuedAtEpochSeconds: 1,
  expiresAtEpochSeconds: 2,
  scope: 'read',
  claims: {},
};

describe('wholeApiArn', () => {
  it('widens a route ARN to every route of its stage, so a cached decision holds for all', () => {
    expect(wholeApiArn(ARN)).toBe('arn:aws:execute-api:eu-west-1:111111111111:abc123/prod/*');
    expect(wholeApiArn('arn:aws:execute-api:eu-west-1:1:abc')).toBe('arn:aws:execute-api:eu-west-1:1:abc');
  });
});

describe('ResponseBuilder', () => {
  it('answers payload 2.0 with both a simple response and a policy, the claims in the context', () => {
    expect(new ResponseBuilder().allow(request(), token)).toEqual({
      isAuthorized: true,
      principalId: 'alice',
      policyDocument: {
        Version: '2012-10-17',
        Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: wholeApiArn(ARN) }],
      },
      context: { iss: token.issuer, jti: 'token-1', sub: 'alice', client_id: 'app-7', scope: 'read' },
    });
  });

  it('keeps sub as the principal and the context sub, and forwards a subject claim named otherwise under its own name', () => {
    // Prepare: JWT_SUBJECT_CLAIM=entity_id (WSO2 Identity Server), and a subject claim named like a context key.
    const wso2: VerifiedToken = { ...token, sub: 'alice@carbon.super', subject: '8b4c6d0e-user', subjectClaim: 'entity_id' };
    const clash: VerifiedToken = { ...token, sub: 'alice', subject: 'x', subjectClaim: 'scope' };

    // Act
    const answers = [new ResponseBuilder('iam').allow(request(), wso2), new ResponseBuilder('simple').allow(request(), clash)];

    // Assess
    expect(answers[0]).toMatchObject({
      principalId: 'alice@carbon.super',
      context: { sub: 'alice@carbon.super', entity_id: '8b4c6d0e-user', client_id: 'app-7' },
    });
    expect(answers[1]).toEqual({
      isAuthorized: true,
      context: { iss: token.issuer, jti: 'token-1', sub: 'alice', client_id: 'app-7', scope: 'read' },
    });
  });

  it('scopes each answer to its own API and stage, whatever it answered before', () => {
    const responses = new ResponseBuilder();
    const other = 'arn:aws:execute-api:eu-west-1:111111111111:zzz999/test/POST/x';

    const first = responses.allow(request(), token) as { policyDocument: { Statement: [{ Resource: string }] } };
    const second = responses.deny(request({ resourceArn: other }), 'expired') as typeof first;
    const third = responses.allow(request(), token) as typeof first;

    expect([first, second, third].map((answer) => answer.policyDocument.Statement[0].Resource)).toEqual([
      wholeApiArn(ARN),
      wholeApiArn(other),
      wholeApiArn(ARN),
    ]);
  });

  it('throws Unauthorized for a refused token on a REST API (401), and denies a revoked one (403)', () => {
    const responses = new ResponseBuilder();

    expect(() => responses.deny(request({ flavour: 'rest-token' }), 'expired')).toThrow('Unauthorized');
    expect(responses.deny(request({ flavour: 'rest-request' }), 'revoked_jti', 'alice')).toMatchObject({
      principalId: 'alice',
      context: { reason: 'revoked_jti' },
    });
  });

  it('answers a payload 2.0 event without a route ARN with a simple response alone', () => {
    expect(new ResponseBuilder().deny(request({ resourceArn: undefined }), 'missing_token')).toEqual({
      isAuthorized: false,
      context: { reason: 'missing_token' },
    });
  });

  it('names the route, not the stage, when given one, and keeps each route apart across requests', () => {
    const responses = new ResponseBuilder('iam');
    const admin = { key: 'GET /admin/{proxy+}', scopes: ['admin'], resource: 'GET/admin/*' };
    const orders = { key: 'GET /orders/{id}', scopes: [], resource: 'GET/orders/*' };
    const resourceOf = (answer: unknown) =>
      (answer as { policyDocument: { Statement: [{ Resource: string }] } }).policyDocument.Statement[0].Resource;

    const first = resourceOf(responses.allow(request(), token, admin));
    const second = resourceOf(responses.allow(request(), token, orders));
    const third = resourceOf(responses.deny(request(), 'insufficient_scope', 'alice', admin));
    const other = resourceOf(
      responses.allow(request({ resourceArn: 'arn:aws:execute-api:eu-west-1:111111111111:abc123/test/GET/orders/1' }), token, orders),
    );

    expect([first, second, third, other]).toEqual([
      'arn:aws:execute-api:eu-west-1:111111111111:abc123/prod/GET/admin/*',
      'arn:aws:execute-api:eu-west-1:111111111111:abc123/prod/GET/orders/*',
      'arn:aws:execute-api:eu-west-1:111111111111:abc123/prod/GET/admin/*',
      'arn:aws:execute-api:eu-west-1:111111111111:abc123/test/GET/orders/*',
    ]);
  });

  it('denies a missing scope on REST with an explicit Deny (403), not Unauthorized', () => {
    expect(new ResponseBuilder().deny(request({ flavour: 'rest-token' }), 'insufficient_scope', 'alice')).toMatchObject({
      principalId: 'alice',
      policyDocument: { Statement: [{ Effect: 'Deny' }] },
      context: { reason: 'insufficient_scope' },
    });
  });
});

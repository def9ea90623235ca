import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthorizerHandler, type AuthorizerHandler, type DecisionRecorder } from '../lambda/authorizer-handler.js';
import { loadAuthorizerConfig } from '../lambda/config/index.js';
import { storedId, type RevocationChecker } from '../lambda/revocation/index.js';
import { type RevocationReason, RevocationStateUnavailableError } from '../lambda/shared/index.js';
import { KeyResolver, TokenVerifier, type VerifiedToken } from '../lambda/token/index.js';
import { httpApiV1Event, httpApiV2Event, restRequestEvent, restTokenEvent } from './support/api-gateway-events.js';
import { TestIssuer } from './support/issuer.js';
import { LogRecorder } from './support/log-recorder.js';

/** Revokes by jti from a set; the real checker is tested against dynalite in test/core. */
class RevokedJtis implements RevocationChecker {
  readonly jtis = new Set<string>();
  unavailable = false;
  findRevocation(token: VerifiedToken): RevocationReason | undefined {
    if (this.unavailable) throw new RevocationStateUnavailableError('revocation view is stale');
    return this.jtis.has(token.tokenId) ? 'revoked_jti' : undefined;
  }
}

let issuer: TestIssuer;
beforeAll(async () => {
  issuer = await TestIssuer.start({ algorithms: ['RS256', 'ES256'] });
});
afterAll(() => issuer.stop());

/** Counts what the handler reports, in place of the EMF publisher (tested in decision-metrics.test.ts). */
class RecordedDecisions implements DecisionRecorder {
  readonly reasons: string[] = [];
  failures = 0;
  record(reason: string): void {
    this.reasons.push(reason);
  }
  recordFailure(): void {
    this.failures++;
  }
}

function setup(options: { initialize?: () => Promise<void>; env?: Record<string, string>; log?: LogRecorder } = {}) {
  const config = loadAuthorizerConfig({ ...issuer.env, ...options.env });
  const log = options.log ?? new LogRecorder();
  const keys = config.issuers.map((entry) => new KeyResolver(entry, config.jwks, log));
  const revocations = new RevokedJtis();
  const decisions = new RecordedDecisions();
  const handler: AuthorizerHandler = createAuthorizerHandler({
    verifier: new TokenVerifier(config, keys),
    revocations,
    log,
    decisions,
    responseMode: config.responseMode,
    initialize: options.initialize ?? (() => Promise.all(keys.map((key) => key.prefetch())).then(() => undefined)),
  });
  return { handler, log, revocations, decisions };
}

const ALLOW_ALL_OF_STAGE = (stage: string) => `arn:aws:execute-api:us-east-1:123456789012:abcdef123/${stage}/*`;

describe('authorizer handler', () => {
  describe('HTTP API payload 2.0', () => {
    it('allows a valid token with its claims in the context, in both simple and IAM form', async () => {
      const { handler } = setup();
      const token = await issuer.token({ sub: 'alice', client_id: 'web', scope: 'orders.read', jti: 'jti-1' });

      const response = await handler(httpApiV2Event(`Bearer ${token}`));

      expect(response).toEqual({
        isAuthorized: true,
        principalId: 'alice',
        context: { sub: 'alice', client_id: 'web', scope: 'orders.read', jti: 'jti-1', iss: issuer.issuer },
        policyDocument: {
          Version: '2012-10-17',
          Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: ALLOW_ALL_OF_STAGE('$default') }],
        },
      });
    });

    it('denies a missing token with reason missing_token', async () => {
      const { handler, log } = setup();
      const response = await handler(httpApiV2Event(undefined));
      expect(response).toMatchObject({ isAuthorized: false, context: { reason: 'missing_token' } });
      expect(log.lines.at(-1)).toMatchObject({ level: 'info', message: 'deny', extra: { reason: 'missing_token' } });
    });

    it('denies an expired token, logging the reason and the verified subject but never the token', async () => {
      const { handler, log } = setup();
      const now = Math.floor(Date.now() / 1000);
      const token = await issuer.token({ sub: 'bob', iat: now - 7200, exp: now - 3600 });

      const response = await handler(httpApiV2Event(`Bearer ${token}`));

      expect(response).toMatchObject({ isAuthorized: false, policyDocument: { Statement: [{ Effect: 'Deny' }] } });
      expect(log.lines.at(-1)?.extra).toMatchObject({ decision: 'deny', reason: 'expired', code: 'ERR_TOKEN_EXPIRED' });
      expect(log.text).not.toContain(token);
      expect(log.text).not.toContain(token.split('.')[2]);
    });

    it('denies a revoked token with reason revoked_jti', async () => {
      const { handler, revocations, log } = setup();
      const token = await issuer.token({ jti: 'stolen' });
      revocations.jtis.add('stolen');

      const response = await handler(httpApiV2Event(`Bearer ${token}`));

      expect(response).toMatchObject({ isAuthorized: false, context: { reason: 'revoked_jti' } });
      expect(log.lines.at(-1)?.extra).toMatchObject({ reason: 'revoked_jti', jti: 'stolen', sub: 'user-1' });
    });

    it('answers a hand-built event with no routeArn and a capitalised header with a simple response alone', async () => {
      const { handler, revocations } = setup();
      const token = await issuer.token({ sub: 'erin', jti: 'minimal-1' });
      const minimal = (value: string) =>
        ({ version: '2.0', type: 'REQUEST', headers: { Authorization: value } }) as unknown as Parameters<AuthorizerHandler>[0];

      const allowed = await handler(minimal(`Bearer ${token}`));
      revocations.jtis.add('minimal-1');
      const denied = await handler(minimal(`Bearer ${token}`));

      // No policy: an IAM authorizer given this answer would refuse, which is the safe side.
      expect(allowed).toEqual({ isAuthorized: true, context: expect.objectContaining({ sub: 'erin', jti: 'minimal-1' }) });
      expect(denied).toEqual({ isAuthorized: false, context: { reason: 'revoked_jti' } });
    });
  });

  describe('AUTHORIZER_RESPONSE_MODE', () => {
    it('answers payload 2.0 with exactly isAuthorized and context in simple mode', async () => {
      const { handler } = setup({ env: { AUTHORIZER_RESPONSE_MODE: 'simple' } });
      const response = await handler(httpApiV2Event(`Bearer ${await issuer.token({ sub: 'dora', jti: 'simple-1' })}`));
      expect(Object.keys(response).sort()).toEqual(['context', 'isAuthorized']);
      expect(response).toMatchObject({ isAuthorized: true, context: { sub: 'dora' } });
    });

    it('answers payload 2.0 with exactly principalId, policyDocument and context in iam mode', async () => {
      const { handler } = setup({ env: { AUTHORIZER_RESPONSE_MODE: 'iam' } });
      const response = await handler(httpApiV2Event('Bearer not-a-jwt'));
      expect(Object.keys(response).sort()).toEqual(['context', 'policyDocument', 'principalId']);
      expect(response).toMatchObject({ policyDocument: { Statement: [{ Effect: 'Deny' }] }, context: { reason: 'malformed_token' } });
    });

    it('throws in iam mode for a payload 2.0 event without a routeArn, having no route to scope a policy to', async () => {
      const { handler } = setup({ env: { AUTHORIZER_RESPONSE_MODE: 'iam' } });
      const event = { ...httpApiV2Event(`Bearer ${await issuer.token()}`), routeArn: undefined };
      await expect(handler(event as never)).rejects.toBeInstanceOf(TypeError);
    });
  });

  describe('HTTP API payload 1.0', () => {
    it('answers with an IAM policy: Allow for a valid token, Deny for an invalid one', async () => {
      const { handler } = setup();
      const token = await issuer.token();

      const allowed = await handler(httpApiV1Event(`Bearer ${token}`));
      const denied = await handler(httpApiV1Event('Bearer not.a.jwt'));

      expect(allowed).not.toHaveProperty('isAuthorized');
      expect(allowed).toMatchObject({ policyDocument: { Statement: [{ Effect: 'Allow', Resource: ALLOW_ALL_OF_STAGE('$default') }] } });
      expect(denied).toMatchObject({ policyDocument: { Statement: [{ Effect: 'Deny' }] }, context: { reason: 'malformed_token' } });
    });
  });

  describe('REST TOKEN authorizer', () => {
    it('allows a valid token for the whole stage so a cached result holds for every route', async () => {
      const { handler } = setup();
      const response = await handler(restTokenEvent(`Bearer ${await issuer.token({ sub: 'carol' })}`));
      expect(response).toMatchObject({
        principalId: 'carol',
        policyDocument: { Statement: [{ Effect: 'Allow', Resource: ALLOW_ALL_OF_STAGE('prod') }] },
        context: { sub: 'carol', client_id: 'client-1' },
      });
    });

    it.each([
      ['an empty token', ''],
      ['another scheme', 'Basic dXNlcjpwYXNz'],
      ['a bare token without scheme', 'eyJhbGciOiJSUzI1NiJ9.e30.c2ln'],
      ['two bearer values', 'Bearer a.b.c, Bearer d.e.f'],
      ['a forged token', 'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJhZG1pbiJ9.'],
    ])('throws Unauthorized (401) for %s', async (_, authorization) => {
      const { handler } = setup();
      await expect(handler(restTokenEvent(authorization))).rejects.toThrow(/^Unauthorized$/);
    });

    it('answers an explicit Deny (403) for a revoked token', async () => {
      const { handler, revocations } = setup();
      const token = await issuer.token({ jti: 'revoked-rest' });
      revocations.jtis.add('revoked-rest');

      const response = await handler(restTokenEvent(`Bearer ${token}`));

      expect(response).toMatchObject({
        principalId: 'user-1',
        policyDocument: { Statement: [{ Effect: 'Deny', Resource: ALLOW_ALL_OF_STAGE('prod') }] },
        context: { reason: 'revoked_jti' },
      });
    });
  });

  describe('REST REQUEST authorizer', () => {
    it('reads the Authorization header in any case and the Bearer scheme in any case', async () => {
      const { handler } = setup();
      const token = await issuer.token({}, { key: issuer.key('ES256') });
      const response = await handler(restRequestEvent({ AUTHORIZATION: `bEaReR ${token}` }));
      expect(response).toMatchObject({ policyDocument: { Statement: [{ Effect: 'Allow' }] } });
    });

    it('throws Unauthorized when the header is missing', async () => {
      const { handler } = setup();
      await expect(handler(restRequestEvent({}))).rejects.toThrow(/^Unauthorized$/);
    });
  });

  describe('infrastructure failures', () => {
    it('throws (500), not a deny, when the issuer keys cannot be fetched', async () => {
      issuer.mode = 'error';
      try {
        const { handler, log } = setup();
        const token = await issuer.token();
        for (const event of [httpApiV2Event(`Bearer ${token}`), restTokenEvent(`Bearer ${token}`)]) {
          await expect(handler(event)).rejects.toMatchObject({ code: 'ERR_JWKS_UNAVAILABLE' });
        }
        expect(log.lines.at(-1)).toMatchObject({ level: 'error', extra: { code: 'ERR_JWKS_UNAVAILABLE' } });
      } finally {
        issuer.mode = 'ok';
      }
    });

    it('throws (500) when the revocation state is unavailable', async () => {
      const { handler, revocations } = setup();
      revocations.unavailable = true;
      await expect(handler(httpApiV2Event(`Bearer ${await issuer.token()}`))).rejects.toBeInstanceOf(RevocationStateUnavailableError);
    });

    it('counts an unavailable revocation state as an infrastructure failure', async () => {
      const { handler, revocations, decisions } = setup();
      revocations.unavailable = true;
      await expect(handler(httpApiV2Event(`Bearer ${await issuer.token()}`))).rejects.toThrow();
      expect(decisions.failures).toBe(1);
    });

    it('does not count the Unauthorized a REST authorizer throws for a bad token as an infrastructure failure', async () => {
      const { handler, decisions } = setup();
      await expect(handler(restTokenEvent('Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJhZG1pbiJ9.'))).rejects.toThrow(/^Unauthorized$/);
      expect(decisions.failures).toBe(0);
      expect(decisions.reasons).toHaveLength(1);
    });

    it('does not hold requests on a failed cold-start preparation; it logs it and each step retries its own part', async () => {
      const { handler, log } = setup({ initialize: async () => Promise.reject(new RevocationStateUnavailableError('table unreachable')) });
      const event = httpApiV2Event(`Bearer ${await issuer.token()}`);

      await expect(handler(event)).resolves.toMatchObject({ isAuthorized: true });
      expect(log.lines).toContainEqual(
        expect.objectContaining({ level: 'warn', extra: expect.objectContaining({ code: 'ERR_REVOCATION_STATE_UNAVAILABLE' }) }),
      );
    });

    it('refuses a missing or forged token even while the revocation state is unavailable', async () => {
      const { handler, revocations } = setup();
      revocations.unavailable = true;

      await expect(handler(httpApiV2Event(undefined))).resolves.toMatchObject({
        isAuthorized: false,
        context: { reason: 'missing_token' },
      });
      await expect(handler(restTokenEvent('Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJhZG1pbiJ9.'))).rejects.toThrow(/^Unauthorized$/);
      await expect(handler(httpApiV2Event(`Bearer ${await issuer.token()}`))).rejects.toBeInstanceOf(RevocationStateUnavailableError);
    });

    it('throws a TypeError for an event that is not from API Gateway', async () => {
      const { handler } = setup();
      await expect(handler({ Records: [] } as never)).rejects.toBeInstanceOf(TypeError);
    });
  });

  describe('the deny path', () => {
    it('still refuses when the log line itself throws: a deny for HTTP APIs, Unauthorized for REST, never the log error', async () => {
      // Prepare: a logger that fails on every info line, as a stack overflow in a JSON replacer did.
      class ThrowingLog extends LogRecorder {
        override info(): void {
          throw new RangeError('Maximum call stack size exceeded');
        }
      }
      const { handler, decisions } = setup({ log: new ThrowingLog() });

      // Act
      const http = await handler(httpApiV2Event('Bearer not-a-token'));
      const rest = handler(restTokenEvent('Bearer not-a-token'));

      // Assess
      expect(http).toMatchObject({ isAuthorized: false, context: { reason: 'malformed_token' } });
      await expect(rest).rejects.toThrow(/^Unauthorized$/);
      expect(decisions.failures).toBe(0);
    });

    it.each([
      ['a REST TOKEN authorizationToken that is a number', { ...restTokenEvent('x'), authorizationToken: 7 }],
      ['an HTTP API header that is an array', { ...httpApiV2Event(undefined), headers: { authorization: ['Bearer x'] } }],
      ['an HTTP API identitySource that is a string, not an array', { ...httpApiV2Event(undefined), identitySource: 'Bearer x' }],
      ['an HTTP API 1.0 identitySource that is an array', { ...httpApiV1Event(undefined), identitySource: ['Bearer x'] }],
    ])('refuses %s as malformed_token, not a TypeError', async (_name, event) => {
      const { handler, log } = setup();

      const answer = await handler(event as never).catch((error: unknown) => error);

      if (answer instanceof Error) expect(answer.message).toBe('Unauthorized');
      else expect(answer).toMatchObject({ context: { reason: 'malformed_token' } });
      expect(log.lines.at(-1)).toMatchObject({ message: 'deny', extra: { reason: 'malformed_token' } });
    });

    it('logs a verified id that is long or unprintable as a summary naming its stored id, never as it is', async () => {
      // Prepare: a revoked token whose subject holds a C1 control character and whose jti is 3,000 bytes.
      const { handler, revocations, log } = setup({ env: { JWT_MAX_TOKEN_BYTES: '16384' } });
      const sub = 'bob\u0085';
      const jti = 'j'.repeat(3000);
      revocations.jtis.add(jti);

      // Act
      await handler(httpApiV2Event(`Bearer ${await issuer.token({ sub, jti })}`));

      // Assess
      expect(log.lines.at(-1)?.extra).toMatchObject({
        reason: 'revoked_jti',
        sub: { type: 'string', length: 4, prefix: 'bob?', storedId: storedId(sub) },
        jti: { type: 'string', length: 3000, prefix: 'j'.repeat(24), storedId: storedId(jti) },
      });
      expect(log.text).not.toContain(sub);
      expect(log.text).not.toContain('j'.repeat(100));
    });
  });
});

import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRevocationTable } from '../local/table-admin.js';
import { BundleProcess, type Invocation } from './support/bundle-process.js';
import { startDynalite, type LocalDynamo } from './support/dynalite.js';
import { TestIssuer } from './support/issuer.js';

/**
 * AUTHORIZER_RESPONSE_MODE against the built bundle, fed AWS's own sample events (read in place from
 * ../shared/fixtures/aws-events; SOURCES.txt there gives repository, commit and path of each).
 *
 * The expected shapes are the ones the API Gateway developer guide documents for an HTTP API Lambda
 * authorizer ("Control access to HTTP APIs with AWS Lambda authorizers", Lambda function response
 * for format 2.0): a simple response is exactly `{ isAuthorized, context }`, an IAM policy response
 * `{ principalId, policyDocument, context }`.
 */
const FIXTURES = resolve(process.cwd(), '../shared/fixtures/aws-events');
const haveFixtures = existsSync(join(FIXTURES, 'SOURCES.txt'));
if (!haveFixtures) console.warn(`skipping the response-mode tests: ${FIXTURES} (AWS sample events) is absent`);

/** powertools-lambda-typescript packages/parser/tests/events/apigw-http/authorizer-request.json (payload 2.0). */
const HTTP_V2 = 'ptts-apigw-http-authorizer-request.json';
/** aws-lambda-go events/testdata/apigw-v2-custom-authorizer-v1-request.json (payload 1.0). */
const HTTP_V1 = 'go-apigw-v2-custom-authorizer-v1-request.json';
/** powertools-lambda-typescript packages/parser/tests/events/apigw-rest/authorizer-token.json. */
const REST_TOKEN = 'ptts-apigw-rest-authorizer-token.json';

const fixture = (name: string): Record<string, any> => JSON.parse(readFileSync(join(FIXTURES, name), 'utf8'));

/** The payload 2.0 sample with its placeholder `Bearer foo` replaced by a real token. */
function httpV2Event(authorization: string): Record<string, any> {
  const event = fixture(HTTP_V2);
  event.headers.authorization = authorization;
  event.identitySource = [authorization];
  return event;
}

const SIMPLE_KEYS = ['context', 'isAuthorized'];
const IAM_KEYS = ['context', 'policyDocument', 'principalId'];
const keysOf = (invocation: Invocation) => (invocation.ok ? Object.keys(invocation.result as object).sort() : invocation.error);

let dynamo: LocalDynamo;
let issuer: TestIssuer;
let token: string;
const authorizers: Partial<Record<'simple' | 'iam' | 'unset', BundleProcess>> = {};

beforeAll(async () => {
  if (!haveFixtures) return;
  [dynamo, issuer] = await Promise.all([startDynalite(), TestIssuer.start({ algorithms: ['RS256'] })]);
  await createRevocationTable(dynamo.client, 'revocations');
  token = await issuer.token({ sub: 'alice', jti: 'mode-1' });
  for (const mode of ['simple', 'iam', 'unset'] as const) {
    authorizers[mode] = new BundleProcess('authorizer', {
      ...dynamo.env,
      ...issuer.env,
      REVOCATION_TABLE_NAME: 'revocations',
      POWERTOOLS_METRICS_DISABLED: 'true',
      ...(mode === 'unset' ? {} : { AUTHORIZER_RESPONSE_MODE: mode }),
    });
  }
});
afterAll(async () => {
  await Promise.all(Object.values(authorizers).map((child) => child.stop()));
  await Promise.all([dynamo?.stop(), issuer?.stop()]);
});

describe.skipIf(!haveFixtures)('AUTHORIZER_RESPONSE_MODE, dist/authorizer.mjs with AWS sample events', () => {
  it('answers a payload 2.0 allow with exactly isAuthorized and context in simple mode', async () => {
    const invocation = await authorizers.simple!.invoke(httpV2Event(`Bearer ${token}`));
    expect(keysOf(invocation)).toEqual(SIMPLE_KEYS);
    expect(invocation).toMatchObject({ result: { isAuthorized: true, context: { sub: 'alice', jti: 'mode-1' } } });
  });

  it('answers a payload 2.0 deny with exactly isAuthorized and context in simple mode', async () => {
    const invocation = await authorizers.simple!.invoke(httpV2Event('Bearer not-a-jwt'));
    expect(keysOf(invocation)).toEqual(SIMPLE_KEYS);
    expect(invocation).toMatchObject({ result: { isAuthorized: false, context: { reason: 'malformed_token' } } });
  });

  it('answers a payload 2.0 allow with exactly principalId, policyDocument and context in iam mode', async () => {
    const invocation = await authorizers.iam!.invoke(httpV2Event(`Bearer ${token}`));
    expect(keysOf(invocation)).toEqual(IAM_KEYS);
    expect(invocation).toMatchObject({
      result: {
        principalId: 'alice',
        policyDocument: {
          Version: '2012-10-17',
          // The sample's routeArn, widened to every route of its stage.
          Statement: [
            { Action: 'execute-api:Invoke', Effect: 'Allow', Resource: 'arn:aws:execute-api:eu-west-1:123456789012:lsw1ro4ipb/$default/*' },
          ],
        },
      },
    });
  });

  it('answers a payload 2.0 deny with a Deny policy and no isAuthorized in iam mode', async () => {
    const invocation = await authorizers.iam!.invoke(httpV2Event('Bearer not-a-jwt'));
    expect(keysOf(invocation)).toEqual(IAM_KEYS);
    expect(invocation).toMatchObject({
      result: { policyDocument: { Statement: [{ Effect: 'Deny' }] }, context: { reason: 'malformed_token' } },
    });
  });

  it('keeps the combined payload 2.0 answer when the variable is unset', async () => {
    const invocation = await authorizers.unset!.invoke(httpV2Event(`Bearer ${token}`));
    expect(keysOf(invocation)).toEqual(['context', 'isAuthorized', 'policyDocument', 'principalId']);
  });

  it('still answers payload 1.0 with a policy in simple mode (1.0 has no simple response)', async () => {
    // The sample carries no Bearer token (identitySource "user1,123"): a deny, as a policy.
    const invocation = await authorizers.simple!.invoke(fixture(HTTP_V1));
    expect(keysOf(invocation)).toEqual(IAM_KEYS);
    expect(invocation).toMatchObject({ result: { policyDocument: { Statement: [{ Effect: 'Deny' }] } } });
  });

  it('still answers a REST TOKEN event with a policy in simple mode', async () => {
    const event = { ...fixture(REST_TOKEN), authorizationToken: `Bearer ${token}` };
    const invocation = await authorizers.simple!.invoke(event);
    expect(keysOf(invocation)).toEqual(IAM_KEYS);
    expect(invocation).toMatchObject({
      result: {
        policyDocument: { Statement: [{ Effect: 'Allow', Resource: 'arn:aws:execute-api:eu-west-1:123456789012:puhdx84jy9/prod/*' }] },
      },
    });
  });

  it('refuses to start with an unknown mode, naming the variable', async () => {
    const authorizer = new BundleProcess('authorizer', {
      ...issuer.env,
      AUTHORIZER_RESPONSE_MODE: 'both',
      POWERTOOLS_METRICS_DISABLED: 'true',
    });
    try {
      const invocation = await authorizer.invoke(httpV2Event(`Bearer ${token}`));
      expect(invocation.ok).toBe(false);
      expect(authorizer.output).toContain('AUTHORIZER_RESPONSE_MODE must be one of simple, iam, got "both"');
    } finally {
      await authorizer.stop();
    }
  });
});

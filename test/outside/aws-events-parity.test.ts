import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRevocationTable } from '../../local/table-admin.js';
import { BundleProcess } from '../support/bundle-process.js';
import { startDynalite, type LocalDynamo } from '../support/dynalite.js';
import { TestIssuer } from '../support/issuer.js';
import { describeWithFixtures, sharedFixtures } from './shared-fixtures.js';

/**
 * The AWS sample authorizer events (../shared/fixtures/aws-events, read in place; SOURCES.txt
 * names repository, commit and path of each, as aws-events.test.ts checks) through the built
 * dist/authorizer.mjs with the issue 13 settings: the token in the query string
 * (JWT_TOKEN_SOURCES=query:access_token), per-route scopes (JWT_ROUTE_SCOPES) keyed by each
 * sample's own route, claims in the context (JWT_CONTEXT_CLAIMS).
 */

const awsEvents = sharedFixtures('aws-events');

/** The REQUEST samples (REST, HTTP API payload 1.0 and 2.0), each with the route key its fields give. */
const REQUEST_SAMPLES = [
  { file: 'go-apigw-custom-auth-request-type-request.json', flavour: 'rest-request', route: 'GET /request' },
  { file: 'ptts-apigw-rest-authorizer-request.json', flavour: 'rest-request', route: 'POST /lambda-request' },
  { file: 'go-apigw-v2-custom-authorizer-v1-request.json', flavour: 'http-v1', route: 'GET /request' },
  { file: 'ptpy-apiGatewayAuthorizerRequestEvent.json', flavour: 'http-v1', route: 'GET /request' },
  { file: 'go-apigw-v2-custom-authorizer-v2-request.json', flavour: 'http-v2', route: '$default' },
  { file: 'ptts-apigw-http-authorizer-request.json', flavour: 'http-v2', route: 'POST /lambda' },
] as const;

type Sample = (typeof REQUEST_SAMPLES)[number];

function loadSample(file: string): Record<string, any> {
  return JSON.parse(readFileSync(join(awsEvents.dir, file), 'utf8')) as Record<string, any>;
}

/** The sample with its placeholder credential removed and `token` as `?access_token=` (both query maps, as API Gateway fills them). */
function withQueryToken(sample: Sample, token: string | undefined): Record<string, any> {
  const event = loadSample(sample.file);
  for (const headers of [event.headers, event.multiValueHeaders]) {
    for (const name of Object.keys(headers ?? {})) if (name.toLowerCase() === 'authorization') delete headers[name];
  }
  delete event.authorizationToken;
  if (sample.flavour === 'http-v1') event.identitySource = token ?? '';
  if (sample.flavour === 'http-v2') event.identitySource = token === undefined ? [] : [token];
  event.queryStringParameters = { ...(event.queryStringParameters ?? {}) };
  if (token !== undefined) event.queryStringParameters.access_token = token;
  if (sample.flavour !== 'http-v2') {
    event.multiValueQueryStringParameters = { ...(event.multiValueQueryStringParameters ?? {}) };
    if (token !== undefined) event.multiValueQueryStringParameters.access_token = [token];
  }
  return event;
}

/** `arn:…:api/stage/` of the sample's ARN. */
function stageOf(event: Record<string, any>): string {
  const arn = (event.routeArn ?? event.methodArn) as string;
  return arn.split('/').slice(0, 2).join('/') + '/';
}

/** The policy resource covering the sample's route: `METHOD/path`, `*` for `$default`. */
function routeResource(route: string): string {
  return route === '$default' ? '*' : route.replace(' /', '/');
}

let dynamo: LocalDynamo;
let issuer: TestIssuer;
let bySource: BundleProcess;
let byRoute: BundleProcess;

describeWithFixtures('AWS sample events with token sources, route scopes and context claims', awsEvents, () => {
  beforeAll(async () => {
    [dynamo, issuer] = await Promise.all([startDynalite(), TestIssuer.start({ algorithms: ['RS256'] })]);
    await createRevocationTable(dynamo.client, 'revocations');
    const env = { ...dynamo.env, ...issuer.env, REVOCATION_TABLE_NAME: 'revocations', POWERTOOLS_METRICS_DISABLED: 'true' };
    bySource = new BundleProcess('authorizer', { ...env, JWT_TOKEN_SOURCES: 'query:access_token', JWT_CONTEXT_CLAIMS: 'sub,email,groups' });
    byRoute = new BundleProcess('authorizer', {
      ...env,
      JWT_TOKEN_SOURCES: 'query:access_token',
      JWT_ROUTE_SCOPES: JSON.stringify(Object.fromEntries(REQUEST_SAMPLES.map((sample) => [sample.route, ['sample.scope']]))),
    });
  });
  afterAll(async () => {
    await Promise.all([bySource?.stop(), byRoute?.stop()]);
    await Promise.all([dynamo?.stop(), issuer?.stop()]);
  });

  for (const sample of REQUEST_SAMPLES) {
    describe(`${sample.file} (${sample.flavour})`, () => {
      it('is allowed with the token in queryStringParameters.access_token, the claims listed in the context', async () => {
        const token = await issuer.token({ sub: 'alice', email: 'alice@example.com', groups: ['admin', 'ops'] });
        const event = withQueryToken(sample, token);

        const invocation = await bySource.invoke(event);

        const allow = {
          principalId: 'alice',
          policyDocument: {
            Version: '2012-10-17',
            Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: `${stageOf(event)}*` }],
          },
          context: { sub: 'alice', email: 'alice@example.com', groups: '["admin","ops"]' },
        };
        expect(invocation).toEqual({ ok: true, result: sample.flavour === 'http-v2' ? { isAuthorized: true, ...allow } : allow });
      });

      it('is refused without the token (401 for REST, a deny for HTTP APIs)', async () => {
        const invocation = await bySource.invoke(withQueryToken(sample, undefined));

        if (sample.flavour === 'rest-request') expect(invocation).toEqual({ ok: false, error: { name: 'Error', message: 'Unauthorized' } });
        else expect(invocation).toMatchObject({ ok: true, result: { context: { reason: 'missing_token' } } });
      });

      it(`needs a scope of its route ${sample.route}, and the policy then names that route`, async () => {
        const scoped = await issuer.token({ sub: 'alice', scope: 'openid sample.scope' });
        const unscoped = await issuer.token({ sub: 'bob', scope: 'openid' });
        const event = withQueryToken(sample, scoped);
        const resource = `${stageOf(event)}${routeResource(sample.route)}`;

        const allowed = await byRoute.invoke(event);
        const refused = await byRoute.invoke(withQueryToken(sample, unscoped));

        expect(allowed).toMatchObject({
          ok: true,
          result: { principalId: 'alice', policyDocument: { Statement: [{ Effect: 'Allow', Resource: resource }] } },
        });
        // A Deny (403) for REST too: the token is valid, it lacks the permission.
        expect(refused).toMatchObject({
          ok: true,
          result: {
            principalId: 'bob',
            policyDocument: { Statement: [{ Effect: 'Deny', Resource: resource }] },
            context: { reason: 'insufficient_scope' },
          },
        });
      });
    });
  }
});

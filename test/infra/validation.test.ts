import { join } from 'node:path';
import { Duration, Token } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RevocationAuthorizerPropsError, type PropProblem } from '../../infra/props-error.js';
import type { RevocationAuthorizerProps } from '../../infra/props.js';
import { authorizerStack, createStubBundles, TEST_ISSUER } from './support/stacks.js';

let bundles: ReturnType<typeof createStubBundles>;
beforeAll(() => {
  bundles = createStubBundles();
});
afterAll(() => bundles.remove());

/** The problems the construct reports for these props (validation runs before any resource exists). */
function problemsWith(props: Partial<RevocationAuthorizerProps>): readonly PropProblem[] {
  try {
    authorizerStack(bundles.directory, props);
  } catch (error) {
    if (error instanceof RevocationAuthorizerPropsError) {
      expect(error.code).toBe('ERR_INVALID_PROPS');
      return error.problems;
    }
    throw error;
  }
  throw new Error('expected RevocationAuthorizerPropsError, but the construct was created');
}
const propsAtFault = (props: Partial<RevocationAuthorizerProps>) => problemsWith(props).map((problem) => problem.prop);

describe('RevocationAuthorizer props validation', () => {
  it('throws when no issuer is trusted', () => {
    expect(propsAtFault({ issuers: [] })).toEqual(['issuers']);
  });

  it('throws when an issuer is not an https URL', () => {
    expect(propsAtFault({ issuers: [{ ...TEST_ISSUER, issuer: 'http://issuer.test.example/' }] })).toEqual(['issuers[0].issuer']);
  });

  it('throws when a JWKS URL is not an https URL', () => {
    expect(propsAtFault({ issuers: [{ ...TEST_ISSUER, jwksUri: 'issuer.test.example/keys' }] })).toEqual(['issuers[0].jwksUri']);
  });

  it('throws when an issuer accepts no audience', () => {
    expect(propsAtFault({ issuers: [{ ...TEST_ISSUER, audience: [] }] })).toEqual(['issuers[0].audience']);
  });

  it('throws when an issuer from JSON has no audience, naming the field instead of crashing', () => {
    // What `-c issuers='[{"issuer":…,"jwksUri":…}]'` produces: the TypeScript type is not enforced.
    const withoutAudience = { issuer: TEST_ISSUER.issuer, jwksUri: TEST_ISSUER.jwksUri } as never;
    expect(propsAtFault({ issuers: [withoutAudience] })).toEqual(['issuers[0].audience']);
  });

  it('throws when an issuer from JSON is not an object', () => {
    expect(propsAtFault({ issuers: ['https://issuer.test.example/' as never] })).toEqual(['issuers[0]']);
  });

  it('throws when issuers from JSON is not a list', () => {
    expect(propsAtFault({ issuers: { issuer: TEST_ISSUER.issuer } as never })).toEqual(['issuers']);
  });

  it('throws when an issuer’s algorithms from JSON are not a list', () => {
    expect(propsAtFault({ issuers: [{ ...TEST_ISSUER, algorithms: 'RS256' as never }] })).toEqual(['issuers[0].algorithms']);
  });

  it('throws when an algorithm is symmetric or unknown', () => {
    expect(
      propsAtFault({
        algorithms: ['HS256' as never],
        issuers: [{ ...TEST_ISSUER, algorithms: ['none' as never] }],
      }),
    ).toEqual(['algorithms', 'issuers[0].algorithms']);
  });

  it('throws when sessionClaim, or an issuer’s own, names no claim', () => {
    const issuer = { ...TEST_ISSUER, sessionClaim: '' };
    expect(propsAtFault({ sessionClaim: ' ', issuers: [issuer] })).toEqual(['sessionClaim', 'issuers[0].sessionClaim']);
  });

  it('throws when subjectClaim, or an issuer’s own, names no claim', () => {
    const issuer = { ...TEST_ISSUER, subjectClaim: ' ' };
    expect(propsAtFault({ subjectClaim: '', issuers: [issuer] })).toEqual(['subjectClaim', 'issuers[0].subjectClaim']);
  });

  it('throws when an issuer is listed twice', () => {
    expect(propsAtFault({ issuers: [TEST_ISSUER, { ...TEST_ISSUER, audience: 'other' }] })).toEqual(['issuers[1].issuer']);
  });

  it('throws when maxStaleness does not exceed syncInterval', () => {
    expect(propsAtFault({ syncInterval: Duration.seconds(5), maxStaleness: Duration.seconds(5) })).toEqual(['maxStaleness']);
  });

  it('throws when the cache TTL is beyond one hour or not whole seconds', () => {
    expect(propsAtFault({ resultsCacheTtl: Duration.seconds(3601) })).toEqual(['resultsCacheTtl']);
    expect(propsAtFault({ resultsCacheTtl: Duration.millis(1500) })).toEqual(['resultsCacheTtl']);
  });

  it('throws when the clock tolerance is beyond one hour', () => {
    expect(propsAtFault({ clockTolerance: Duration.hours(2) })).toEqual(['clockTolerance']);
  });

  it('throws when reserved concurrency is 0', () => {
    expect(propsAtFault({ reservedConcurrentExecutions: 0 })).toEqual(['reservedConcurrentExecutions']);
  });

  it('throws when provisioned concurrency exceeds reserved concurrency', () => {
    expect(propsAtFault({ reservedConcurrentExecutions: 2, provisionedConcurrentExecutions: 3 })).toEqual([
      'provisionedConcurrentExecutions',
    ]);
  });

  it('throws when the ingest concurrency cap is 0', () => {
    expect(propsAtFault({ ingestReservedConcurrentExecutions: 0 })).toEqual(['ingestReservedConcurrentExecutions']);
  });

  it('throws when the HTTP response type is neither simple nor iam', () => {
    expect(propsAtFault({ httpResponseType: 'both' as never })).toEqual(['httpResponseType']);
  });

  it('throws when a duration is not a Duration', () => {
    expect(propsAtFault({ syncInterval: 1000 as never })).toEqual(['syncInterval']);
  });

  it('throws when table settings are given with an existing table', () => {
    const problems = problemsWith({ tableName: 'other', existingTable: {} as never });
    expect(problems.map((problem) => problem.prop)).toEqual(['tableName']);
  });

  it('throws when the memory size is outside Lambda’s range', () => {
    expect(propsAtFault({ authorizerMemorySize: 64 })).toEqual(['authorizerMemorySize']);
  });

  it('throws when extra environment sets a variable the construct owns', () => {
    expect(
      propsAtFault({
        authorizerEnvironment: { REVOCATION_FAIL_MODE: 'open' },
        ingestEnvironment: { REVOCATION_TABLE_NAME: 'other' },
      }),
    ).toEqual(['authorizerEnvironment', 'ingestEnvironment']);
  });

  it('throws when the metrics namespace is reserved or malformed', () => {
    expect(propsAtFault({ metricsNamespace: 'AWS/Lambda' })).toEqual(['metricsNamespace']);
    expect(propsAtFault({ metricsNamespace: 'bad"quote' })).toEqual(['metricsNamespace']);
  });

  it('throws when the bundle directory holds no bundles, telling to run the build', () => {
    const problems = problemsWith({ bundleDirectory: join(bundles.directory, 'nested') });
    expect(problems.map((problem) => problem.prop)).toEqual(['bundleDirectory']);
    expect(problems[0]?.message).toContain('npm run build');
  });

  it('reports every problem at once, each with the value it got', () => {
    const problems = problemsWith({
      issuers: [{ ...TEST_ISSUER, issuer: 'not a url' }],
      resultsCacheTtl: Duration.hours(2),
      maxStaleness: Duration.millis(500),
    });
    expect(problems.map((problem) => problem.prop)).toEqual(['issuers[0].issuer', 'resultsCacheTtl', 'maxStaleness']);
    expect(problems[0]?.message).toContain('"not a url"');
    expect(problems[1]?.message).toContain('2 hours');
  });

  it('accepts an issuer known only at deploy time, and keeps it a reference in JWT_ISSUERS', () => {
    const deployTimeIssuer = Token.asString({ 'Fn::ImportValue': 'IdentityStack:IssuerUrl' });
    const { stack } = authorizerStack(bundles.directory, {
      issuers: [{ ...TEST_ISSUER, issuer: deployTimeIssuer }],
    });
    const fn = Object.values(Template.fromStack(stack).findResources('AWS::Lambda::Function')).find(
      (resource) => resource.Properties.Handler === 'authorizer.handler',
    );
    expect(JSON.stringify(fn?.Properties.Environment.Variables.JWT_ISSUERS)).toContain('IdentityStack:IssuerUrl');
  });
});

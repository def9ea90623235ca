import { App, Stack } from 'aws-cdk-lib';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpUrlIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REVOCATION_TABLE_SCHEMA } from '../../lambda/contract/index.js';
import { RevocationAuthorizerPropsError } from '../../infra/props-error.js';
import type { RevocationAuthorizerProps } from '../../infra/props.js';
import { RevocationAuthorizerReplica } from '../../infra/revocation-authorizer-replica.js';
import { RevocationAuthorizer } from '../../infra/revocation-authorizer.js';
import { CDK_JSON_CONTEXT, createStubBundles, TEST_ACCOUNT, TEST_ISSUER } from './support/stacks.js';

const PRIMARY = 'eu-west-1';
const REPLICAS = ['us-east-1', 'ap-southeast-2'];

let bundles: ReturnType<typeof createStubBundles>;
beforeAll(() => {
  bundles = createStubBundles();
});
afterAll(() => bundles.remove());

/** A primary stack with replicaRegions and, for each region given, a stack there holding a replica authorizer. */
function multiRegionApp(props: Partial<RevocationAuthorizerProps> = {}, replicaStackRegions: readonly string[] = REPLICAS) {
  const app = new App({ context: CDK_JSON_CONTEXT });
  const primaryStack = new Stack(app, 'Primary', { env: { account: TEST_ACCOUNT, region: PRIMARY } });
  const primary = new RevocationAuthorizer(primaryStack, 'Revocation', {
    issuers: [TEST_ISSUER],
    bundleDirectory: bundles.directory,
    replicaRegions: REPLICAS,
    ...props,
  });
  const replicas = replicaStackRegions.map((region) => {
    const stack = new Stack(app, `Replica-${region}`, { env: { account: TEST_ACCOUNT, region } });
    const authorizer = new RevocationAuthorizerReplica(stack, 'Revocation', { primary });
    return { region, stack, authorizer };
  });
  return { app, primaryStack, primary, replicas };
}

/** The problems a construct reports, by prop. */
function propsAtFault(build: () => unknown): string[] {
  try {
    build();
  } catch (error) {
    if (error instanceof RevocationAuthorizerPropsError) return error.problems.map((problem) => `${problem.prop}: ${problem.message}`);
    throw error;
  }
  throw new Error('expected RevocationAuthorizerPropsError, but the construct was created');
}

describe('RevocationAuthorizer with replicaRegions', () => {
  let app: ReturnType<typeof multiRegionApp>;
  let primary: Template;
  let replicas: Template[];
  beforeAll(() => {
    app = multiRegionApp();
    primary = Template.fromStack(app.primaryStack);
    replicas = app.replicas.map((replica) => Template.fromStack(replica.stack));
  });

  it('makes the table a global table with a replica in its own region and in each replica region', () => {
    primary.resourceCountIs('AWS::DynamoDB::Table', 0);
    primary.resourceCountIs('AWS::DynamoDB::GlobalTable', 1);
    const [table] = Object.values(primary.findResources('AWS::DynamoDB::GlobalTable'));
    const regions = (table!.Properties.Replicas as { Region: string }[]).map((replica) => replica.Region);
    expect(regions.sort()).toEqual([PRIMARY, ...REPLICAS].sort());
  });

  it('keeps the schema, TTL, on-demand billing, point-in-time recovery and deletion protection of the single-region table', () => {
    const index = REVOCATION_TABLE_SCHEMA.changesIndex;
    primary.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      KeySchema: [{ AttributeName: REVOCATION_TABLE_SCHEMA.partitionKey.name, KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
      TimeToLiveSpecification: { AttributeName: REVOCATION_TABLE_SCHEMA.timeToLiveAttribute, Enabled: true },
      GlobalSecondaryIndexes: [
        Match.objectLike({
          IndexName: index.name,
          KeySchema: [
            { AttributeName: index.partitionKey.name, KeyType: 'HASH' },
            { AttributeName: index.sortKey.name, KeyType: 'RANGE' },
          ],
          Projection: Match.objectLike({ ProjectionType: index.projectionType }),
        }),
      ],
      Replicas: Match.arrayWith([
        Match.objectLike({
          Region: REPLICAS[0],
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
          DeletionProtectionEnabled: true,
        }),
      ]),
    });
  });

  it('keeps the topic, the ingest and its queues, and the snapshot function and bucket in the primary region only', () => {
    primary.resourceCountIs('AWS::SNS::Topic', 1);
    primary.resourceCountIs('AWS::SQS::Queue', 2);
    // The authorizer, the ingest and the snapshot writer.
    primary.resourceCountIs('AWS::Lambda::Function', 3);
    primary.resourceCountIs('AWS::S3::Bucket', 1);
    for (const replica of replicas) {
      replica.resourceCountIs('AWS::SNS::Topic', 0);
      replica.resourceCountIs('AWS::SQS::Queue', 0);
      replica.resourceCountIs('AWS::DynamoDB::Table', 0);
      replica.resourceCountIs('AWS::DynamoDB::GlobalTable', 0);
      replica.resourceCountIs('AWS::Lambda::Function', 1);
      replica.resourceCountIs('AWS::Lambda::EventSourceMapping', 0);
      replica.resourceCountIs('AWS::S3::Bucket', 0);
    }
  });

  it('gives each replica region an authorizer reading the table by its one name, configured as the primary but without the snapshot', () => {
    const [table] = Object.values(primary.findResources('AWS::DynamoDB::GlobalTable'));
    // Referenced from other regions, the table gets a physical name CDK generates: no cross-region export.
    const tableName = table!.Properties.TableName as string;
    expect(typeof tableName).toBe('string');
    const primaryVariables = Object.values(primary.findResources('AWS::Lambda::Function')).find(
      (fn) => fn.Properties.Environment.Variables.JWT_ISSUERS !== undefined,
    )!.Properties.Environment.Variables;
    // The snapshot is the primary region's: a replica region's cold start scans its own replica.
    expect(primaryVariables.REVOCATION_SNAPSHOT_URI).toBeDefined();
    const { REVOCATION_SNAPSHOT_URI: _uri, REVOCATION_SNAPSHOT_MAX_AGE_MS: _maxAge, ...withoutSnapshot } = primaryVariables;
    for (const replica of replicas) {
      replica.hasResourceProperties('AWS::Lambda::Function', {
        Handler: 'authorizer.handler',
        Environment: {
          Variables: { ...withoutSnapshot, REVOCATION_TABLE_NAME: tableName },
        },
      });
    }
  });

  it('lets each replica region’s authorizer read only its own region’s replica', () => {
    for (const [i, replica] of replicas.entries()) {
      const tableArn = `arn:aws:dynamodb:${REPLICAS[i]}:${TEST_ACCOUNT}:table/`;
      const statements = Object.values(replica.findResources('AWS::IAM::Policy')).flatMap(
        (policy) => policy.Properties.PolicyDocument.Statement as { Action: unknown; Resource: unknown; Condition?: unknown }[],
      );
      const dynamo = statements.filter((statement) => JSON.stringify(statement.Action).includes('dynamodb:'));
      expect(dynamo.map((statement) => statement.Action)).toEqual(['dynamodb:Scan', 'dynamodb:Query', 'dynamodb:GetItem']);
      for (const statement of dynamo) expect(JSON.stringify(statement.Resource)).toContain(tableArn);
      expect(dynamo[2]!.Condition).toEqual({
        'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${REVOCATION_TABLE_SCHEMA.head.keyPrefix}*`] },
      });
    }
  });

  it('gives each replica region its own authorizer alarms, and no ingest alarm', () => {
    for (const replica of replicas) {
      const names = Object.keys(replica.findResources('AWS::CloudWatch::Alarm'));
      expect(names.some((name) => name.includes('Ingest') || name.includes('DeadLetter'))).toBe(false);
      expect(names.length).toBeGreaterThan(0);
      replica.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    }
    const primaryNames = Object.keys(primary.findResources('AWS::CloudWatch::Alarm'));
    expect(primaryNames.some((name) => name.includes('IngestErrors'))).toBe(true);
  });

  it('serves HTTP APIs of its own region, through httpAuthorizer and requireScopes', () => {
    const { stack, authorizer } = multiRegionApp({}, [REPLICAS[0]!]).replicas[0]!;
    const api = new apigwv2.HttpApi(stack, 'Api', { defaultAuthorizer: authorizer.httpAuthorizer });
    api.addRoutes({
      path: '/admin',
      methods: [apigwv2.HttpMethod.GET],
      integration: new HttpUrlIntegration('Backend', 'https://backend.acme.test/'),
      authorizer: authorizer.requireScopes('GET /admin', ['admin']),
    });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', { AuthorizerType: 'REQUEST' });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ JWT_ROUTE_SCOPES: '{"GET /admin":["admin"]}' }) },
    });
  });
});

describe('RevocationAuthorizer without replicaRegions', () => {
  it('keeps the single-region AWS::DynamoDB::Table', () => {
    const app = new App({ context: CDK_JSON_CONTEXT });
    const stack = new Stack(app, 'Single', { env: { account: TEST_ACCOUNT, region: PRIMARY } });
    new RevocationAuthorizer(stack, 'Revocation', { issuers: [TEST_ISSUER], bundleDirectory: bundles.directory });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    template.resourceCountIs('AWS::DynamoDB::GlobalTable', 0);
  });
});

describe('replicaRegions validation', () => {
  it('throws when replicaRegions is not a list of region names', () => {
    expect(propsAtFault(() => multiRegionApp({ replicaRegions: ['eu west 1'] }, []))).toEqual([
      `replicaRegions: must be a list of AWS region names such as 'eu-west-1', got ["eu west 1"]`,
    ]);
  });

  it('throws when replicaRegions lists a region twice', () => {
    expect(propsAtFault(() => multiRegionApp({ replicaRegions: ['us-east-1', 'us-east-1'] }, []))).toEqual([
      'replicaRegions: lists a region twice: us-east-1, us-east-1',
    ]);
  });

  it('throws when replicaRegions lists the stack’s own region', () => {
    expect(propsAtFault(() => multiRegionApp({ replicaRegions: [PRIMARY] }, []))).toEqual([
      `replicaRegions: must not list ${PRIMARY}, the stack's own region: the table is there already`,
    ]);
  });

  it('throws when replicaRegions is given with existingTable', () => {
    const problems = propsAtFault(() =>
      multiRegionApp({ existingTable: dynamodb.Table.fromTableName(new Stack(), 'Existing', 'revocations') }, []),
    );
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^replicaRegions: does not apply to existingTable/);
  });

  it('throws when the stack has no explicit region', () => {
    const app = new App({ context: CDK_JSON_CONTEXT });
    const stack = new Stack(app, 'Agnostic');
    const problems = propsAtFault(
      () =>
        new RevocationAuthorizer(stack, 'Revocation', {
          issuers: [TEST_ISSUER],
          bundleDirectory: bundles.directory,
          replicaRegions: REPLICAS,
        }),
    );
    expect(problems).toEqual([expect.stringMatching(/^replicaRegions: needs a stack with an explicit region/)]);
  });
});

describe('RevocationAuthorizerReplica validation', () => {
  it('throws when its stack’s region holds no replica, naming the fix', () => {
    expect(propsAtFault(() => multiRegionApp({}, ['sa-east-1']))).toEqual([
      `primary: Primary/Revocation holds no replica of its table in sa-east-1 (it has ${REPLICAS.join(', ')}): add 'sa-east-1' to its replicaRegions`,
    ]);
  });

  it('throws when it is in the primary’s region', () => {
    expect(propsAtFault(() => multiRegionApp({}, [PRIMARY]))).toEqual([
      expect.stringMatching(/^primary: Primary\/Revocation is in eu-west-1 already/),
    ]);
  });

  it('throws when the primary has no replicaRegions', () => {
    expect(propsAtFault(() => multiRegionApp({ replicaRegions: undefined }, ['us-east-1']))).toEqual([
      `primary: Primary/Revocation holds no replica of its table in us-east-1 (it has none): add 'us-east-1' to its replicaRegions`,
    ]);
  });

  it('throws when its stack is in another account', () => {
    const { primary } = multiRegionApp({}, []);
    const stack = new Stack(primary.node.root as App, 'OtherAccount', { env: { account: '999999999999', region: REPLICAS[0] } });
    expect(propsAtFault(() => new RevocationAuthorizerReplica(stack, 'Revocation', { primary }))).toEqual([
      expect.stringMatching(/^primary: is in account 111111111111, this stack in 999999999999/),
    ]);
  });

  it('throws when its stack has no explicit region', () => {
    const { primary } = multiRegionApp({}, []);
    const stack = new Stack(primary.node.root as App, 'Agnostic');
    expect(propsAtFault(() => new RevocationAuthorizerReplica(stack, 'Revocation', { primary }))).toEqual([
      expect.stringMatching(/^primary: needs a stack with an explicit region/),
    ]);
  });
});

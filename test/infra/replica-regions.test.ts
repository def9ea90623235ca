import { App, Stack, type CfnElement } from 'aws-cdk-lib';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpUrlIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type { IConstruct } from 'constructs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REVOCATION_TABLE_SCHEMA } from '../../lambda/contract/index.js';
import { RevocationAuthorizerPropsError } from '../../infra/props-error.js';
import { REPLICATED_SYNC_OVERLAP_MS, type RevocationAuthorizerProps } from '../../infra/props.js';
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

type Statement = { Action: unknown; Resource: unknown; Condition?: unknown };

/** The DynamoDB statements of a function's role. */
function dynamoStatementsOf(template: Template, stack: Stack, fn: IConstruct & { role?: IConstruct }): Statement[] {
  const roleId = stack.getLogicalId(fn.role!.node.defaultChild as CfnElement);
  const policies = template.findResources('AWS::IAM::Policy', { Properties: { Roles: Match.arrayWith([{ Ref: roleId }]) } });
  return Object.values(policies)
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[])
    .filter((statement) => JSON.stringify(statement.Action).includes('dynamodb:'));
}

/** REVOCATION_SNAPSHOT_URI of a bucket of `stack`, as the template spells it. */
function snapshotUriIn(stack: Stack, bucket: IConstruct) {
  return { 'Fn::Join': ['', ['s3://', { Ref: stack.getLogicalId(bucket.node.defaultChild as CfnElement) }, '/revocations.snapshot']] };
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

  it('keeps the topic, the ingest and its queues in the primary region, and gives each region a snapshot bucket and writer', () => {
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
      // The authorizer and the snapshot writer.
      replica.resourceCountIs('AWS::Lambda::Function', 2);
      replica.resourcePropertiesCountIs('AWS::Lambda::Function', { Handler: 'snapshot.handler' }, 1);
      replica.resourceCountIs('AWS::Lambda::EventSourceMapping', 0);
      replica.resourceCountIs('AWS::S3::Bucket', 1);
      replica.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(1 minute)' });
    }
  });

  it('gives each replica region an authorizer reading the table by its one name, configured as the primary but for its own snapshot', () => {
    const [table] = Object.values(primary.findResources('AWS::DynamoDB::GlobalTable'));
    // Referenced from other regions, the table gets a physical name CDK generates: no cross-region export.
    const tableName = table!.Properties.TableName as string;
    expect(typeof tableName).toBe('string');
    const primaryVariables = Object.values(primary.findResources('AWS::Lambda::Function')).find(
      (fn) => fn.Properties.Environment.Variables.JWT_ISSUERS !== undefined,
    )!.Properties.Environment.Variables;
    expect(primaryVariables.REVOCATION_SNAPSHOT_URI).toBeDefined();
    const { REVOCATION_SNAPSHOT_URI: _uri, ...withoutSnapshotUri } = primaryVariables;
    for (const [i, replica] of replicas.entries()) {
      const { stack, authorizer } = app.replicas[i]!;
      const variables = Object.values(replica.findResources('AWS::Lambda::Function', { Properties: { Handler: 'authorizer.handler' } }))[0]!
        .Properties.Environment.Variables;
      expect(variables).toEqual({
        ...withoutSnapshotUri,
        REVOCATION_TABLE_NAME: tableName,
        // This region's bucket: a cold start reads a snapshot of the local replica.
        REVOCATION_SNAPSHOT_URI: snapshotUriIn(stack, authorizer.snapshotBucket!),
      });
    }
  });

  it('runs each replica region’s snapshot writer on the local replica, writing the local bucket', () => {
    const [table] = Object.values(primary.findResources('AWS::DynamoDB::GlobalTable'));
    for (const [i, replica] of replicas.entries()) {
      const { stack, authorizer } = app.replicas[i]!;
      replica.hasResourceProperties('AWS::Lambda::Function', {
        Handler: 'snapshot.handler',
        ReservedConcurrentExecutions: 1,
        Environment: {
          Variables: Match.objectLike({
            REVOCATION_TABLE_NAME: table!.Properties.TableName,
            REVOCATION_SNAPSHOT_URI: snapshotUriIn(stack, authorizer.snapshotBucket!),
          }),
        },
      });
      expect(authorizer.snapshotFunction).toBeDefined();
    }
  });

  it('lets each replica region’s authorizer read only its own snapshot object', () => {
    for (const [i, replica] of replicas.entries()) {
      const { stack, authorizer } = app.replicas[i]!;
      const bucketId = stack.getLogicalId(authorizer.snapshotBucket!.node.defaultChild as CfnElement);
      const roleId = stack.getLogicalId(authorizer.authorizerFunction.role!.node.defaultChild as CfnElement);
      const policies = replica.findResources('AWS::IAM::Policy', { Properties: { Roles: Match.arrayWith([{ Ref: roleId }]) } });
      const s3 = Object.values(policies)
        .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[])
        .filter((statement) => JSON.stringify(statement.Action).includes('s3:'));
      expect(s3).toEqual([
        {
          Effect: 'Allow',
          Action: 's3:GetObject',
          Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, '/revocations.snapshot']] },
        },
        { Effect: 'Allow', Action: 's3:ListBucket', Resource: { 'Fn::GetAtt': [bucketId, 'Arn'] } },
      ]);
    }
  });

  it('gives a replica region no snapshot bucket or writer with snapshots: false', () => {
    const {
      replicas: [replica],
    } = multiRegionApp({ snapshots: false }, [REPLICAS[0]!]);
    const template = Template.fromStack(replica!.stack);
    template.resourceCountIs('AWS::S3::Bucket', 0);
    template.resourceCountIs('AWS::Lambda::Function', 1);
    expect(replica!.authorizer.snapshotBucket).toBeUndefined();
    const [fn] = Object.values(template.findResources('AWS::Lambda::Function'));
    expect(fn!.Properties.Environment.Variables).not.toHaveProperty('REVOCATION_SNAPSHOT_URI');
    expect(() => replica!.authorizer.grantReadSnapshot(replica!.authorizer.authorizerFunction)).toThrow(RevocationAuthorizerPropsError);
  });

  it('lets each replica region’s authorizer and snapshot writer read only its own region’s replica', () => {
    for (const [i, replica] of replicas.entries()) {
      const tableArn = `arn:aws:dynamodb:${REPLICAS[i]}:${TEST_ACCOUNT}:table/`;
      const { stack, authorizer } = app.replicas[i]!;
      for (const fn of [authorizer.authorizerFunction, authorizer.snapshotFunction!]) {
        const dynamo = dynamoStatementsOf(replica, stack, fn);
        expect(dynamo.map((statement) => statement.Action)).toEqual(['dynamodb:Scan', 'dynamodb:Query', 'dynamodb:GetItem']);
        for (const statement of dynamo) expect(JSON.stringify(statement.Resource)).toContain(tableArn);
        expect(dynamo[2]!.Condition).toEqual({
          'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${REVOCATION_TABLE_SCHEMA.head.keyPrefix}*`] },
        });
      }
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

describe('RevocationAuthorizer with replicaRegions and changeFeed', () => {
  let app: ReturnType<typeof multiRegionApp>;
  let primary: Template;
  beforeAll(() => {
    app = multiRegionApp({ changeFeed: true });
    primary = Template.fromStack(app.primaryStack);
  });

  it('runs the feed writer in the primary region only: its pages replicate with the table', () => {
    primary.resourcePropertiesCountIs('AWS::Lambda::Function', { Handler: 'feed.handler' }, 1);
    for (const replica of app.replicas) {
      Template.fromStack(replica.stack).resourcePropertiesCountIs('AWS::Lambda::Function', { Handler: 'feed.handler' }, 0);
    }
  });

  it('lets each replica region’s authorizer BatchGetItem the page items of its own replica only', () => {
    for (const [i, { stack, authorizer }] of app.replicas.entries()) {
      const statements = dynamoStatementsOf(Template.fromStack(stack), stack, authorizer.authorizerFunction);
      const batch = statements.find((statement) => statement.Action === 'dynamodb:BatchGetItem');
      expect(JSON.stringify(batch?.Resource)).toContain(`arn:aws:dynamodb:${REPLICAS[i]}:${TEST_ACCOUNT}:table/`);
      expect(batch?.Condition).toEqual({
        'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${REVOCATION_TABLE_SCHEMA.feed.keyPrefix}*`] },
      });
    }
  });
});

describe('RevocationAuthorizer replication alarms', () => {
  const replicationAlarms = (template: Template) =>
    template.findResources('AWS::CloudWatch::Alarm', { Properties: { MetricName: 'ReplicationLatency' } });

  it('alarms in the primary region on the replication latency to each replica region', () => {
    const { primaryStack } = multiRegionApp({}, []);
    const template = Template.fromStack(primaryStack);
    const [table] = Object.keys(template.findResources('AWS::DynamoDB::GlobalTable'));
    for (const region of REPLICAS) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/DynamoDB',
        MetricName: 'ReplicationLatency',
        Dimensions: Match.arrayWith([
          { Name: 'ReceivingRegion', Value: region },
          { Name: 'TableName', Value: { Ref: table } },
        ]),
        Statistic: 'Maximum',
        Period: 60,
        // REVOCATION_SYNC_OVERLAP_MS (15 s with replicas) less the ingest's 3 s from stamp to table and 1 s for the replica's index.
        Threshold: 11_000,
        EvaluationPeriods: 2,
      });
    }
    expect(Object.keys(replicationAlarms(template))).toHaveLength(REPLICAS.length);
  });

  it('gives every function of a replicated table a 15 s overlap unless authorizerEnvironment sets one', () => {
    const { primaryStack, replicas } = multiRegionApp({ changeFeed: true });
    const replicaStacks = replicas.map((replica) => replica.stack);
    const overlaps = (stack: Stack) =>
      Object.values(Template.fromStack(stack).findResources('AWS::Lambda::Function'))
        .map((fn) => fn.Properties.Environment?.Variables?.REVOCATION_SYNC_OVERLAP_MS)
        .filter((value) => value !== undefined);
    const everywhere = [primaryStack, ...replicaStacks].flatMap(overlaps);
    expect(everywhere.length).toBeGreaterThanOrEqual(2 + replicaStacks.length);
    expect(new Set(everywhere)).toEqual(new Set([String(REPLICATED_SYNC_OVERLAP_MS)]));
    const singleStack = new Stack(new App({ context: CDK_JSON_CONTEXT }), 'Single', { env: { account: TEST_ACCOUNT, region: PRIMARY } });
    new RevocationAuthorizer(singleStack, 'Revocation', { issuers: [TEST_ISSUER], bundleDirectory: bundles.directory, changeFeed: true });
    // Without replicas only the feed writer states it, at the default.
    expect(overlaps(singleStack)).toEqual(['5000']);
  });

  it('raises the threshold with the overlap the authorizers are given', () => {
    const { primaryStack } = multiRegionApp({ authorizerEnvironment: { REVOCATION_SYNC_OVERLAP_MS: '30000' } }, []);
    const thresholds = Object.values(replicationAlarms(Template.fromStack(primaryStack))).map((alarm) => alarm.Properties.Threshold);
    expect(thresholds).toEqual([26_000, 26_000]);
  });

  it('has none without replicaRegions, and none in a replica region', () => {
    const app = new App({ context: CDK_JSON_CONTEXT });
    const stack = new Stack(app, 'Single', { env: { account: TEST_ACCOUNT, region: PRIMARY } });
    new RevocationAuthorizer(stack, 'Revocation', { issuers: [TEST_ISSUER], bundleDirectory: bundles.directory });
    expect(replicationAlarms(Template.fromStack(stack))).toEqual({});
    const { replicas } = multiRegionApp({}, [REPLICAS[0]!]);
    expect(replicationAlarms(Template.fromStack(replicas[0]!.stack))).toEqual({});
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

import type { CfnElement, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RevocationAuthorizer } from '../../infra/revocation-authorizer.js';
import { REVOCATION_TABLE_SCHEMA } from '../../lambda/contract/index.js';
import { assetFiles, authorizerStack, createStubBundles, TEST_ISSUER } from './support/stacks.js';

// One synthesis for the whole file: aws-cdk-lib synthesis is the slow part.
let bundles: ReturnType<typeof createStubBundles>;
let stack: Stack;
let authorizer: RevocationAuthorizer;
let template: Template;
let assemblyDirectory: string;

beforeAll(() => {
  bundles = createStubBundles();
  const built = authorizerStack(bundles.directory);
  stack = built.stack;
  authorizer = built.authorizer;
  assemblyDirectory = built.app.synth().directory;
  template = Template.fromStack(stack);
});
afterAll(() => bundles.remove());

/** `{ Ref }` / `{ Fn::GetAtt }` of a construct's CloudFormation resource, as the template holds it. */
const logicalId = (construct: IConstruct) => stack.getLogicalId(construct.node.defaultChild as CfnElement);
const ref = (construct: IConstruct) => ({ Ref: logicalId(construct) });
const arnOf = (construct: IConstruct) => ({ 'Fn::GetAtt': [logicalId(construct), 'Arn'] });

type Statement = { Effect: string; Action: string | string[]; Resource: unknown; Principal?: unknown; Condition?: unknown };
function statementsOfRole(role: IConstruct): Statement[] {
  const policies = template.findResources('AWS::IAM::Policy', {
    Properties: { Roles: Match.arrayWith([ref(role)]) },
  });
  return Object.values(policies).flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[]);
}
const actionsOf = (statement: Statement) => [statement.Action].flat();
/** The topic policy statement with this Sid, exactly as synthesized. */
function topicStatement(sid: string): Statement & { Sid: string } {
  const policies = Object.values(template.findResources('AWS::SNS::TopicPolicy'));
  const statements = policies.flatMap((p) => p.Properties.PolicyDocument.Statement as (Statement & { Sid: string })[]);
  const found = statements.find((statement) => statement.Sid === sid);
  if (found === undefined) throw new Error(`no topic policy statement ${sid}`);
  return found;
}

describe('RevocationAuthorizer with default props', () => {
  describe('revocation table', () => {
    it('uses the key schema and change index from lambda/contract/table-schema.ts', () => {
      template.hasResourceProperties('AWS::DynamoDB::Table', {
        KeySchema: [{ AttributeName: REVOCATION_TABLE_SCHEMA.partitionKey.name, KeyType: 'HASH' }],
        AttributeDefinitions: Match.arrayWith([
          { AttributeName: REVOCATION_TABLE_SCHEMA.partitionKey.name, AttributeType: REVOCATION_TABLE_SCHEMA.partitionKey.type },
          {
            AttributeName: REVOCATION_TABLE_SCHEMA.changesIndex.partitionKey.name,
            AttributeType: REVOCATION_TABLE_SCHEMA.changesIndex.partitionKey.type,
          },
          {
            AttributeName: REVOCATION_TABLE_SCHEMA.changesIndex.sortKey.name,
            AttributeType: REVOCATION_TABLE_SCHEMA.changesIndex.sortKey.type,
          },
        ]),
        GlobalSecondaryIndexes: [
          Match.objectLike({
            IndexName: REVOCATION_TABLE_SCHEMA.changesIndex.name,
            KeySchema: [
              { AttributeName: REVOCATION_TABLE_SCHEMA.changesIndex.partitionKey.name, KeyType: 'HASH' },
              { AttributeName: REVOCATION_TABLE_SCHEMA.changesIndex.sortKey.name, KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: REVOCATION_TABLE_SCHEMA.changesIndex.projectionType },
          }),
        ],
      });
    });

    it('expires items through the TTL attribute', () => {
      template.hasResourceProperties('AWS::DynamoDB::Table', {
        TimeToLiveSpecification: { AttributeName: REVOCATION_TABLE_SCHEMA.timeToLiveAttribute, Enabled: true },
      });
    });

    it('is on-demand with point-in-time recovery', () => {
      template.hasResourceProperties('AWS::DynamoDB::Table', {
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      });
    });

    it('is retained when it leaves the stack', () => {
      template.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    });

    it('has deletion protection', () => {
      template.hasResourceProperties('AWS::DynamoDB::Table', { DeletionProtectionEnabled: true });
    });
  });

  describe('revocation topic', () => {
    it('is encrypted with the construct key, which rotates', () => {
      template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: arnOf(authorizer.encryptionKey) });
      template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    });

    it('refuses publishing without TLS', () => {
      template.hasResourceProperties('AWS::SNS::TopicPolicy', {
        Topics: [ref(authorizer.topic)],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Deny',
              Action: 'sns:Publish',
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            }),
          ]),
        },
      });
    });

    it('denies publishing to principals of every other account, AWS services excepted', () => {
      expect(topicStatement('DenyPublishFromOtherAccounts')).toEqual({
        Sid: 'DenyPublishFromOtherAccounts',
        Effect: 'Deny',
        Principal: '*',
        Action: 'sns:Publish',
        Resource: ref(authorizer.topic),
        Condition: {
          StringNotEquals: { 'aws:PrincipalAccount': [stack.account] },
          Bool: { 'aws:PrincipalIsAWSService': 'false' },
        },
      });
    });

    it('denies publishing to AWS services acting for any other account, or for none', () => {
      expect(topicStatement('DenyPublishByServicesForOtherAccounts')).toEqual({
        Sid: 'DenyPublishByServicesForOtherAccounts',
        Effect: 'Deny',
        Principal: '*',
        Action: 'sns:Publish',
        Resource: ref(authorizer.topic),
        Condition: {
          Bool: { 'aws:PrincipalIsAWSService': 'true' },
          StringNotEquals: { 'aws:SourceAccount': [stack.account] },
        },
      });
    });

    it('denies subscribing any endpoint but the ingest function, since messages may carry whole tokens', () => {
      expect(topicStatement('DenySubscribeExceptIngestFunction')).toEqual({
        Sid: 'DenySubscribeExceptIngestFunction',
        Effect: 'Deny',
        Principal: '*',
        Action: 'sns:Subscribe',
        Resource: ref(authorizer.topic),
        Condition: { StringNotEquals: { 'sns:Endpoint': arnOf(authorizer.ingestFunction) } },
      });
    });

    it('allows nothing to anyone in its topic policy', () => {
      const policies = Object.values(template.findResources('AWS::SNS::TopicPolicy'));
      const allows = policies.flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]).filter((s) => s.Effect === 'Allow');
      expect(allows).toEqual([]);
    });
  });

  describe('dead-letter queues', () => {
    it('encrypts both queues with the construct key and keeps messages 14 days', () => {
      for (const queue of [authorizer.deliveryDeadLetterQueue, authorizer.ingestFailureQueue]) {
        expect(template.toJSON().Resources[logicalId(queue)].Properties).toMatchObject({
          KmsMasterKeyId: arnOf(authorizer.encryptionKey),
          MessageRetentionPeriod: 14 * 24 * 3600,
        });
      }
    });

    it('takes 1 MiB messages in both queues, so the failure record of a full 256 KiB SNS message fits', () => {
      for (const queue of [authorizer.deliveryDeadLetterQueue, authorizer.ingestFailureQueue]) {
        expect(template.toJSON().Resources[logicalId(queue)].Properties.MaximumMessageSize).toBe(1_048_576);
      }
    });

    it('refuses non-TLS access to both queues', () => {
      for (const queue of [authorizer.deliveryDeadLetterQueue, authorizer.ingestFailureQueue]) {
        template.hasResourceProperties('AWS::SQS::QueuePolicy', {
          Queues: [ref(queue)],
          PolicyDocument: {
            Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]),
          },
        });
      }
    });

    it('lets SNS write the delivery DLQ only for this topic, and use the key for it', () => {
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [ref(authorizer.deliveryDeadLetterQueue)],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Allow',
              Principal: { Service: 'sns.amazonaws.com' },
              Action: 'sqs:SendMessage',
              Condition: { ArnEquals: { 'aws:SourceArn': ref(authorizer.topic) } },
            }),
          ]),
        },
      });
    });

    it('lets SNS use the key only on behalf of this account', () => {
      template.hasResourceProperties('AWS::KMS::Key', {
        KeyPolicy: {
          Statement: Match.arrayWith([
            {
              Sid: 'AllowSnsToWriteEncryptedDeadLetterQueue',
              Effect: 'Allow',
              Principal: { Service: 'sns.amazonaws.com' },
              Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
              Resource: '*',
              Condition: { StringEquals: { 'aws:SourceAccount': stack.account } },
            },
          ]),
        },
      });
    });
  });

  describe('ingest function', () => {
    it('runs the ingest bundle on nodejs22.x, arm64, 512 MiB, 30 s', () => {
      template.hasResourceProperties('AWS::Lambda::Function', {
        Handler: 'ingest.handler',
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        MemorySize: 512,
        Timeout: 30,
      });
    });

    it('is subscribed to the topic with a dead-letter queue for failed deliveries', () => {
      template.hasResourceProperties('AWS::SNS::Subscription', {
        Protocol: 'lambda',
        TopicArn: ref(authorizer.topic),
        Endpoint: arnOf(authorizer.ingestFunction),
        RedrivePolicy: { deadLetterTargetArn: arnOf(authorizer.deliveryDeadLetterQueue) },
      });
    });

    it('may be invoked by SNS for this topic only', () => {
      template.hasResourceProperties('AWS::Lambda::Permission', {
        FunctionName: arnOf(authorizer.ingestFunction),
        Principal: 'sns.amazonaws.com',
        SourceArn: ref(authorizer.topic),
      });
    });

    it('is capped at 5 concurrent executions', () => {
      template.hasResourceProperties('AWS::Lambda::Function', { Handler: 'ingest.handler', ReservedConcurrentExecutions: 5 });
    });

    it('retries twice, keeps events 6 hours, then sends them to the failure queue', () => {
      template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: ref(authorizer.ingestFunction),
        MaximumRetryAttempts: 2,
        MaximumEventAgeInSeconds: 6 * 3600,
        DestinationConfig: { OnFailure: { Destination: arnOf(authorizer.ingestFailureQueue) } },
      });
    });

    it('gets the table name, TTL settings and metric names', () => {
      template.hasResourceProperties('AWS::Lambda::Function', {
        Handler: 'ingest.handler',
        Environment: {
          Variables: {
            REVOCATION_TABLE_NAME: ref(authorizer.table),
            JWT_CLOCK_TOLERANCE_SECONDS: '60',
            JWT_MAX_TOKEN_LIFETIME_SECONDS: '86400',
            POWERTOOLS_SERVICE_NAME: 'revocation-ingest',
            POWERTOOLS_METRICS_NAMESPACE: 'RevocationAuthorizer',
            POWERTOOLS_LOG_LEVEL: 'INFO',
          },
        },
      });
    });

    it('may only UpdateItem on the table, besides its log group and failure queue', () => {
      const statements = statementsOfRole(authorizer.ingestFunction.role!);
      const dynamodb = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('dynamodb:')));
      expect(dynamodb).toEqual([{ Effect: 'Allow', Action: 'dynamodb:UpdateItem', Resource: arnOf(authorizer.table) }]);
      expect(statements.flatMap(actionsOf).sort()).toEqual(
        [
          'dynamodb:UpdateItem',
          'logs:CreateLogStream',
          'logs:PutLogEvents',
          'sqs:SendMessage',
          'sqs:GetQueueAttributes',
          'sqs:GetQueueUrl',
          'kms:Decrypt',
          'kms:Encrypt',
          'kms:ReEncrypt*',
          'kms:GenerateDataKey*',
        ].sort(),
      );
    });
  });

  describe('authorizer function', () => {
    it('runs the authorizer bundle on nodejs22.x, arm64, 1024 MiB, 10 s', () => {
      template.hasResourceProperties('AWS::Lambda::Function', {
        Handler: 'authorizer.handler',
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        MemorySize: 1024,
        Timeout: 10,
      });
    });

    it('has no reserved concurrency and no alias by default', () => {
      template.hasResourceProperties('AWS::Lambda::Function', {
        Handler: 'authorizer.handler',
        ReservedConcurrentExecutions: Match.absent(),
      });
      template.resourceCountIs('AWS::Lambda::Alias', 0);
      expect(authorizer.authorizerHandler).toBe(authorizer.authorizerFunction);
    });

    it('gets issuers, revocation settings and metric names from the props and their defaults', () => {
      template.hasResourceProperties('AWS::Lambda::Function', {
        Handler: 'authorizer.handler',
        Environment: {
          Variables: {
            JWT_ISSUERS: JSON.stringify([TEST_ISSUER]),
            JWT_CLIENT_CLAIM: 'client_id',
            JWT_SUBJECT_CLAIM: 'sub',
            JWT_SESSION_CLAIM: 'sid',
            JWT_ALGORITHMS: Match.absent(),
            JWT_CLOCK_TOLERANCE_SECONDS: '60',
            JWT_MAX_TOKEN_LIFETIME_SECONDS: '86400',
            REVOCATION_TABLE_NAME: ref(authorizer.table),
            REVOCATION_SYNC_INTERVAL_MS: '1000',
            REVOCATION_MAX_STALENESS_MS: '30000',
            REVOCATION_FAIL_MODE: 'closed',
            REVOCATION_CONSISTENCY: 'eventual',
            AUTHORIZER_RESPONSE_MODE: 'simple',
            POWERTOOLS_SERVICE_NAME: 'revocation-authorizer',
            POWERTOOLS_METRICS_NAMESPACE: 'RevocationAuthorizer',
            POWERTOOLS_LOG_LEVEL: 'INFO',
          },
        },
      });
    });

    it('may only Scan the table, Query its change index, get the change-head items and read the snapshot object, besides writing its log group', () => {
      const statements = statementsOfRole(authorizer.authorizerFunction.role!);
      expect(statements).toEqual([
        {
          Effect: 'Allow',
          Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          Resource: arnOf(authorizer.node.findChild('AuthorizerLogGroup')),
        },
        { Effect: 'Allow', Action: 'dynamodb:Scan', Resource: arnOf(authorizer.table) },
        {
          Effect: 'Allow',
          Action: 'dynamodb:Query',
          Resource: { 'Fn::Join': ['', [arnOf(authorizer.table), `/index/${REVOCATION_TABLE_SCHEMA.changesIndex.name}`]] },
        },
        {
          Effect: 'Allow',
          Action: 'dynamodb:GetItem',
          Resource: arnOf(authorizer.table),
          Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['head#*'] } },
        },
        {
          Effect: 'Allow',
          Action: 's3:GetObject',
          Resource: { 'Fn::Join': ['', [arnOf(authorizer.snapshotBucket!), '/revocations.snapshot']] },
        },
        { Effect: 'Allow', Action: 's3:ListBucket', Resource: arnOf(authorizer.snapshotBucket!) },
      ]);
    });

    it('packages only its own bundle, without its source map, and the ingest function only its own', () => {
      expect(assetFiles(stack, assemblyDirectory, authorizer.authorizerFunction)).toEqual(['authorizer.mjs']);
      expect(assetFiles(stack, assemblyDirectory, authorizer.ingestFunction)).toEqual(['ingest.mjs']);
    });

    it('packages each bundle with its source map when includeSourceMaps is set', () => {
      const withMaps = authorizerStack(bundles.directory, { includeSourceMaps: true });
      const directory = withMaps.app.synth().directory;
      expect(assetFiles(withMaps.stack, directory, withMaps.authorizer.authorizerFunction)).toEqual([
        'authorizer.mjs',
        'authorizer.mjs.map',
      ]);
      expect(assetFiles(withMaps.stack, directory, withMaps.authorizer.ingestFunction)).toEqual(['ingest.mjs', 'ingest.mjs.map']);
    });
  });

  describe('IAM', () => {
    it('grants no wildcard action in any identity policy', () => {
      const actions = Object.values(template.findResources('AWS::IAM::Policy')).flatMap((policy) =>
        (policy.Properties.PolicyDocument.Statement as Statement[]).flatMap(actionsOf),
      );
      expect(actions.length).toBeGreaterThan(0);
      expect(actions.filter((action) => action === '*' || action.endsWith(':*'))).toEqual([]);
    });

    it('scopes every DynamoDB statement to the table or its index', () => {
      const statements = Object.values(template.findResources('AWS::IAM::Policy'))
        .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[])
        .filter((s) => actionsOf(s).some((a) => a.startsWith('dynamodb:')));
      expect(statements.length).toBeGreaterThan(0);
      for (const statement of statements) {
        const resources = [statement.Resource].flat();
        for (const resource of resources) expect(JSON.stringify(resource)).toContain(logicalId(authorizer.table));
      }
    });

    it('attaches no managed policy (not even AWSLambdaBasicExecutionRole) to the function roles', () => {
      for (const fn of [authorizer.authorizerFunction, authorizer.ingestFunction]) {
        const role = template.toJSON().Resources[logicalId(fn.role!)];
        expect(role.Properties.ManagedPolicyArns).toBeUndefined();
      }
    });
  });

  describe('logs', () => {
    it('keeps every function’s logs one month', () => {
      template.resourcePropertiesCountIs('AWS::Logs::LogGroup', { RetentionInDays: 30 }, 3);
    });
  });

  describe('alarms', () => {
    const lambdaAlarm = (fn: IConstruct, metricName: string, statistic: string, threshold: number, evaluationPeriods = 1) =>
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/Lambda',
        MetricName: metricName,
        Dimensions: [{ Name: 'FunctionName', Value: ref(fn) }],
        ...(statistic.startsWith('p') ? { ExtendedStatistic: statistic } : { Statistic: statistic }),
        Threshold: threshold,
        EvaluationPeriods: evaluationPeriods,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      });

    it('alarms on a message in either dead-letter queue, keeping its state while SQS sends no data', () => {
      for (const queue of [authorizer.deliveryDeadLetterQueue, authorizer.ingestFailureQueue]) {
        template.hasResourceProperties('AWS::CloudWatch::Alarm', {
          Namespace: 'AWS/SQS',
          MetricName: 'ApproximateNumberOfMessagesVisible',
          Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalId(queue), 'QueueName'] } }],
          Threshold: 1,
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
          TreatMissingData: 'ignore',
        });
      }
    });

    it('alarms on ingest errors', () => {
      lambdaAlarm(authorizer.ingestFunction, 'Errors', 'Sum', 1);
    });

    it('alarms when Lambda fails to write a failure record to the queue', () => {
      lambdaAlarm(authorizer.ingestFunction, 'DestinationDeliveryFailures', 'Sum', 1);
    });

    it('alarms when Lambda drops an ingest event', () => {
      lambdaAlarm(authorizer.ingestFunction, 'AsyncEventsDropped', 'Sum', 1);
    });

    it('alarms when ingest events wait over 5 minutes', () => {
      lambdaAlarm(authorizer.ingestFunction, 'AsyncEventAge', 'Maximum', 300_000);
    });

    it('alarms when the ingest is throttled for 15 minutes in a row', () => {
      lambdaAlarm(authorizer.ingestFunction, 'Throttles', 'Sum', 1, 3);
    });

    it('alarms on authorizer throttles', () => {
      lambdaAlarm(authorizer.authorizerFunction, 'Throttles', 'Sum', 1);
    });

    it('alarms when the authorizer p99 duration nears the 10 s API Gateway waits', () => {
      lambdaAlarm(authorizer.authorizerFunction, 'Duration', 'p99', 8000);
    });

    it('alarms on authorizer infrastructure failures from the EMF metric, not on Lambda Errors (a REST Unauthorized is one)', () => {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'RevocationAuthorizer',
        MetricName: 'InfrastructureFailures',
        Dimensions: [{ Name: 'service', Value: 'revocation-authorizer' }],
        Statistic: 'Sum',
        Threshold: 1,
      });
      template.resourcePropertiesCountIs(
        'AWS::CloudWatch::Alarm',
        { MetricName: 'Errors', Dimensions: [{ Name: 'FunctionName', Value: ref(authorizer.authorizerFunction) }] },
        0,
      );
    });

    it('alarms on read or write throttling of the table and of its changes index', () => {
      const tableName = ref(authorizer.table);
      const throttleAlarm = (id: string, dimensions: object[]) =>
        template.hasResourceProperties('AWS::CloudWatch::Alarm', {
          Metrics: Match.arrayWith([
            Match.objectLike({ Expression: `FILL(${id}Reads, 0) + FILL(${id}Writes, 0)` }),
            Match.objectLike({
              Id: `${id}Reads`,
              MetricStat: Match.objectLike({
                Metric: { Namespace: 'AWS/DynamoDB', MetricName: 'ReadThrottleEvents', Dimensions: dimensions },
              }),
            }),
            Match.objectLike({
              Id: `${id}Writes`,
              MetricStat: Match.objectLike({
                Metric: { Namespace: 'AWS/DynamoDB', MetricName: 'WriteThrottleEvents', Dimensions: dimensions },
              }),
            }),
          ]),
          Threshold: 1,
        });
      throttleAlarm('table', [{ Name: 'TableName', Value: tableName }]);
      throttleAlarm('index', [
        { Name: 'GlobalSecondaryIndexName', Value: REVOCATION_TABLE_SCHEMA.changesIndex.name },
        { Name: 'TableName', Value: tableName },
      ]);
    });

    it('alarms when the revocation view grows older than half the allowed staleness', () => {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'RevocationAuthorizer',
        MetricName: 'RevocationSyncLagMs',
        Dimensions: [{ Name: 'service', Value: 'revocation-authorizer' }],
        Statistic: 'Maximum',
        Threshold: 15_000,
      });
    });

    it('has no fail-open or spillover alarm without fail-open or provisioned concurrency', () => {
      template.resourcePropertiesCountIs('AWS::CloudWatch::Alarm', { MetricName: 'FailOpenAllows' }, 0);
      template.resourcePropertiesCountIs('AWS::CloudWatch::Alarm', { MetricName: 'ProvisionedConcurrencySpilloverInvocations' }, 0);
      template.resourceCountIs('AWS::CloudWatch::Alarm', 14);
      expect(authorizer.alarms).toHaveLength(14);
    });
  });

  describe('dashboard', () => {
    const body = () => JSON.stringify(template.toJSON().Resources[logicalId(authorizer.dashboard)].Properties.DashboardBody);

    it('charts decisions by reason, revocations applied by kind and cold starts from the EMF metrics', () => {
      const text = body();
      for (const metricName of ['Decisions', 'RevocationsApplied', 'MessagesRejected', 'ColdStart']) {
        expect(text).toContain(`MetricName=\\\\\\"${metricName}\\\\\\"`);
      }
      expect(text).toContain("PROP('Dim.reason')");
      expect(text).toContain("PROP('Dim.kind')");
    });

    it('charts the revocation view age against maxStaleness', () => {
      const text = body();
      expect(text).toContain('\\"RevocationAuthorizer\\",\\"RevocationSyncLagMs\\",\\"service\\",\\"revocation-authorizer\\"');
      expect(text).toContain('\\"value\\":30000,\\"label\\":\\"maxStaleness\\"');
    });
  });

  it('states the worst-case revocation delay: no cache plus a 1 s sync interval', () => {
    expect(authorizer.resultsCacheTtl.toSeconds()).toBe(0);
    expect(authorizer.worstCaseRevocationDelay.toMilliseconds()).toBe(1000);
  });
});

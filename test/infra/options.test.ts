import { Duration, RemovalPolicy, type CfnElement, type Stack } from 'aws-cdk-lib';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpUrlIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import type { IConstruct } from 'constructs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RevocationAuthorizer } from '../../infra/revocation-authorizer.js';
import { authorizerStack, createStubBundles, TEST_ISSUER } from './support/stacks.js';

const SECOND_ISSUER = {
  issuer: 'https://login.test.example/tenant/v2.0',
  jwksUri: 'https://login.test.example/tenant/discovery/v2.0/keys',
  audience: ['api://one', 'api://two'],
  algorithms: ['ES256'],
  clientClaim: 'azp',
  subjectClaim: 'sub',
  sessionClaim: 'sid',
} as const;

const EXTENSION_LAYER_ARN = 'arn:aws:lambda:eu-west-1:111111111111:layer:observability-extension:3';

let bundles: ReturnType<typeof createStubBundles>;
let stack: Stack;
let authorizer: RevocationAuthorizer;
let opsTopic: sns.Topic;
let template: Template;

// Every non-default prop in one stack: one synthesis covers them all.
beforeAll(() => {
  bundles = createStubBundles();
  ({ stack, authorizer } = authorizerStack(bundles.directory, (scope) => ({
    issuers: [TEST_ISSUER, SECOND_ISSUER],
    algorithms: ['RS256', 'ES256'],
    clientClaim: 'cid',
    subjectClaim: 'entity_id',
    sessionClaim: 'origin_jti',
    clockTolerance: Duration.seconds(30),
    maxTokenLifetime: Duration.hours(12),
    syncInterval: Duration.seconds(2),
    maxStaleness: Duration.minutes(1),
    failMode: 'open',
    consistency: 'strong',
    resultsCacheTtl: Duration.minutes(5),
    httpResponseType: 'iam',
    reservedConcurrentExecutions: 50,
    provisionedConcurrentExecutions: 5,
    ingestReservedConcurrentExecutions: 2,
    functionOptions: {
      tracing: lambda.Tracing.ACTIVE,
      layers: [lambda.LayerVersion.fromLayerVersionArn(scope, 'Extension', EXTENSION_LAYER_ARN)],
    },
    authorizerMemorySize: 1769,
    authorizerEnvironment: { JWT_TYP_REQUIRED: 'true' },
    ingestEnvironment: { INGEST_WRITE_CONCURRENCY: '8' },
    logLevel: 'DEBUG',
    logRetention: logs.RetentionDays.ONE_WEEK,
    metricsNamespace: 'Team/Auth',
    dashboardName: 'auth-ops',
    tableName: 'revocations-prod',
    tableRemovalPolicy: RemovalPolicy.DESTROY,
    topicName: 'revocations',
  })));
  opsTopic = new sns.Topic(stack, 'OpsTopic');
  for (const alarm of authorizer.alarms) alarm.addAlarmAction(new SnsAction(opsTopic));
  const api = new apigwv2.HttpApi(stack, 'Api');
  api.addRoutes({
    path: '/items',
    methods: [apigwv2.HttpMethod.GET],
    integration: new HttpUrlIntegration('Backend', 'https://backend.test.example/'),
    authorizer: authorizer.httpAuthorizer,
  });
  template = Template.fromStack(stack);
});
afterAll(() => bundles.remove());

const logicalId = (construct: IConstruct) => stack.getLogicalId(construct.node.defaultChild as CfnElement);

describe('RevocationAuthorizer with every prop set', () => {
  it('passes several issuers as JWT_ISSUERS JSON, with per-issuer algorithms, client, subject and session claims', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'authorizer.handler',
      Environment: {
        Variables: Match.objectLike({
          JWT_ISSUERS: JSON.stringify([TEST_ISSUER, SECOND_ISSUER]),
          JWT_ALGORITHMS: 'RS256,ES256',
          JWT_CLIENT_CLAIM: 'cid',
          JWT_SUBJECT_CLAIM: 'entity_id',
          JWT_SESSION_CLAIM: 'origin_jti',
        }),
      },
    });
  });

  it('passes the revocation, token and logging settings to the authorizer', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'authorizer.handler',
      MemorySize: 1769,
      Environment: {
        Variables: Match.objectLike({
          JWT_CLOCK_TOLERANCE_SECONDS: '30',
          JWT_MAX_TOKEN_LIFETIME_SECONDS: '43200',
          REVOCATION_SYNC_INTERVAL_MS: '2000',
          REVOCATION_MAX_STALENESS_MS: '60000',
          REVOCATION_FAIL_MODE: 'open',
          REVOCATION_CONSISTENCY: 'strong',
          POWERTOOLS_METRICS_NAMESPACE: 'Team/Auth',
          POWERTOOLS_LOG_LEVEL: 'DEBUG',
          JWT_TYP_REQUIRED: 'true',
        }),
      },
    });
  });

  it('gives the ingest function the same TTL settings and its extra variables', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'ingest.handler',
      Environment: {
        Variables: Match.objectLike({
          JWT_CLOCK_TOLERANCE_SECONDS: '30',
          JWT_MAX_TOKEN_LIFETIME_SECONDS: '43200',
          INGEST_WRITE_CONCURRENCY: '8',
        }),
      },
    });
  });

  it('reserves concurrency for the authorizer', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'authorizer.handler',
      ReservedConcurrentExecutions: 50,
    });
  });

  it('provisions concurrency on a live alias, which API Gateway invokes', () => {
    template.hasResourceProperties('AWS::Lambda::Alias', {
      Name: 'live',
      ProvisionedConcurrencyConfig: { ProvisionedConcurrentExecutions: 5 },
    });
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerUri: Match.objectLike({ 'Fn::Join': ['', Match.arrayWith([{ Ref: logicalId(authorizer.authorizerHandler) }])] }),
      AuthorizerResultTtlInSeconds: 300,
    });
    template.hasResourceProperties('AWS::Lambda::Permission', {
      FunctionName: { Ref: logicalId(authorizer.authorizerHandler) },
      Principal: 'apigateway.amazonaws.com',
    });
  });

  it('grants GetItem and BatchGetItem on the table for strong consistency', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: logicalId(authorizer.authorizerFunction.role!) }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Effect: 'Allow',
            // cdk.json's minimizePolicies merges them with Scan on the same table.
            Action: Match.arrayWith(['dynamodb:BatchGetItem', 'dynamodb:GetItem']),
            Resource: { 'Fn::GetAtt': [logicalId(authorizer.table), 'Arn'] },
          },
        ]),
      },
    });
  });

  it('creates HTTP API authorizers expecting IAM policies, and tells the function to answer with them', () => {
    // CDK's HttpLambdaAuthorizer creates an IAM-response authorizer with payload 1.0, whose answer
    // is always a policy; the variable makes payload 2.0 answers policies too.
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerPayloadFormatVersion: '1.0',
      EnableSimpleResponses: Match.absent(),
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'authorizer.handler',
      Environment: { Variables: Match.objectLike({ AUTHORIZER_RESPONSE_MODE: 'iam' }) },
    });
  });

  it('caps the ingest function at the given concurrency', () => {
    template.hasResourceProperties('AWS::Lambda::Function', { Handler: 'ingest.handler', ReservedConcurrentExecutions: 2 });
  });

  it('passes tracing and layers through to both functions', () => {
    for (const handler of ['authorizer.handler', 'ingest.handler']) {
      template.hasResourceProperties('AWS::Lambda::Function', {
        Handler: handler,
        TracingConfig: { Mode: 'Active' },
        Layers: [EXTENSION_LAYER_ARN],
      });
    }
  });

  it('alarms when requests spill over the provisioned concurrency', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ProvisionedConcurrencySpilloverInvocations',
      Dimensions: Match.arrayWith([{ Name: 'Resource', Value: Match.anyValue() }]),
      Statistic: 'Sum',
      Threshold: 1,
    });
  });

  it('drops deletion protection when the table is to be deleted with the stack', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', { DeletionProtectionEnabled: false });
  });

  it('adds a fail-open alarm when failing open', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'Team/Auth',
      MetricName: 'FailOpenAllows',
      Dimensions: [{ Name: 'service', Value: 'revocation-authorizer' }],
      Threshold: 1,
    });
    expect(authorizer.alarms).toHaveLength(15);
  });

  it('warns at synth time that failing open lets revoked tokens through', () => {
    Annotations.fromStack(stack).hasWarning('*', Match.stringLikeRegexp("failMode is 'open'"));
  });

  it('reads its EMF metrics from the chosen namespace and scales the lag alarm to maxStaleness', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'Team/Auth',
      MetricName: 'RevocationSyncLagMs',
      Threshold: 30_000,
    });
  });

  it('notifies the alarm action from every alarm', () => {
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'));
    expect(alarms).toHaveLength(15);
    for (const alarm of alarms) expect(alarm.Properties.AlarmActions).toEqual([{ Ref: logicalId(opsTopic) }]);
  });

  it('names the table, topic and dashboard, and deletes the table with the stack when told to', () => {
    template.hasResource('AWS::DynamoDB::Table', {
      Properties: Match.objectLike({ TableName: 'revocations-prod' }),
      DeletionPolicy: 'Delete',
    });
    template.hasResourceProperties('AWS::SNS::Topic', { TopicName: 'revocations' });
    template.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: 'auth-ops' });
    template.resourcePropertiesCountIs('AWS::Logs::LogGroup', { RetentionInDays: 7 }, 2);
  });

  it('adds the cache TTL to the worst-case revocation delay', () => {
    expect(authorizer.worstCaseRevocationDelay.toMilliseconds()).toBe(300_000 + 2000);
  });
});

describe('RevocationAuthorizer with an imported key', () => {
  it('encrypts the topic and queues with it, and warns that its key policy must admit SNS', () => {
    const keyArn = 'arn:aws:kms:eu-west-1:111111111111:key/00000000-0000-0000-0000-000000000000';
    const built = authorizerStack(bundles.directory, (scope) => ({ encryptionKey: kms.Key.fromKeyArn(scope, 'ImportedKey', keyArn) }));
    const imported = Template.fromStack(built.stack);
    imported.resourceCountIs('AWS::KMS::Key', 0);
    imported.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: keyArn });
    imported.resourcePropertiesCountIs('AWS::SQS::Queue', { KmsMasterKeyId: keyArn }, 2);
    Annotations.fromStack(built.stack).hasWarning('*', Match.stringLikeRegexp('sns.amazonaws.com'));
  });
});

describe('RevocationAuthorizer with an existing table and topic', () => {
  it('subscribes to the topic and grants on the table without creating either, and warns that the topic policy is the owner’s', () => {
    const tableArn = 'arn:aws:dynamodb:eu-west-1:111111111111:table/revocations-restored';
    const topicArn = 'arn:aws:sns:eu-west-1:111111111111:revocations';
    const built = authorizerStack(bundles.directory, (scope) => ({
      existingTable: dynamodb.Table.fromTableArn(scope, 'Restored', tableArn),
      existingTopic: sns.Topic.fromTopicArn(scope, 'SharedTopic', topicArn),
    }));
    const adopted = Template.fromStack(built.stack);
    adopted.resourceCountIs('AWS::DynamoDB::Table', 0);
    adopted.resourceCountIs('AWS::SNS::Topic', 0);
    adopted.hasResourceProperties('AWS::SNS::Subscription', { TopicArn: topicArn, Protocol: 'lambda' });
    adopted.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'authorizer.handler',
      Environment: { Variables: Match.objectLike({ REVOCATION_TABLE_NAME: 'revocations-restored' }) },
    });
    Annotations.fromStack(built.stack).hasWarning('*', Match.stringLikeRegexp('existingTopic is imported'));
  });
});

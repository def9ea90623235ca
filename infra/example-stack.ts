import { Aws, CfnOutput, Duration, Lazy, Stack, type StackProps } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Construct } from 'constructs';
import type { RevocationAuthorizerProps } from './props.js';
import { acknowledgeNag, RevocationAuthorizer } from './revocation-authorizer.js';

/** Props of {@link RevocationAuthorizerExampleStack}. */
export interface RevocationAuthorizerExampleStackProps extends StackProps {
  readonly authorizer: RevocationAuthorizerProps;
  /**
   * Subscribe this address to every alarm (through a new topic).
   * @default - no notification
   */
  readonly alarmEmail?: string | undefined;
}

// Echoes what the authorizer passed on, like the local stack's backend: proof a request got through.
const ECHO_HANDLER = `
exports.handler = async (event) => ({
  statusCode: 200,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ path: event.rawPath, authorizer: event.requestContext.authorizer ?? null }),
});
`;

/** An HTTP API whose every route is protected by a RevocationAuthorizer, in front of an echo function. */
export class RevocationAuthorizerExampleStack extends Stack {
  readonly authorizer: RevocationAuthorizer;
  readonly api: apigwv2.HttpApi;
  /** Where every alarm notifies, with `alarmEmail`. */
  readonly alarmTopic: sns.Topic | undefined;

  constructor(scope: Construct, id: string, props: RevocationAuthorizerExampleStackProps) {
    super(scope, id, props);

    this.authorizer = new RevocationAuthorizer(this, 'RevocationAuthorizer', props.authorizer);

    const echoLogGroup = new logs.LogGroup(this, 'EchoLogGroup', { retention: logs.RetentionDays.ONE_WEEK });
    // Like the construct's functions: a role that may only write its own log group, rather than
    // the managed AWSLambdaBasicExecutionRole (any log group of the account).
    const echoRole = new iam.Role(this, 'EchoRole', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    echoLogGroup.grantWrite(echoRole);
    const echo = new lambda.Function(this, 'EchoFunction', {
      description: 'Example backend: echoes the authorizer context',
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      handler: 'index.handler',
      code: lambda.Code.fromInline(ECHO_HANDLER),
      memorySize: 128,
      timeout: Duration.seconds(3),
      role: echoRole,
      logGroup: echoLogGroup,
    });
    acknowledgeNag(echo, 'AwsSolutions-L1', 'The example backend runs on the same nodejs22.x as the authorizer it demonstrates');

    this.api = new apigwv2.HttpApi(this, 'HttpApi', {
      description: 'Example API protected by the revocation-aware JWT authorizer',
      // Every route added without an explicit authorizer gets this one.
      defaultAuthorizer: this.authorizer.httpAuthorizer,
      // The stage below, with access logs.
      createDefaultStage: false,
    });
    new apigwv2.HttpStage(this, 'DefaultStage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      accessLogSettings: {
        destination: new apigwv2.LogGroupLogDestination(
          new logs.LogGroup(this, 'AccessLogGroup', { retention: logs.RetentionDays.ONE_MONTH }),
        ),
        // Who was refused and why, next to each request: the authorizer's error and status.
        format: apigw.AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            routeKey: '$context.routeKey',
            status: '$context.status',
            authorizerError: '$context.authorizer.error',
            authorizerStatus: '$context.authorizer.status',
            latencyMs: '$context.responseLatency',
          }),
        ),
      },
    });
    this.api.addRoutes({
      path: '/{proxy+}',
      methods: [apigwv2.HttpMethod.ANY],
      integration: new HttpLambdaIntegration('EchoIntegration', echo),
    });

    this.alarmTopic = props.alarmEmail === undefined ? undefined : this.notifyAlarms(props.alarmEmail);

    new CfnOutput(this, 'ApiUrl', {
      value: this.api.apiEndpoint,
      description: 'Call e.g. GET <ApiUrl>/hello with Authorization: Bearer <JWT>',
    });
    new CfnOutput(this, 'TopicArn', {
      value: this.authorizer.topic.topicArn,
      description: 'Publish revocations here (REVOCATION_TOPIC_ARN for npm run revoke)',
    });
    new CfnOutput(this, 'TableName', { value: this.authorizer.table.tableName, description: 'The revocation table' });
    new CfnOutput(this, 'AuthorizerFunctionArn', {
      value: this.authorizer.authorizerHandler.functionArn,
      description: 'What an API Gateway authorizer outside this stack should invoke',
    });
    new CfnOutput(this, 'DashboardName', { value: this.authorizer.dashboard.dashboardName });
    new CfnOutput(this, 'KeyArn', {
      value: this.authorizer.encryptionKey.keyArn,
      description: 'KMS key of the topic and queues: publishers need kms:GenerateDataKey* and kms:Decrypt on it',
    });
    new CfnOutput(this, 'DeliveryDeadLetterQueueUrl', {
      value: this.authorizer.deliveryDeadLetterQueue.queueUrl,
      description: 'Revocations SNS could not deliver to the ingest function (see Operating it in docs/deploy.md)',
    });
    new CfnOutput(this, 'IngestFailureQueueUrl', {
      value: this.authorizer.ingestFailureQueue.queueUrl,
      description: 'Revocation events the ingest function failed on after its retries',
    });
    new CfnOutput(this, 'WorstCaseRevocationDelay', {
      // Lazy: authorizers created after this line with a longer cache TTL count too.
      value: Lazy.string({ produce: () => this.authorizer.worstCaseRevocationDelay.toHumanString() }),
      description: props.authorizer.changeFeed
        ? 'Bound: longest decision cache TTL + sync interval + the feed max lag (REVOCATION_FEED_MAX_LAG_MS), while the table is readable; typically TTL + sync interval + the feed writer step (1 s)'
        : 'Longest decision cache TTL + sync interval, while the table is readable',
    });
  }

  /**
   * An alarm topic with an e-mail subscription. `enforceSSL` gives the topic a policy of its own,
   * which replaces SNS's default one, so CloudWatch needs an explicit Allow; scoped to this
   * account's alarms (aws:SourceAccount, aws:SourceArn) against a confused deputy.
   */
  private notifyAlarms(email: string): sns.Topic {
    const topic = new sns.Topic(this, 'AlarmTopic', { displayName: 'Revocation authorizer alarms', enforceSSL: true });
    topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarmsOfThisAccount',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [topic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
          ArnLike: { 'aws:SourceArn': `arn:${Aws.PARTITION}:cloudwatch:${Aws.REGION}:${Aws.ACCOUNT_ID}:alarm:*` },
        },
      }),
    );
    topic.addSubscription(new subscriptions.EmailSubscription(email));
    const action = new cloudwatchActions.SnsAction(topic);
    for (const alarm of this.authorizer.alarms) alarm.addAlarmAction(action);
    return topic;
  }
}

import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { RevocationAuthorizer, type RevocationAuthorizerProps } from './revocation-authorizer.js';

/** Props of {@link RevocationAuthorizerExampleStack}. */
export interface RevocationAuthorizerExampleStackProps extends StackProps {
  readonly authorizer: RevocationAuthorizerProps;
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

  constructor(scope: Construct, id: string, props: RevocationAuthorizerExampleStackProps) {
    super(scope, id, props);

    this.authorizer = new RevocationAuthorizer(this, 'RevocationAuthorizer', props.authorizer);

    const echo = new lambda.Function(this, 'EchoFunction', {
      description: 'Example backend: echoes the authorizer context',
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      handler: 'index.handler',
      code: lambda.Code.fromInline(ECHO_HANDLER),
      memorySize: 128,
      timeout: Duration.seconds(3),
      logGroup: new logs.LogGroup(this, 'EchoLogGroup', { retention: logs.RetentionDays.ONE_WEEK }),
    });

    this.api = new apigwv2.HttpApi(this, 'HttpApi', {
      description: 'Example API protected by the revocation-aware JWT authorizer',
      // Every route added without an explicit authorizer gets this one.
      defaultAuthorizer: this.authorizer.httpAuthorizer,
    });
    this.api.addRoutes({
      path: '/{proxy+}',
      methods: [apigwv2.HttpMethod.ANY],
      integration: new HttpLambdaIntegration('EchoIntegration', echo),
    });

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
    new CfnOutput(this, 'WorstCaseRevocationDelay', {
      value: this.authorizer.worstCaseRevocationDelay.toHumanString(),
      description: 'Decision cache TTL + sync interval, while the table is readable',
    });
  }
}

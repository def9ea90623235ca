import { Duration, type CfnElement, type Stack } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpUrlIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RevocationAuthorizerPropsError } from '../../infra/props-error.js';
import type { RevocationAuthorizer } from '../../infra/revocation-authorizer.js';
import { authorizerStack, createStubBundles } from './support/stacks.js';

let bundles: ReturnType<typeof createStubBundles>;
let stack: Stack;
let authorizer: RevocationAuthorizer;
let firstApi: apigwv2.HttpApi;
let secondApi: apigwv2.HttpApi;
let restApi: apigw.RestApi;
let template: Template;

beforeAll(() => {
  bundles = createStubBundles();
  ({ stack, authorizer } = authorizerStack(bundles.directory));
  const integration = () => new HttpUrlIntegration('Backend', 'https://backend.test.example/');

  firstApi = new apigwv2.HttpApi(stack, 'FirstApi');
  firstApi.addRoutes({
    path: '/items',
    methods: [apigwv2.HttpMethod.GET],
    integration: integration(),
    authorizer: authorizer.httpAuthorizer,
  });

  secondApi = new apigwv2.HttpApi(stack, 'SecondApi');
  secondApi.addRoutes({
    path: '/items',
    methods: [apigwv2.HttpMethod.GET],
    integration: integration(),
    authorizer: authorizer.createHttpAuthorizer('SecondApiAuthorizer', { resultsCacheTtl: Duration.seconds(60) }),
  });

  // An API created outside this app, as docs/deploy.md shows.
  const existing = apigwv2.HttpApi.fromHttpApiAttributes(stack, 'ExistingApi', { httpApiId: 'existing123' });
  new apigwv2.HttpRoute(stack, 'ExistingRoute', {
    httpApi: existing,
    routeKey: apigwv2.HttpRouteKey.with('/orders', apigwv2.HttpMethod.GET),
    integration: integration(),
    authorizer: authorizer.createHttpAuthorizer('ExistingApiAuthorizer'),
  });

  restApi = new apigw.RestApi(stack, 'RestApi');
  const backend = new apigw.HttpIntegration('https://backend.test.example/');
  restApi.root.addResource('token').addMethod('GET', backend, {
    authorizer: authorizer.createRestTokenAuthorizer('TokenAuthorizer'),
  });
  restApi.root.addResource('request').addMethod('GET', backend, {
    authorizer: authorizer.createRestRequestAuthorizer('RequestAuthorizer', { resultsCacheTtl: Duration.minutes(5) }),
  });

  template = Template.fromStack(stack);
});
afterAll(() => bundles.remove());

const logicalId = (construct: IConstruct) => stack.getLogicalId(construct.node.defaultChild as CfnElement);
const functionArn = () => ({ 'Fn::GetAtt': [logicalId(authorizer.authorizerFunction), 'Arn'] });

describe('RevocationAuthorizer.httpAuthorizer', () => {
  it('is a Lambda REQUEST authorizer with simple responses, payload 2.0 and no result cache', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      ApiId: { Ref: logicalId(firstApi) },
      AuthorizerType: 'REQUEST',
      EnableSimpleResponses: true,
      AuthorizerPayloadFormatVersion: '2.0',
      IdentitySource: ['$request.header.Authorization'],
      AuthorizerResultTtlInSeconds: 0,
      AuthorizerUri: Match.objectLike({ 'Fn::Join': ['', Match.arrayWith([functionArn()])] }),
    });
  });

  it('protects the route it is attached to', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
      ApiId: { Ref: logicalId(firstApi) },
      RouteKey: 'GET /items',
      AuthorizationType: 'CUSTOM',
      AuthorizerId: Match.anyValue(),
    });
  });

  it('lets API Gateway invoke the function only through this API’s authorizer', () => {
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      FunctionName: functionArn(),
      Principal: 'apigateway.amazonaws.com',
      SourceArn: Match.objectLike({
        'Fn::Join': ['', Match.arrayWith([{ Ref: logicalId(firstApi) }, Match.stringLikeRegexp('/authorizers/')])],
      }),
    });
  });
});

describe('RevocationAuthorizer.createHttpAuthorizer', () => {
  it('attaches the same function to a second HTTP API with its own cache TTL', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      ApiId: { Ref: logicalId(secondApi) },
      Name: 'SecondApiAuthorizer',
      EnableSimpleResponses: true,
      AuthorizerResultTtlInSeconds: 60,
    });
  });

  it('attaches to an HTTP API created outside the app', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      ApiId: 'existing123',
      Name: 'ExistingApiAuthorizer',
      AuthorizerResultTtlInSeconds: 0,
    });
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
      ApiId: 'existing123',
      RouteKey: 'GET /orders',
      AuthorizationType: 'CUSTOM',
    });
  });

  it('throws when the cache TTL is beyond API Gateway’s hour', () => {
    expect(() => authorizer.createHttpAuthorizer('TooLong', { resultsCacheTtl: Duration.hours(2) })).toThrow(
      RevocationAuthorizerPropsError,
    );
  });
});

describe('RevocationAuthorizer.createRestTokenAuthorizer', () => {
  it('creates a TOKEN authorizer on the Authorization header with no result cache', () => {
    template.hasResourceProperties('AWS::ApiGateway::Authorizer', {
      RestApiId: { Ref: logicalId(restApi) },
      Type: 'TOKEN',
      IdentitySource: 'method.request.header.Authorization',
      AuthorizerResultTtlInSeconds: 0,
      AuthorizerUri: Match.objectLike({ 'Fn::Join': ['', Match.arrayWith([functionArn()])] }),
    });
  });
});

describe('RevocationAuthorizer.createRestRequestAuthorizer', () => {
  it('creates a REQUEST authorizer on the Authorization header with the requested cache TTL', () => {
    template.hasResourceProperties('AWS::ApiGateway::Authorizer', {
      RestApiId: { Ref: logicalId(restApi) },
      Type: 'REQUEST',
      IdentitySource: 'method.request.header.Authorization',
      AuthorizerResultTtlInSeconds: 300,
    });
  });

  it('guards each REST method with a custom authorizer', () => {
    template.resourcePropertiesCountIs('AWS::ApiGateway::Method', { AuthorizationType: 'CUSTOM' }, 2);
  });
});

describe('RevocationAuthorizer.worstCaseRevocationDelay', () => {
  it('counts the longest cache TTL of the authorizers created, here the REST REQUEST authorizer’s 5 minutes', () => {
    expect(authorizer.worstCaseRevocationDelay.toMilliseconds()).toBe(300_000 + 1000);
  });
});

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack, Validations, type CfnElement } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpUrlIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readAppSettings } from '../../infra/app-settings.js';
import { RevocationAuthorizerExampleStack } from '../../infra/example-stack.js';
import { RevocationAuthorizerReplica } from '../../infra/revocation-authorizer-replica.js';
import { RevocationAuthorizer } from '../../infra/revocation-authorizer.js';
import { CDK_JSON_CONTEXT, createStubBundles, TEST_ACCOUNT, TEST_ISSUER } from './support/stacks.js';

/**
 * The example app and an app doing everything docs/deploy.md shows, each synthesized once with
 * cdk-nag's AwsSolutionsChecks (every finding fixed or acknowledged in code with its reason) and
 * then checked by cfn-lint when the machine has it.
 */
const ENV = { account: TEST_ACCOUNT, region: 'eu-west-1' };
const ORGANIZATION = 'o-a1b2c3d4e5';

let bundles: ReturnType<typeof createStubBundles>;
const outdirs: string[] = [];
let example: { stack: Stack; templates: string[]; nagError: unknown };
let usages: {
  authStack: Stack;
  apiStack: Stack;
  revocation: RevocationAuthorizer;
  restApi: apigw.RestApi;
  templates: string[];
  nagError: unknown;
};
let multiRegion: { templates: string[]; nagError: unknown };

/** Synthesizes with cdk-nag; a finding makes synth throw, with the report in the assembly. */
function synthesizeWithNag(app: App, outdir: string): { templates: string[]; nagError: unknown } {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  let nagError: unknown;
  try {
    app.synth();
  } catch (error) {
    const report = join(outdir, 'validation-report.json');
    nagError = existsSync(report) ? readFileSync(report, 'utf8') : error;
  }
  const templates = app.node.children.filter(Stack.isStack).map((stack) => join(outdir, stack.templateFile));
  return { templates, nagError };
}

/** A stack's template as synthesized with cdk-nag (Template.fromStack would synthesize again). */
function templateOf(stack: Stack): Template {
  const outdir = (stack.node.root as App).outdir;
  return Template.fromJSON(JSON.parse(readFileSync(join(outdir, stack.templateFile), 'utf8')));
}

function newApp(): { app: App; outdir: string } {
  const outdir = mkdtempSync(join(tmpdir(), 'revocation-authorizer-usages-'));
  outdirs.push(outdir);
  return { app: new App({ outdir, context: CDK_JSON_CONTEXT }), outdir };
}

beforeAll(() => {
  bundles = createStubBundles();

  // The example app as infra/app.ts builds it from the committed example file.
  {
    const { app, outdir } = newApp();
    const settings = readAppSettings(
      (key) =>
        ({
          config: 'infra/environments/example.json',
          allowPlaceholderIssuer: 'true',
          provisionedConcurrency: '2',
          alarmEmail: 'ops@acme.test',
          bundleDirectory: bundles.directory,
        })[key],
    );
    const stack = new RevocationAuthorizerExampleStack(app, settings.stackName, {
      env: ENV,
      authorizer: settings.authorizer,
      alarmEmail: settings.alarmEmail,
    });
    example = { stack, ...synthesizeWithNag(app, outdir) };
  }

  // Every usage docs/deploy.md shows.
  {
    const { app, outdir } = newApp();
    const authStack = new Stack(app, 'AuthStack', { env: ENV });
    const revocation = new RevocationAuthorizer(authStack, 'Revocation', { issuers: [TEST_ISSUER], bundleDirectory: bundles.directory });

    const logoutRole = new iam.Role(authStack, 'LogoutRole', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    revocation.grantPublish(logoutRole);
    // What grantPublish gives the grantee (topic.grantPublish of CDK): the KMS action family SNS
    // server-side encryption needs, on the topic's key alone.
    Validations.of(logoutRole).acknowledge({
      id: 'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
      reason: 'kms:GenerateDataKey* on the revocation topic key only: what publishing to an encrypted topic needs',
    });
    revocation.grantPublish(new iam.AccountPrincipal('222222222222'));
    revocation.grantPublish(new iam.ArnPrincipal('arn:aws:iam::333333333333:role/wso2-bridge'));
    revocation.grantPublish(new iam.OrganizationPrincipal(ORGANIZATION));
    const rule = new events.Rule(authStack, 'LogoutRule', { eventPattern: { source: ['acme.identity'], detailType: ['UserLoggedOut'] } });
    rule.addTarget(new targets.SnsTopic(revocation.topic));
    revocation.grantPublish(
      new iam.ServicePrincipal('events.amazonaws.com').withConditions({ StringEquals: { 'aws:SourceAccount': authStack.account } }),
    );

    const integration = () => new HttpUrlIntegration('Backend', 'https://backend.acme.test/');
    const httpApi = new apigwv2.HttpApi(authStack, 'Api', { defaultAuthorizer: revocation.httpAuthorizer });
    httpApi.addRoutes({ path: '/orders', methods: [apigwv2.HttpMethod.GET], integration: integration() });
    // Per-route scopes, as a route's authorizationScopes would be for the built-in JWT authorizer.
    httpApi.addRoutes({
      path: '/admin/{proxy+}',
      methods: [apigwv2.HttpMethod.GET],
      integration: integration(),
      authorizer: revocation.requireScopes('GET /admin/{proxy+}', ['admin']),
    });
    const existing = apigwv2.HttpApi.fromHttpApiAttributes(authStack, 'Existing', { httpApiId: 'a1b2c3d4e5' });
    new apigwv2.HttpRoute(authStack, 'Orders', {
      httpApi: existing,
      routeKey: apigwv2.HttpRouteKey.with('/orders', apigwv2.HttpMethod.GET),
      integration: integration(),
      authorizer: revocation.createHttpAuthorizer('OrdersAuthorizer'),
    });

    const apiStack = new Stack(app, 'ApiStack', { env: ENV });
    const restApi = new apigw.RestApi(apiStack, 'RestApi', { cloudWatchRole: false });
    const backend = new apigw.HttpIntegration('https://backend.acme.test/');
    restApi.root.addResource('token').addMethod('GET', backend, {
      authorizer: revocation.createRestTokenAuthorizer('TokenAuthorizer', { scope: apiStack }),
    });
    restApi.root.addResource('request').addMethod('GET', backend, {
      authorizer: revocation.createRestRequestAuthorizer('RequestAuthorizer', { scope: apiStack }),
    });

    // The APIs stand in for the user's own: their logging, validation and WAF are the user's choice.
    for (const [api, ids] of [
      [httpApi.defaultStage!, ['AwsSolutions-APIG1']],
      [restApi, ['AwsSolutions-APIG1', 'AwsSolutions-APIG2', 'AwsSolutions-APIG3', 'AwsSolutions-APIG6', 'AwsSolutions-COG4']],
    ] as const) {
      for (const id of ids)
        Validations.of(api).acknowledge({
          id,
          reason: 'A stand-in for the user’s API in this test app; only its authorizers are under test',
        });
    }

    usages = { authStack, apiStack, revocation, restApi, ...synthesizeWithNag(app, outdir) };
  }

  // docs/deploy.md, "Multi-region" and "The change feed": a global table, the feed writer, and an
  // authorizer with its own snapshot writer in the replica region.
  {
    const { app, outdir } = newApp();
    const primaryStack = new Stack(app, 'AuthEu', { env: ENV });
    const primary = new RevocationAuthorizer(primaryStack, 'Revocation', {
      issuers: [TEST_ISSUER],
      bundleDirectory: bundles.directory,
      replicaRegions: ['us-east-1'],
      changeFeed: true,
    });
    const usStack = new Stack(app, 'AuthUs', { env: { account: TEST_ACCOUNT, region: 'us-east-1' } });
    const replica = new RevocationAuthorizerReplica(usStack, 'Revocation', { primary });
    const api = new apigwv2.HttpApi(usStack, 'Api', { defaultAuthorizer: replica.httpAuthorizer });
    api.addRoutes({
      path: '/orders',
      methods: [apigwv2.HttpMethod.GET],
      integration: new HttpUrlIntegration('Backend', 'https://backend.acme.test/'),
    });
    Validations.of(api.defaultStage!).acknowledge({
      id: 'AwsSolutions-APIG1',
      reason: 'A stand-in for the user’s API in this test app; only its authorizers are under test',
    });
    multiRegion = synthesizeWithNag(app, outdir);
  }
});
afterAll(() => {
  bundles.remove();
  for (const outdir of outdirs) rmSync(outdir, { recursive: true, force: true });
});

const logicalId = (stack: Stack, construct: IConstruct) => stack.getLogicalId(construct.node.defaultChild as CfnElement);

describe('the usages docs/deploy.md shows, in one app', () => {
  it('synthesizes the REST authorizers in the API’s stack without a dependency cycle', () => {
    expect(usages.templates.every((file) => existsSync(file))).toBe(true);
    expect(usages.apiStack.dependencies).toEqual([usages.authStack]);
    expect(usages.authStack.dependencies).toEqual([]);
  });

  it('puts API Gateway’s invoke permission for the REST API in the API’s stack, on the exported function ARN', () => {
    const api = templateOf(usages.apiStack);
    api.resourceCountIs('AWS::ApiGateway::Authorizer', 2);
    api.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: 'apigateway.amazonaws.com',
      FunctionName: { 'Fn::ImportValue': Match.stringLikeRegexp('AuthStack:ExportsOutputFnGetAttRevocationAuthorizerFunction') },
      SourceArn: Match.objectLike({ 'Fn::Join': ['', Match.arrayWith([{ Ref: logicalId(usages.apiStack, usages.restApi) }])] }),
    });
    templateOf(usages.authStack).resourcePropertiesCountIs(
      'AWS::Lambda::Permission',
      { Principal: 'apigateway.amazonaws.com', SourceArn: Match.objectLike({ 'Fn::Join': Match.anyValue() }) },
      2, // the two HTTP APIs of the construct's own stack
    );
  });

  it('lets the EventBridge rule’s account through, and no other account’s rules', () => {
    const statements = Object.values(templateOf(usages.authStack).findResources('AWS::SNS::TopicPolicy')).flatMap(
      (policy) => policy.Properties.PolicyDocument.Statement as { Sid?: string; Condition?: unknown }[],
    );
    expect(statements.find((statement) => statement.Sid === 'DenyPublishByServicesForOtherAccounts')?.Condition).toEqual({
      Bool: { 'aws:PrincipalIsAWSService': 'true' },
      StringNotEquals: { 'aws:SourceAccount': [TEST_ACCOUNT] },
    });
    expect(statements.find((statement) => statement.Sid === 'DenyPublishFromOtherAccounts')?.Condition).toEqual({
      StringNotEquals: { 'aws:PrincipalAccount': [TEST_ACCOUNT, '222222222222', '333333333333'], 'aws:PrincipalOrgID': [ORGANIZATION] },
      Bool: { 'aws:PrincipalIsAWSService': 'false' },
    });
  });

  it('passes cdk-nag’s AwsSolutionsChecks, every finding fixed or acknowledged with a reason', () => {
    expect(usages.nagError).toBeUndefined();
  });

  it('sends requireScopes’ route scopes to the authorizer function, the route using its authorizer', () => {
    const auth = templateOf(usages.authStack);
    auth.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ JWT_ROUTE_SCOPES: '{"GET /admin/{proxy+}":["admin"]}' }) },
    });
    auth.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'GET /admin/{proxy+}', AuthorizationType: 'CUSTOM' });
  });
});

describe('the multi-region usage docs/deploy.md shows', () => {
  it('passes cdk-nag’s AwsSolutionsChecks in both regions, every finding fixed or acknowledged with a reason', () => {
    expect(multiRegion.templates).toHaveLength(2);
    expect(multiRegion.nagError).toBeUndefined();
  });
});

describe('the example app', () => {
  it('passes cdk-nag’s AwsSolutionsChecks, every finding fixed or acknowledged with a reason', () => {
    expect(example.nagError).toBeUndefined();
  });
});

const cfnLint = spawnSync('cfn-lint', ['--version'], { encoding: 'utf8' });
const haveCfnLint = cfnLint.status === 0;
if (!haveCfnLint) console.warn('skipping cfn-lint checks: the cfn-lint command is not installed on this machine');

describe.skipIf(!haveCfnLint)('cfn-lint', () => {
  it('finds no error in the example app’s, the usages app’s or the multi-region app’s templates', () => {
    const templates = [...example.templates, ...usages.templates, ...multiRegion.templates];
    const result = spawnSync('cfn-lint', ['--format', 'json', ...templates], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
    const findings = JSON.parse(result.stdout || '[]') as { Level: string; Rule: { Id: string }; Message: string }[];
    expect(templates).toHaveLength(5);
    // Warnings (W3005: a DependsOn CDK adds beside a GetAtt) are not errors.
    expect(findings.filter((finding) => finding.Level === 'Error')).toEqual([]);
  });
});

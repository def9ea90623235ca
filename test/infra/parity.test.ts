import { Duration, type Stack } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpUrlIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RevocationAuthorizerPropsError } from '../../infra/props-error.js';
import type { RevocationAuthorizerProps } from '../../infra/props.js';
import type { RevocationAuthorizer } from '../../infra/revocation-authorizer.js';
import { authorizerStack, createStubBundles } from './support/stacks.js';

/** Route scopes, token sources, context claims and the Cognito preset in the construct (issue 13). */

let bundles: ReturnType<typeof createStubBundles>;
beforeAll(() => {
  bundles = createStubBundles();
});
afterAll(() => bundles.remove());

function build(props: Partial<RevocationAuthorizerProps> | ((stack: Stack) => Partial<RevocationAuthorizerProps>) = {}) {
  return authorizerStack(bundles.directory, props);
}

const integration = () => new HttpUrlIntegration('Backend', 'https://backend.test.example/');
const AUTHORIZER_FUNCTION = { Description: 'Verifies JWTs for API Gateway and refuses revoked ones' };

function authorizerVariables(template: Template): Record<string, unknown> {
  const functions = template.findResources('AWS::Lambda::Function', { Properties: AUTHORIZER_FUNCTION });
  return Object.values(functions)[0]!.Properties.Environment.Variables as Record<string, unknown>;
}

describe("requireScopes, mirroring a route's authorizationScopes", () => {
  it("adds the route's scopes to JWT_ROUTE_SCOPES, with the routeScopes prop, and returns the HTTP authorizer for the route", () => {
    const { stack, authorizer } = build({ routeScopes: { 'GET /orders/{id}': ['orders.read'] } });
    const api = new apigwv2.HttpApi(stack, 'Api');

    const returned = authorizer.requireScopes('GET /admin/{proxy+}', ['admin', 'ops']);
    api.addRoutes({ path: '/admin/{proxy+}', methods: [apigwv2.HttpMethod.GET], integration: integration(), authorizer: returned });
    authorizer.requireScopes('GET /orders/{id}', ['orders.admin']);

    expect(returned).toBe(authorizer.httpAuthorizer);
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
      ...AUTHORIZER_FUNCTION,
      Environment: {
        Variables: Match.objectLike({
          JWT_ROUTE_SCOPES: JSON.stringify({
            'GET /orders/{id}': ['orders.read', 'orders.admin'],
            'GET /admin/{proxy+}': ['admin', 'ops'],
          }),
        }),
      },
    });
  });

  it("puts $context.routeKey in a cached HTTP authorizer's identity source, so decisions are cached per route", () => {
    const { stack, authorizer } = build({ resultsCacheTtl: Duration.minutes(5) });
    const api = new apigwv2.HttpApi(stack, 'Api');
    api.addRoutes({
      path: '/admin',
      methods: [apigwv2.HttpMethod.GET],
      integration: integration(),
      authorizer: authorizer.requireScopes('GET /admin', ['admin']),
    });

    Template.fromStack(stack).hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      IdentitySource: ['$request.header.Authorization', '$context.routeKey'],
      AuthorizerResultTtlInSeconds: 300,
    });
  });

  it('leaves an uncached authorizer, or one without route scopes, keyed by the token alone', () => {
    const { stack, authorizer } = build();
    new apigwv2.HttpApi(stack, 'Api').addRoutes({
      path: '/a',
      methods: [apigwv2.HttpMethod.GET],
      integration: integration(),
      authorizer: authorizer.httpAuthorizer,
    });

    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', { IdentitySource: ['$request.header.Authorization'] });
    expect(authorizerVariables(template)).not.toHaveProperty('JWT_ROUTE_SCOPES');
  });

  it('caches a REST REQUEST authorizer per method and resource once routes have scopes', () => {
    const { stack, authorizer } = build({ routeScopes: { 'GET /orders/{id}': ['orders.read'] } });
    const api = new apigw.RestApi(stack, 'RestApi');
    api.root
      .addResource('orders')
      .addResource('{id}')
      .addMethod('GET', new apigw.HttpIntegration('https://backend.test.example/'), {
        authorizer: authorizer.createRestRequestAuthorizer('Request', { resultsCacheTtl: Duration.minutes(1) }),
      });

    Template.fromStack(stack).hasResourceProperties('AWS::ApiGateway::Authorizer', {
      Type: 'REQUEST',
      IdentitySource: 'method.request.header.Authorization,context.httpMethod,context.resourcePath',
    });
  });

  it('fails synthesis for a cached TOKEN authorizer while routes have scopes: its cache key is the token alone', () => {
    const { app, stack, authorizer } = build();
    const api = new apigw.RestApi(stack, 'RestApi');
    api.root.addMethod('GET', new apigw.HttpIntegration('https://backend.test.example/'), {
      authorizer: authorizer.createRestTokenAuthorizer('Token', { resultsCacheTtl: Duration.minutes(1) }),
    });
    authorizer.requireScopes('GET /', ['read']);

    expect(() => app.synth()).toThrow(/TOKEN authorizer Token caches decisions by token alone/);
  });

  it.each([
    ['a route key API Gateway would not accept', '/admin', ['admin'], '"/admin" is not a route key'],
    ['no scope', 'GET /admin', [], 'must be a non-empty list of scopes'],
    ['a scope with a space', 'GET /admin', ['a b'], 'must be a non-empty list of scopes'],
  ])('throws when given %s', (_, routeKey, scopes, message) => {
    const { authorizer } = build();
    expect(() => authorizer.requireScopes(routeKey, scopes)).toThrow(RevocationAuthorizerPropsError);
    expect(() => authorizer.requireScopes(routeKey, scopes)).toThrow(message);
  });
});

describe('tokenSources', () => {
  it('sets JWT_TOKEN_SOURCES and makes a single query source the identity source of HTTP and REST authorizers', () => {
    const { stack, authorizer } = build({ tokenSources: ['query:access_token'] });
    new apigwv2.HttpApi(stack, 'Api').addRoutes({
      path: '/a',
      methods: [apigwv2.HttpMethod.GET],
      integration: integration(),
      authorizer: authorizer.httpAuthorizer,
    });
    new apigw.RestApi(stack, 'RestApi').root.addMethod('GET', new apigw.HttpIntegration('https://backend.test.example/'), {
      authorizer: authorizer.createRestRequestAuthorizer('Request'),
    });

    const template = Template.fromStack(stack);
    expect(authorizerVariables(template)).toMatchObject({ JWT_TOKEN_SOURCES: 'query:access_token' });
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', { IdentitySource: ['$request.querystring.access_token'] });
    template.hasResourceProperties('AWS::ApiGateway::Authorizer', {
      Type: 'REQUEST',
      IdentitySource: 'method.request.querystring.access_token',
    });
  });

  it('declares no identity source for several sources (API Gateway would 401 a request lacking any), uncached', () => {
    const { stack, authorizer } = build({ tokenSources: ['header:authorization', 'cookie:session'] });
    new apigwv2.HttpApi(stack, 'Api').addRoutes({
      path: '/a',
      methods: [apigwv2.HttpMethod.GET],
      integration: integration(),
      authorizer: authorizer.httpAuthorizer,
    });

    Template.fromStack(stack).hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      IdentitySource: Match.absent(),
      AuthorizerResultTtlInSeconds: 0,
    });
    expect(() => authorizer.createHttpAuthorizer('Cached', { resultsCacheTtl: Duration.seconds(60) })).toThrow(
      /must be 0 with tokenSources/,
    );
  });

  it("reads a TOKEN authorizer's header from the list, and refuses a TOKEN authorizer when the list has no header", () => {
    const { stack, authorizer } = build({ tokenSources: ['query:access_token', 'header:x-access-token'] });
    new apigw.RestApi(stack, 'RestApi').root.addMethod('GET', new apigw.HttpIntegration('https://backend.test.example/'), {
      authorizer: authorizer.createRestTokenAuthorizer('Token'),
    });
    Template.fromStack(stack).hasResourceProperties('AWS::ApiGateway::Authorizer', {
      Type: 'TOKEN',
      IdentitySource: 'method.request.header.X-Access-Token',
    });

    const { authorizer: queryOnly } = build({ tokenSources: ['query:access_token'] });
    expect(() => queryOnly.createRestTokenAuthorizer('Token')).toThrow(/a TOKEN authorizer reads only a header/);
  });

  it('throws when a source is not header:, query: or cookie:', () => {
    expect(() => build({ tokenSources: ['body:token'] })).toThrow(/tokenSources: "body:token" is not header:NAME/);
  });
});

describe('contextClaims', () => {
  it('sets JWT_CONTEXT_CLAIMS, and leaves it unset by default', () => {
    expect(authorizerVariables(Template.fromStack(build({ contextClaims: ['sub', 'email', 'cognito:groups'] }).stack))).toMatchObject({
      JWT_CONTEXT_CLAIMS: 'sub,email,cognito:groups',
    });
    expect(authorizerVariables(Template.fromStack(build().stack))).not.toHaveProperty('JWT_CONTEXT_CLAIMS');
  });

  it('throws for a claim listed twice', () => {
    expect(() => build({ contextClaims: ['email', 'email'] })).toThrow(/contextClaims: must name each claim once/);
  });
});

describe('cognito', () => {
  it('trusts the user pool with the Cognito preset: its issuer and key set, its app clients as the audience, origin_jti as the session', () => {
    const { stack } = build((scope) => {
      const userPool = new cognito.UserPool(scope, 'Pool');
      const client = userPool.addClient('Web');
      return { issuers: undefined, cognito: { userPool, clients: [client] } };
    });
    const template = Template.fromStack(stack);
    const variables = authorizerVariables(template);
    const poolId = Object.keys(template.findResources('AWS::Cognito::UserPool'))[0]!;
    const clientId = Object.keys(template.findResources('AWS::Cognito::UserPoolClient'))[0]!;
    const issuers = JSON.stringify(variables.JWT_ISSUERS);

    expect(variables.JWT_PRESET).toBe('cognito');
    expect(variables.JWT_SESSION_CLAIM).toBe('origin_jti');
    expect(issuers).toContain('https://cognito-idp.eu-west-1.');
    expect(issuers).toContain(`{"Ref":"${poolId}"}`);
    expect(issuers).toContain('/.well-known/jwks.json');
    expect(issuers).toContain(`{"Ref":"${clientId}"}`);
  });

  it('throws when combined with issuers, or without app clients', () => {
    expect(() => build((scope) => ({ cognito: { userPool: new cognito.UserPool(scope, 'Pool'), clients: [] } }))).toThrow(
      /cognito: cannot be combined with issuers[\s\S]*cognito.clients: must list the app clients/,
    );
  });
});

describe('issuers without jwksUri', () => {
  it('leaves jwksUri out of JWT_ISSUERS, for OIDC discovery at cold start', () => {
    const variables = authorizerVariables(
      Template.fromStack(build({ issuers: [{ issuer: 'https://issuer.test.example/', audience: 'api' }] }).stack),
    );
    expect(JSON.parse(variables.JWT_ISSUERS as string)).toEqual([{ issuer: 'https://issuer.test.example/', audience: 'api' }]);
  });
});

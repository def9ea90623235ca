import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RevocationAuthorizer } from '../../infra/revocation-authorizer.js';
import { CDK_JSON_CONTEXT, createStubBundles, TEST_ACCOUNT, TEST_ISSUER } from './support/stacks.js';

/**
 * The `receiver` prop: the receiver function, its HTTP API with the three routes, throttling,
 * the clients secret read at cold start, outputs and alarms; synthesized with cdk-nag and checked
 * by cfn-lint when the machine has it.
 */
let bundles: ReturnType<typeof createStubBundles>;
let outdir: string;
let template: Template;
let templateFile: string;
let nagError: unknown;

beforeAll(() => {
  bundles = createStubBundles();
  outdir = mkdtempSync(join(tmpdir(), 'revocation-receiver-'));
  const app = new App({ outdir, context: CDK_JSON_CONTEXT });
  const stack = new Stack(app, 'ReceiverStack', { env: { account: TEST_ACCOUNT, region: 'eu-west-1' } });
  const clientsSecret = new secretsmanager.Secret(stack, 'ReceiverClients', {
    description: 'RECEIVER_CLIENTS: client_id → sha256 of the secret',
  });
  Validations.of(clientsSecret).acknowledge({
    id: 'AwsSolutions-SMG4',
    reason: 'Client secret hashes are rotated with the clients, by their owners',
  });
  new RevocationAuthorizer(stack, 'Revocation', {
    issuers: [TEST_ISSUER],
    bundleDirectory: bundles.directory,
    receiver: {
      audience: ['s6BhdRkqt3'],
      setTransmitters: [
        { issuer: TEST_ISSUER.issuer },
        { issuer: 'https://transmitter.test.example', jwksUri: 'https://transmitter.test.example/jwks' },
      ],
      clientsSecret,
      throttle: { rateLimit: 20, burstLimit: 40 },
    },
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  try {
    app.synth();
  } catch (error) {
    const report = join(outdir, 'validation-report.json');
    nagError = existsSync(report) ? readFileSync(report, 'utf8') : error;
  }
  templateFile = join(outdir, stack.templateFile);
  template = Template.fromJSON(JSON.parse(readFileSync(templateFile, 'utf8')));
});
afterAll(() => {
  bundles.remove();
  rmSync(outdir, { recursive: true, force: true });
});

describe('RevocationAuthorizer with a receiver', () => {
  it('passes cdk-nag’s AwsSolutionsChecks, every finding fixed or acknowledged with its reason', () => {
    expect(nagError).toBeUndefined();
  });

  it('creates the receiver function from dist/receiver.mjs with the issuers, the topic, the audience, the transmitters and the secret’s ARN, never the secret', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'receiver.handler',
      Runtime: 'nodejs22.x',
      Timeout: 10,
      Environment: {
        Variables: Match.objectLike({
          JWT_ISSUERS: Match.anyValue(),
          REVOCATION_TOPIC_ARN: { Ref: Match.stringLikeRegexp('RevocationTopic') },
          RECEIVER_AUDIENCE: 's6BhdRkqt3',
          RECEIVER_SET_ISSUERS: Match.stringLikeRegexp('transmitter.test.example/jwks'),
          RECEIVER_CLIENTS_SECRET_ARN: { Ref: Match.stringLikeRegexp('ReceiverClients') },
          POWERTOOLS_SERVICE_NAME: 'revocation-receiver',
        }),
      },
    });
    const variables = Object.values(template.findResources('AWS::Lambda::Function')).map(
      (fn) => (fn.Properties.Environment?.Variables ?? {}) as Record<string, unknown>,
    );
    expect(variables.some((env) => 'RECEIVER_CLIENTS' in env)).toBe(false);
  });

  it('lets the function read the clients secret and publish to the topic', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: Match.arrayWith(['secretsmanager:GetSecretValue']),
            Resource: { Ref: Match.stringLikeRegexp('ReceiverClients') },
          }),
        ]),
      },
      Roles: [{ Ref: Match.stringLikeRegexp('ReceiverRole') }],
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: 'sns:Publish', Resource: { Ref: Match.stringLikeRegexp('RevocationTopic') } }),
        ]),
      },
      Roles: [{ Ref: Match.stringLikeRegexp('ReceiverRole') }],
    });
  });

  it('routes POST /oidc/backchannel-logout, /ssf/events and /oauth2/revoke of its own HTTP API to the function', () => {
    for (const path of ['/oidc/backchannel-logout', '/ssf/events', '/oauth2/revoke']) {
      template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: `POST ${path}` });
    }
    template.resourceCountIs('AWS::ApiGatewayV2::Route', 3);
  });

  it('throttles the stage and writes an access log', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 20, ThrottlingBurstLimit: 40 },
      AccessLogSettings: { DestinationArn: Match.anyValue() },
    });
  });

  it('outputs the three URLs to register with identity providers', () => {
    const outputs = Object.values(template.findOutputs('*')).map((output) => JSON.stringify(output.Value));
    for (const path of ['/oidc/backchannel-logout', '/ssf/events', '/oauth2/revoke']) {
      expect(outputs.some((value) => value.includes(path))).toBe(true);
    }
  });

  it('alarms on refused deliveries (DeliveriesRefused over the three endpoints) and on failed ones', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Threshold: 5,
      Metrics: Match.arrayWith([
        Match.objectLike({ Expression: 'FILL(m0, 0) + FILL(m1, 0) + FILL(m2, 0)' }),
        Match.objectLike({
          MetricStat: Match.objectLike({
            Metric: Match.objectLike({
              MetricName: 'DeliveriesRefused',
              Dimensions: Match.arrayWith([{ Name: 'endpoint', Value: 'securityEvents' }]),
            }),
          }),
        }),
      ]),
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Threshold: 1,
      Metrics: Match.arrayWith([
        Match.objectLike({ MetricStat: Match.objectLike({ Metric: Match.objectLike({ MetricName: 'DeliveriesFailed' }) }) }),
      ]),
    });
  });
});

const haveCfnLint = spawnSync('cfn-lint', ['--version'], { encoding: 'utf8' }).status === 0;
if (!haveCfnLint) console.warn('skipping cfn-lint checks: the cfn-lint command is not installed on this machine');

describe.skipIf(!haveCfnLint)('cfn-lint', () => {
  it('finds no error in the template with a receiver', () => {
    const result = spawnSync('cfn-lint', ['--format', 'json', templateFile], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
    const findings = JSON.parse(result.stdout || '[]') as { Level: string }[];
    expect(findings.filter((finding) => finding.Level === 'Error')).toEqual([]);
  });
});

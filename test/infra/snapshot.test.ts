import { Duration, type CfnElement, type Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RevocationAuthorizerPropsError } from '../../infra/props-error.js';
import type { RevocationAuthorizer } from '../../infra/revocation-authorizer.js';
import { assetFiles, authorizerStack, createStubBundles } from './support/stacks.js';

let bundles: ReturnType<typeof createStubBundles>;
let stack: Stack;
let authorizer: RevocationAuthorizer;
let template: Template;
let assembly: string;

beforeAll(() => {
  bundles = createStubBundles();
  const built = authorizerStack(bundles.directory);
  ({ stack, authorizer } = built);
  assembly = built.app.synth().directory;
  template = Template.fromStack(stack);
});
afterAll(() => bundles.remove());

const logicalId = (construct: IConstruct) => stack.getLogicalId(construct.node.defaultChild as CfnElement);
const snapshotUri = () => ({ 'Fn::Join': ['', ['s3://', { Ref: logicalId(authorizer.snapshotBucket!) }, '/revocations.snapshot']] });
const objectArn = () => ({ 'Fn::Join': ['', [{ 'Fn::GetAtt': [logicalId(authorizer.snapshotBucket!), 'Arn'] }, '/revocations.snapshot']] });

function statementsOf(fn: IConstruct & { role?: IConstruct }): { Action: string | string[]; Resource: unknown }[] {
  const policies = template.findResources('AWS::IAM::Policy', { Properties: { Roles: Match.arrayWith([{ Ref: logicalId(fn.role!) }]) } });
  return Object.values(policies).flatMap((policy) => policy.Properties.PolicyDocument.Statement);
}

describe('RevocationAuthorizer snapshots (the default)', () => {
  it('keeps the snapshot in an encrypted bucket with public access blocked and TLS enforced', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
    });
    const policies = Object.values(template.findResources('AWS::S3::BucketPolicy'));
    const statements = policies.flatMap((policy) => policy.Properties.PolicyDocument.Statement);
    expect(statements).toContainEqual(
      expect.objectContaining({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
    );
  });

  it('points the authorizer at the snapshot, with the maximum age', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'authorizer.handler',
      Environment: { Variables: Match.objectLike({ REVOCATION_SNAPSHOT_URI: snapshotUri(), REVOCATION_SNAPSHOT_MAX_AGE_MS: '300000' }) },
    });
  });

  it('runs the snapshot function, one at a time and without retries, with the authorizer’s table and retention', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'snapshot.handler',
      Runtime: 'nodejs22.x',
      Timeout: 300,
      ReservedConcurrentExecutions: 1,
      Environment: {
        Variables: Match.objectLike({
          REVOCATION_SNAPSHOT_URI: snapshotUri(),
          REVOCATION_TABLE_NAME: { Ref: logicalId(authorizer.table as unknown as IConstruct) },
          JWT_CLOCK_TOLERANCE_SECONDS: '60',
          JWT_MAX_TOKEN_LIFETIME_SECONDS: '86400',
          POWERTOOLS_SERVICE_NAME: 'revocation-snapshot',
        }),
      },
    });
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: logicalId(authorizer.snapshotFunction!) },
      MaximumRetryAttempts: 0,
    });
  });

  it('invokes it every minute from an EventBridge schedule', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [logicalId(authorizer.snapshotFunction!), 'Arn'] } })],
    });
  });

  it('lets the authorizer read only the snapshot object, and the writer also put it', () => {
    const authorizerS3 = statementsOf(authorizer.authorizerFunction).filter((statement) => String(statement.Action).startsWith('s3:'));
    expect(authorizerS3).toEqual([
      { Effect: 'Allow', Action: 's3:GetObject', Resource: objectArn() },
      { Effect: 'Allow', Action: 's3:ListBucket', Resource: { 'Fn::GetAtt': [logicalId(authorizer.snapshotBucket!), 'Arn'] } },
    ]);
    const writer = statementsOf(authorizer.snapshotFunction!);
    // CDK merges the writer's GetObject and PutObject on the one object into one statement.
    expect(writer).toContainEqual({ Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject'], Resource: objectArn() });
    expect(writer.flatMap((statement) => [statement.Action].flat())).not.toContain('dynamodb:UpdateItem');
  });

  it('packages only snapshot.mjs for the snapshot function', () => {
    expect(assetFiles(stack, assembly, authorizer.snapshotFunction!)).toEqual(['snapshot.mjs']);
  });

  it('alarms when the snapshot function keeps failing', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: logicalId(authorizer.snapshotFunction!) } }],
      EvaluationPeriods: 3,
    });
  });
});

describe('RevocationAuthorizer snapshot props', () => {
  it('schedules the writer at snapshotInterval and passes snapshotMaxAge on', () => {
    const { stack: custom } = authorizerStack(bundles.directory, {
      snapshotInterval: Duration.minutes(5),
      snapshotMaxAge: Duration.minutes(15),
    });
    const built = Template.fromStack(custom);
    built.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(5 minutes)' });
    built.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'authorizer.handler',
      Environment: { Variables: Match.objectLike({ REVOCATION_SNAPSHOT_MAX_AGE_MS: '900000' }) },
    });
  });

  it('creates no bucket, function or schedule, and sets no snapshot variable, with snapshots: false', () => {
    const { stack: off, authorizer: offAuthorizer } = authorizerStack(bundles.directory, { snapshots: false });
    const built = Template.fromStack(off);
    built.resourceCountIs('AWS::S3::Bucket', 0);
    built.resourceCountIs('AWS::Events::Rule', 0);
    built.resourcePropertiesCountIs('AWS::Lambda::Function', { Handler: 'snapshot.handler' }, 0);
    const variables = Object.values(built.findResources('AWS::Lambda::Function')).map((fn) => fn.Properties.Environment.Variables);
    for (const vars of variables) expect(vars).not.toHaveProperty('REVOCATION_SNAPSHOT_URI');
    expect(offAuthorizer.snapshotBucket).toBeUndefined();
    expect(() => offAuthorizer.grantReadSnapshot(offAuthorizer.ingestFunction)).toThrow(RevocationAuthorizerPropsError);
  });

  it('throws when snapshotInterval is not whole minutes from 1 to 60', () => {
    for (const snapshotInterval of [Duration.seconds(30), Duration.minutes(61)]) {
      expect(() => authorizerStack(bundles.directory, { snapshotInterval })).toThrow(
        /snapshotInterval: must be whole minutes from 1 to 60/,
      );
    }
  });

  it('throws when snapshotMaxAge is under twice snapshotInterval', () => {
    expect(() =>
      authorizerStack(bundles.directory, { snapshotInterval: Duration.minutes(5), snapshotMaxAge: Duration.minutes(9) }),
    ).toThrow(/snapshotMaxAge: must be whole milliseconds, at least twice snapshotInterval/);
  });

  it('throws when REVOCATION_SNAPSHOT_URI is set by hand', () => {
    expect(() => authorizerStack(bundles.directory, { authorizerEnvironment: { REVOCATION_SNAPSHOT_URI: 's3://b/k' } })).toThrow(
      /REVOCATION_SNAPSHOT_URI/,
    );
  });
});

import type { CfnElement, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RevocationAuthorizerPropsError } from '../../infra/props-error.js';
import type { RevocationAuthorizer } from '../../infra/revocation-authorizer.js';
import { REVOCATION_TABLE_SCHEMA } from '../../lambda/contract/index.js';
import { authorizerStack, createStubBundles, TEST_ACCOUNT } from './support/stacks.js';

const PARTNER_ACCOUNT = '222222222222';
/** The WSO2 bridge's role in its own account, as docs/deploy.md recommends granting it. */
const BRIDGE_ROLE_ARN = 'arn:aws:iam::333333333333:role/wso2-bridge';
const ORGANIZATION = 'o-a1b2c3d4e5';
/** An account whose EventBridge rules may publish. */
const RULES_ACCOUNT = '444444444444';

let bundles: ReturnType<typeof createStubBundles>;
let stack: Stack;
let authorizer: RevocationAuthorizer;
let publisher: iam.Role;
let reader: iam.Role;
let grants: Record<'sameAccount' | 'otherAccount' | 'roleArn' | 'organization' | 'service' | 'read', iam.Grant>;
let template: Template;

beforeAll(() => {
  bundles = createStubBundles();
  ({ stack, authorizer } = authorizerStack(bundles.directory));
  publisher = new iam.Role(stack, 'Publisher', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
  reader = new iam.Role(stack, 'Reader', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
  grants = {
    sameAccount: authorizer.grantPublish(publisher),
    otherAccount: authorizer.grantPublish(new iam.AccountPrincipal(PARTNER_ACCOUNT)),
    roleArn: authorizer.grantPublish(new iam.ArnPrincipal(BRIDGE_ROLE_ARN)),
    organization: authorizer.grantPublish(new iam.OrganizationPrincipal(ORGANIZATION)),
    service: authorizer.grantPublish(
      new iam.ServicePrincipal('events.amazonaws.com').withConditions({ StringEquals: { 'aws:SourceAccount': RULES_ACCOUNT } }),
    ),
    read: authorizer.grantReadRevocations(reader),
  };
  template = Template.fromStack(stack);
});
afterAll(() => bundles.remove());

const logicalId = (construct: IConstruct) => stack.getLogicalId(construct.node.defaultChild as CfnElement);
const topicRef = () => ({ Ref: logicalId(authorizer.topic) });
const keyArn = () => ({ 'Fn::GetAtt': [logicalId(authorizer.encryptionKey), 'Arn'] });
const tableArn = () => ({ 'Fn::GetAtt': [logicalId(authorizer.table), 'Arn'] });

type Statement = { Sid?: string; Effect: string; Principal?: unknown; Condition?: Record<string, Record<string, unknown>> };
const topicStatements = (): Statement[] =>
  Object.values(template.findResources('AWS::SNS::TopicPolicy')).flatMap((policy) => policy.Properties.PolicyDocument.Statement);
const denyCondition = (sid: string) => topicStatements().find((statement) => statement.Sid === sid)?.Condition;
const topicAllows = (principal: unknown, condition?: unknown) =>
  template.hasResourceProperties('AWS::SNS::TopicPolicy', {
    PolicyDocument: {
      Statement: Match.arrayWith([
        Match.objectLike({
          Effect: 'Allow',
          Action: 'sns:Publish',
          Principal: principal,
          Resource: topicRef(),
          ...(condition === undefined ? {} : { Condition: condition }),
        }),
      ]),
    },
  });

describe('RevocationAuthorizer.grantPublish', () => {
  it('gives a role of this account sns:Publish on the topic and the key actions publishing needs', () => {
    expect(grants.sameAccount.success).toBe(true);
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: logicalId(publisher) }],
      PolicyDocument: {
        Statement: [
          { Effect: 'Allow', Action: 'sns:Publish', Resource: topicRef() },
          { Effect: 'Allow', Action: ['kms:Decrypt', 'kms:GenerateDataKey*'], Resource: keyArn() },
        ],
      },
    });
  });

  // cdk.json's @aws-cdk/aws-iam:minimizePolicies merges the two Allows into one statement.
  it('lets another account publish through the topic policy', () => {
    topicAllows({ AWS: Match.arrayWith([`arn:aws:iam::${PARTNER_ACCOUNT}:root`]) });
  });

  it('lets a role of another account, given by ARN, publish through the topic policy', () => {
    topicAllows({ AWS: Match.arrayWith([BRIDGE_ROLE_ARN]) });
  });

  it('lets the principals of an organization publish through the topic policy', () => {
    topicAllows({ AWS: '*' }, { StringEquals: { 'aws:PrincipalOrgID': ORGANIZATION } });
  });

  it('lets an AWS service publish only on behalf of the account its condition names, and use the key', () => {
    topicAllows({ Service: 'events.amazonaws.com' }, { StringEquals: { 'aws:SourceAccount': RULES_ACCOUNT } });
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'events.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
            Condition: { StringEquals: { 'aws:SourceAccount': RULES_ACCOUNT } },
          }),
        ]),
      },
    });
  });

  it('lets exactly the granted accounts and organization through the deny on IAM principals', () => {
    expect(denyCondition('DenyPublishFromOtherAccounts')).toEqual({
      StringNotEquals: {
        // This stack's, the AccountPrincipal's and the one in the role's ARN; the role of this
        // account adds nothing new.
        'aws:PrincipalAccount': [TEST_ACCOUNT, PARTNER_ACCOUNT, '333333333333'],
        'aws:PrincipalOrgID': [ORGANIZATION],
      },
      Bool: { 'aws:PrincipalIsAWSService': 'false' },
    });
  });

  it('lets exactly this account and the granted source account through the deny on AWS services', () => {
    expect(denyCondition('DenyPublishByServicesForOtherAccounts')).toEqual({
      Bool: { 'aws:PrincipalIsAWSService': 'true' },
      StringNotEquals: { 'aws:SourceAccount': [TEST_ACCOUNT, RULES_ACCOUNT] },
    });
  });

  it('throws when the grantee’s account cannot be known, instead of granting a publish the deny refuses', () => {
    expect(() => authorizer.grantPublish(new iam.AnyPrincipal())).toThrow(RevocationAuthorizerPropsError);
  });
});

describe('RevocationAuthorizer.grantReadRevocations', () => {
  it('gives Scan on the table, Query on the change index and GetItem of the change-head items only, nothing else', () => {
    expect(grants.read.success).toBe(true);
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: logicalId(reader) }],
      PolicyDocument: {
        Statement: [
          { Effect: 'Allow', Action: 'dynamodb:Scan', Resource: tableArn() },
          {
            Effect: 'Allow',
            Action: 'dynamodb:Query',
            Resource: { 'Fn::Join': ['', [tableArn(), `/index/${REVOCATION_TABLE_SCHEMA.changesIndex.name}`]] },
          },
          {
            Effect: 'Allow',
            Action: 'dynamodb:GetItem',
            Resource: tableArn(),
            Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${REVOCATION_TABLE_SCHEMA.head.keyPrefix}*`] } },
          },
        ],
      },
    });
  });
});

import type { CfnElement, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RevocationAuthorizer } from '../../infra/revocation-authorizer.js';
import { REVOCATION_TABLE_SCHEMA } from '../../lambda/contract/index.js';
import { authorizerStack, createStubBundles, TEST_ACCOUNT } from './support/stacks.js';

const PARTNER_ACCOUNT = '222222222222';
const RULE_ARN = `arn:aws:events:eu-west-1:${TEST_ACCOUNT}:rule/revocations`;

let bundles: ReturnType<typeof createStubBundles>;
let stack: Stack;
let authorizer: RevocationAuthorizer;
let publisher: iam.Role;
let reader: iam.Role;
let grants: Record<'sameAccount' | 'otherAccount' | 'service' | 'read', iam.Grant>;
let template: Template;

beforeAll(() => {
  bundles = createStubBundles();
  ({ stack, authorizer } = authorizerStack(bundles.directory));
  publisher = new iam.Role(stack, 'Publisher', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
  reader = new iam.Role(stack, 'Reader', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
  grants = {
    sameAccount: authorizer.grantPublish(publisher),
    otherAccount: authorizer.grantPublish(new iam.AccountPrincipal(PARTNER_ACCOUNT)),
    service: authorizer.grantPublish(
      new iam.ServicePrincipal('events.amazonaws.com').withConditions({ ArnEquals: { 'aws:SourceArn': RULE_ARN } }),
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

  it('lets another account publish and exempts it from the deny on foreign accounts', () => {
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Action: 'sns:Publish',
            Principal: { AWS: Match.objectLike({ 'Fn::Join': ['', Match.arrayWith([`:iam::${PARTNER_ACCOUNT}:root`])] }) },
            Resource: topicRef(),
          }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'DenyPublishFromOtherAccounts',
            Condition: Match.objectLike({ StringNotEquals: { 'aws:PrincipalAccount': [TEST_ACCOUNT, PARTNER_ACCOUNT] } }),
          }),
        ]),
      },
    });
  });

  it('lets an AWS service publish only on behalf of the given source', () => {
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Action: 'sns:Publish',
            Principal: { Service: 'events.amazonaws.com' },
            Condition: { ArnEquals: { 'aws:SourceArn': RULE_ARN } },
          }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'events.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          }),
        ]),
      },
    });
  });
});

describe('RevocationAuthorizer.grantReadRevocations', () => {
  it('gives Scan on the table and Query on the change index, nothing else', () => {
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
        ],
      },
    });
  });
});

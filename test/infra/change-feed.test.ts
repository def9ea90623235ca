import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { Duration, type CfnElement, type Stack } from 'aws-cdk-lib';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FEED_METRICS, REVOCATION_TABLE_SCHEMA, SERVICE_NAMES } from '../../lambda/contract/index.js';
import { FeedStore } from '../../lambda/feed/feed-store.js';
import { RevocationAuthorizerPropsError } from '../../infra/props-error.js';
import type { RevocationAuthorizerProps } from '../../infra/props.js';
import type { RevocationAuthorizer } from '../../infra/revocation-authorizer.js';
import { assetFiles, authorizerStack, createStubBundles } from './support/stacks.js';

let bundles: ReturnType<typeof createStubBundles>;
let stack: Stack;
let authorizer: RevocationAuthorizer;
let template: Template;
let assembly: string;

beforeAll(() => {
  bundles = createStubBundles();
  const built = authorizerStack(bundles.directory, { changeFeed: true });
  ({ stack, authorizer } = built);
  assembly = built.app.synth().directory;
  template = Template.fromStack(stack);
});
afterAll(() => bundles.remove());

type Statement = { Action: string | string[]; Resource: unknown; Condition?: unknown };
const logicalId = (construct: IConstruct) => stack.getLogicalId(construct.node.defaultChild as CfnElement);
const tableRef = () => ({ 'Fn::GetAtt': [logicalId(authorizer.table as unknown as IConstruct), 'Arn'] });
const leadingKeys = (prefix: string) => ({ 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${prefix}*`] } });

function dynamoStatementsOf(built: Template, builtStack: Stack, fn: IConstruct & { role?: IConstruct }): Statement[] {
  const roleId = builtStack.getLogicalId(fn.role!.node.defaultChild as CfnElement);
  const policies = built.findResources('AWS::IAM::Policy', { Properties: { Roles: Match.arrayWith([{ Ref: roleId }]) } });
  return Object.values(policies)
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[])
    .filter((statement) => JSON.stringify(statement.Action).includes('dynamodb:'));
}

type SentRequest = { Key?: object; Item?: object; ExpressionAttributeNames?: Record<string, string>; ReturnValues?: string };

/**
 * The PutItem and UpdateItem requests the feed writer's store sends for a page and a head: a real
 * SDK client whose requests stop at its first middleware, recorded there, answered with nothing.
 */
async function sentRequests(): Promise<{ puts: SentRequest[]; updates: SentRequest[] }> {
  const client = new DynamoDBClient({ region: 'eu-west-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  const sent: { puts: SentRequest[]; updates: SentRequest[] } = { puts: [], updates: [] };
  client.middlewareStack.add(
    (_next, context) => async (args) => {
      if (context.commandName === 'PutItemCommand') sent.puts.push(args.input as SentRequest);
      if (context.commandName === 'UpdateItemCommand') sent.updates.push(args.input as SentRequest);
      return { output: { $metadata: {} }, response: {} };
    },
    { step: 'initialize' },
  );
  const store = new FeedStore(client, 'revocations');
  await store.writePage(7, '{"v":1,"i":[],"e":[]}');
  await store.writeHead({ seq: 7, seqAtMs: 2000, base: 6, baseAtMs: 1000, atMs: 1500 });
  return sent;
}

describe('RevocationAuthorizer changeFeed', () => {
  it('runs the feed writer from feed.mjs on nodejs22.x arm64, one at a time, each run ending before the next is due', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'feed.handler',
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      // About 58 s of steps and 5 s to spare: shorter than the schedule's minute.
      Timeout: 63,
      MemorySize: 512,
      ReservedConcurrentExecutions: 1,
    });
  });

  it('gives it the table, the authorizer’s delta overlap, the step interval and its service name', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'feed.handler',
      Environment: {
        Variables: Match.objectLike({
          REVOCATION_TABLE_NAME: { Ref: logicalId(authorizer.table as unknown as IConstruct) },
          REVOCATION_SYNC_OVERLAP_MS: '5000',
          FEED_INTERVAL_MS: '1000',
          POWERTOOLS_SERVICE_NAME: SERVICE_NAMES.feed,
        }),
      },
    });
  });

  it('starts it every minute from an EventBridge schedule, without retries at the target or in Lambda', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [logicalId(authorizer.feedFunction!), 'Arn'] },
          RetryPolicy: Match.objectLike({ MaximumRetryAttempts: 0 }),
        }),
      ],
    });
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: logicalId(authorizer.feedFunction!) },
      MaximumRetryAttempts: 0,
    });
  });

  it('logs to its own log group, kept as long as the other functions’', () => {
    const logGroup = authorizer.node.findChild('FeedLogGroup') as IConstruct;
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'feed.handler',
      LoggingConfig: { LogGroup: { Ref: logicalId(logGroup) } },
    });
    // The authorizer, the ingest, the snapshot writer and the feed writer.
    template.resourcePropertiesCountIs('AWS::Logs::LogGroup', { RetentionInDays: 30 }, 4);
  });

  it('lets the writer query the changes index, read the head and page items, update the head items’ feed attributes and put page items, nothing else', () => {
    const schema = REVOCATION_TABLE_SCHEMA;
    const onlyAttributes = (attributes: string[]) => ({
      'ForAllValues:StringEquals': { 'dynamodb:Attributes': ['pk', ...attributes] },
      StringEqualsIfExists: { 'dynamodb:ReturnValues': 'NONE' },
    });
    expect(dynamoStatementsOf(template, stack, authorizer.feedFunction!)).toEqual([
      {
        Effect: 'Allow',
        Action: 'dynamodb:Query',
        Resource: { 'Fn::Join': ['', [tableRef(), `/index/${schema.changesIndex.name}`]] },
      },
      { Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: tableRef(), Condition: leadingKeys(schema.head.keyPrefix) },
      // Its start-up checks: pages past the head (readPageSeqConsistent), the ring's highest page (readHighestPageSeqConsistent).
      {
        Effect: 'Allow',
        Action: ['dynamodb:BatchGetItem', 'dynamodb:GetItem'],
        Resource: tableRef(),
        Condition: leadingKeys(schema.feed.keyPrefix),
      },
      {
        Effect: 'Allow',
        Action: 'dynamodb:UpdateItem',
        Resource: tableRef(),
        // Never headAt, the ingest's.
        Condition: {
          ...leadingKeys(schema.head.keyPrefix),
          ...onlyAttributes(['feedSeq', 'feedSeqAt', 'feedBase', 'feedBaseAt', 'feedAt']),
        },
      },
      {
        Effect: 'Allow',
        Action: 'dynamodb:PutItem',
        Resource: tableRef(),
        Condition: { ...leadingKeys(schema.feed.keyPrefix), ...onlyAttributes(['seq', 'entries']) },
      },
    ]);
  });

  it('lists every attribute the writer’s requests name, and headAt in none of them', async () => {
    // The writer's own requests (lambda/feed/feed-store.ts) against the conditions above: a
    // request naming an attribute outside dynamodb:Attributes is denied in AWS (dynalite ignores IAM).
    const statements = dynamoStatementsOf(template, stack, authorizer.feedFunction!);
    const allowed = (action: string) => {
      const statement = statements.find((candidate) => candidate.Action === action) as {
        Condition: Record<string, Record<string, string[]>>;
      };
      return statement.Condition['ForAllValues:StringEquals']!['dynamodb:Attributes']!;
    };
    const named = (request: { Key?: object; Item?: object; ExpressionAttributeNames?: Record<string, string> }) => [
      ...Object.keys(request.Key ?? {}),
      ...Object.keys(request.Item ?? {}),
      ...Object.values(request.ExpressionAttributeNames ?? {}),
    ];
    const sent = await sentRequests();
    expect(sent.puts.length).toBeGreaterThan(0);
    expect(sent.updates.length).toBeGreaterThan(0);
    for (const put of sent.puts) expect(allowed('dynamodb:PutItem')).toEqual(expect.arrayContaining(named(put)));
    for (const update of sent.updates) {
      expect(allowed('dynamodb:UpdateItem')).toEqual(expect.arrayContaining(named(update)));
      expect(update.ReturnValues ?? 'NONE').toBe('NONE');
    }
    expect(allowed('dynamodb:UpdateItem')).not.toContain(REVOCATION_TABLE_SCHEMA.head.attribute);
  });

  it('lets the authorizer and the snapshot writer BatchGetItem the page items only', () => {
    for (const fn of [authorizer.authorizerFunction, authorizer.snapshotFunction!]) {
      expect(dynamoStatementsOf(template, stack, fn)).toContainEqual({
        Effect: 'Allow',
        Action: 'dynamodb:BatchGetItem',
        Resource: tableRef(),
        Condition: leadingKeys(REVOCATION_TABLE_SCHEMA.feed.keyPrefix),
      });
    }
  });

  it('has the ingest raise the change head only while the feed is not live', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'ingest.handler',
      Environment: { Variables: Match.objectLike({ INGEST_RAISE_CHANGE_HEAD: 'auto' }) },
    });
  });

  it('lets the ingest read the change-head items, which `auto` does after each batch, and no other item', () => {
    expect(dynamoStatementsOf(template, stack, authorizer.ingestFunction)).toEqual([
      { Effect: 'Allow', Action: 'dynamodb:UpdateItem', Resource: tableRef() },
      { Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: tableRef(), Condition: leadingKeys(REVOCATION_TABLE_SCHEMA.head.keyPrefix) },
    ]);
  });

  it('packages only feed.mjs for the feed writer', () => {
    expect(assetFiles(stack, assembly, authorizer.feedFunction!)).toEqual(['feed.mjs']);
  });

  it('alarms on any failed run of the writer', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: logicalId(authorizer.feedFunction!) } }],
      Threshold: 1,
      EvaluationPeriods: 1,
    });
  });

  it('alarms on any revocation the writer could not put in a page', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'RevocationAuthorizer',
      MetricName: FEED_METRICS.feedEntriesSkipped,
      Dimensions: [{ Name: 'service', Value: SERVICE_NAMES.feed }],
      Statistic: 'Sum',
      Threshold: 1,
    });
  });

  it('alarms when the feed lags five steps for three minutes, or reports nothing at all', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'RevocationAuthorizer',
      MetricName: FEED_METRICS.feedLagMs,
      Dimensions: [{ Name: 'service', Value: SERVICE_NAMES.feed }],
      ExtendedStatistic: 'p90',
      Period: 60,
      Threshold: 5000,
      EvaluationPeriods: 3,
      TreatMissingData: 'breaching',
    });
  });

  it('shows the feed’s pages, entries, step failures, lag and function on the dashboard', () => {
    const [dashboard] = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
    const body = JSON.stringify(dashboard!.Properties.DashboardBody);
    for (const name of Object.values(FEED_METRICS)) expect(body).toContain(name);
    expect(body).toContain('Change feed function');
  });

  it('adds the feed max lag (5 s by default), not the writer’s 1 s step, to the worst-case revocation delay', () => {
    // Cache TTL 0 + sync interval 1 s + REVOCATION_FEED_MAX_LAG_MS 5 s.
    expect(authorizer.worstCaseRevocationDelay.toMilliseconds()).toBe(1000 + 5000);
  });
});

describe('RevocationAuthorizer changeFeed options', () => {
  const synth = (props: Partial<RevocationAuthorizerProps>) => Template.fromStack(authorizerStack(bundles.directory, props).stack);

  it('creates no feed writer, schedule, page grant or head switch by default', () => {
    const { stack: plain, authorizer: plainAuthorizer } = authorizerStack(bundles.directory);
    const built = Template.fromStack(plain);
    built.resourcePropertiesCountIs('AWS::Lambda::Function', { Handler: 'feed.handler' }, 0);
    built.resourceCountIs('AWS::Events::Rule', 1); // the snapshot writer's
    expect(plainAuthorizer.feedFunction).toBeUndefined();
    const actions = dynamoStatementsOf(built, plain, plainAuthorizer.authorizerFunction).flatMap((statement) => [statement.Action].flat());
    expect(actions).not.toContain('dynamodb:BatchGetItem');
    const ingest = built.findResources('AWS::Lambda::Function', { Properties: { Handler: 'ingest.handler' } });
    expect(Object.values(ingest)[0]!.Properties.Environment.Variables).not.toHaveProperty('INGEST_RAISE_CHANGE_HEAD');
  });

  it('lets the ingest read no item without the feed', () => {
    const { stack: plain, authorizer: plainAuthorizer } = authorizerStack(bundles.directory);
    expect(dynamoStatementsOf(Template.fromStack(plain), plain, plainAuthorizer.ingestFunction)).toEqual([
      {
        Effect: 'Allow',
        Action: 'dynamodb:UpdateItem',
        Resource: { 'Fn::GetAtt': [plain.getLogicalId(plainAuthorizer.table.node.defaultChild as CfnElement), 'Arn'] },
      },
    ]);
  });

  it('bounds the revocation delay with the feed max lag the authorizer is given', () => {
    const withLag = (environment: Record<string, string>, maxStaleness?: Duration) =>
      authorizerStack(bundles.directory, {
        changeFeed: true,
        authorizerEnvironment: environment,
        ...(maxStaleness ? { maxStaleness } : {}),
      }).authorizer.worstCaseRevocationDelay.toMilliseconds();
    expect(withLag({ REVOCATION_FEED_MAX_LAG_MS: '8000' })).toBe(1000 + 8000);
    // 0: instances never follow a feed, and query the index every sync themselves.
    expect(withLag({ REVOCATION_FEED_MAX_LAG_MS: '0' })).toBe(1000);
    // The authorizer's own default: at most half of maxStaleness.
    expect(withLag({}, Duration.seconds(6))).toBe(1000 + 3000);
    expect(
      authorizerStack(bundles.directory, {
        authorizerEnvironment: { REVOCATION_FEED_MAX_LAG_MS: '8000' },
      }).authorizer.worstCaseRevocationDelay.toMilliseconds(),
    ).toBe(1000);
  });

  it('gives the writer the overlap the authorizer is given', () => {
    synth({ changeFeed: true, authorizerEnvironment: { REVOCATION_SYNC_OVERLAP_MS: '12000' } }).hasResourceProperties(
      'AWS::Lambda::Function',
      { Handler: 'feed.handler', Environment: { Variables: Match.objectLike({ REVOCATION_SYNC_OVERLAP_MS: '12000' }) } },
    );
  });

  it('keeps the change head raised when ingestEnvironment says so, for a rollout', () => {
    synth({ changeFeed: true, ingestEnvironment: { INGEST_RAISE_CHANGE_HEAD: 'true' } }).hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'ingest.handler',
      Environment: { Variables: Match.objectLike({ INGEST_RAISE_CHANGE_HEAD: 'true' }) },
    });
  });

  it('throws when changeFeed is not a boolean', () => {
    expect(() => authorizerStack(bundles.directory, { changeFeed: 'yes' as unknown as boolean })).toThrow(
      /changeFeed: must be true or false, got "yes"/,
    );
  });

  it('throws when the bundle directory holds no feed.mjs, naming the prop', () => {
    const partial = createStubBundles();
    rmSync(join(partial.directory, 'feed.mjs'));
    try {
      expect(() => authorizerStack(partial.directory, { changeFeed: true })).toThrow(RevocationAuthorizerPropsError);
      expect(() => authorizerStack(partial.directory, { changeFeed: true })).toThrow(/bundleDirectory: .*feed\.mjs does not exist/);
      expect(() => authorizerStack(partial.directory)).not.toThrow();
    } finally {
      partial.remove();
    }
  });
});

import { Duration } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { DEFAULTS, FUNCTION_TIMEOUT_SECONDS, REVOCATION_TABLE_SCHEMA as SCHEMA } from '../lambda/contract/index.js';
import { acknowledgeRuntime, bundleCode, functionRole, leadingKeys } from './authorizer-function.js';
import { feedEnvironment } from './function-environment.js';
import type { ResolvedSettings } from './props.js';

/**
 * The change feed (`changeFeed`; docs/deploy.md and docs/scale.md, "The change feed"): one writer reads the change
 * index every FEED_INTERVAL_MS and publishes what is new as numbered pages, each written to 32
 * replica items, and its state to the 32 head items; every authorizer instance then reads one head
 * replica per sync interval and only the new pages, instead of querying every shard of the index.
 *
 * Why it is off by default: the writer heartbeats, updating all 32 head items every step even when
 * nothing changed, about 2.8 million write request units a day (≈ $1.73 a day on demand, per region
 * holding a replica of the table), plus an always-running function. Worth it for a large fleet,
 * where the per-instance index queries it replaces cost more and run into the index partitions'
 * read limit (about 545 warm instances at 100 revocations/s: docs/scale.md, "Delta sync and the fleet").
 */

/** How often the writer steps (its FEED_INTERVAL_MS); the writer's own default, set explicitly. */
export const FEED_INTERVAL_MS = DEFAULTS.feedIntervalMs;

/** What the feed writer is built from. */
export interface FeedFunctionOptions {
  readonly settings: ResolvedSettings;
  readonly table: dynamodb.ITable;
  readonly bundleDirectory: string;
  readonly includeSourceMaps: boolean;
}

/**
 * The feed writer (`dist/feed.mjs`), started every minute by an EventBridge schedule: it steps
 * until about 5 s of its 63 s remain, so a run ends a couple of seconds before the next is due
 * (FUNCTION_TIMEOUT_SECONDS.feed says why not longer). Reserved concurrency 1 keeps two runs from
 * racing for the same pages: a run that starts early (a late previous one, schedule jitter) waits
 * in Lambda's asynchronous queue, throttled and retried, until the previous one ends. No retries:
 * a failed run is replaced by the next one within a minute.
 */
export function createFeedFunction(scope: Construct, options: FeedFunctionOptions): lambda.Function {
  const { settings, table } = options;
  const logGroup = new logs.LogGroup(scope, 'FeedLogGroup', { retention: settings.logRetention });
  const fn = new lambda.Function(scope, 'FeedFunction', {
    ...settings.functionOptions,
    runtime: lambda.Runtime.NODEJS_22_X,
    architecture: lambda.Architecture.ARM_64,
    description: 'Publishes the revocation change feed: pages of new revocations and the feed head',
    code: bundleCode(options.bundleDirectory, 'feed', options.includeSourceMaps),
    handler: 'feed.handler',
    role: functionRole(scope, 'FeedRole', logGroup),
    logGroup,
    // I/O-bound (a Query and 32 UpdateItems a second), but a burst of revocations makes pages of up
    // to 256 KiB, each encoded once and sent to 32 replicas: 512 MiB buys the CPU for that. It runs
    // all the time, so this is about $17 a month (arm64 list price).
    memorySize: 512,
    timeout: Duration.seconds(FUNCTION_TIMEOUT_SECONDS.feed),
    reservedConcurrentExecutions: 1,
    retryAttempts: 0,
    // Long enough for the next run's event to wait out the current run (a few seconds).
    maxEventAge: Duration.minutes(1),
    environment: feedEnvironment(settings, table.tableName, FEED_INTERVAL_MS),
  });
  acknowledgeRuntime(fn);
  grantFeedWrites(fn, table);
  new events.Rule(scope, 'FeedSchedule', {
    description: 'Runs the revocation change feed writer',
    schedule: events.Schedule.rate(Duration.minutes(1)),
    targets: [new targets.LambdaFunction(fn, { retryAttempts: 0, maxEventAge: Duration.minutes(1) })],
  });
  return fn;
}

/**
 * What the feed writer does to the table, and nothing else (lambda/feed/feed-store.ts): Query of
 * the `changes` index; GetItem of the head items (`head#…`: its consistent start-up read) and of
 * the page items and BatchGetItem of them (`feed#…`: at start-up, whether pages lie past the head,
 * and with no feed state the highest page in the ring); UpdateItem of the head
 * items, of the feed's attributes only, never the ingest's `headAt`; PutItem of the page items,
 * holding `pk`, `seq` and `entries` only. dynamodb:LeadingKeys is the partition key value.
 *
 * dynamodb:Attributes (DynamoDB's IAM condition keys, "Using IAM policy conditions for
 * fine-grained access control",
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/specifying-conditions.html, and
 * IAM's example "Amazon DynamoDB: Allows access to specific attributes") is the set of top-level
 * attribute names a request accesses: for PutItem the item's attributes, for UpdateItem those its
 * expressions name (ExpressionAttributeNames count), the key included, which is why `pk` is
 * listed. With ForAllValues:StringEquals a request naming any other attribute is denied. An
 * update's ReturnValues ALL_OLD or ALL_NEW would return attributes outside the list, so
 * dynamodb:ReturnValues is held to NONE (or absent, which is what the writer sends): the writer
 * asks for no return values.
 */
export function grantFeedWrites(grantee: iam.IGrantable, table: dynamodb.ITable): iam.Grant {
  const indexArn = `${table.tableArn}/index/${SCHEMA.changesIndex.name}`;
  const statement = (actions: string[], prefix: string, attributes?: readonly string[]): iam.Grant =>
    iam.Grant.addToPrincipal({
      grantee,
      actions,
      resourceArns: [table.tableArn],
      conditions: {
        ...leadingKeys(prefix),
        ...(attributes === undefined
          ? {}
          : {
              'ForAllValues:StringEquals': { 'dynamodb:Attributes': [SCHEMA.partitionKey.name, ...attributes] },
              StringEqualsIfExists: { 'dynamodb:ReturnValues': 'NONE' },
            }),
      },
    });
  return iam.Grant.addToPrincipal({ grantee, actions: ['dynamodb:Query'], resourceArns: [indexArn] })
    .combine(statement(['dynamodb:GetItem'], SCHEMA.head.keyPrefix))
    .combine(statement(['dynamodb:GetItem', 'dynamodb:BatchGetItem'], SCHEMA.feed.keyPrefix))
    .combine(statement(['dynamodb:UpdateItem'], SCHEMA.head.keyPrefix, Object.values(SCHEMA.head.feed)))
    .combine(statement(['dynamodb:PutItem'], SCHEMA.feed.keyPrefix, Object.values(SCHEMA.feed.attributes)));
}

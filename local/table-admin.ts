import {
  BatchWriteItemCommand,
  CreateTableCommand,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { REVOCATION_TABLE_SCHEMA as SCHEMA } from '../lambda/contract/index.js';
import {
  assertStorable,
  errorName,
  forEachLimited,
  Retrier,
  RevocationStore,
  toItem,
  type Revocation,
  type RetryOptions,
} from '../lambda/revocation/index.js';
import { describeError, RevocationWriteError } from '../lambda/shared/index.js';

/**
 * Table administration for `npm run table:create`, the local stack, benchmarks and tests: never
 * part of a Lambda bundle. The schema is lambda/contract/table-schema.ts (the CDK construct
 * creates the same table on AWS), the items are lambda/revocation/table-codec.ts's.
 */

export interface CreateTableResult {
  /** False when the table already existed. */
  readonly created: boolean;
  /** `unsupported` on endpoints without UpdateTimeToLive (dynalite). */
  readonly timeToLive: 'enabled' | 'already-enabled' | 'unsupported';
}

/**
 * Creates the revocation table and its change index if missing, waits until it is active, and
 * turns TTL on. Idempotent. An endpoint without UpdateTimeToLive (dynalite) is tolerated: readers
 * filter expired items themselves, and on AWS the CDK construct sets TTL.
 */
export async function createRevocationTable(
  client: DynamoDBClient,
  tableName: string,
  options: { maxWaitSeconds?: number } = {},
): Promise<CreateTableResult> {
  const index = SCHEMA.changesIndex;
  let created = true;
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: SCHEMA.partitionKey.name, AttributeType: SCHEMA.partitionKey.type },
          { AttributeName: index.partitionKey.name, AttributeType: index.partitionKey.type },
          { AttributeName: index.sortKey.name, AttributeType: index.sortKey.type },
        ],
        KeySchema: [{ AttributeName: SCHEMA.partitionKey.name, KeyType: 'HASH' }],
        GlobalSecondaryIndexes: [
          {
            IndexName: index.name,
            KeySchema: [
              { AttributeName: index.partitionKey.name, KeyType: 'HASH' },
              { AttributeName: index.sortKey.name, KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: index.projectionType },
          },
        ],
      }),
    );
  } catch (error) {
    if (errorName(error) !== 'ResourceInUseException') throw error;
    created = false;
  }
  await waitUntilTableExists({ client, maxWaitTime: options.maxWaitSeconds ?? 300, minDelay: 1, maxDelay: 5 }, { TableName: tableName });
  let timeToLive: CreateTableResult['timeToLive'] = 'enabled';
  try {
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: tableName,
        TimeToLiveSpecification: { AttributeName: SCHEMA.timeToLiveAttribute, Enabled: true },
      }),
    );
  } catch (error) {
    const name = errorName(error);
    if (name === 'UnknownOperationException') timeToLive = 'unsupported';
    // DynamoDB refuses to enable TTL twice: "TimeToLive is already enabled".
    else if (name === 'ValidationException' && /already enabled/i.test((error as Error).message)) timeToLive = 'already-enabled';
    else throw error;
  }
  return { created, timeToLive };
}

/** BatchWriteItem's limit on items per request. */
const BATCH_WRITE_LIMIT = 25;

/**
 * Bulk-writes revocations with BatchWriteItem, unconditionally: for seeding tests and benchmarks,
 * never for the ingest or `npm run table:import` (it would lower cut-offs). Checks every
 * revocation against the table's rules first; unprocessed items are retried with backoff; then
 * raises the change head, so warm authorizers notice the items.
 * @returns how many items were written.
 */
export async function importRevocations(
  client: DynamoDBClient,
  tableName: string,
  revocations: readonly Revocation[],
  options: { nowMs?: number; concurrency?: number } & RetryOptions = {},
): Promise<number> {
  assertStorable(revocations);
  const retrier = new Retrier(options);
  const nowMs = Math.floor(options.nowMs ?? Date.now());
  const batches: Record<string, AttributeValue>[][] = [];
  for (let start = 0; start < revocations.length; start += BATCH_WRITE_LIMIT) {
    batches.push(revocations.slice(start, start + BATCH_WRITE_LIMIT).map((revocation) => toItem(revocation, nowMs)));
  }
  await forEachLimited(batches, options.concurrency ?? 8, async (items) => {
    let pending = items.map((Item) => ({ PutRequest: { Item } }));
    for (let attempt = 1; pending.length > 0; attempt++) {
      if (attempt > retrier.maxAttempts) throw new Error(`${pending.length} items stayed unprocessed`);
      if (attempt > 1) await retrier.sleep(retrier.backoffMs(attempt));
      const response = await retrier.run(() => client.send(new BatchWriteItemCommand({ RequestItems: { [tableName]: pending } })));
      pending = (response.UnprocessedItems?.[tableName] ?? []) as typeof pending;
    }
  }).catch((error: unknown) => {
    throw new RevocationWriteError(`bulk write to ${tableName} failed: ${describeError(error)}`, { cause: error });
  });
  if (revocations.length > 0) await new RevocationStore(client, tableName, options).raiseHead(nowMs);
  return revocations.length;
}

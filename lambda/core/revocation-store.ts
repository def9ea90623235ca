import {
  BatchGetItemCommand,
  BatchWriteItemCommand,
  CreateTableCommand,
  DynamoDBClient,
  QueryCommand,
  ScanCommand,
  UpdateItemCommand,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';
import { describeError, InvalidMessageError, RevocationStateUnavailableError, RevocationWriteError } from './errors.js';
import { ANY_ISSUER, revocationId, type Revocation, type RevocationKind } from './revocation.js';
import { REVOCATION_TABLE_SCHEMA as SCHEMA } from './table-schema.js';

/**
 * The only module that knows the revocation table's keys and items (see table-schema.ts): key
 * encoding, shard choice, conditional monotonic writes for the ingest, and the reads the
 * authorizer needs (cold-start scan, change query, consistent reads for strong mode).
 *
 * Library errors are wrapped here: reads throw RevocationStateUnavailableError, writes
 * RevocationWriteError, each with the DynamoDB error as `cause`.
 */
export class RevocationStore {
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private readonly maxAttempts: number;
  private readonly pageSize: number | undefined;
  private readonly now: () => number;

  constructor(
    private readonly client: DynamoDBClient,
    readonly tableName: string,
    options: RevocationStoreOptions = {},
  ) {
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.random = options.random ?? Math.random;
    this.maxAttempts = options.maxAttempts ?? 8;
    this.pageSize = options.pageSize;
    this.now = options.now ?? Date.now;
  }

  /**
   * Creates the table and its change index if missing, waits until it is active, and turns TTL
   * on. Idempotent. An endpoint without UpdateTimeToLive (dynalite) is tolerated: readers filter
   * expired items themselves, and on AWS the CDK construct sets TTL.
   */
  async createTable(options: { maxWaitSeconds?: number } = {}): Promise<CreateTableResult> {
    const index = SCHEMA.changesIndex;
    let created = true;
    try {
      await this.client.send(
        new CreateTableCommand({
          TableName: this.tableName,
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
    await waitUntilTableExists(
      { client: this.client, maxWaitTime: options.maxWaitSeconds ?? 300, minDelay: 1, maxDelay: 5 },
      { TableName: this.tableName },
    );
    let timeToLive: CreateTableResult['timeToLive'] = 'enabled';
    try {
      await this.client.send(
        new UpdateTimeToLiveCommand({
          TableName: this.tableName,
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

  /**
   * Writes revocations with conditional, idempotent, monotonic updates: a cut-off only moves
   * forward, a jti's expiry only extends. A duplicate or older revocation changes nothing and is
   * counted as `unchanged`. Everything is validated before the first write; throttling and timeouts
   * are retried with exponential backoff and full jitter. Writes run `concurrency` at a time.
   *
   * Each write is stamped (`updatedAt`, the change index's sort key) when it is sent, attempt by
   * attempt, not when the batch began: a delta sync reads what was stamped after its previous read
   * minus REVOCATION_SYNC_OVERLAP_MS, so the time from stamp to visibility must stay under that
   * overlap. Stamping the batch once made the tail of a large or throttled batch land stamped in
   * the past, invisible to every warm instance. `nowMs` fixes the stamp instead, for tests.
   * @throws InvalidMessageError before writing anything if a revocation is malformed.
   * @throws RevocationWriteError when a write fails for good; the writes that succeeded stay, and
   *   retrying the whole batch is safe.
   */
  async applyRevocations(revocations: readonly Revocation[], options: { nowMs?: number; concurrency?: number } = {}): Promise<ApplyResult> {
    revocations.forEach(validateRevocation);
    const fixedStampMs = options.nowMs === undefined ? undefined : Math.floor(options.nowMs);
    const result: ApplyResult = {
      applied: { jti: 0, subject: 0, client: 0 },
      unchanged: { jti: 0, subject: 0, client: 0 },
    };
    await forEachLimited(revocations, options.concurrency ?? 32, async (revocation) => {
      const changed = await this.withRetries(() => this.write(revocation, fixedStampMs ?? Math.floor(this.now())), true);
      (changed ? result.applied : result.unchanged)[revocation.kind]++;
    }).catch((error: unknown) => {
      throw new RevocationWriteError(`revocation write to ${this.tableName} failed: ${describeError(error)}`, { cause: error });
    });
    return result;
  }

  /**
   * Bulk-writes revocations with BatchWriteItem, unconditionally: for seeding tests, benchmarks
   * and restores into an empty table, never for the ingest (it would lower cut-offs). Validates
   * everything first; unprocessed items are retried with backoff.
   * @returns how many items were written.
   */
  async importRevocations(revocations: readonly Revocation[], options: { nowMs?: number; concurrency?: number } = {}): Promise<number> {
    revocations.forEach(validateRevocation);
    const nowMs = Math.floor(options.nowMs ?? Date.now());
    const batches: Record<string, AttributeValue>[][] = [];
    for (let start = 0; start < revocations.length; start += BATCH_WRITE_LIMIT) {
      batches.push(revocations.slice(start, start + BATCH_WRITE_LIMIT).map((revocation) => toItem(revocation, nowMs)));
    }
    await forEachLimited(batches, options.concurrency ?? 8, async (items) => {
      let pending = items.map((Item) => ({ PutRequest: { Item } }));
      for (let attempt = 1; pending.length > 0; attempt++) {
        if (attempt > this.maxAttempts) throw new Error(`${pending.length} items stayed unprocessed`);
        if (attempt > 1) await this.sleep(this.backoffMs(attempt));
        const response = await this.withRetries(() =>
          this.client.send(new BatchWriteItemCommand({ RequestItems: { [this.tableName]: pending } })),
        );
        pending = (response.UnprocessedItems?.[this.tableName] ?? []) as typeof pending;
      }
    }).catch((error: unknown) => {
      throw new RevocationWriteError(`bulk write to ${this.tableName} failed: ${describeError(error)}`, { cause: error });
    });
    return revocations.length;
  }

  /**
   * Reads every live revocation with a parallel Scan (`segments` segments), projecting only what
   * the cache needs and filtering expired items in the request and again here, since DynamoDB
   * deletes expired items up to days late.
   */
  async scanLive(segments: number, nowEpochSeconds: number, visit: (revocation: Revocation) => void): Promise<ReadSummary> {
    const summary = { items: 0, expired: 0, skipped: 0 };
    const scanSegment = async (segment: number): Promise<void> => {
      let startKey: Record<string, AttributeValue> | undefined;
      do {
        const page = await this.read(
          () =>
            this.client.send(
              new ScanCommand({
                TableName: this.tableName,
                Segment: segment,
                TotalSegments: segments,
                ...liveItemsRequest(nowEpochSeconds),
                Limit: this.pageSize,
                ExclusiveStartKey: startKey,
              }),
            ),
          true,
        );
        summary.expired += (page.ScannedCount ?? 0) - (page.Count ?? 0);
        visitItems(page.Items, nowEpochSeconds, summary, visit);
        startKey = page.LastEvaluatedKey;
      } while (startKey !== undefined);
    };
    await Promise.all(Array.from({ length: segments }, (_, segment) => scanSegment(segment)));
    return summary;
  }

  /**
   * Reads the live revocations written after `sinceEpochMs`, from every shard of the change
   * index. Index reads are eventually consistent: callers pass a `since` that overlaps the
   * previous read and apply with max-wins.
   */
  async queryChanges(sinceEpochMs: number, nowEpochSeconds: number, visit: (revocation: Revocation) => void): Promise<ReadSummary> {
    const summary = { items: 0, expired: 0, skipped: 0 };
    const request = liveItemsRequest(nowEpochSeconds);
    const index = SCHEMA.changesIndex;
    const queryShard = async (shard: number): Promise<void> => {
      let startKey: Record<string, AttributeValue> | undefined;
      do {
        const page = await this.read(() =>
          this.client.send(
            new QueryCommand({
              TableName: this.tableName,
              IndexName: index.name,
              KeyConditionExpression: '#shard = :shard AND #updatedAt > :since',
              ProjectionExpression: request.ProjectionExpression,
              FilterExpression: request.FilterExpression,
              ExpressionAttributeNames: {
                ...request.ExpressionAttributeNames,
                '#shard': index.partitionKey.name,
                '#updatedAt': index.sortKey.name,
              },
              ExpressionAttributeValues: {
                ...request.ExpressionAttributeValues,
                ':shard': { N: String(shard) },
                ':since': { N: String(Number.isFinite(sinceEpochMs) ? Math.max(0, Math.floor(sinceEpochMs)) : 0) },
              },
              Limit: this.pageSize,
              ExclusiveStartKey: startKey,
            }),
          ),
        );
        summary.expired += (page.ScannedCount ?? 0) - (page.Count ?? 0);
        visitItems(page.Items, nowEpochSeconds, summary, visit);
        startKey = page.LastEvaluatedKey;
      } while (startKey !== undefined);
    };
    await Promise.all(Array.from({ length: SCHEMA.indexShards }, (_, shard) => queryShard(shard)));
    return summary;
  }

  /**
   * Strongly consistent reads of every key a token can be revoked under: its jti, subject and
   * client, each for its issuer and for any issuer. Returns the live revocations found.
   */
  async getForToken(token: TokenKeys, nowEpochSeconds: number): Promise<Revocation[]> {
    const keys = new Set<string>();
    for (const issuer of [token.issuer, ANY_ISSUER]) {
      keys.add(revocationKey('jti', issuer, token.tokenId));
      if (token.subject !== undefined) keys.add(revocationKey('subject', issuer, token.subject));
      if (token.clientId !== undefined) keys.add(revocationKey('client', issuer, token.clientId));
    }
    const request = liveItemsRequest(nowEpochSeconds);
    const found: Revocation[] = [];
    const summary = { items: 0, expired: 0, skipped: 0 };
    let pending: Record<string, AttributeValue>[] = [...keys].map((pk) => ({ [SCHEMA.partitionKey.name]: { S: pk } }));
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt > 0) {
        if (attempt >= this.maxAttempts) {
          throw new RevocationStateUnavailableError(`consistent read of ${this.tableName} left keys unprocessed`);
        }
        await this.sleep(this.backoffMs(attempt));
      }
      const response = await this.read(() =>
        this.client.send(
          new BatchGetItemCommand({
            RequestItems: {
              [this.tableName]: {
                Keys: pending,
                ConsistentRead: true,
                ProjectionExpression: request.ProjectionExpression,
                ExpressionAttributeNames: request.ExpressionAttributeNames,
              },
            },
          }),
        ),
      );
      visitItems(response.Responses?.[this.tableName], nowEpochSeconds, summary, (revocation) => found.push(revocation));
      pending = response.UnprocessedKeys?.[this.tableName]?.Keys ?? [];
    }
    return found;
  }

  private async write(revocation: Revocation, nowMs: number): Promise<boolean> {
    const id = revocationId(revocation);
    const pk = revocationKey(revocation.kind, revocation.issuer, id);
    const names: Record<string, string> = {
      '#pk': SCHEMA.partitionKey.name,
      '#kind': ATTRIBUTES.kind,
      '#iss': ATTRIBUTES.issuer,
      '#id': ATTRIBUTES.id,
      '#revokedAt': ATTRIBUTES.revokedAt,
      '#expiresAt': SCHEMA.timeToLiveAttribute,
      '#shard': SCHEMA.changesIndex.partitionKey.name,
      '#updatedAt': SCHEMA.changesIndex.sortKey.name,
    };
    const values: Record<string, AttributeValue> = {
      ':kind': { S: revocation.kind },
      ':iss': { S: revocation.issuer },
      ':id': { S: id },
      ':expiresAt': { N: String(revocation.expiresAtEpochSeconds) },
      ':shard': { N: String(shardOf(pk)) },
      ':updatedAt': { N: String(nowMs) },
    };
    const common = '#kind = :kind, #iss = :iss, #id = :id, #expiresAt = :expiresAt, #shard = :shard, #updatedAt = :updatedAt';
    let update: string;
    let condition: string;
    if (revocation.kind === 'jti') {
      // A jti only gains a later expiry; revokedAt keeps the time it was first revoked.
      values[':revokedAt'] = { N: String(nowMs) };
      update = `SET ${common}, #revokedAt = if_not_exists(#revokedAt, :revokedAt)`;
      condition = 'attribute_not_exists(#pk) OR #expiresAt < :expiresAt';
    } else {
      // DESIGN.md: a cut-off only moves forward; an older, duplicate or replayed one changes nothing.
      values[':revokedAt'] = { N: String(revocation.revokedAtEpochMs) };
      update = `SET ${common}, #revokedAt = :revokedAt`;
      condition = 'attribute_not_exists(#pk) OR #revokedAt < :revokedAt';
    }
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: { [SCHEMA.partitionKey.name]: { S: pk } },
          UpdateExpression: update,
          ConditionExpression: condition,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
      return true;
    } catch (error) {
      if (errorName(error) === 'ConditionalCheckFailedException') return false;
      throw error;
    }
  }

  /**
   * Retries throttling and server errors. `timeouts` retries request timeouts and reset
   * connections too: right for idempotent writes, wrong for the cold-start scan, whose caller
   * would rather fail within its own deadline than wait out several more timeouts.
   */
  private async withRetries<T>(operation: () => Promise<T>, timeouts = false): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await operation();
      } catch (error) {
        if (attempt >= this.maxAttempts || !(isRetryable(error) || (timeouts && errorName(error) === 'TimeoutError'))) throw error;
        await this.sleep(this.backoffMs(attempt));
      }
    }
  }

  /**
   * One read, wrapped. Only the cold-start scan adds retries to the SDK's own: a throttled page
   * should not restart a load of a million items, while a delta or consistent read on the
   * request path should fail fast and let the caller decide.
   */
  private async read<T>(operation: () => Promise<T>, retry = false): Promise<T> {
    try {
      return await (retry ? this.withRetries(operation) : operation());
    } catch (error) {
      throw new RevocationStateUnavailableError(`reading ${this.tableName} failed: ${describeError(error)}`, { cause: error });
    }
  }

  /** Full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter"): uniform in [0, min(cap, base * 2^attempt)). */
  private backoffMs(attempt: number): number {
    return Math.floor(this.random() * Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** attempt));
  }
}

export interface RevocationStoreOptions {
  /** Items examined per Scan or Query page; DynamoDB's 1 MB page when undefined. @default undefined */
  readonly pageSize?: number;
  /** Attempts per request on throttling and server errors, on top of the SDK's own. @default 8 */
  readonly maxAttempts?: number;
  /** For tests: waits between attempts. @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
  /** For tests: the jitter source. @default Math.random */
  readonly random?: () => number;
  /** The clock that stamps each write's `updatedAt` as it is sent. @default Date.now */
  readonly now?: () => number;
}

export interface CreateTableResult {
  /** False when the table already existed. */
  readonly created: boolean;
  /** `unsupported` on endpoints without UpdateTimeToLive (dynalite). */
  readonly timeToLive: 'enabled' | 'already-enabled' | 'unsupported';
}

/** How many revocations a batch changed, and how many it left as they were, per kind. */
export interface ApplyResult {
  readonly applied: Record<RevocationKind, number>;
  readonly unchanged: Record<RevocationKind, number>;
}

/** What a read returned: live items handed on, expired ones DynamoDB still held, unreadable ones. */
export interface ReadSummary {
  items: number;
  expired: number;
  skipped: number;
}

/** The fields of a verified token that revocations are keyed by. */
export interface TokenKeys {
  readonly issuer: string;
  readonly tokenId: string;
  readonly subject: string | undefined;
  readonly clientId: string | undefined;
}

/** Item attributes besides the key, TTL and index attributes named in table-schema.ts. */
const ATTRIBUTES = { kind: 'kind', issuer: 'iss', id: 'id', revokedAt: 'revokedAt' } as const;

const KINDS: readonly RevocationKind[] = ['jti', 'subject', 'client'];
const BACKOFF_BASE_MS = 25;
const BATCH_WRITE_LIMIT = 25;
const BACKOFF_CAP_MS = 2000;
/** DynamoDB's limit on a partition key value. */
const MAX_KEY_BYTES = 2048;
/** Larger TTLs are milliseconds by mistake (they would mean the year 2286 or later). */
const MAX_EPOCH_SECONDS = 10_000_000_000;
/** Smaller cut-offs are seconds by mistake (they would mean 1973 or earlier). */
const MIN_EPOCH_MS = 100_000_000_000;

const RETRYABLE_ERRORS = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'InternalServerError',
  'ServiceUnavailable',
  'TransactionConflictException',
]);

/**
 * A DynamoDB client for the authorizer's request path. The SDK sets no timeout by default, so a
 * table that accepts connections and never answers would hold every request waiting on a sync
 * until the Lambda timeout; with these, the sync fails fast and the staleness rules decide.
 * Endpoint, region and credentials come from the environment (AWS_ENDPOINT_URL_DYNAMODB, ...).
 */
export function createRevocationClient(
  options: { connectionTimeoutMs?: number; requestTimeoutMs?: number; maxAttempts?: number } = {},
): DynamoDBClient {
  const client = new DynamoDBClient({
    maxAttempts: options.maxAttempts ?? 2,
    requestHandler: {
      connectionTimeout: options.connectionTimeoutMs ?? 1000,
      requestTimeout: options.requestTimeoutMs ?? 2000,
      // Without it, smithy only logs a warning when the request timeout passes.
      throwOnRequestTimeout: true,
    },
  });
  // The SDK's logger middleware copies every response through its sensitive-data filter even
  // with the default no-op logger: 28% of the CPU of a cold-start scan. This client logs nothing.
  client.middlewareStack.remove('loggerMiddleware');
  return client;
}

/**
 * The item key: `${kind}#${encodeURIComponent(issuer)}#${id}`. The issuer is encoded so a `#`
 * inside it cannot move the boundary; the id, last, needs no encoding.
 */
export function revocationKey(kind: RevocationKind, issuer: string, id: string): string {
  return `${kind}#${encodeURIComponent(issuer)}#${id}`;
}

/** The inverse of {@link revocationKey}, or undefined for a key this version does not know. */
export function parseRevocationKey(pk: string): { kind: RevocationKind; issuer: string; id: string } | undefined {
  const first = pk.indexOf('#');
  const second = first < 0 ? -1 : pk.indexOf('#', first + 1);
  if (second < 0) return undefined;
  const kind = pk.slice(0, first) as RevocationKind;
  if (!KINDS.includes(kind)) return undefined;
  const encodedIssuer = pk.slice(first + 1, second);
  let issuer: string;
  try {
    issuer = encodedIssuer.includes('%') ? decodeURIComponent(encodedIssuer) : encodedIssuer;
  } catch {
    return undefined;
  }
  const id = pk.slice(second + 1);
  if (issuer === '' || id === '') return undefined;
  return { kind, issuer, id };
}

/**
 * The change-index shard of an item: FNV-1a of its key modulo the shard count. Stable across
 * writers and versions, so rewrites of one item stay in one shard.
 */
export function shardOf(pk: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < pk.length; i++) hash = Math.imul(hash ^ pk.charCodeAt(i), 0x01000193);
  return (hash >>> 0) % SCHEMA.indexShards;
}

function liveItemsRequest(nowEpochSeconds: number) {
  return {
    ProjectionExpression: '#pk, #revokedAt, #expiresAt',
    FilterExpression: '#expiresAt > :now',
    ExpressionAttributeNames: {
      '#pk': SCHEMA.partitionKey.name,
      '#revokedAt': ATTRIBUTES.revokedAt,
      '#expiresAt': SCHEMA.timeToLiveAttribute,
    } as Record<string, string>,
    ExpressionAttributeValues: { ':now': { N: String(Math.floor(nowEpochSeconds)) } } as Record<string, AttributeValue>,
  };
}

function visitItems(
  items: Record<string, AttributeValue>[] | undefined,
  nowEpochSeconds: number,
  summary: ReadSummary,
  visit: (revocation: Revocation) => void,
): void {
  if (items === undefined) return;
  for (const item of items) {
    const revocation = toRevocation(item);
    if (revocation === undefined) summary.skipped++;
    // Filtered again here: the request's filter used the time the read started.
    else if (!(revocation.expiresAtEpochSeconds > nowEpochSeconds)) summary.expired++;
    else {
      summary.items++;
      visit(revocation);
    }
  }
}

/** The whole item, as the ingest's conditional update leaves it. */
function toItem(revocation: Revocation, nowMs: number): Record<string, AttributeValue> {
  const id = revocationId(revocation);
  const pk = revocationKey(revocation.kind, revocation.issuer, id);
  return {
    [SCHEMA.partitionKey.name]: { S: pk },
    [ATTRIBUTES.kind]: { S: revocation.kind },
    [ATTRIBUTES.issuer]: { S: revocation.issuer },
    [ATTRIBUTES.id]: { S: id },
    [ATTRIBUTES.revokedAt]: { N: String(revocation.kind === 'jti' ? nowMs : revocation.revokedAtEpochMs) },
    [SCHEMA.timeToLiveAttribute]: { N: String(revocation.expiresAtEpochSeconds) },
    [SCHEMA.changesIndex.partitionKey.name]: { N: String(shardOf(pk)) },
    [SCHEMA.changesIndex.sortKey.name]: { N: String(nowMs) },
  };
}

function toRevocation(item: Record<string, AttributeValue>): Revocation | undefined {
  const pk = item[SCHEMA.partitionKey.name]?.S;
  const key = pk === undefined ? undefined : parseRevocationKey(pk);
  const expiresAtEpochSeconds = Number(item[SCHEMA.timeToLiveAttribute]?.N);
  if (key === undefined || !Number.isFinite(expiresAtEpochSeconds)) return undefined;
  if (key.kind === 'jti') return { kind: 'jti', issuer: key.issuer, jti: key.id, expiresAtEpochSeconds };
  const revokedAtEpochMs = Number(item[ATTRIBUTES.revokedAt]?.N);
  if (!Number.isFinite(revokedAtEpochMs)) return undefined;
  return { kind: key.kind, issuer: key.issuer, id: key.id, revokedAtEpochMs, expiresAtEpochSeconds };
}

function validateRevocation(revocation: Revocation, index: number): void {
  const where = `revocations[${index}]`;
  if (!KINDS.includes(revocation?.kind)) {
    throw new InvalidMessageError(`kind must be one of ${KINDS.join(', ')}`, `${where}.kind`, 'unknown_type');
  }
  const id = revocationId(revocation);
  const idField = revocation.kind === 'jti' ? 'jti' : 'id';
  if (typeof revocation.issuer !== 'string' || revocation.issuer === '') {
    throw new InvalidMessageError('issuer must be a non-empty string', `${where}.issuer`, 'invalid_id');
  }
  if (typeof id !== 'string' || id === '') {
    throw new InvalidMessageError(`${idField} must be a non-empty string`, `${where}.${idField}`, 'invalid_id');
  }
  if (Buffer.byteLength(revocationKey(revocation.kind, revocation.issuer, id)) > MAX_KEY_BYTES) {
    throw new InvalidMessageError(`issuer and ${idField} are too long for a DynamoDB key`, `${where}.${idField}`, 'invalid_id');
  }
  const expires = revocation.expiresAtEpochSeconds;
  if (!Number.isSafeInteger(expires) || expires <= 0 || expires >= MAX_EPOCH_SECONDS) {
    throw new InvalidMessageError(
      `expiresAtEpochSeconds must be whole epoch seconds (the TTL is never milliseconds), got ${expires}`,
      `${where}.expiresAtEpochSeconds`,
      'invalid_time',
    );
  }
  if (revocation.kind !== 'jti') {
    const t = revocation.revokedAtEpochMs;
    if (!Number.isSafeInteger(t) || t < MIN_EPOCH_MS) {
      throw new InvalidMessageError(
        `revokedAtEpochMs must be whole epoch milliseconds, got ${t}`,
        `${where}.revokedAtEpochMs`,
        'invalid_time',
      );
    }
  }
}

/** Runs `task` over `items`, at most `limit` at a time; after the first failure starts no more and rethrows it. */
async function forEachLimited<T>(items: readonly T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (failure === undefined && next < items.length) {
      const item = items[next++]!;
      try {
        await task(item);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (failure !== undefined) throw failure.error;
}

function isRetryable(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return RETRYABLE_ERRORS.has(errorName(error)) || (status !== undefined && status >= 500);
}

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : '';
}

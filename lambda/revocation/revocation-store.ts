import {
  BatchGetItemCommand,
  DynamoDBClient,
  QueryCommand,
  ScanCommand,
  UpdateItemCommand,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';
import { REVOCATION_TABLE_SCHEMA as SCHEMA } from '../contract/index.js';
import { describeError, RevocationStateUnavailableError, RevocationWriteError } from '../shared/index.js';
import type { ApplyOptions, ApplyResult, ReadSummary, RevocationReader, RevocationWriter, TokenKeys } from './reader-writer.js';
import { errorName, forEachLimited, Retrier, type RetryOptions } from './retry.js';
import { countsByKind, type Revocation } from './revocation.js';
import { assertStorable, changesQuery, conditionalUpdate, keysForToken, liveItemsRequest, visitItems } from './table-codec.js';

/**
 * The revocation table's I/O: the conditional writes of the ingest and the reads of the authorizer
 * (cold-start scan, change query, consistent reads for strong mode), with retries and pagination.
 * What the items hold and how requests spell it is table-codec.ts's.
 *
 * Library errors are wrapped here, once: reads throw RevocationStateUnavailableError, writes
 * RevocationWriteError, each with the DynamoDB error as `cause`.
 */
export class RevocationStore implements RevocationReader, RevocationWriter {
  private readonly retrier: Retrier;
  private readonly pageSize: number | undefined;
  private readonly now: () => number;

  constructor(
    private readonly client: DynamoDBClient,
    readonly tableName: string,
    options: RevocationStoreOptions = {},
  ) {
    this.retrier = new Retrier(options);
    this.pageSize = options.pageSize;
    this.now = options.now ?? Date.now;
  }

  /**
   * Writes revocations with conditional, idempotent, monotonic updates: a cut-off only moves
   * forward, the expiry of a jti or a session only extends. A duplicate or older revocation changes nothing and is
   * counted as `unchanged`. Throttling and timeouts are retried with exponential backoff and full
   * jitter. Writes run `concurrency` at a time.
   *
   * Each write is stamped (`updatedAt`, the change index's sort key) when it is sent, attempt by
   * attempt, not when the batch began: a delta sync reads what was stamped after its previous read
   * minus REVOCATION_SYNC_OVERLAP_MS, so the time from stamp to visibility must stay under that
   * overlap. Stamping the batch once made the tail of a large or throttled batch land stamped in
   * the past, invisible to every warm instance. `nowMs` fixes the stamp instead, for tests.
   * @throws RangeError before writing anything if a revocation breaks the table's rules (the
   *   message parser refuses those, so this is a caller's bug).
   * @throws RevocationWriteError when a write fails for good; the writes that succeeded stay, and
   *   retrying the whole batch is safe.
   */
  async applyRevocations(revocations: readonly Revocation[], options: ApplyOptions = {}): Promise<ApplyResult> {
    assertStorable(revocations);
    const fixedStampMs = options.nowMs === undefined ? undefined : Math.floor(options.nowMs);
    const result: ApplyResult = { applied: countsByKind(), unchanged: countsByKind() };
    await forEachLimited(revocations, options.concurrency ?? 32, async (revocation) => {
      const changed = await this.retrier.run(() => this.write(revocation, fixedStampMs ?? Math.floor(this.now())), true);
      (changed ? result.applied : result.unchanged)[revocation.kind]++;
    }).catch((error: unknown) => {
      throw new RevocationWriteError(`revocation write to ${this.tableName} failed: ${describeError(error)}`, { cause: error });
    });
    return result;
  }

  /**
   * Reads every live revocation with a parallel Scan (`segments` segments), projecting only what
   * the cache needs and filtering expired items in the request and again here, since DynamoDB
   * deletes expired items up to days late.
   */
  async scanLive(
    segments: number,
    nowEpochSeconds: number,
    visit: (revocation: Revocation) => void,
    signal?: AbortSignal,
  ): Promise<ReadSummary> {
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
              { abortSignal: signal },
            ),
          true,
          signal,
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
  async queryChanges(
    sinceEpochMs: number,
    nowEpochSeconds: number,
    visit: (revocation: Revocation) => void,
    signal?: AbortSignal,
  ): Promise<ReadSummary> {
    const summary = { items: 0, expired: 0, skipped: 0 };
    const queryShard = async (shard: number): Promise<void> => {
      let startKey: Record<string, AttributeValue> | undefined;
      do {
        const page = await this.read(
          () =>
            this.client.send(
              new QueryCommand({
                TableName: this.tableName,
                ...changesQuery(shard, sinceEpochMs, nowEpochSeconds),
                Limit: this.pageSize,
                ExclusiveStartKey: startKey,
              }),
              { abortSignal: signal },
            ),
          false,
          signal,
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
   * Strongly consistent reads of every key a token can be revoked under: its jti, subject,
   * client and session, each for its issuer and for any issuer. Returns the live revocations found.
   */
  async getForToken(token: TokenKeys, nowEpochSeconds: number, signal?: AbortSignal): Promise<Revocation[]> {
    const request = liveItemsRequest(nowEpochSeconds);
    const found: Revocation[] = [];
    const summary = { items: 0, expired: 0, skipped: 0 };
    let pending = keysForToken(token);
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt > 0) {
        if (attempt >= this.retrier.maxAttempts) {
          throw new RevocationStateUnavailableError(`consistent read of ${this.tableName} left keys unprocessed`);
        }
        await this.retrier.sleep(this.retrier.backoffMs(attempt));
      }
      const response = await this.read(
        () =>
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
            { abortSignal: signal },
          ),
        false,
        signal,
      );
      visitItems(response.Responses?.[this.tableName], nowEpochSeconds, summary, (revocation) => found.push(revocation));
      pending = response.UnprocessedKeys?.[this.tableName]?.Keys ?? [];
    }
    return found;
  }

  private async write(revocation: Revocation, nowMs: number): Promise<boolean> {
    try {
      await this.client.send(new UpdateItemCommand({ TableName: this.tableName, ...conditionalUpdate(revocation, nowMs) }));
      return true;
    } catch (error) {
      if (errorName(error) === 'ConditionalCheckFailedException') return false;
      throw error;
    }
  }

  /**
   * One read, wrapped. Only the cold-start scan adds retries to the SDK's own: a throttled page
   * should not restart a load of a million items, while a delta or consistent read on the
   * request path should fail fast and let the caller decide.
   */
  private async read<T>(operation: () => Promise<T>, retry = false, signal?: AbortSignal): Promise<T> {
    try {
      // A read past its deadline stops here rather than start another page or retry.
      signal?.throwIfAborted();
      return await (retry ? this.retrier.run(operation) : operation());
    } catch (error) {
      throw new RevocationStateUnavailableError(`reading ${this.tableName} failed: ${describeError(error)}`, { cause: error });
    }
  }
}

export interface RevocationStoreOptions extends RetryOptions {
  /** Items examined per Scan or Query page; DynamoDB's 1 MB page when undefined. @default undefined */
  readonly pageSize?: number;
  /** The clock that stamps each write's `updatedAt` as it is sent. @default Date.now */
  readonly now?: () => number;
}

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

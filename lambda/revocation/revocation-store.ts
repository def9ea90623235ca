// Over 300 lines: every request the table sees from the functions (writes and the change head, the scan, the change query, consistent reads), each wrapped once.
import {
  BatchGetItemCommand,
  DynamoDBClient,
  GetItemCommand,
  QueryCommand,
  ScanCommand,
  UpdateItemCommand,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';
import { DEFAULTS, REVOCATION_TABLE_SCHEMA as SCHEMA } from '../contract/index.js';
import { describeError, RevocationStateUnavailableError, RevocationWriteError } from '../shared/index.js';
import type { ApplyOptions, ApplyResult, ChangeHead, ReadSummary, RevocationReader, RevocationWriter, TokenKeys } from './reader-writer.js';
import { errorName, forEachLimited, Retrier, type RetryOptions } from './retry.js';
import { countsByKind, type Revocation } from './revocation.js';
import { ScanBudget } from './scan-budget.js';
import {
  assertStorable,
  changesQuery,
  conditionalUpdate,
  changeHeadOf,
  headRead,
  headUpdate,
  keysForToken,
  liveItemsRequest,
  visitItems,
} from './table-codec.js';

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
  private readonly random: () => number;
  private readonly scanConcurrency: number;
  private readonly scanPagesPerSecond: number;
  private readonly scanSleep: RevocationStoreOptions['scanSleep'];
  private readonly raiseChangeHead: boolean | 'auto';

  constructor(
    private readonly client: DynamoDBClient,
    readonly tableName: string,
    options: RevocationStoreOptions = {},
  ) {
    this.retrier = new Retrier(options);
    this.pageSize = options.pageSize;
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
    this.scanConcurrency = options.scanConcurrency ?? DEFAULTS.scanConcurrency;
    this.scanPagesPerSecond = options.scanPagesPerSecond ?? DEFAULTS.scanPagesPerSecond;
    this.scanSleep = options.scanSleep;
    this.raiseChangeHead = options.raiseChangeHead ?? DEFAULTS.raiseChangeHead;
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
   *
   * Once every write succeeded, the change head is raised to the largest stamp sent (see
   * {@link raiseHead}), so idle authorizer instances learn that something changed; a write that
   * found nothing to change counts too, since an earlier attempt of it (a timeout that landed) or
   * an earlier invocation of the batch (one whose head write failed) may have changed the item.
   * Not with `raiseChangeHead: false` (INGEST_RAISE_CHANGE_HEAD); with `auto`, only while the change
   * feed is not live (see {@link headRaiseNeeded}): readers that follow a feed never read the head.
   * @throws RangeError before writing anything if a revocation breaks the table's rules (the
   *   message parser refuses those, so this is a caller's bug).
   * @throws RevocationWriteError when a write, or the head write after them, fails for good; the
   *   writes that succeeded stay, and retrying the whole batch is safe.
   */
  async applyRevocations(revocations: readonly Revocation[], options: ApplyOptions = {}): Promise<ApplyResult> {
    assertStorable(revocations);
    const fixedStampMs = options.nowMs === undefined ? undefined : Math.floor(options.nowMs);
    const result: ApplyResult = { applied: countsByKind(), unchanged: countsByKind() };
    let headAtMs = -Infinity;
    await forEachLimited(revocations, options.concurrency ?? 32, async (revocation) => {
      const changed = await this.retrier.run(() => {
        const stampMs = fixedStampMs ?? Math.floor(this.now());
        headAtMs = Math.max(headAtMs, stampMs);
        return this.write(revocation, stampMs);
      }, true);
      (changed ? result.applied : result.unchanged)[revocation.kind]++;
    }).catch((error: unknown) => {
      throw new RevocationWriteError(`revocation write to ${this.tableName} failed: ${describeError(error)}`, { cause: error });
    });
    if (revocations.length > 0 && (await this.headRaiseNeeded())) await this.raiseHead(headAtMs, options.concurrency ?? 32);
    return result;
  }

  /**
   * Whether to raise the change head after a batch. With `auto`: unless one head replica shows a
   * feed whose writer read the change index within the last REVOCATION_FEED_MAX_LAG_MS (the
   * default; 0.5 read units per batch). A feed that stopped makes the next batch raise the head past
   * its last read, which puts its readers back on the head-gated sync (revocation-view.ts); a head
   * that cannot be read is raised, the safe side.
   */
  private async headRaiseNeeded(): Promise<boolean> {
    if (this.raiseChangeHead !== 'auto') return this.raiseChangeHead;
    try {
      const { feed } = await this.readHead();
      return feed === undefined || this.now() - feed.atMs > DEFAULTS.feedMaxLagMs;
    } catch {
      return true;
    }
  }

  /**
   * Raises every change-head replica to `headAtMs` (never lowers one: conditional, max-only),
   * after a batch of writes stamped at most that has completed (docs/design.md, "The change
   * head"), at most `concurrency` at a time. Throttling and timeouts are retried like writes.
   * @throws RevocationWriteError when a replica cannot be written: the batch's writes stand, but
   *   the caller must fail so the batch is retried (a retry raises the head again), since idle
   *   instances rely on the head to notice them; their periodic full sync bounds the delay.
   */
  async raiseHead(headAtMs: number, concurrency = 32): Promise<void> {
    const replicas = Array.from({ length: SCHEMA.head.replicas }, (_, replica) => replica);
    await forEachLimited(replicas, concurrency, async (replica) => {
      await this.retrier.run(async () => {
        try {
          await this.client.send(new UpdateItemCommand({ TableName: this.tableName, ...headUpdate(replica, headAtMs) }));
        } catch (error) {
          // Another writer raised it further already: the head only moves forward.
          if (errorName(error) !== 'ConditionalCheckFailedException') throw error;
        }
      }, true);
    }).catch((error: unknown) => {
      throw new RevocationWriteError(
        `revocations were written to ${this.tableName}, but raising the change head failed: ${describeError(error)}`,
        { cause: error },
      );
    });
  }

  /**
   * The change head (and the feed's state) as one replica, picked at random, holds it: an
   * eventually consistent GetItem (0.5 read units), so the readers of a large fleet spread over
   * every replica's partition. The caller keeps the largest values it has seen, so a replica that
   * lags cannot move them back.
   */
  async readHead(signal?: AbortSignal): Promise<ChangeHead> {
    const replica = Math.min(SCHEMA.head.replicas - 1, Math.floor(this.random() * SCHEMA.head.replicas));
    const response = await this.read(
      () => this.client.send(new GetItemCommand({ TableName: this.tableName, ...headRead(replica) }), { abortSignal: signal }),
      false,
      signal,
    );
    return changeHeadOf(response.Item);
  }

  /**
   * Reads every live revocation with a parallel Scan (`segments` segments), projecting only what
   * the cache needs and filtering expired items in the request and again here, since DynamoDB
   * deletes expired items up to days late.
   *
   * Within a budget (ScanBudget, the store's `scanConcurrency` and `scanPagesPerSecond`): at most
   * that many pages in flight, halved on each throttled page (full-jitter backoff, then the same
   * page again, until the read's deadline) and grown back as pages are served, so the cold starts
   * of a deploy slow down together to what the table serves instead of storming it.
   */
  async scanLive(
    segments: number,
    nowEpochSeconds: number,
    visit: (revocation: Revocation) => void,
    signal?: AbortSignal,
  ): Promise<ReadSummary & { throttled: number }> {
    const summary = { items: 0, expired: 0, skipped: 0 };
    const budget = new ScanBudget({
      concurrency: Math.min(this.scanConcurrency, segments),
      pagesPerSecond: this.scanPagesPerSecond,
      random: this.random,
      ...(this.scanSleep === undefined ? {} : { sleep: this.scanSleep }),
    });
    const scanSegment = async (segment: number): Promise<void> => {
      let startKey: Record<string, AttributeValue> | undefined;
      do {
        const page = await this.read(
          () =>
            budget.page(
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
              signal,
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
    return { ...summary, throttled: budget.throttled };
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
  /** Scan pages in flight at once, per load (REVOCATION_SCAN_CONCURRENCY). @default 4 */
  readonly scanConcurrency?: number;
  /** Scan pages started per second, per load (REVOCATION_SCAN_PAGES_PER_SECOND); 0 is no limit. @default 0 */
  readonly scanPagesPerSecond?: number;
  /** For tests: the wait between throttled Scan pages. @default setTimeout, ended by the read's deadline */
  readonly scanSleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /**
   * Whether applyRevocations raises the change head (`headAt`, 32 writes per batch) after its
   * writes (INGEST_RAISE_CHANGE_HEAD): `auto` with the change feed, only while no feed is live
   * (readers that follow a feed never read `headAt`; docs/scale.md, "The change feed"). @default true
   */
  readonly raiseChangeHead?: boolean | 'auto';
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

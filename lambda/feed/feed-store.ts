import { getMaxListeners, setMaxListeners } from 'node:events';
import {
  BatchGetItemCommand,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { REVOCATION_TABLE_SCHEMA as SCHEMA } from '../contract/index.js';
import {
  errorName,
  feedHeadOf,
  feedPageKey,
  forEachLimited,
  headKey,
  headRead,
  Retrier,
  type FeedHead,
  type FeedPageRefused,
  type FeedReader,
  type ReadSummary,
  type RetryOptions,
  type Revocation,
} from '../revocation/index.js';
import { describeError, FeedFencedError, RevocationStateUnavailableError, RevocationWriteError } from '../shared/index.js';
import { waitUnlessAborted } from './abortable-wait.js';
import { decodeFeedPage, type FeedPageProblem } from './feed-format.js';

/**
 * The change feed's I/O against the revocation table (docs/scale.md, "The change feed"): the
 * authorizer's page reads (FeedReader), and the feed writer's page and head writes and its
 * consistent head read. Library errors are wrapped here, once, as RevocationStore does: reads
 * throw RevocationStateUnavailableError, writes RevocationWriteError, a write another feed writer
 * got to first FeedFencedError; the DynamoDB error is the `cause`.
 */
export class FeedStore implements FeedReader {
  private readonly retrier: Retrier;
  private readonly random: () => number;

  constructor(
    private readonly client: DynamoDBClient,
    readonly tableName: string,
    options: FeedStoreOptions = {},
  ) {
    this.retrier = new Retrier(options);
    this.random = options.random ?? Math.random;
  }

  /**
   * Pages `first` .. `last`, each from one replica picked at random, in one BatchGetItem (its
   * UnprocessedKeys asked again, with backoff, until `signal` fires or the retries run out). Pages
   * are handed on in order up to the first one that is `missing`: its slot holds another page or
   * nothing (a lagging replica, or the ring overwrote it), or its entries do not decode (`refused`
   * says why, for the caller's log). More than SCHEMA.feed.slots pages cannot all still be in the
   * ring: `first` is then missing without a read.
   */
  async readPages(
    first: number,
    last: number,
    nowEpochSeconds: number,
    visit: (revocation: Revocation) => void,
    signal?: AbortSignal,
  ): Promise<ReadSummary & { missing: number | undefined; refused?: FeedPageRefusal }> {
    const summary = { items: 0, expired: 0, skipped: 0 };
    if (last < first) return { ...summary, missing: undefined };
    if (last - first + 1 > SCHEMA.feed.slots) return { ...summary, missing: first };
    const keys = new Map<number, string>();
    for (let seq = first; seq <= last; seq++) keys.set(seq, feedPageKey(seq, this.replica()));
    const items = await this.getPages([...keys.values()], PAGE_PROJECTION, false, signal);
    for (const [seq, key] of keys) {
      const item = items.get(key);
      if (item === undefined || item[SCHEMA.feed.attributes.seq]?.N !== String(seq)) return { ...summary, missing: seq };
      const page = decodeFeedPage(item[SCHEMA.feed.attributes.entries]?.S);
      if (!page.ok) return { ...summary, missing: seq, refused: { seq, key, problem: page.problem } };
      for (const revocation of page.revocations) {
        if (revocation.expiresAtEpochSeconds > nowEpochSeconds) {
          summary.items++;
          visit(revocation);
        } else summary.expired++;
      }
    }
    return { ...summary, missing: undefined };
  }

  /**
   * Writes page `seq` to every replica: a PutItem each, on the condition that the slot holds an
   * older page (or nothing, or this very page: a retried write that had landed).
   * @throws FeedFencedError when a replica holds page `seq` (with other entries) or a later one.
   * @throws RevocationWriteError when a replica cannot be written after retries.
   */
  async writePage(seq: number, entries: string, signal?: AbortSignal): Promise<void> {
    const names = { '#seq': SCHEMA.feed.attributes.seq, '#entries': SCHEMA.feed.attributes.entries };
    const values = { ':seq': { N: String(seq) }, ':entries': { S: entries } };
    await this.writeReplicas(SCHEMA.feed.replicas, `page ${seq}`, signal, (replica, options) =>
      this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: {
            [SCHEMA.partitionKey.name]: { S: feedPageKey(seq, replica) },
            [names['#seq']]: values[':seq'],
            [names['#entries']]: values[':entries'],
          },
          ConditionExpression: 'attribute_not_exists(#seq) OR #seq < :seq OR (#seq = :seq AND #entries = :entries)',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
        options,
      ),
    );
  }

  /**
   * Writes the feed's state to every head replica (never `headAt`, the ingest's), on the condition
   * that the replica holds an older `feedAt` (or none, or this very state: a retried write) and no
   * later `feedSeq` (a stale writer never moves the feed back).
   * @throws FeedFencedError when a replica holds a later `feedAt` or `feedSeq`: another writer is ahead.
   * @throws RevocationWriteError when a replica cannot be written after retries.
   */
  async writeHead(state: FeedHead, signal?: AbortSignal): Promise<void> {
    const feed = SCHEMA.head.feed;
    const names = { '#seq': feed.seq, '#seqAt': feed.seqAt, '#base': feed.base, '#baseAt': feed.baseAt, '#at': feed.at };
    const values: Record<string, AttributeValue> = {
      ':seq': { N: String(state.seq) },
      ':seqAt': { N: String(state.seqAtMs) },
      ':base': { N: String(state.base) },
      ':baseAt': { N: String(state.baseAtMs) },
      ':at': { N: String(state.atMs) },
    };
    await this.writeReplicas(SCHEMA.head.replicas, `the head (page ${state.seq})`, signal, (replica, options) =>
      this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: { [SCHEMA.partitionKey.name]: { S: headKey(replica) } },
          UpdateExpression: 'SET #seq = :seq, #seqAt = :seqAt, #base = :base, #baseAt = :baseAt, #at = :at',
          ConditionExpression:
            '(attribute_not_exists(#at) OR #at < :at OR (#at = :at AND #seq = :seq)) AND (attribute_not_exists(#seq) OR #seq <= :seq)',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
        options,
      ),
    );
  }

  /** The feed's state as head#0 holds it (a consistent GetItem), undefined while no feed writer wrote one. */
  async readHeadConsistent(signal?: AbortSignal): Promise<FeedHead | undefined> {
    const item = await this.getConsistent(headRead(0), signal);
    return feedHeadOf(item);
  }

  /** The page number replica 0 of `seq`'s slot holds (a consistent GetItem), undefined when it holds none. */
  async readPageSeqConsistent(seq: number, signal?: AbortSignal): Promise<number | undefined> {
    const item = await this.getConsistent(
      {
        Key: { [SCHEMA.partitionKey.name]: { S: feedPageKey(seq, 0) } },
        ProjectionExpression: '#seq',
        ExpressionAttributeNames: { '#seq': SCHEMA.feed.attributes.seq },
      },
      signal,
    );
    const value = Number(item?.[SCHEMA.feed.attributes.seq]?.N);
    return Number.isSafeInteger(value) ? value : undefined;
  }

  /**
   * The highest page number the ring's slots hold in replica 0 (one consistent BatchGetItem of the
   * SCHEMA.feed.slots keys, projecting `seq`), 0 when they hold none: where a writer goes on when
   * the head holds no feed state (it was removed to turn the feed off) but the ring still holds pages.
   */
  async readHighestPageSeqConsistent(signal?: AbortSignal): Promise<number> {
    const keys = Array.from({ length: SCHEMA.feed.slots }, (_, slot) => feedPageKey(slot, 0));
    const items = await this.getPages(keys, SEQ_PROJECTION, true, signal);
    let highest = 0;
    for (const item of items.values()) {
      const seq = Number(item[SCHEMA.feed.attributes.seq]?.N);
      if (Number.isSafeInteger(seq) && seq > highest) highest = seq;
    }
    return highest;
  }

  private replica(): number {
    return Math.min(SCHEMA.feed.replicas - 1, Math.floor(this.random() * SCHEMA.feed.replicas));
  }

  private async getPages(
    keys: readonly string[],
    projection: readonly string[],
    consistent: boolean,
    signal?: AbortSignal,
  ): Promise<Map<string, Record<string, AttributeValue>>> {
    const found = new Map<string, Record<string, AttributeValue>>();
    const pk = SCHEMA.partitionKey.name;
    let pending: Record<string, AttributeValue>[] = keys.map((key) => ({ [pk]: { S: key } }));
    try {
      for (let attempt = 0; pending.length > 0; attempt++) {
        if (attempt > 0) {
          if (attempt >= this.retrier.maxAttempts) throw new Error(`${pending.length} page keys left unprocessed`);
          await waitUnlessAborted(this.retrier.sleep(this.retrier.backoffMs(attempt)), signal);
        }
        signal?.throwIfAborted();
        const request = {
          Keys: pending,
          ConsistentRead: consistent,
          ProjectionExpression: projection.map((name) => `#${name}`).join(', '),
          ExpressionAttributeNames: Object.fromEntries(projection.map((name) => [`#${name}`, name])),
        };
        const response = await this.client.send(new BatchGetItemCommand({ RequestItems: { [this.tableName]: request } }), {
          abortSignal: signal,
        });
        for (const item of response.Responses?.[this.tableName] ?? []) {
          const key = item[pk]?.S;
          if (key !== undefined) found.set(key, item);
        }
        pending = response.UnprocessedKeys?.[this.tableName]?.Keys ?? [];
      }
    } catch (error) {
      throw new RevocationStateUnavailableError(`reading feed pages from ${this.tableName} failed: ${describeError(error)}`, {
        cause: error,
      });
    }
    return found;
  }

  private async getConsistent(
    request: { Key: Record<string, AttributeValue>; ProjectionExpression: string; ExpressionAttributeNames: Record<string, string> },
    signal?: AbortSignal,
  ): Promise<Record<string, AttributeValue> | undefined> {
    try {
      signal?.throwIfAborted();
      const response = await this.retrier.run(
        () =>
          this.client.send(new GetItemCommand({ TableName: this.tableName, ...request, ConsistentRead: true }), { abortSignal: signal }),
        true,
      );
      return response.Item;
    } catch (error) {
      throw new RevocationStateUnavailableError(`reading the feed's state from ${this.tableName} failed: ${describeError(error)}`, {
        cause: error,
      });
    }
  }

  /**
   * Runs `write` for every replica at once, each retried (each attempt sent with `signal`, none
   * started once it fired); a failed condition on any is a fence.
   */
  private async writeReplicas(
    replicas: number,
    what: string,
    signal: AbortSignal | undefined,
    write: (replica: number, options: { abortSignal?: AbortSignal }) => Promise<unknown>,
  ): Promise<void> {
    let fenced = false;
    // Every replica's request listens on the signal at once: more than Node's default of 10
    // listeners is expected here, not a leak (it would warn in every writer run's log).
    if (signal !== undefined && getMaxListeners(signal) < replicas + 1) setMaxListeners(replicas + 1, signal);
    await forEachLimited(
      Array.from({ length: replicas }, (_, replica) => replica),
      replicas,
      async (replica) => {
        try {
          await this.retrier.run(() => {
            signal?.throwIfAborted();
            return write(replica, { abortSignal: signal });
          }, true);
        } catch (error) {
          // The other replicas are still written; the caller re-reads the head before its next page either way.
          if (errorName(error) === 'ConditionalCheckFailedException') fenced = true;
          else throw error;
        }
      },
    ).catch((error: unknown) => {
      throw new RevocationWriteError(`writing ${what} of the change feed to ${this.tableName} failed: ${describeError(error)}`, {
        cause: error,
      });
    });
    if (fenced) throw new FeedFencedError(`another feed writer has written ${what} or later in ${this.tableName}`);
  }
}

const PAGE_PROJECTION = [SCHEMA.partitionKey.name, SCHEMA.feed.attributes.seq, SCHEMA.feed.attributes.entries];
const SEQ_PROJECTION = [SCHEMA.partitionKey.name, SCHEMA.feed.attributes.seq];

/** A page the reader could not decode, with the decoder's reason: a reader logs it and reads the change index instead. */
export interface FeedPageRefusal extends FeedPageRefused {
  readonly problem: FeedPageProblem;
}

export interface FeedStoreOptions extends RetryOptions {
  /** The replica picker: a page's replica is floor(random() * replicas). @default Math.random */
  readonly random?: () => number;
}

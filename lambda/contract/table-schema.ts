/**
 * The revocation table's schema: the one source of truth for `npm run table:create`, the CDK
 * construct and the store module.
 *
 * Item: { pk, kind, iss, id, revokedAt, expiresAt, shard, updatedAt }
 * - pk        `${kind}#${encodeURIComponent(iss)}#${id}`: one item per jti, subject, client or
 *             session per issuer; the issuer is encoded so a `#` inside it cannot move the boundary.
 * - revokedAt epoch ms: the cut-off T (subject, client), the time of revocation (jti, session).
 * - expiresAt epoch seconds: DynamoDB TTL; readers filter on it too, since TTL deletion lags.
 * - shard     0..INDEX_SHARDS-1, derived from pk: spreads the change index across partitions.
 * - updatedAt epoch ms of the last write that changed the item: the change index's sort key.
 */
export const REVOCATION_TABLE_SCHEMA = {
  partitionKey: { name: 'pk', type: 'S' },
  timeToLiveAttribute: 'expiresAt',
  changesIndex: {
    name: 'changes',
    partitionKey: { name: 'shard', type: 'N' },
    sortKey: { name: 'updatedAt', type: 'N' },
    /** A delta sync reads whole (small) items from the index. */
    projectionType: 'ALL',
  },
  /** Partitions of the change index. Readers query each one; writers pick one per item by hash. */
  indexShards: 4,
  /**
   * The change head (docs/design.md, "The change head"): items `head#0` .. `head#{replicas - 1}`
   * in the same table, each holding in `headAt` the largest change stamp (`updatedAt`, epoch ms)
   * of a completed batch of writes. Writers raise every replica after a batch; an authorizer reads
   * ONE replica at random (an eventually consistent GetItem of a ~40-byte item: 0.5 read units)
   * per sync interval and queries the change index only when the head moved.
   *
   * 32 replicas (docs/scale.md, "Delta sync and the fleet"): DynamoDB serves at most 3,000 read
   * units per second from one partition, so 50,000 idle instances reading 0.5 units each per
   * second (25,000 units/s) need at least 9 partitions; at 32 items each gets about 780 units/s,
   * so even three replicas sharing a partition stay under its limit. More would cost every batch
   * more head writes (one per replica). The head items hold no `shard` nor `updatedAt`, so they
   * are not in the change index, and no `expiresAt`, so TTL never deletes them and the cold-start
   * scan's filter leaves them out. Changing the count is a table-contract change: writers first.
   */
  head: {
    keyPrefix: 'head#',
    attribute: 'headAt',
    replicas: 32,
    /**
     * The change feed's state, in the same head items (so one 0.5-unit GetItem tells a reader both
     * heads), written only by the feed writer (docs/scale.md, "The change feed"), all epoch ms
     * except the page numbers:
     * - seq    the last page published (0: none yet); pages are numbered 1, 2, 3, ...
     * - seqAt  an upper bound of the change stamps of every revocation in pages 1 .. seq
     * - base   a page number at most `seq` ...
     * - baseAt ... and an upper bound of the change stamps of every revocation in pages 1 .. base:
     *          a reader whose view holds every write stamped up to X may start after `seq` when
     *          seqAt <= X, else after `base` when baseAt <= X
     * - at     the start of the feed writer's last complete read of the change index: every write
     *          stamped up to `at` minus the sync overlap is in pages 1 .. seq (its liveness, too)
     */
    feed: { seq: 'feedSeq', seqAt: 'feedSeqAt', base: 'feedBase', baseAt: 'feedBaseAt', at: 'feedAt' },
  },
  /**
   * The change feed's pages (docs/scale.md, "The change feed"): page n is written, whole, to the
   * items `feed#{n mod slots}#{replica}` for every replica, holding `seq` (n) and `entries` (the
   * revocations, lambda/feed/feed-format.ts). A ring, not an item per page: old pages are
   * overwritten, never left for TTL (which lags by days) to leave in every cold-start Scan. A reader
   * more than `slots` pages behind, or finding a slot that holds another page, reads the change
   * index instead. 32 replicas: a page of 100 revocations (about 8 KB, 1.5 read units) read once by
   * each of 50,000 instances is 75,000 units, 2,344 per replica, under a partition's 3,000.
   */
  feed: { keyPrefix: 'feed#', replicas: 32, slots: 64, attributes: { seq: 'seq', entries: 'entries' } },
} as const;

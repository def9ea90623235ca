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
  head: { keyPrefix: 'head#', attribute: 'headAt', replicas: 32 },
} as const;

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
} as const;

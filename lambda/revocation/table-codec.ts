// Over 300 lines: the one module that knows the item format (keys and their rules, items, request expressions); split, two modules would share the attribute names.
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { REVOCATION_TABLE_SCHEMA as SCHEMA } from '../contract/index.js';
import type { ChangeHead, FeedHead, ReadSummary, TokenKeys } from './reader-writer.js';
import {
  ANY_ISSUER,
  HASHED_ID_PREFIX,
  MAX_CLEAR_ID_BYTES,
  REVOCATION_KINDS,
  revocationId,
  storedId,
  type Revocation,
  type RevocationKind,
} from './revocation.js';

/**
 * The revocation table's items, pure: key encoding, shard choice, item ⇄ revocation mapping, the
 * request expressions, and the rules an item must keep (the key size among them). The key schema
 * and index it builds on are in lambda/contract/table-schema.ts, which the CDK construct reads;
 * nothing but this module and the store that sends its requests knows the attribute names.
 *
 * Item: { pk, kind, iss, id, revokedAt, expiresAt, shard, updatedAt } (docs/design.md, "The revocation table")
 * - pk        `${kind}#${encodeURIComponent(iss)}#${id}`: one item per jti, subject, client or
 *             session per issuer; the issuer is encoded so a `#` inside it cannot move the boundary.
 * - revokedAt epoch ms: the cut-off T (subject, client), the time of revocation (jti), or the
 *             time of the session revocation that set the item's expiry (session).
 * - expiresAt epoch seconds: DynamoDB TTL; readers filter on it too, since TTL deletion lags.
 * - shard     0..indexShards-1, derived from pk: spreads the change index across partitions.
 * - updatedAt epoch ms of the last write that changed the item: the change index's sort key.
 * Head items { pk: `head#r`, headAt, feed... } (docs/design.md, "The change head") and the feed's
 * page items { pk: `feed#slot#r`, seq, entries } (docs/scale.md, "The change feed") share the
 * table: no revocation key starts with `head#` or `feed#`, and neither has `expiresAt`, `shard` or
 * `updatedAt`, so no Scan or change-index read returns them.
 */

/** Item attributes besides the key, TTL and index attributes named in the contract's schema. */
export const ATTRIBUTES = { kind: 'kind', issuer: 'iss', id: 'id', revokedAt: 'revokedAt' } as const;

/** DynamoDB's limit on a partition key value, in UTF-8 bytes. */
export const MAX_KEY_BYTES = 2048;
/** Longest issuer a revocation (or a trusted issuer) may name, in UTF-8 bytes. */
export const MAX_ISSUER_BYTES = 512;
/**
 * Longest %-encoded issuer, in bytes: what the key leaves beside the longest kind and the longest
 * clear id (`subject#` + issuer + `#` + 1024 bytes), so every stored id fits under every issuer.
 */
export const MAX_ENCODED_ISSUER_BYTES = MAX_KEY_BYTES - MAX_CLEAR_ID_BYTES - Math.max(...REVOCATION_KINDS.map((kind) => kind.length)) - 2;
/** Larger TTLs are milliseconds by mistake (they would mean the year 2286 or later). */
export const MAX_TTL_EPOCH_SECONDS = 10_000_000_000;
/** Smaller cut-offs are seconds by mistake (they would mean 1973 or earlier). */
export const MIN_CUTOFF_EPOCH_MS = 100_000_000_000;

/**
 * The item key: `${kind}#${encodeURIComponent(issuer)}#${id}`. The issuer is encoded so a `#`
 * inside it cannot move the boundary; the id, last, needs no encoding.
 */
export function revocationKey(kind: RevocationKind, issuer: string, id: string): string {
  return `${kind}#${encodeURIComponent(issuer)}#${id}`;
}

/** The UTF-8 size of the key a revocation is stored under; the table refuses more than {@link MAX_KEY_BYTES}. */
export function revocationKeyBytes(kind: RevocationKind, issuer: string, id: string): number {
  return Buffer.byteLength(revocationKey(kind, issuer, id));
}

/** The inverse of {@link revocationKey}, or undefined for a key this version does not know. */
export function parseRevocationKey(pk: string): { kind: RevocationKind; issuer: string; id: string } | undefined {
  const first = pk.indexOf('#');
  const second = first < 0 ? -1 : pk.indexOf('#', first + 1);
  if (second < 0) return undefined;
  const kind = pk.slice(0, first) as RevocationKind;
  if (!REVOCATION_KINDS.includes(kind)) return undefined;
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

// C0 and C1 control characters, DEL, and lone UTF-16 surrogates.
const CONTROL_OR_LONE_SURROGATE = /[\u0000-\u001f\u007f-\u009f]|\p{Surrogate}/u;
// base64url of a SHA-256 digest, unpadded.
const SHA256_BASE64URL = /^[A-Za-z0-9_-]{43}$/;

/**
 * Why an issuer cannot be named by a revocation, or undefined when it can: not blank, no control
 * character or lone surrogate, at most {@link MAX_ISSUER_BYTES} UTF-8 bytes and
 * {@link MAX_ENCODED_ISSUER_BYTES} once %-encoded, so that with any stored id it makes a key the
 * table can hold. The ingest applies it to every issuer a message names, the authorizer's
 * configuration to every trusted issuer: every token the authorizer allows has an issuer
 * revocations can name.
 */
export function issuerProblem(issuer: string): string | undefined {
  if (issuer.trim() === '') return 'must not be empty';
  if (CONTROL_OR_LONE_SURROGATE.test(issuer)) return 'must not contain control characters or unpaired surrogates';
  const bytes = Buffer.byteLength(issuer, 'utf8');
  if (bytes > MAX_ISSUER_BYTES) return `is ${bytes} bytes, more than the ${MAX_ISSUER_BYTES} allowed`;
  const encoded = encodeURIComponent(issuer).length;
  if (encoded > MAX_ENCODED_ISSUER_BYTES) {
    return `is ${encoded} bytes once %-encoded for the table key, more than the ${MAX_ENCODED_ISSUER_BYTES} allowed`;
  }
  return undefined;
}

/** Whether `id` is something {@link storedId} returns: a clear id, or the hash form. */
export function isStoredId(id: string): boolean {
  if (id.startsWith(HASHED_ID_PREFIX)) return SHA256_BASE64URL.test(id.slice(HASHED_ID_PREFIX.length));
  return id !== '' && storedId(id) === id;
}

/** A field of a revocation the table cannot hold as it is, and why. */
export interface StorageProblem {
  readonly field: 'kind' | 'issuer' | 'id' | 'expiresAtEpochSeconds' | 'revokedAtEpochMs';
  readonly message: string;
}

/**
 * Why the table cannot hold this revocation, or undefined when it can: the rules every item keeps.
 * The message parser refuses a revocation that breaks one (naming the message field); the store
 * only asserts them.
 */
export function storageProblem(revocation: Revocation): StorageProblem | undefined {
  if (!REVOCATION_KINDS.includes(revocation?.kind)) {
    return { field: 'kind', message: `kind must be one of ${REVOCATION_KINDS.join(', ')}` };
  }
  if (typeof revocation.issuer !== 'string' || revocation.issuer === '') {
    return { field: 'issuer', message: 'issuer must be a non-empty string' };
  }
  const issuerRule = revocation.issuer === ANY_ISSUER ? undefined : issuerProblem(revocation.issuer);
  if (issuerRule !== undefined) return { field: 'issuer', message: `issuer ${issuerRule}` };
  const id = revocationId(revocation);
  if (typeof id !== 'string' || id === '') return { field: 'id', message: 'id must be a non-empty string' };
  if (!isStoredId(id)) return { field: 'id', message: 'id must be a stored id (storedId): the revocation constructors map it' };
  const keyBytes = revocationKeyBytes(revocation.kind, revocation.issuer, id);
  if (keyBytes > MAX_KEY_BYTES) {
    return {
      field: 'id',
      message: `with its issuer makes a table key of ${keyBytes} bytes, more than the ${MAX_KEY_BYTES} DynamoDB allows`,
    };
  }
  const expires = revocation.expiresAtEpochSeconds;
  if (!Number.isSafeInteger(expires) || expires <= 0 || expires >= MAX_TTL_EPOCH_SECONDS) {
    return {
      field: 'expiresAtEpochSeconds',
      message: `expiresAtEpochSeconds must be whole epoch seconds (the TTL is never milliseconds), got ${expires}`,
    };
  }
  if (revocation.kind !== 'jti') {
    const t = revocation.revokedAtEpochMs;
    if (!Number.isSafeInteger(t) || t < MIN_CUTOFF_EPOCH_MS) {
      return { field: 'revokedAtEpochMs', message: `revokedAtEpochMs must be whole epoch milliseconds, got ${t}` };
    }
  }
  return undefined;
}

/**
 * Throws unless every revocation keeps the table's rules. The ingest's revocations come from the
 * message parser, which refuses what breaks them, so a throw here is a bug in the caller.
 */
export function assertStorable(revocations: readonly Revocation[]): void {
  revocations.forEach((revocation, index) => {
    const problem = storageProblem(revocation);
    if (problem !== undefined) throw new RangeError(`revocations[${index}] cannot be stored: ${problem.message}`);
  });
}

/** The whole item, as the ingest's conditional update leaves it. */
export function toItem(revocation: Revocation, nowMs: number): Record<string, AttributeValue> {
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

/** The revocation an item holds, or undefined for an item this version cannot read. */
export function toRevocation(item: Record<string, AttributeValue>): Revocation | undefined {
  const pk = item[SCHEMA.partitionKey.name]?.S;
  const key = pk === undefined ? undefined : parseRevocationKey(pk);
  const expiresAtEpochSeconds = Number(item[SCHEMA.timeToLiveAttribute]?.N);
  if (key === undefined || !Number.isFinite(expiresAtEpochSeconds)) return undefined;
  if (key.kind === 'jti') return { kind: 'jti', issuer: key.issuer, jti: key.id, expiresAtEpochSeconds };
  const revokedAtEpochMs = Number(item[ATTRIBUTES.revokedAt]?.N);
  if (key.kind === 'session') {
    // A session is enforced by its expiry alone (revokedAt only dates it): an item without a
    // readable revokedAt still refuses its tokens.
    return {
      kind: 'session',
      issuer: key.issuer,
      id: key.id,
      revokedAtEpochMs: Number.isFinite(revokedAtEpochMs) ? revokedAtEpochMs : 0,
      expiresAtEpochSeconds,
    };
  }
  if (!Number.isFinite(revokedAtEpochMs)) return undefined;
  return { kind: key.kind, issuer: key.issuer, id: key.id, revokedAtEpochMs, expiresAtEpochSeconds };
}

/**
 * The ingest's write of one revocation, stamped `nowMs`: a conditional update that only moves a
 * cut-off forward and only extends the expiry of a jti or a session, so a duplicate, older or
 * replayed revocation fails the condition and changes nothing (docs/design.md, "Revocation
 * semantics").
 */
export function conditionalUpdate(revocation: Revocation, nowMs: number) {
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
  } else if (revocation.kind === 'session') {
    // A session refuses its tokens while the entry lives, whatever their iat: only a longer life
    // changes it. revokedAt goes with the expiry it set (a later revocation of the session).
    values[':revokedAt'] = { N: String(revocation.revokedAtEpochMs) };
    update = `SET ${common}, #revokedAt = :revokedAt`;
    condition = 'attribute_not_exists(#pk) OR #expiresAt < :expiresAt';
  } else {
    // docs/design.md, "Revocation semantics": a cut-off only moves forward; an older, duplicate or replayed one changes nothing.
    values[':revokedAt'] = { N: String(revocation.revokedAtEpochMs) };
    update = `SET ${common}, #revokedAt = :revokedAt`;
    condition = 'attribute_not_exists(#pk) OR #revokedAt < :revokedAt';
  }
  return {
    Key: { [SCHEMA.partitionKey.name]: { S: pk } },
    UpdateExpression: update,
    ConditionExpression: condition,
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  };
}

/**
 * The keys of every item a token can be revoked under: its jti (and signature ids), subject,
 * client and session (their stored ids), each for its issuer and for any issuer. Every one fits the table (the issuer rule and
 * storedId see to it), so a consistent read of them is never a validation error.
 */
export function keysForToken(token: TokenKeys): Record<string, AttributeValue>[] {
  const keys = new Set<string>();
  const ids = token.revocationIds;
  for (const issuer of [token.issuer, ANY_ISSUER]) {
    keys.add(revocationKey('jti', issuer, ids.jti));
    for (const id of ids.signatures) keys.add(revocationKey('jti', issuer, id));
    if (ids.subject !== undefined) keys.add(revocationKey('subject', issuer, ids.subject));
    if (ids.client !== undefined) keys.add(revocationKey('client', issuer, ids.client));
    if (ids.session !== undefined) keys.add(revocationKey('session', issuer, ids.session));
  }
  return [...keys].map((pk) => ({ [SCHEMA.partitionKey.name]: { S: pk } }));
}

/** What every read projects (only what the view needs) and filters (items DynamoDB has not expired yet). */
export function liveItemsRequest(nowEpochSeconds: number) {
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

/** A delta read of one shard of the change index: live items stamped after `sinceEpochMs`. */
export function changesQuery(shard: number, sinceEpochMs: number, nowEpochSeconds: number) {
  const request = liveItemsRequest(nowEpochSeconds);
  const index = SCHEMA.changesIndex;
  return {
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
  };
}

/** The key of change-head replica `replica` (0 .. head.replicas - 1). */
export function headKey(replica: number): string {
  return `${SCHEMA.head.keyPrefix}${replica}`;
}

/** Whether a key is a change-head replica's, not a revocation's. */
export function isHeadKey(pk: string): boolean {
  return pk.startsWith(SCHEMA.head.keyPrefix);
}

/**
 * Raises change-head replica `replica` to `headAtMs` (the largest change stamp of a completed
 * batch), never lowers it: writers race, and the head only moves forward.
 */
export function headUpdate(replica: number, headAtMs: number) {
  return {
    Key: { [SCHEMA.partitionKey.name]: { S: headKey(replica) } },
    UpdateExpression: 'SET #headAt = :headAt',
    ConditionExpression: 'attribute_not_exists(#headAt) OR #headAt < :headAt',
    ExpressionAttributeNames: { '#headAt': SCHEMA.head.attribute },
    ExpressionAttributeValues: { ':headAt': { N: String(Math.floor(headAtMs)) } } as Record<string, AttributeValue>,
  };
}

/** An eventually consistent read of change-head replica `replica`, projecting the change head and the feed's state. */
export function headRead(replica: number) {
  const feed = SCHEMA.head.feed;
  return {
    Key: { [SCHEMA.partitionKey.name]: { S: headKey(replica) } },
    ProjectionExpression: '#headAt, #seq, #seqAt, #base, #baseAt, #at',
    ExpressionAttributeNames: {
      '#headAt': SCHEMA.head.attribute,
      '#seq': feed.seq,
      '#seqAt': feed.seqAt,
      '#base': feed.base,
      '#baseAt': feed.baseAt,
      '#at': feed.at,
    },
  };
}

/** The value of a change-head item, or undefined when it is missing (no batch completed yet) or unreadable. */
export function headOf(item: Record<string, AttributeValue> | undefined): number | undefined {
  return wholeNumberOf(item?.[SCHEMA.head.attribute]);
}

/**
 * The feed's state in a change-head item, or undefined when no feed writer has written it or any
 * field is missing or breaks its rules (0 <= base <= seq, baseAt <= seqAt): a reader then reads the
 * change index, as without a feed.
 */
export function feedHeadOf(item: Record<string, AttributeValue> | undefined): FeedHead | undefined {
  const names = SCHEMA.head.feed;
  const seq = wholeNumberOf(item?.[names.seq]);
  const seqAtMs = wholeNumberOf(item?.[names.seqAt]);
  const base = wholeNumberOf(item?.[names.base]);
  const baseAtMs = wholeNumberOf(item?.[names.baseAt]);
  const atMs = wholeNumberOf(item?.[names.at]);
  if (seq === undefined || seqAtMs === undefined || base === undefined || baseAtMs === undefined || atMs === undefined) return undefined;
  if (base > seq || baseAtMs > seqAtMs) return undefined;
  return { seq, seqAtMs, base, baseAtMs, atMs };
}

/** Both heads as one replica's item holds them. */
export function changeHeadOf(item: Record<string, AttributeValue> | undefined): ChangeHead {
  return { changedAtMs: headOf(item), feed: feedHeadOf(item) };
}

/** The key of the item that holds replica `replica` of feed page `seq` (a ring of SCHEMA.feed.slots pages). */
export function feedPageKey(seq: number, replica: number): string {
  return `${SCHEMA.feed.keyPrefix}${seq % SCHEMA.feed.slots}#${replica}`;
}

function wholeNumberOf(value: AttributeValue | undefined): number | undefined {
  const number = Number(value?.N);
  return value?.N !== undefined && Number.isSafeInteger(number) && number >= 0 ? number : undefined;
}

/** Hands each live revocation of a page to `visit`, counting the expired and unreadable ones. */
export function visitItems(
  items: Record<string, AttributeValue>[] | undefined,
  nowEpochSeconds: number,
  summary: ReadSummary,
  visit: (revocation: Revocation) => void,
): void {
  if (items === undefined) return;
  for (const item of items) {
    // A change-head item is bookkeeping, never a revocation, nor an item this version cannot read.
    const pk = item[SCHEMA.partitionKey.name]?.S;
    if (pk !== undefined && isHeadKey(pk)) continue;
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

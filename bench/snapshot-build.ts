/**
 * Child of bench/snapshot-cold-start.ts: writes a revocation snapshot of N generated revocations
 * straight from the entries, without a table (a Scan of 1 M or 10 M items from dynalite would take
 * minutes): the cache the authorizer would hold, applied entry by entry, encoded by the same
 * `encodeSnapshot` as the snapshot function, written by the same file store. The mix is the bench
 * tables' (bench/run.ts): 98% jti, 1% subject and 1% client cut-offs, plus the one jti the
 * cold-start runs check is denied. The watermark is the write's time; the table it names exists
 * in dynalite and is empty, so the cold start's delta read finds nothing.
 *
 * Environment: BENCH_ENTRIES, BENCH_ISSUER, BENCH_TABLE, BENCH_REVOKED_JTI, BENCH_SNAPSHOT_PATH.
 */
import { randomBytes } from 'node:crypto';
import { DEFAULTS } from '../lambda/contract/index.js';
import { cutoffRetentionSeconds, encodeSnapshot, RevocationCache } from '../lambda/revocation/index.js';
import { FileSnapshotStore } from '../lambda/snapshot/index.js';
import { reportResult } from './support/processes.js';

const entries = Number(process.env.BENCH_ENTRIES);
const issuer = process.env.BENCH_ISSUER!;
const tableName = process.env.BENCH_TABLE!;
const revokedJti = process.env.BENCH_REVOKED_JTI!;
const path = process.env.BENCH_SNAPSHOT_PATH!;

const startMs = performance.now();
const nowMs = Date.now();
const nowSeconds = Math.floor(nowMs / 1000);
// The authorizer's defaults: a snapshot made with another retention is refused ('settings').
const retention = cutoffRetentionSeconds({
  clockToleranceSeconds: DEFAULTS.clockToleranceSeconds,
  maxTokenLifetimeSeconds: DEFAULTS.maxTokenLifetimeSeconds,
});
const cache = new RevocationCache({ cutoffRetentionSeconds: retention });
// Ids as long as a UUID (36 characters), distinct, made from one random prefix and a counter: a
// randomUUID() per entry would double the build time and change nothing the load does.
const prefix = randomBytes(6).toString('hex');
for (let i = 0; i < entries; i++) {
  const id = `${prefix}-${i.toString(16).padStart(23, '0')}`;
  if (i % 100 === 98)
    cache.apply({ kind: 'subject', issuer, id, revokedAtEpochMs: nowMs - 60_000, expiresAtEpochSeconds: nowSeconds + 86_400 }, nowSeconds);
  else if (i % 100 === 99)
    cache.apply({ kind: 'client', issuer, id, revokedAtEpochMs: nowMs - 60_000, expiresAtEpochSeconds: nowSeconds + 86_400 }, nowSeconds);
  else cache.apply({ kind: 'jti', issuer, jti: id, expiresAtEpochSeconds: nowSeconds + 3600 + (i % 3600) }, nowSeconds);
}
cache.apply({ kind: 'jti', issuer, jti: revokedJti, expiresAtEpochSeconds: nowSeconds + 3600 }, nowSeconds);
const builtMs = performance.now();
const writtenAtMs = Date.now();
const image = encodeSnapshot(cache, {
  watermarkEpochMs: writtenAtMs,
  createdAtEpochMs: writtenAtMs,
  scanBaseEpochMs: writtenAtMs,
  tableName,
});
await new FileSnapshotStore(path).write(image.parts, image.byteLength);
reportResult({
  entries: cache.size,
  bytes: image.byteLength,
  buildMs: builtMs - startMs,
  writeMs: performance.now() - builtMs,
});

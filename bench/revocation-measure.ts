/**
 * Measurements of the revocation view, for `npm run bench` to call (they are not tests).
 * Memory figures need `node --expose-gc`; without it they throw.
 */
import { randomUUID } from 'node:crypto';
import { PerformanceObserver } from 'node:perf_hooks';
import {
  createRevocationChecker,
  RevocationCache,
  revocationIdsOf,
  type Revocation,
  type RevocationSettings,
  type RevocationStore,
} from '../lambda/revocation/index.js';
import type { VerifiedToken } from '../lambda/token/index.js';

const ISSUER = 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbCdEfGhI';

/**
 * A flat string, as JSON.parse gives a token's claims. randomUUID() and template literals build
 * cons-string trees (hundreds of bytes for a UUID), which would inflate a Map's figures unfairly.
 */
const flat = (value: string): string => JSON.parse(JSON.stringify(value)) as string;
const uuid = (): string => flat(randomUUID());
const RETENTION_SECONDS = 86_400 + 60;

export interface MemoryFigures {
  readonly entries: number;
  /** Heap + ArrayBuffer growth after GC, per entry, for the RevocationCache. */
  readonly cacheBytesPerEntry: number;
  /** The cache's typed arrays alone, per entry. */
  readonly cacheTypedArrayBytesPerEntry: number;
  /** The same (issuer, jti) → expiry data in a Map<string, number> keyed by `${issuer} ${jti}`. */
  readonly mapBytesPerEntry: number;
  /** A Map<string, number> keyed by the jti alone (no issuer scoping): a lower bound for any Map. */
  readonly mapJtiOnlyBytesPerEntry: number;
}

/** Bytes per jti entry (UUID jtis, a Cognito-length issuer) of the cache and of plain Maps. */
export function measureMemory(entries: number): MemoryFigures {
  const nowSeconds = Math.floor(Date.now() / 1000);
  const expiry = nowSeconds + 3600;
  const cacheBytes = retainedBytes(() => {
    const cache = new RevocationCache({ cutoffRetentionSeconds: RETENTION_SECONDS });
    for (let i = 0; i < entries; i++)
      cache.apply({ kind: 'jti', issuer: ISSUER, jti: uuid(), expiresAtEpochSeconds: expiry + (i % 600) }, nowSeconds);
    return cache;
  });
  const typed = new RevocationCache({ cutoffRetentionSeconds: RETENTION_SECONDS });
  for (let i = 0; i < entries; i++) typed.apply({ kind: 'jti', issuer: ISSUER, jti: `t${i}`, expiresAtEpochSeconds: expiry }, nowSeconds);
  const mapBytes = retainedBytes(() => {
    const map = new Map<string, number>();
    for (let i = 0; i < entries; i++) map.set(flat(`${ISSUER} ${uuid()}`), expiry + (i % 600));
    return map;
  });
  const mapJtiOnlyBytes = retainedBytes(() => {
    const map = new Map<string, number>();
    for (let i = 0; i < entries; i++) map.set(uuid(), expiry + (i % 600));
    return map;
  });
  return {
    entries,
    cacheBytesPerEntry: cacheBytes / entries,
    cacheTypedArrayBytesPerEntry: typed.byteLength / typed.size,
    mapBytesPerEntry: mapBytes / entries,
    mapJtiOnlyBytesPerEntry: mapJtiOnlyBytes / entries,
  };
}

export interface LookupFigures {
  readonly entries: number;
  /** Median ns per isJtiRevoked for a revoked jti (batches of 1000 lookups). */
  readonly medianNsRevokedJti: number;
  /** Median ns per isJtiRevoked for a jti that is not revoked, from a set of 10,000 looked up again and again. */
  readonly medianNsUnrevokedJti: number;
  /**
   * Median ns per isJtiRevoked for a jti that is not revoked and never seen before, a new string each
   * time (as every request's token is): the production case.
   */
  readonly medianNsDistinctJti: number;
  /** Median ns per full findRevocation (jti, subject and client) of a token that is not revoked. */
  readonly medianNsFindRevocation: number;
  /** Garbage collections during 2M isJtiRevoked + 2M findRevocation calls: 0 means the warm path does not allocate. */
  readonly garbageCollections: number;
}

/** Lookup latency with `entries` live jti revocations (plus 1% subject and client cut-offs). */
export async function measureLookups(entries: number, batches = 2000): Promise<LookupFigures> {
  const nowMs = Date.now();
  const nowSeconds = nowMs / 1000;
  const revoked: string[] = [];
  const items: Revocation[] = [];
  for (let i = 0; i < entries; i++) {
    const jti = uuid();
    if (i % 100 === 0) revoked.push(jti);
    items.push({ kind: 'jti', issuer: ISSUER, jti, expiresAtEpochSeconds: Math.floor(nowSeconds) + 3600 });
  }
  for (let i = 0; i < entries / 100; i++) {
    items.push({
      kind: 'subject',
      issuer: ISSUER,
      id: `user-${i}`,
      revokedAtEpochMs: nowMs - 60_000,
      expiresAtEpochSeconds: Math.floor(nowSeconds) + 3600,
    });
    items.push({
      kind: 'client',
      issuer: ISSUER,
      id: `client-${i}`,
      revokedAtEpochMs: nowMs - 60_000,
      expiresAtEpochSeconds: Math.floor(nowSeconds) + 3600,
    });
  }
  const sync = createRevocationChecker({
    reader: {
      scanLive: async (_segments, now, visit) => {
        for (const item of items) visit(item);
        return { items: items.length, expired: 0, skipped: 0 };
      },
      queryChanges: async () => ({ items: 0, expired: 0, skipped: 0 }),
      getForToken: async () => [],
    },
    settings: {
      tableName: 'unused',
      syncIntervalMs: 3_600_000,
      maxStalenessMs: 7_200_000,
      failMode: 'closed',
      consistency: 'eventual',
      scanSegments: 1,
      syncOverlapMs: 0,
    },
    rules: { maxTokenLifetimeSeconds: 86_400, clockToleranceSeconds: 60 },
    now: () => nowMs,
  });
  await sync.load();
  items.length = 0;
  const cache = (sync.view as unknown as { cache: RevocationCache }).cache;
  const unrevoked = Array.from({ length: 10_000 }, () => uuid());
  const tokens: VerifiedToken[] = unrevoked.map((jti, i) => ({
    issuer: ISSUER,
    sub: `someone-${i}`,
    subject: `someone-${i}`,
    subjectClaim: 'sub',
    tokenId: jti,
    signatureIds: [],
    clientId: `app-${i % 50}`,
    sessionId: undefined,
    revocationIds: revocationIdsOf(jti, `someone-${i}`, `app-${i % 50}`),
    issuedAtEpochSeconds: Math.floor(nowSeconds) - 10,
    expiresAtEpochSeconds: Math.floor(nowSeconds) + 600,
    scope: undefined,
    claims: {},
  }));

  const time = (lookup: (i: number) => unknown): number => medianNanosecondsPerLookup(lookup, batches);

  const medianNsRevokedJti = time((i) => cache.isJtiRevoked(ISSUER, revoked[i % revoked.length]!, nowSeconds));
  const medianNsUnrevokedJti = time((i) => cache.isJtiRevoked(ISSUER, unrevoked[i % unrevoked.length]!, nowSeconds));
  const medianNsDistinctJti = medianNanosecondsPerDistinctLookup((jti) => cache.isJtiRevoked(ISSUER, jti, nowSeconds), batches);
  const medianNsFindRevocation = time((i) => sync.findRevocation(tokens[i % tokens.length]!, nowMs));

  // Counted over untimed loops: the timing itself allocates (BigInt clock readings).
  let collections = 0;
  const observer = new PerformanceObserver((list) => (collections += list.getEntries().length));
  observer.observe({ entryTypes: ['gc'] });
  let found = 0;
  for (let i = 0; i < 2_000_000; i++) {
    if (cache.isJtiRevoked(ISSUER, unrevoked[i % unrevoked.length]!, nowSeconds)) found++;
    if (sync.findRevocation(tokens[i % tokens.length]!, nowMs) !== undefined) found++;
  }
  await new Promise((resolve) => setTimeout(resolve, 50));
  observer.disconnect();
  if (found === -1) console.log(found);
  return {
    entries,
    medianNsRevokedJti,
    medianNsUnrevokedJti,
    medianNsDistinctJti,
    medianNsFindRevocation,
    garbageCollections: collections,
  };
}

export interface ColdStartFigures {
  readonly items: number;
  readonly segments: number;
  readonly loadMs: number;
  /** CPU time this process spent in the load (the SDK's parsing and the cache): what an instance pays whatever the server. */
  readonly loaderCpuMs: number;
  readonly entries: number;
  readonly cacheBytes: number;
}

/** Time of a cold-start load from `store`'s table (already seeded), as the authorizer does it. */
export async function measureColdStart(store: RevocationStore, settings: RevocationSettings): Promise<ColdStartFigures> {
  const sync = createRevocationChecker({ reader: store, settings, rules: { maxTokenLifetimeSeconds: 86_400, clockToleranceSeconds: 60 } });
  const start = performance.now();
  const cpuStart = process.cpuUsage();
  await sync.load();
  const loadMs = performance.now() - start;
  const cpu = process.cpuUsage(cpuStart);
  const cache = (sync.view as unknown as { cache: RevocationCache }).cache;
  return {
    items: sync.view.entryCount,
    segments: settings.scanSegments,
    loadMs,
    loaderCpuMs: (cpu.user + cpu.system) / 1000,
    entries: sync.view.entryCount,
    cacheBytes: cache.byteLength,
  };
}

/** Heap and ArrayBuffer bytes still held by what `build` returns, after full collections. */
function retainedBytes(build: () => unknown): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('run node with --expose-gc to measure memory');
  const used = () => {
    gc();
    gc();
    const usage = process.memoryUsage();
    return usage.heapUsed + usage.arrayBuffers;
  };
  const before = used();
  let held: unknown = build();
  const after = used();
  if (held === null) console.log(held);
  held = undefined;
  return after - before;
}

export interface MapLookupFigures {
  readonly entries: number;
  /**
   * Median ns per lookup of a jti that is not revoked in a Map<string, number> keyed by
   * `${issuer} ${jti}`, the key built per lookup as such a design must (so its hash is computed
   * per lookup, as the cache's is).
   */
  readonly medianNsIssuerScoped: number;
  /** The same keyed by the jti alone, looking up strings whose hash V8 has already cached: a lower bound for any Map. */
  readonly medianNsJtiOnlyHashCached: number;
  /** The issuer-scoped Map looked up with jtis never seen before (the production case). */
  readonly medianNsIssuerScopedDistinct: number;
  /** The jti-only Map looked up with jtis never seen before: V8 hashes each string on its first lookup. */
  readonly medianNsJtiOnlyDistinct: number;
}

/** Lookups in plain Maps holding the same `entries` jti revocations as measureLookups: the baseline. */
export function measureMapLookups(entries: number, batches = 2000): MapLookupFigures {
  const expiry = Math.floor(Date.now() / 1000) + 3600;
  const scoped = new Map<string, number>();
  const jtiOnly = new Map<string, number>();
  for (let i = 0; i < entries; i++) {
    const jti = uuid();
    scoped.set(flat(`${ISSUER} ${jti}`), expiry);
    jtiOnly.set(jti, expiry);
  }
  const unrevoked = Array.from({ length: 10_000 }, () => uuid());
  const issuer = flat(ISSUER);
  const time = (lookup: (i: number) => boolean): number => medianNanosecondsPerLookup(lookup, batches);
  const nowSeconds = expiry - 3600;
  return {
    entries,
    medianNsIssuerScoped: time((i) => (scoped.get(`${issuer} ${unrevoked[i % unrevoked.length]!}`) ?? 0) > nowSeconds),
    medianNsJtiOnlyHashCached: time((i) => (jtiOnly.get(unrevoked[i % unrevoked.length]!) ?? 0) > nowSeconds),
    medianNsIssuerScopedDistinct: medianNanosecondsPerDistinctLookup((jti) => (scoped.get(`${issuer} ${jti}`) ?? 0) > nowSeconds, batches),
    medianNsJtiOnlyDistinct: medianNanosecondsPerDistinctLookup((jti) => (jtiOnly.get(jti) ?? 0) > nowSeconds, batches),
  };
}

/**
 * Median nanoseconds per call of `lookup` over `batches` batches of 1,000 calls (indices cycling
 * through 0..9999), after 200,000 warm-up calls. Results feed a sink so the calls are not elided.
 */
function medianNanosecondsPerLookup(lookup: (i: number) => unknown, batches: number): number {
  const perLookup: number[] = [];
  let sink = 0;
  for (let warm = 0; warm < 200_000; warm++) if (lookup(warm)) sink++;
  for (let batch = 0; batch < batches; batch++) {
    const offset = (batch * 1000) % 9000;
    const start = process.hrtime.bigint();
    for (let i = 0; i < 1000; i++) if (lookup(offset + i)) sink++;
    perLookup.push(Number(process.hrtime.bigint() - start) / 1000);
  }
  if (sink === -1) console.log(sink);
  perLookup.sort((a, b) => a - b);
  return perLookup[perLookup.length >> 1]!;
}

/**
 * Median nanoseconds per lookup of a key never seen before: per batch, 1,000 new UUIDs are parsed
 * from JSON text (flat strings whose hash V8 has not computed, as JSON.parse gives a token's
 * claims), untimed, then each is looked up once, timed. Cycling a small set of keys instead lets a
 * Map reuse the hash V8 caches in each string after its first lookup, which no request can.
 */
function medianNanosecondsPerDistinctLookup(lookup: (jti: string) => boolean, batches: number): number {
  const perLookup: number[] = [];
  let sink = 0;
  const newKeys = (): string[] => JSON.parse(JSON.stringify(Array.from({ length: 1000 }, () => randomUUID()))) as string[];
  for (let warm = 0; warm < 100; warm++) for (const jti of newKeys()) if (lookup(jti)) sink++;
  for (let batch = 0; batch < batches; batch++) {
    const keys = newKeys();
    const start = process.hrtime.bigint();
    for (let i = 0; i < 1000; i++) if (lookup(keys[i]!)) sink++;
    perLookup.push(Number(process.hrtime.bigint() - start) / 1000);
  }
  if (sink === -1) console.log(sink);
  perLookup.sort((a, b) => a - b);
  return perLookup[perLookup.length >> 1]!;
}

/**
 * `npm run bench` (after `npm run build`): the authorizer measured against its peers and the
 * physical limit, in one run, each figure beside the baseline it is judged by, measured in the
 * same process. Prints the tables, the ratios and a verdict per target, and writes
 * bench/results.json. Not part of `npm test`. See docs/performance.md.
 *
 * BENCH_QUICK=1 runs every part with fewer samples, a smoke test of the harness, not a result: its
 * JSON goes to a new directory under the temporary directory (the path is printed), never over
 * bench/results.json.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { REVOCATION_TABLE_SCHEMA } from '../lambda/contract/index.js';
import type { Revocation } from '../lambda/revocation/index.js';
import { createRevocationTable, importRevocations } from '../local/table-admin.js';
import { httpApiV2Event } from '../test/support/api-gateway-events.js';
import { TestIssuer } from '../test/support/issuer.js';
import { runBundleColdStart, runImport, runNaiveLoader, type BundleColdStart } from './cold-start.js';
import { measureSnapshotColdStarts, type ColdStartCell, type SnapshotColdStartFigures } from './snapshot-cold-start.js';
import type { ContenderFigures, FreshFigures, HotPathResult, RepeatedFigures } from './hot-path.js';
import { perEntry, runLoad, startScanServer, type LoadMemoryFigures } from './load-memory.js';
import { packageSizes } from './package-size.js';
import { measurePropagation, type PropagationFigures } from './propagation.js';
import { measureColdStartReadUnits, measureSyncCost, type SyncCostFigures, type SyncCostScenario } from './sync-cost.js';
import type { LookupFigures, MapLookupFigures, MemoryFigures } from './revocation-measure.js';
import { childEnv, runChild, startDynaliteProcess, startIssuerProcess, tsArgs } from './support/processes.js';
import { median, round, spreadOf, summarize, type RoundSpread } from './support/stats.js';
import { formatTable } from './support/table.js';
import { BENCH_ALGORITHMS, type BenchAlgorithm } from './support/tokens.js';

const QUICK = process.env.BENCH_QUICK === '1';
const ISSUER = 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbCdEfGhI';
const ALGORITHMS = BENCH_ALGORITHMS;
const ROUNDS = QUICK ? 4 : 20;
const TOKENS_PER_ROUND = QUICK ? 50 : 300;
const WARMUP_TOKENS = QUICK ? 100 : 500;
const REPEATED_PER_ROUND = QUICK ? 300 : 1500;
const LOAD_MEMORY_SIZES = QUICK ? [10_000, 100_000] : [100_000, 1_000_000];
const IMPORT_REPETITIONS = QUICK ? 2 : 5;
const COLD_START_SIZES = QUICK ? [0, 1000] : [0, 10_000, 100_000];
/** Snapshot vs Scan cold starts: sizes with a dynalite table (Scan and snapshot), and sizes with a generated snapshot only. */
const SNAPSHOT_TABLE_SIZES = QUICK ? [1000, 10_000] : [10_000, 50_000, 100_000];
const SNAPSHOT_GENERATED_SIZES = QUICK ? [100_000] : [1_000_000, 10_000_000];
const SNAPSHOT_REPETITIONS = QUICK ? 1 : 3;
const SNAPSHOT_LARGE_REPETITIONS = QUICK ? 1 : 2;
/** The issue's "done when" size: the Scan ÷ snapshot ratio of the first decision is checked there. */
const DONE_WHEN_SIZE = QUICK ? 10_000 : 50_000;
const HOT_PATH_REVOCATIONS = QUICK ? 1000 : 100_000;
const CACHE_ENTRIES = QUICK ? 100_000 : 1_000_000;
const PROPAGATION_REVOCATIONS = QUICK ? 3 : 20;
const SYNC_INTERVAL_MS = 1000;
const INGEST_CONCURRENCY = QUICK ? [32] : [8, 32, 128];
/** Simulated seconds per scenario: a minute idle (one full sync of the head-only path falls in it), 20 s of traffic. */
const SYNC_COST_SCENARIOS: readonly SyncCostScenario[] = [
  { mode: 'head', revocationsPerSecond: 0, seconds: QUICK ? 20 : 60 },
  { mode: 'feed', revocationsPerSecond: 0, seconds: QUICK ? 20 : 60 },
  { mode: 'head', revocationsPerSecond: 100, seconds: QUICK ? 5 : 20 },
  { mode: 'feed', revocationsPerSecond: 100, seconds: QUICK ? 5 : 20 },
];
/** DynamoDB's read units per second from one partition, and the replicas of the head and of each feed page (docs/scale.md). */
const PARTITION_READ_UNITS = 3000;
/** Revocations in the table whose cold-start read units are measured. */
const COLD_START_UNITS_REVOCATIONS = QUICK ? 1000 : 10_000;
const HEAD_REPLICAS = REVOCATION_TABLE_SCHEMA.head.replicas;
const FEED_REPLICAS = REVOCATION_TABLE_SCHEMA.feed.replicas;
const INDEX_SHARDS = REVOCATION_TABLE_SCHEMA.indexShards;

const startedAt = new Date();
const loadAverageAtStart = loadavg();
const progress = (message: string) =>
  process.stderr.write(`[bench ${((Date.now() - startedAt.getTime()) / 1000).toFixed(0).padStart(4)} s] ${message}\n`);

/** What was measured: the commit, and whether lambda/ differed from it (the bundle is built from the tree). */
function revision(): { commit: string; lambdaModified: boolean } {
  try {
    const commit = execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
    const modified = execFileSync('git', ['status', '--porcelain', '--', 'lambda'], { encoding: 'utf8' }).trim() !== '';
    return { commit, lambdaModified: modified };
  } catch {
    return { commit: 'unknown', lambdaModified: true };
  }
}

const machine = {
  cpuModel: cpus()[0]?.model ?? 'unknown',
  cores: cpus().length,
  totalMemoryGiB: round(totalmem() / 2 ** 30),
  node: process.version,
  v8: process.versions.v8,
  openssl: process.versions.openssl,
  platform: `${process.platform} ${release()} ${process.arch}`,
};

// ---------------------------------------------------------------- tokens, signed in a process of their own
// Signing (seconds of CPU for the RSA tokens) runs there while this process seeds dynalite; that
// process then serves the key set, so nothing that measures ever signs or serves.
const workDirectory = await mkdtemp(join(tmpdir(), 'revocation-authorizer-bench-tokens-'));
progress('signing the decision-path tokens (issuer process) while the tables are seeded');
const issuerStarting = startIssuerProcess({
  BENCH_ISSUER: ISSUER,
  BENCH_TOKENS_FILE: join(workDirectory, 'tokens.json'),
  BENCH_FRESH_TOKENS: String(WARMUP_TOKENS + ROUNDS * TOKENS_PER_ROUND),
});

// ---------------------------------------------------------------- bundles and deployed zips
progress('bundle and zip sizes (the construct synthesized as cdk deploy does)');
const packages = packageSizes();

// ---------------------------------------------------------------- dynalite, seeded
progress('starting dynalite and seeding the revocation tables');
const dynamo = await startDynaliteProcess();
const tableOf = (size: number) => `revocations-${size}`;
const seedSizes = [...new Set([...COLD_START_SIZES, ...SNAPSHOT_TABLE_SIZES, HOT_PATH_REVOCATIONS])];
const seedStart = performance.now();
for (const size of seedSizes) {
  await createRevocationTable(dynamo.client, tableOf(size));
  await importRevocations(dynamo.client, tableOf(size), liveRevocations(size), { concurrency: 16 });
}
const seedMs = performance.now() - seedStart;
const ingestTable = 'ingest-bench';
await createRevocationTable(dynamo.client, ingestTable);

/** `count` live revocations of the bench issuer: 98% jti, 1% subject and 1% client cut-offs. */
function liveRevocations(count: number): Revocation[] {
  const nowMs = Date.now();
  const nowSeconds = Math.floor(nowMs / 1000);
  return Array.from({ length: count }, (_, i): Revocation => {
    if (i % 100 === 98)
      return {
        kind: 'subject',
        issuer: ISSUER,
        id: randomUUID(),
        revokedAtEpochMs: nowMs - 60_000,
        expiresAtEpochSeconds: nowSeconds + 86_400,
      };
    if (i % 100 === 99)
      return {
        kind: 'client',
        issuer: ISSUER,
        id: randomUUID(),
        revokedAtEpochMs: nowMs - 60_000,
        expiresAtEpochSeconds: nowSeconds + 86_400,
      };
    return { kind: 'jti', issuer: ISSUER, jti: randomUUID(), expiresAtEpochSeconds: nowSeconds + 3600 + (i % 3600) };
  });
}

// ---------------------------------------------------------------- the decision path
const issuerProcess = await issuerStarting;
progress(`tokens signed in ${round(issuerProcess.ready.signingMs / 1000)} s`);
progress(
  `decision path: built bundle vs crypto.verify, fast-jwt, aws-jwt-verify, jose; ${ROUNDS} rounds × ${TOKENS_PER_ROUND} tokens (${HOT_PATH_REVOCATIONS} revocations loaded)`,
);
const hotPathRun = await runChild<HotPathResult>(
  tsArgs('bench/hot-path.ts'),
  childEnv({
    ...dynamo.env,
    REVOCATION_TABLE_NAME: tableOf(HOT_PATH_REVOCATIONS),
    BENCH_TOKENS_FILE: issuerProcess.ready.tokensFile,
    BENCH_ROUNDS: String(ROUNDS),
    BENCH_TOKENS_PER_ROUND: String(TOKENS_PER_ROUND),
    BENCH_REPEATED_PER_ROUND: String(REPEATED_PER_ROUND),
  }),
);
const hotPath = hotPathRun.result;
// Allowed decisions log at debug, which the default level (INFO) drops: none may have been written.
const allowLinesWritten = hotPathRun.output.split('\n').filter((line) => line.includes('"message":"allow"')).length;

// ---------------------------------------------------------------- cold start
progress('cold start: fresh processes importing the bundle, and a naive loader');
const coldIssuer = await TestIssuer.start({ algorithms: ['RS256'], issuer: ISSUER });
const coldStartReps = QUICK ? 1 : 3;
const coldStart: Record<number, { bundle: BundleColdStart[]; naive: { loadMs: number; entries: number }[] }> = {};
for (const size of COLD_START_SIZES) coldStart[size] = { bundle: [], naive: [] };
for (let rep = 0; rep < coldStartReps; rep++) {
  for (const size of COLD_START_SIZES) {
    const env = { ...dynamo.env, ...coldIssuer.env, REVOCATION_TABLE_NAME: tableOf(size) };
    const event = httpApiV2Event(`Bearer ${await coldIssuer.token()}`);
    coldStart[size]!.bundle.push(await runBundleColdStart(env, event));
    coldStart[size]!.naive.push(await runNaiveLoader(env));
  }
}
const importTimes: Record<'authorizer' | 'ingest', number[]> = { authorizer: [], ingest: [] };
for (let rep = 0; rep < IMPORT_REPETITIONS; rep++) {
  for (const name of ['authorizer', 'ingest'] as const) {
    importTimes[name].push(await runImport(name, { ...dynamo.env, ...coldIssuer.env, REVOCATION_TABLE_NAME: tableOf(0) }));
  }
}
await coldIssuer.stop();

// ---------------------------------------------------------------- cold start: snapshot vs Scan
progress(
  `cold start from a snapshot vs a Scan: ${[...SNAPSHOT_TABLE_SIZES, ...SNAPSHOT_GENERATED_SIZES].map((size) => size.toLocaleString('en-US')).join(', ')} revocations, Lambda 1,024 MB CPU and full CPU`,
);
const snapshotColdStart: SnapshotColdStartFigures = await measureSnapshotColdStarts({
  dynamo,
  tableOf,
  issuer: ISSUER,
  tableSizes: SNAPSHOT_TABLE_SIZES,
  generatedSizes: SNAPSHOT_GENERATED_SIZES,
  repetitions: SNAPSHOT_REPETITIONS,
  largeRepetitions: SNAPSHOT_LARGE_REPETITIONS,
  workDirectory,
  progress,
});

// ---------------------------------------------------------------- ingest
progress('ingest throughput: 2,000-entry batches into dynalite');
const ingest: IngestRun[] = [];
interface IngestRun {
  readonly concurrency: number;
  readonly entries: number;
  readonly messageBytes: number;
  readonly fresh: { ms: number; perSecond: number; applied: number; unchanged: number }[];
  readonly redelivered: { ms: number; perSecond: number; applied: number; unchanged: number };
}
for (const concurrency of INGEST_CONCURRENCY) {
  const { result } = await runChild<IngestRun>(
    tsArgs('bench/ingest-child.ts'),
    childEnv({
      ...dynamo.env,
      REVOCATION_TABLE_NAME: ingestTable,
      INGEST_WRITE_CONCURRENCY: String(concurrency),
      BENCH_ISSUER: ISSUER,
      BENCH_BATCHES: QUICK ? '1' : '2',
    }),
  );
  ingest.push(result);
}

// ---------------------------------------------------------------- sync cost
progress('sync cost: read units per instance-second, change head vs change feed, idle and at 100 revocations/s (dynalite, simulated time)');
const syncCost: SyncCostFigures[] = [];
for (const scenario of SYNC_COST_SCENARIOS) {
  syncCost.push(await measureSyncCost(dynamo.endpoint, ISSUER, scenario));
}
const coldStartUnits = await measureColdStartReadUnits(dynamo.endpoint, ISSUER, COLD_START_UNITS_REVOCATIONS);

await dynamo.stop();

// ---------------------------------------------------------------- revocation view at 1M
progress(`revocation view: ${CACHE_ENTRIES} live jti entries (child process, --expose-gc)`);
const { result: view } = await runChild<{ memory: MemoryFigures; lookups: LookupFigures; mapLookups: MapLookupFigures }>(
  tsArgs('bench/revocation-child.ts', ['--expose-gc']),
  childEnv({ BENCH_ENTRIES: String(CACHE_ENTRIES) }),
);

// ---------------------------------------------------------------- process memory while loading
progress(
  `process memory while loading ${LOAD_MEMORY_SIZES.map((size) => size.toLocaleString('en-US')).join(' and ')} revocations (fresh processes)`,
);
const scanServer = await startScanServer(ISSUER);
const loadEnv = { JWT_ISSUER: ISSUER, JWT_AUDIENCE: 'https://api.example.com', JWKS_URI: issuerProcess.ready.jwksUri };
const emptyLoad = await runLoad(scanServer.endpoint, 0, loadEnv);
const loadMemory: LoadMemoryFigures[] = [];
for (const size of LOAD_MEMORY_SIZES) loadMemory.push(perEntry(emptyLoad, await runLoad(scanServer.endpoint, size, loadEnv)));
await scanServer.stop();
await issuerProcess.stop();
await rm(workDirectory, { recursive: true, force: true });

// ---------------------------------------------------------------- propagation
progress(`propagation: ${PROPAGATION_REVOCATIONS} revocations through the local stack (npm start)`);
let propagation: PropagationFigures | { error: string };
try {
  propagation = await measurePropagation({ revocations: PROPAGATION_REVOCATIONS, syncIntervalMs: SYNC_INTERVAL_MS });
} catch (error) {
  propagation = { error: error instanceof Error ? error.message : String(error) };
}

// ---------------------------------------------------------------- figures, targets, output
const coldStartFigures = Object.fromEntries(
  COLD_START_SIZES.map((size) => {
    const runs = coldStart[size]!;
    const bundleLoad = median(runs.bundle.map((run) => run.loadMs));
    const naiveLoad = median(runs.naive.map((run) => run.loadMs));
    return [
      size,
      {
        revocations: size,
        runs: runs.bundle.length,
        importMs: median(runs.bundle.map((run) => run.importMs)),
        firstDecisionMs: median(runs.bundle.map((run) => run.firstDecisionMs)),
        sinceProcessStartMs: median(runs.bundle.map((run) => run.sinceProcessStartMs)),
        loadMs: bundleLoad,
        naiveSequentialScanMs: naiveLoad,
        naiveToLoader: size === 0 ? null : naiveLoad / bundleLoad,
        entriesLoaded: runs.bundle[0]?.entries,
        naiveEntries: runs.naive[0]?.entries,
        raw: runs,
      },
    ];
  }),
);

const propagationFigures =
  'error' in propagation
    ? propagation
    : {
        ...propagation,
        propagationMs: summarize(propagation.runs.map((run) => run.propagationMs)),
        publishMs: summarize(propagation.runs.map((run) => run.publishMs)),
      };

const ingestFigures = ingest.map((run) => ({
  concurrency: run.concurrency,
  entries: run.entries,
  messageBytes: run.messageBytes,
  revocationsPerSecond: median(run.fresh.map((batch) => batch.perSecond)),
  batchMs: median(run.fresh.map((batch) => batch.ms)),
  redeliveredPerSecond: run.redelivered.perSecond,
  batches: run.fresh,
  redelivered: run.redelivered,
}));

interface Target {
  readonly id: string;
  readonly target: string;
  readonly measured: string;
  /** `info`: a target of the next optimisation round, shown but not failing the run. */
  readonly kind: 'required' | 'info';
  readonly pass: boolean;
  /** How far inside (positive) or outside (negative) the target, as a fraction of it. */
  readonly headroom: number;
}
const targets: Target[] = [];
const fresh = (alg: BenchAlgorithm): FreshFigures => hotPath.fresh[alg];
const ratioOf = (alg: BenchAlgorithm, name: string): RoundSpread => fresh(alg).ratios[name]!;
const ratioTarget = (id: string, kind: Target['kind'], alg: BenchAlgorithm, name: string, bound: number, text: string, against: string) => {
  const ratio = ratioOf(alg, name);
  targets.push({
    id,
    target: text,
    measured: `${fmtRatio(ratio.median)} (rounds ${fmtRatio(ratio.min)}–${fmtRatio(ratio.max)}; ${fmtUs(fresh(alg).handler.perRound.median)} vs ${against})`,
    kind,
    pass: ratio.median <= bound,
    headroom: 1 - ratio.median / bound,
  });
};
for (const alg of ALGORITHMS) {
  ratioTarget(
    `fresh-${alg}-vs-crypto-verify`,
    'required',
    alg,
    'handlerToCryptoVerify',
    1.5,
    `${alg} fresh decision median ≤ 1.5× crypto.verify`,
    fmtUs(fresh(alg).cryptoVerify.perRound.median),
  );
  if (fresh(alg).awsJwtVerify !== null) {
    ratioTarget(
      `fresh-${alg}-vs-aws-jwt-verify`,
      'required',
      alg,
      'handlerToAwsJwtVerify',
      1,
      `${alg} fresh decision median ≤ aws-jwt-verify verifySync`,
      fmtUs(fresh(alg).awsJwtVerify!.perRound.median),
    );
  }
}
for (const alg of ALGORITHMS) {
  const repeated = hotPath.repeated[alg].handler.perRound.median;
  targets.push({
    id: `repeated-${alg}`,
    target: `${alg} repeated token median ≤ 5 µs`,
    measured: `${fmtUs(repeated)} (with runtime JSON: ${fmtUs(hotPath.repeated[alg].handlerWithRuntime.perRound.median)})`,
    kind: 'required',
    pass: repeated <= 5,
    headroom: 1 - repeated / 5,
  });
}
const lookupNs = Math.max(view.lookups.medianNsRevokedJti, view.lookups.medianNsDistinctJti);
targets.push({
  id: 'revocation-lookup',
  target: `jti lookup at ${CACHE_ENTRIES.toLocaleString('en-US')} entries median ≤ 0.5 µs (a new jti each time)`,
  measured: `${round(lookupNs)} ns (Map: ${round(view.mapLookups.medianNsIssuerScopedDistinct)} ns)`,
  kind: 'required',
  pass: lookupNs <= 500,
  headroom: 1 - lookupNs / 500,
});
targets.push({
  id: 'revocation-memory',
  target: `heap ≤ 40 bytes per entry at ${CACHE_ENTRIES.toLocaleString('en-US')} entries`,
  measured: `${round(view.memory.cacheBytesPerEntry)} B (Map: ${round(view.memory.mapBytesPerEntry)} B)`,
  kind: 'required',
  pass: view.memory.cacheBytesPerEntry <= 40,
  headroom: 1 - view.memory.cacheBytesPerEntry / 40,
});
if (!('error' in propagationFigures)) {
  const max = propagationFigures.propagationMs.max;
  const bound = SYNC_INTERVAL_MS + 500;
  targets.push({
    id: 'propagation-bound',
    target: `every revocation enforced within the sync interval (${SYNC_INTERVAL_MS} ms) + 500 ms`,
    measured: `max ${round(max)} ms, median ${round(propagationFigures.propagationMs.median)} ms`,
    kind: 'required',
    pass: max <= bound,
    headroom: 1 - max / bound,
  });
}
targets.push({
  id: 'allow-not-logged',
  target: 'no log line per allowed decision at the default level',
  measured: `${allowLinesWritten} allow lines written`,
  kind: 'required',
  pass: allowLinesWritten === 0,
  headroom: allowLinesWritten === 0 ? 1 : -1,
});
// Issue 12's cold-start targets: with a snapshot, at Lambda's 1,024 MB CPU share.
const coldCell = (size: number, path: ColdStartCell['path'], cpu: ColdStartCell['cpu']) =>
  snapshotColdStart.cells.find((cell) => cell.revocations === size && cell.path === path && cell.cpu === cpu);
const limitedLabel = snapshotColdStart.cpuLimit.applied
  ? `${snapshotColdStart.cpuLimit.cpus} CPU`
  : 'full CPU (the CPU limit could not be applied)';
for (const [size, boundMs] of [
  [1_000_000, 1000],
  [10_000_000, 6000],
] as const) {
  const cell = coldCell(size, 'snapshot', 'limited');
  if (cell === undefined) continue;
  targets.push({
    id: `cold-start-snapshot-${size}`,
    target: `cold start (import + load + first decision) from a snapshot of ${size.toLocaleString('en-US')} revocations at ${limitedLabel} ≤ ${boundMs} ms`,
    measured: `${round(cell.firstDecisionMs)} ms (load ${round(cell.loadMs)} ms; full CPU ${round(coldCell(size, 'snapshot', 'full')?.firstDecisionMs ?? NaN)} ms)`,
    kind: 'required',
    pass: cell.firstDecisionMs <= boundMs,
    headroom: 1 - cell.firstDecisionMs / boundMs,
  });
}
// Growth per entry is judged at the largest size measured: a fixed cost of the process (the
// allocator's and the import's transient peaks swing by 15-20 MB between runs) is 15-20 B/entry at
// 1 M and 2 B/entry at 10 M, so only the largest size measures the load rather than that noise.
const largestGenerated = Math.max(...SNAPSHOT_GENERATED_SIZES.filter((size) => coldCell(size, 'snapshot', 'limited') !== undefined));
for (const size of SNAPSHOT_GENERATED_SIZES) {
  const cell = coldCell(size, 'snapshot', 'limited');
  if (cell === undefined) continue;
  // The larger of the limited and full CPU medians: the same load, two samples of the allocator.
  const perEntry = Math.max(cell.growthBytesPerEntry, coldCell(size, 'snapshot', 'full')?.growthBytesPerEntry ?? -Infinity);
  const judged = size === largestGenerated;
  targets.push({
    id: `cold-start-growth-${size}`,
    target: `process growth (RSS, peak or at the first decision) from loading a snapshot of ${size.toLocaleString('en-US')} revocations ≤ 40 B/entry`,
    measured: `${round(perEntry)} B/entry (the snapshot: ${round((snapshotColdStart.snapshots[size]?.bytes ?? NaN) / size)} B/entry)${judged ? '' : '; judged at the largest size'}`,
    kind: judged ? 'required' : 'info',
    pass: perEntry <= 40,
    headroom: 1 - perEntry / 40,
  });
}
const snapshotScans = snapshotColdStart.cells
  .filter((cell) => cell.path === 'snapshot')
  .reduce((sum, cell) => sum + (cell.scanRequests ?? 0), 0);
const snapshotRuns = snapshotColdStart.cells.filter((cell) => cell.path === 'snapshot').reduce((sum, cell) => sum + cell.runs.length, 0);
targets.push({
  id: 'cold-start-snapshot-no-scan',
  target: 'no Scan request during a cold start from a snapshot',
  measured: `${snapshotScans} Scan requests in ${snapshotRuns} snapshot cold starts`,
  kind: 'required',
  pass: snapshotScans === 0,
  headroom: snapshotScans === 0 ? 1 : -1,
});
for (const cpu of ['limited', 'full'] as const) {
  const snapshot = coldCell(DONE_WHEN_SIZE, 'snapshot', cpu);
  const scan = coldCell(DONE_WHEN_SIZE, 'scan', cpu);
  if (snapshot === undefined || scan === undefined) continue;
  const ratio = scan.firstDecisionMs / snapshot.firstDecisionMs;
  targets.push({
    id: `cold-start-snapshot-speedup-${cpu}`,
    target: `first correct decision at ${DONE_WHEN_SIZE.toLocaleString('en-US')} revocations ≥ 3× faster with a snapshot than with a Scan (dynalite), ${cpu === 'limited' ? limitedLabel : 'full CPU'}`,
    measured: `${fmtRatio(ratio)} (${round(scan.firstDecisionMs)} ms vs ${round(snapshot.firstDecisionMs)} ms)`,
    // Issue 12's criterion is "on the local stack", which runs at full CPU. Under the quota the
    // ratio is shown: the bundle's import (a fixed ~300 ms there) is in both figures, and the Scan
    // side swings with dynalite's own caching (2.7-3.5x over eleven runs at 50 k).
    kind: cpu === 'full' ? 'required' : 'info',
    pass: ratio >= 3,
    headroom: ratio / 3 - 1,
  });
}

// Issue 18's targets for the optimisation round: shown, not failing the run yet.
ratioTarget(
  'next-fresh-RS256-vs-crypto-verify',
  'info',
  'RS256',
  'handlerToCryptoVerify',
  1.15,
  'RS256 fresh decision median ≤ 1.15× crypto.verify',
  fmtUs(fresh('RS256').cryptoVerify.perRound.median),
);
ratioTarget(
  'next-fresh-RS256-vs-fast-jwt',
  'info',
  'RS256',
  'handlerToFastJwt',
  1,
  'RS256 fresh decision median ≤ fast-jwt',
  fmtUs(fresh('RS256').fastJwt.perRound.median),
);
ratioTarget(
  'next-fresh-ES256-vs-crypto-verify',
  'info',
  'ES256',
  'handlerToCryptoVerify',
  1.05,
  'ES256 fresh decision median ≤ 1.05× crypto.verify',
  fmtUs(fresh('ES256').cryptoVerify.perRound.median),
);

const syncOf = (mode: SyncCostScenario['mode'], revocationsPerSecond: number) =>
  syncCost.find((figures) => figures.mode === mode && figures.revocationsPerSecond === revocationsPerSecond)!;
/**
 * The most instances the busiest partition allows (docs/scale.md, "Delta sync and the fleet"): each
 * instance reads every shard of the change index (head only: one partition per shard), or one of
 * the head's and one of each page's replicas (feed), with the units measured per request.
 */
function fleetCeiling(figures: SyncCostFigures): number {
  const perPartition: number[] = [];
  if (figures.headReadUnits !== null) perPartition.push((figures.headReadUnits * (figures.requestsPerSecond.GetItem ?? 0)) / HEAD_REPLICAS);
  if (figures.queryReadUnits !== null) perPartition.push((figures.queryReadUnits * (figures.requestsPerSecond.Query ?? 0)) / INDEX_SHARDS);
  if (figures.pageReadUnits !== null) perPartition.push((figures.pageReadUnits * figures.pagesPerSecond) / FEED_REPLICAS);
  return Math.floor(PARTITION_READ_UNITS / Math.max(...perPartition));
}
const feedIdle = syncOf('feed', 0);
targets.push({
  id: 'sync-idle-read-units',
  target: 'idle sync ≤ 0.5 read units per instance-second (change feed)',
  measured: `${round(feedIdle.readUnitsPerInstanceSecond)} units (change head alone: ${round(syncOf('head', 0).readUnitsPerInstanceSecond)})`,
  kind: 'required',
  pass: feedIdle.readUnitsPerInstanceSecond <= 0.5,
  headroom: 1 - feedIdle.readUnitsPerInstanceSecond / 0.5,
});
const feedBusyCeiling = fleetCeiling(syncOf('feed', 100));
targets.push({
  id: 'sync-fleet-ceiling',
  target: 'fleet ceiling at 100 revocations/s ≥ 50,000 instances (busiest partition, measured units per request)',
  measured: `${feedBusyCeiling.toLocaleString('en-US')} instances (change head alone: ${fleetCeiling(syncOf('head', 100)).toLocaleString('en-US')})`,
  kind: 'required',
  pass: feedBusyCeiling >= 50_000,
  headroom: feedBusyCeiling / 50_000 - 1,
});
const syncMissing = syncCost.reduce((sum, figures) => sum + figures.missing, 0);
targets.push({
  id: 'sync-complete',
  target: 'every revocation written during the sync-cost runs held by the instance at the end',
  measured: `${syncMissing} missing`,
  kind: 'required',
  pass: syncMissing === 0,
  headroom: syncMissing === 0 ? 1 : -1,
});

const importFigures = Object.fromEntries(
  (['authorizer', 'ingest'] as const).map((name) => [name, { ...spreadOf(importTimes[name]), runs: importTimes[name] }]),
) as Record<'authorizer' | 'ingest', RoundSpread & { runs: number[] }>;

const finishedAt = new Date();
const results = {
  schema: 2,
  startedAt: startedAt.toISOString(),
  durationSeconds: round((finishedAt.getTime() - startedAt.getTime()) / 1000),
  quick: QUICK,
  revision: revision(),
  machine: { ...machine, loadAverageAtStart: loadAverageAtStart.map(round), loadAverageAtEnd: loadavg().map(round) },
  settings: {
    issuer: ISSUER,
    hotPathRevocations: HOT_PATH_REVOCATIONS,
    rounds: hotPath.rounds,
    tokensPerRound: hotPath.tokensPerRound,
    warmupTokens: hotPath.warmupTokens,
    repeatedPerRound: hotPath.repeatedPerRound,
    revocationViewEntries: CACHE_ENTRIES,
    loadMemoryEntries: LOAD_MEMORY_SIZES,
    syncIntervalMs: SYNC_INTERVAL_MS,
    coldStartRepetitions: coldStartReps,
    importRepetitions: IMPORT_REPETITIONS,
    seedMs: round(seedMs),
    tokenSigningMs: round(issuerProcess.ready.signingMs),
    versions: hotPath.versions,
    units:
      'durations in µs unless the name says ms or ns; sizes in bytes; perRound: the spread of round medians (median, p25, p75, min, max over rounds)',
  },
  packages,
  importMs: importFigures,
  decision: {
    tokenCharacters: hotPath.tokenCharacters,
    eventCharacters: hotPath.eventCharacters,
    fresh: hotPath.fresh,
    repeated: hotPath.repeated,
  },
  allowLinesWritten,
  bundleInBenchProcess: {
    importMs: hotPath.importMs,
    firstDecisionMs: hotPath.firstDecisionMs,
    firstDecisionAttempts: hotPath.firstDecisionAttempts,
  },
  revocationView: { ...view, lookupTargetNs: 500, memoryTargetBytesPerEntry: 40 },
  loadMemory,
  coldStart: coldStartFigures,
  snapshotColdStart,
  propagation: propagationFigures,
  syncCost: syncCost.map((figures) => ({ ...figures, fleetCeiling: fleetCeiling(figures) })),
  coldStartReadUnits: coldStartUnits,
  ingest: ingestFigures,
  targets,
  allTargetsPass: targets.every((target) => target.kind === 'info' || target.pass),
};
// A fresh directory per quick run: a fixed name in the shared temp directory would let two runs
// (or another user's file, or a symlink planted there) collide.
const resultsPath = QUICK
  ? join(await mkdtemp(join(tmpdir(), 'revocation-authorizer-bench-')), 'results.quick.json')
  : 'bench/results.json';
await writeFile(resultsPath, `${JSON.stringify(results, roundReplacer, 2)}\n`);

console.log(report());
progress(`done; ${resultsPath} written`);
// A missed target fails the command, so a script or CI step running the bench notices.
const missed = targets.filter((target) => target.kind === 'required' && !target.pass);
if (missed.length > 0) progress(`${missed.length} target(s) missed: ${missed.map((target) => target.id).join(', ')}`);
process.exit(missed.length > 0 ? 1 : 0);

function report(): string {
  const out: string[] = [];
  const revisionNow = results.revision;
  out.push(
    `Commit ${revisionNow.commit.slice(0, 7)}${revisionNow.lambdaModified ? ' (lambda/ modified)' : ''}, ${startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC, ${results.durationSeconds} s${QUICK ? ', BENCH_QUICK (a smoke test, not a result)' : ''}`,
  );
  out.push(
    `Machine: ${machine.cpuModel}, ${machine.cores} cores, ${machine.totalMemoryGiB} GiB; Node ${machine.node} (V8 ${machine.v8}, OpenSSL ${machine.openssl}); ${machine.platform}`,
  );
  out.push(
    `Load average at start ${loadAverageAtStart.map((value) => value.toFixed(2)).join(' ')}, at end ${loadavg()
      .map((value) => value.toFixed(2))
      .join(' ')} (the cores are shared).`,
  );
  out.push(
    `Baselines: fast-jwt ${hotPath.versions['fast-jwt']}, aws-jwt-verify ${hotPath.versions['aws-jwt-verify']}, jose ${hotPath.versions.jose}; node:crypto verify is the floor.`,
  );
  out.push('');
  out.push(
    `Fresh token, full decision: built handler, HTTP API v2 event, warm instance, ${HOT_PATH_REVOCATIONS.toLocaleString('en-US')} revocations loaded,`,
  );
  out.push(
    `${hotPath.rounds} rounds × ${hotPath.tokensPerRound} distinct tokens per algorithm (after ${hotPath.warmupTokens} for warm-up), every contender on the same tokens.`,
  );
  out.push('µs: median of the round medians (p25–p75 of the round medians)');
  const us = (figures: ContenderFigures | null) =>
    figures === null ? 'n/a' : `${fmtUs(figures.perRound.median)} (${round(figures.perRound.p25)}–${round(figures.perRound.p75)})`;
  out.push(
    formatTable(
      ['alg', 'handler', 'handler + runtime JSON', 'crypto.verify', 'fast-jwt', 'aws-jwt-verify', 'handler p99'],
      ALGORITHMS.map((alg) => [
        alg,
        us(fresh(alg).handler),
        us(fresh(alg).handlerWithRuntime),
        us(fresh(alg).cryptoVerify),
        us(fresh(alg).fastJwt),
        us(fresh(alg).awsJwtVerify),
        fmtUs(fresh(alg).handler.samples.p99),
      ]),
    ),
  );
  out.push('');
  out.push('Ratios, taken round by round between figures measured side by side: median (min–max over rounds)');
  const ratioCell = (alg: BenchAlgorithm, name: string) => {
    const ratio = fresh(alg).ratios[name];
    return ratio === undefined ? 'n/a' : `${fmtRatio(ratio.median)} (${ratio.min.toFixed(2)}–${ratio.max.toFixed(2)})`;
  };
  out.push(
    formatTable(
      [
        'alg',
        'handler ÷ crypto.verify',
        'with runtime ÷ crypto.verify',
        'fast-jwt ÷ crypto.verify',
        'aws-jwt-verify ÷ crypto.verify',
        'handler ÷ fast-jwt',
        'handler ÷ aws-jwt-verify',
      ],
      ALGORITHMS.map((alg) => [
        alg,
        ratioCell(alg, 'handlerToCryptoVerify'),
        ratioCell(alg, 'handlerWithRuntimeToCryptoVerify'),
        ratioCell(alg, 'fastJwtToCryptoVerify'),
        ratioCell(alg, 'awsJwtVerifyToCryptoVerify'),
        ratioCell(alg, 'handlerToFastJwt'),
        ratioCell(alg, 'handlerToAwsJwtVerify'),
      ]),
    ),
  );
  out.push('');
  out.push('jose jwtVerify, in its own pass over the same tokens (async: WebCrypto verifies on a libuv thread; see docs/performance.md)');
  out.push(
    formatTable(
      [
        'alg',
        'jose',
        'WebCrypto verify alone',
        'crypto.verify (same pass)',
        'jose ÷ crypto.verify',
        'jose ÷ WebCrypto',
        'WebCrypto ÷ crypto.verify',
      ],
      ALGORITHMS.map((alg) => [
        alg,
        us(fresh(alg).jose),
        us(fresh(alg).subtleVerify),
        us(fresh(alg).cryptoVerifyBesideJose),
        ratioCell(alg, 'joseToCryptoVerify'),
        ratioCell(alg, 'joseToSubtleVerify'),
        ratioCell(alg, 'subtleVerifyToCryptoVerify'),
      ]),
    ),
  );
  out.push('');
  out.push(
    `Repeated token (the same token again, each call a new event): ${hotPath.rounds} rounds × ${hotPath.repeatedPerRound} calls; µs: median of round medians (p25–p75)`,
  );
  const rep = (alg: BenchAlgorithm, name: keyof RepeatedFigures) => hotPath.repeated[alg][name];
  out.push(
    formatTable(
      ['alg', 'in handler', 'p99', 'with runtime JSON', 'p99'],
      ALGORITHMS.map((alg) => [
        alg,
        us(rep(alg, 'handler')),
        fmtUs(rep(alg, 'handler').samples.p99),
        us(rep(alg, 'handlerWithRuntime')),
        fmtUs(rep(alg, 'handlerWithRuntime').samples.p99),
      ]),
    ),
  );
  out.push('');
  out.push(
    `The runtime's JSON work around each call, as Lambda's Node runtime does per invocation (JSON.parse of the ${hotPath.eventCharacters.RS256}-character RS256 event, JSON.stringify of the answer); µs, median of round medians`,
  );
  out.push(
    formatTable(
      ['alg', 'fresh: parse', 'fresh: stringify', 'repeated: parse', 'repeated: stringify'],
      ALGORITHMS.map((alg) => [
        alg,
        us(fresh(alg).runtimeJsonParse),
        us(fresh(alg).runtimeJsonStringify),
        us(rep(alg, 'runtimeJsonParse')),
        us(rep(alg, 'runtimeJsonStringify')),
      ]),
    ),
  );
  out.push('');
  out.push(`Revocation view at ${CACHE_ENTRIES.toLocaleString('en-US')} live jti entries: median ns per lookup`);
  out.push(
    formatTable(
      ['', 'new jti each lookup (production)', '10,000 jtis cycled (hash cached)', 'heap per entry'],
      [
        [
          'RevocationCache',
          `${round(view.lookups.medianNsDistinctJti)} ns`,
          `${round(view.lookups.medianNsUnrevokedJti)} ns (revoked: ${round(view.lookups.medianNsRevokedJti)} ns)`,
          `${round(view.memory.cacheBytesPerEntry)} B`,
        ],
        [
          'Map<string, number>, key `${iss} ${jti}`',
          `${round(view.mapLookups.medianNsIssuerScopedDistinct)} ns`,
          `${round(view.mapLookups.medianNsIssuerScoped)} ns`,
          `${round(view.memory.mapBytesPerEntry)} B`,
        ],
        [
          'Map<string, number>, key jti only',
          `${round(view.mapLookups.medianNsJtiOnlyDistinct)} ns`,
          `${round(view.mapLookups.medianNsJtiOnlyHashCached)} ns`,
          `${round(view.memory.mapJtiOnlyBytesPerEntry)} B`,
        ],
        ['full check (jti, subject, client)', '', `${round(view.lookups.medianNsFindRevocation)} ns`, ''],
      ],
    ),
  );
  out.push('');
  out.push(
    `Process memory while loading (fresh node per size, built bundle, real SDK, 4-segment Scan): growth less an empty table's, per entry; structure: ${round(view.memory.cacheTypedArrayBytesPerEntry)} B/entry at ${CACHE_ENTRIES.toLocaleString('en-US')}`,
  );
  const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
  out.push(
    formatTable(
      ['revocations', 'load', 'peak RSS', 'peak RSS / entry', 'peak JS heap / entry', 'after GC: RSS / entry', 'JS heap / entry'],
      loadMemory.map((figures) => [
        figures.entries.toLocaleString('en-US'),
        `${round(figures.loadMs)} ms`,
        mib(figures.runs.loaded.peak.rss),
        `${round(figures.peakRssBytesPerEntry)} B`,
        `${round(figures.peakJsBytesPerEntry)} B`,
        `${round(figures.retainedRssBytesPerEntry)} B`,
        `${round(figures.retainedJsBytesPerEntry)} B`,
      ]),
    ),
  );
  out.push('');
  out.push(
    `Bundles, deployed zips (the asset CDK stages for each function, zipped) and import time (fresh node, median of ${IMPORT_REPETITIONS} (min–max))`,
  );
  out.push(
    formatTable(
      ['bundle', 'size', 'gzip', 'source map', 'zip deployed', 'zip with includeSourceMaps', 'import'],
      (['authorizer', 'ingest'] as const).map((name) => [
        `${name}.mjs`,
        `${kib(packages.bundles[name].bytes)} KiB`,
        `${kib(packages.bundles[name].gzipBytes)} KiB`,
        `${kib(packages.bundles[name].sourceMapBytes)} KiB`,
        `${kib(packages.zips[name].zipBytes)} KiB (${packages.zips[name].files.join(', ')})`,
        `${kib(packages.zipsWithSourceMaps[name].zipBytes)} KiB`,
        `${round(importFigures[name].median)} ms (${round(importFigures[name].min)}–${round(importFigures[name].max)})`,
      ]),
    ),
  );
  out.push('');
  out.push(`Cold start (fresh process, median of ${coldStartReps})`);
  out.push(
    formatTable(
      ['revocations', 'import', 'first decision', 'from process start', 'load (4-segment projected Scan)', 'naive sequential Scan'],
      COLD_START_SIZES.map((size) => {
        const figures = coldStartFigures[size]!;
        return [
          size.toLocaleString('en-US'),
          `${round(figures.importMs)} ms`,
          `${round(figures.firstDecisionMs)} ms`,
          `${round(figures.sinceProcessStartMs)} ms`,
          `${round(figures.loadMs)} ms`,
          `${round(figures.naiveSequentialScanMs)} ms${figures.naiveToLoader === null ? '' : ` (${fmtRatio(figures.naiveToLoader)})`}`,
        ];
      }),
    ),
  );
  out.push('');
  out.push(
    `Cold start from a snapshot vs a Scan: fresh process, built bundle, import + load + first decision (a valid token allowed; then a revoked one denied), median of ${SNAPSHOT_REPETITIONS} (${SNAPSHOT_LARGE_REPETITIONS} at 10 M)`,
  );
  out.push(`Lambda 1,024 MB CPU: ${snapshotColdStart.cpuLimit.description}`);
  out.push(
    "Snapshots: file:// (the local stack's store), by dist/snapshot.mjs from the table up to 100 k, generated from entries at 1 M and 10 M (bench/snapshot-build.ts). Scans: dynalite, which is not DynamoDB (local LevelDB pages, none of its network or partitions), only up to 100 k.",
  );
  const ms = (cell: ColdStartCell | undefined) => (cell === undefined ? '—' : `${round(cell.firstDecisionMs)} ms`);
  const bpe = (cell: ColdStartCell | undefined) => (cell === undefined ? '—' : `${round(cell.growthBytesPerEntry)} B`);
  out.push(
    formatTable(
      [
        'revocations',
        'snapshot',
        'snapshot, 1,024 MB CPU',
        'Scan, 1,024 MB CPU',
        'Scan ÷ snapshot',
        'snapshot, full CPU',
        'Scan, full CPU',
        'growth/entry: snapshot',
        'Scan',
        'requests (snapshot)',
      ],
      [...SNAPSHOT_TABLE_SIZES, ...SNAPSHOT_GENERATED_SIZES].map((size) => {
        const snapshotLimited = coldCell(size, 'snapshot', 'limited');
        const scanLimited = coldCell(size, 'scan', 'limited');
        const runs = snapshotLimited?.runs ?? [];
        return [
          size.toLocaleString('en-US'),
          mibOrKib(snapshotColdStart.snapshots[size]?.bytes ?? NaN),
          ms(snapshotLimited),
          scanLimited === undefined ? 'not run' : ms(scanLimited),
          scanLimited === undefined || snapshotLimited === undefined
            ? ''
            : fmtRatio(scanLimited.firstDecisionMs / snapshotLimited.firstDecisionMs),
          ms(coldCell(size, 'snapshot', 'full')),
          scanLimited === undefined ? 'not run' : ms(coldCell(size, 'scan', 'full')),
          bpe(snapshotLimited),
          bpe(scanLimited),
          `${runs.reduce((sum, run) => sum + (run.scanRequests ?? 0), 0)} Scan, ${median(runs.map((run) => run.queryRequests ?? 0))} Query`,
        ];
      }),
    ),
  );
  out.push(
    "growth/entry: the process's RSS growth from before the import, at its peak and at the first decision (the larger), less the same for a one-revocation table, ÷ entries (at 1,024 MB CPU; below 1 M it is mostly noise: a few MB between processes).",
  );
  for (const note of snapshotColdStart.notes) out.push(`Note: ${note}`);
  out.push('');
  out.push(
    'Sync cost per instance-second (REVOCATION_SYNC_INTERVAL_MS=1000, FEED_INTERVAL_MS=1000): RevocationView, RevocationStore, FeedStore, FeedWriter against dynalite, simulated time,',
  );
  out.push(
    "read units from dynalite's ConsumedCapacity (DynamoDB's size rules; at least 0.5 per read request, DynamoDB's minimum); ingest writes one batch per second",
  );
  out.push(
    formatTable(
      [
        'sync',
        'revocations/s',
        'read units',
        'requests/s',
        'units per head / page / shard query',
        'page bytes (per entry)',
        'fleet ceiling',
        'writes/s: ingest, feed writer',
      ],
      syncCost.map((figures) => [
        figures.mode === 'feed' ? 'change feed' : 'change head',
        String(figures.revocationsPerSecond),
        round(figures.readUnitsPerInstanceSecond).toString(),
        Object.entries(figures.requestsPerSecond)
          .map(([operation, count]) => `${operation} ${round(count)}`)
          .join(', '),
        [figures.headReadUnits, figures.pageReadUnits, figures.queryReadUnits]
          .map((units) => (units === null ? '–' : round(units)))
          .join(' / '),
        figures.pageBytes === null ? '–' : `${Math.round(figures.pageBytes).toLocaleString('en-US')} (${round(figures.bytesPerEntry!)})`,
        fleetCeiling(figures).toLocaleString('en-US'),
        `${round(figures.ingestWriteUnitsPerSecond)}, ${round(figures.feedWriteUnitsPerSecond)}`,
      ]),
    ),
  );
  out.push(
    `Read units per cold start at ${coldStartUnits.revocations.toLocaleString('en-US')} revocations: Scan ${round(coldStartUnits.scanUnits)} units in ${coldStartUnits.scanRequests} requests (${round(coldStartUnits.scanUnits / coldStartUnits.revocations)} per revocation); snapshot ${round(coldStartUnits.snapshotUnits)} units in ${coldStartUnits.snapshotRequests} requests (the delta read; the snapshot itself is one S3 GET).`,
  );
  out.push(
    `fleet ceiling: ${PARTITION_READ_UNITS} read units/s per partition ÷ the busiest item's share (${INDEX_SHARDS} index shards, ${HEAD_REPLICAS} head replicas, ${FEED_REPLICAS} replicas per page), one hot item per partition (docs/scale.md).`,
  );
  out.push('');
  if ('error' in propagationFigures) {
    out.push(`Propagation: NOT MEASURED: ${propagationFigures.error.split('\n')[0]}`);
  } else {
    out.push(
      `Propagation through the local stack (SNS Publish → 403 on a warm gateway), ${propagationFigures.revocations} revocations, REVOCATION_SYNC_INTERVAL_MS=${SYNC_INTERVAL_MS}`,
    );
    out.push(
      formatTable(
        ['', 'median', 'p90', 'max'],
        [
          [
            'publish → deny',
            `${round(propagationFigures.propagationMs.median)} ms`,
            `${round(propagationFigures.propagationMs.p90)} ms`,
            `${round(propagationFigures.propagationMs.max)} ms`,
          ],
          [
            'publish answered (ingest wrote)',
            `${round(propagationFigures.publishMs.median)} ms`,
            `${round(propagationFigures.publishMs.p90)} ms`,
            `${round(propagationFigures.publishMs.max)} ms`,
          ],
        ],
      ),
    );
  }
  out.push('');
  out.push(
    `Ingest: ${ingestFigures[0]?.entries.toLocaleString('en-US')}-entry batch (one SNS message, ${kib(ingestFigures[0]?.messageBytes ?? 0)} KiB) into dynalite`,
  );
  out.push(
    formatTable(
      ['INGEST_WRITE_CONCURRENCY', 'revocations/s', 'batch', 'redelivered (no-ops)/s'],
      ingestFigures.map((run) => [
        String(run.concurrency),
        String(Math.round(run.revocationsPerSecond)),
        `${round(run.batchMs)} ms`,
        String(Math.round(run.redeliveredPerSecond)),
      ]),
    ),
  );
  out.push('');
  out.push('Targets (INFO: a target for the optimisation round, reported, not yet required)');
  out.push(
    formatTable(
      ['', 'target', 'measured', 'headroom'],
      targets.map((target) => [
        target.kind === 'info' ? (target.pass ? 'INFO met' : 'INFO not met') : target.pass ? 'PASS' : 'FAIL',
        target.target,
        target.measured,
        `${Math.round(target.headroom * 100)}%`,
      ]),
    ),
  );
  return out.join('\n');
}

function fmtUs(micros: number): string {
  return `${round(micros)} µs`;
}

function fmtRatio(ratio: number): string {
  return `${ratio.toFixed(2)}×`;
}

function mibOrKib(bytes: number): string {
  return bytes >= 2 ** 20 ? `${(bytes / 2 ** 20).toFixed(1)} MiB` : `${kib(bytes)} KiB`;
}

function kib(bytes: number): string {
  return (bytes / 1024).toFixed(1);
}

function roundReplacer(_key: string, value: unknown): unknown {
  return typeof value === 'number' ? round(value) : value;
}

/**
 * Cold start from a revocation snapshot against cold start from a Scan (issue 12): a fresh Node
 * process per run, nothing but environment variables, imports dist/authorizer.mjs and decides
 * one request (import + snapshot or Scan load + key set + decision), then decides a request with
 * a revoked token, which must be denied. Runs at full CPU and under a CPU quota equal to Lambda's
 * share at 1,024 MB (0.579 vCPU: Lambda allocates CPU in proportion to memory, one vCPU at
 * 1,769 MB), applied through a cgroup (see {@link lambdaCpuLimit}).
 *
 * Snapshots of the bench's dynalite tables (10 k, 100 k) are written by the built snapshot
 * function (dist/snapshot.mjs) from the table, as on AWS; those of 1 M and 10 M are written
 * straight from generated entries (bench/snapshot-build.ts), their delta read going to an empty
 * table. Scans run only up to 100 k, against dynalite, which is not DynamoDB: its pages come from
 * LevelDB on this machine, with none of DynamoDB's network or partition behaviour.
 *
 * Process memory per entry: the process's RSS growth from before the import, at its peak
 * (getrusage maxrss) and at the first decision, the larger of the two, less the same for a table
 * of one revocation, divided by the entries. DynamoDB requests
 * of the snapshot runs go through a counting proxy: a snapshot cold start must send no Scan.
 */
import { spawn } from 'node:child_process';
import { mkdir, rm, rmdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DEFAULTS } from '../lambda/contract/index.js';
import { RevocationStore } from '../lambda/revocation/index.js';
import { createRevocationTable } from '../local/table-admin.js';
import { DynamoProxy } from '../test/hardening/support/dynamo-proxy.js';
import { httpApiV2Event } from '../test/support/api-gateway-events.js';
import { TestIssuer } from '../test/support/issuer.js';
import { childEnv, runChild, tsArgs, type DynaliteProcess } from './support/processes.js';
import { median } from './support/stats.js';

/** Lambda's CPU share at 1,024 MB: 1,024 / 1,769 of a vCPU. */
export const LAMBDA_1024_MB_CPUS = 0.579;
const CFS_PERIOD_US = 100_000;

export interface CpuLimit {
  /** Whether the quota is in force; when not, `description` says why and the "limited" runs are not reported as such. */
  readonly applied: boolean;
  /** How the limit was applied (or why not), for the report. */
  readonly description: string;
  /** The command and arguments that run `command` inside the limit. */
  wrap(command: string, args: readonly string[]): [string, string[]];
  remove(): Promise<void>;
}

/**
 * A CPU quota of `cpus` for child processes: a child cgroup of its own (cgroup v1: cpu.cfs_quota_us
 * over cpu.cfs_period_us; v2: cpu.max) that each run's shell joins (writing its PID to
 * cgroup.procs) before it execs node, so the whole process, startup included, runs inside it.
 * Falls back to no limit, with the reason, where the cgroup cannot be created.
 */
export async function lambdaCpuLimit(cpus = LAMBDA_1024_MB_CPUS): Promise<CpuLimit> {
  const quotaUs = Math.round(cpus * CFS_PERIOD_US);
  const name = `revocation-bench-${process.pid}`;
  const attempts: { root: string; setup: (dir: string) => Promise<void>; how: string }[] = [
    {
      root: '/sys/fs/cgroup/cpu',
      setup: async (dir) => {
        await writeFile(join(dir, 'cpu.cfs_period_us'), String(CFS_PERIOD_US));
        await writeFile(join(dir, 'cpu.cfs_quota_us'), String(quotaUs));
      },
      how: `cgroup v1: cpu.cfs_quota_us=${quotaUs} with cpu.cfs_period_us=${CFS_PERIOD_US}`,
    },
    {
      root: '/sys/fs/cgroup',
      setup: (dir) => writeFile(join(dir, 'cpu.max'), `${quotaUs} ${CFS_PERIOD_US}`),
      how: `cgroup v2: cpu.max="${quotaUs} ${CFS_PERIOD_US}"`,
    },
  ];
  const errors: string[] = [];
  for (const attempt of attempts) {
    const dir = join(attempt.root, name);
    try {
      await mkdir(dir);
    } catch (error) {
      errors.push(`${dir}: ${(error as Error).message}`);
      continue;
    }
    try {
      await attempt.setup(dir);
    } catch (error) {
      errors.push(`${dir}: ${(error as Error).message}`);
      await rmdir(dir).catch(() => {});
      continue;
    }
    const procs = join(dir, 'cgroup.procs');
    return {
      applied: true,
      description: `${cpus} CPU: ${attempt.how} on ${dir}, each run's shell writing its PID to cgroup.procs before exec node`,
      // sh -c SCRIPT $0 $@: the shell joins the cgroup, then becomes node, keeping its PID.
      wrap: (command, args) => ['/bin/sh', ['-c', 'echo $$ > "$0" && exec "$@"', procs, command, ...args]],
      remove: () => rmdir(dir).catch(() => {}),
    };
  }
  return {
    applied: false,
    description: `NOT APPLIED (${errors.join('; ')}): the "limited" runs ran at full CPU`,
    wrap: (command, args) => [command, [...args]],
    remove: async () => {},
  };
}

export interface SnapshotColdStartOptions {
  readonly dynamo: DynaliteProcess;
  /** The bench's seeded tables by size, with every revocation of the bench issuer (bench/run.ts). */
  readonly tableOf: (size: number) => string;
  readonly issuer: string;
  /** Sizes with a table in dynalite: a snapshot from the snapshot function, and a Scan. */
  readonly tableSizes: readonly number[];
  /** Sizes with a snapshot built from generated entries only. */
  readonly generatedSizes: readonly number[];
  readonly repetitions: number;
  /** Repetitions for sizes of 10 M and more (each run reads a 200 MB snapshot). */
  readonly largeRepetitions: number;
  readonly workDirectory: string;
  readonly progress: (message: string) => void;
}

/** One cold start. */
export interface ColdStartRun {
  readonly importMs: number;
  /** From the start of the import to the first answer. */
  readonly firstDecisionMs: number;
  /** From the process start (performance.timeOrigin) to the first answer: what Lambda's init and first invoke see. */
  readonly sinceProcessStartMs: number;
  /** The load as the view logged it (snapshot read + delta, or the Scan). */
  readonly loadMs: number;
  readonly snapshotReadMs: number | null;
  /** CPU time of the whole process (user + system). */
  readonly cpuMs: number;
  readonly source: 'snapshot' | 'scan';
  readonly entries: number;
  /** Peak RSS less RSS before the import. */
  readonly peakRssGrowthBytes: number;
  /** RSS after the first decision less RSS before the import. */
  readonly rssGrowthBytes: number;
  /** Scan requests DynamoDB saw during the run (snapshot runs go through the counting proxy; null when not counted). */
  readonly scanRequests: number | null;
  readonly queryRequests: number | null;
}

export interface ColdStartCell {
  readonly revocations: number;
  readonly path: 'snapshot' | 'scan';
  readonly cpu: 'limited' | 'full';
  readonly runs: readonly ColdStartRun[];
  readonly firstDecisionMs: number;
  readonly sinceProcessStartMs: number;
  readonly loadMs: number;
  readonly cpuMs: number;
  /** Median peak RSS growth less the one-revocation baseline's, per entry. */
  readonly peakRssBytesPerEntry: number;
  /** Median RSS growth at the first decision less the baseline's, per entry. */
  readonly rssBytesPerEntry: number;
  /**
   * The larger of the two: the import's own transient peak (about 95 MB here) hides a smaller
   * load's growth from the peak, and a collection after it can hide garbage from the later figure.
   */
  readonly growthBytesPerEntry: number;
  readonly scanRequests: number | null;
  readonly snapshotBytes: number | null;
}

export interface SnapshotColdStartFigures {
  readonly cpuLimit: { readonly cpus: number; readonly applied: boolean; readonly description: string };
  readonly snapshots: Record<number, { bytes: number; entries: number; writeMs: number; how: 'snapshot function' | 'generated' }>;
  readonly cells: readonly ColdStartCell[];
  readonly notes: readonly string[];
}

const REVOKED_JTI = 'bench-cold-start-revoked';
const BASELINE_TABLE = 'cold-start-baseline';
const DELTA_TABLE = 'snapshot-delta';
/** A bench run lasts minutes: the snapshots must not age out between their write and the runs reading them. */
const SNAPSHOT_MAX_AGE_MS = 3_600_000;

// Runs in the fresh process: plain Node, no loader hooks, as on Lambda.
const RUN = `
  const rssBefore = process.memoryUsage.rss();
  const start = performance.now();
  const { handler } = await import(process.env.BUNDLE_URL);
  const imported = performance.now();
  // DynamoDB's client has fixed request timeouts a loaded machine's dynalite can miss; the view
  // then retries its load on the next request, as on Lambda: a few attempts, counted.
  let answer;
  let attempts = 0;
  for (;;) {
    attempts++;
    try { answer = await handler(JSON.parse(process.env.BENCH_EVENT)); break; }
    catch (error) { if (attempts >= 5) throw error; await new Promise((resolve) => setTimeout(resolve, 1000)); }
  }
  const decided = performance.now();
  const rssAfter = process.memoryUsage.rss();
  const peakRss = process.resourceUsage().maxRSS * 1024;
  const cpu = process.cpuUsage();
  const revoked = await handler(JSON.parse(process.env.BENCH_REVOKED_EVENT));
  process.stdout.write('@@RESULT ' + JSON.stringify({
    importMs: imported - start, firstDecisionMs: decided - start, sinceProcessStartMs: decided, attempts,
    allowed: answer.isAuthorized, revokedAllowed: revoked.isAuthorized,
    rssBefore, rssAfter, peakRss, cpuMs: (cpu.user + cpu.system) / 1000,
  }) + '\\n');
  process.exit(0);
`;

/** Snapshot vs Scan cold starts at every size, limited and full CPU. */
export async function measureSnapshotColdStarts(options: SnapshotColdStartOptions): Promise<SnapshotColdStartFigures> {
  const { dynamo, progress } = options;
  const limit = await lambdaCpuLimit();
  progress(`cold start from snapshots: CPU limit ${limit.description}`);
  const issuer = await TestIssuer.start({ algorithms: ['RS256'], issuer: options.issuer });
  const proxy = await DynamoProxy.start(dynamo.endpoint);
  const directory = join(options.workDirectory, 'snapshots');
  await mkdir(directory, { recursive: true });
  const notes: string[] = [];
  try {
    // The revoked token's jti, in every table a run reads, and the two tables of their own.
    const store = (table: string) => new RevocationStore(dynamo.client, table);
    const revoked = {
      kind: 'jti' as const,
      issuer: options.issuer,
      jti: REVOKED_JTI,
      expiresAtEpochSeconds: Math.floor(Date.now() / 1000) + 7200,
    };
    await createRevocationTable(dynamo.client, BASELINE_TABLE);
    await createRevocationTable(dynamo.client, DELTA_TABLE);
    for (const table of [BASELINE_TABLE, ...options.tableSizes.map(options.tableOf)]) await store(table).applyRevocations([revoked]);

    const snapshots: SnapshotColdStartFigures['snapshots'] = {};
    const snapshotPath = (size: number) => join(directory, `revocations-${size}.snapshot`);
    const tableOfRun = (size: number) =>
      size === 1 ? BASELINE_TABLE : options.tableSizes.includes(size) ? options.tableOf(size) : DELTA_TABLE;
    for (const size of [1, ...options.tableSizes]) {
      progress(`snapshot of ${size.toLocaleString('en-US')} revocations by dist/snapshot.mjs (a Scan of dynalite)`);
      snapshots[size] = { ...(await writeWithSnapshotFunction(dynamo, tableOfRun(size), snapshotPath(size))), how: 'snapshot function' };
    }
    for (const size of options.generatedSizes) {
      progress(`snapshot of ${size.toLocaleString('en-US')} generated revocations (bench/snapshot-build.ts)`);
      const { result } = await runChild<{ entries: number; bytes: number; buildMs: number; writeMs: number }>(
        tsArgs('bench/snapshot-build.ts'),
        childEnv({
          BENCH_ENTRIES: String(size),
          BENCH_ISSUER: options.issuer,
          BENCH_TABLE: DELTA_TABLE,
          BENCH_REVOKED_JTI: REVOKED_JTI,
          BENCH_SNAPSHOT_PATH: snapshotPath(size),
        }),
      );
      snapshots[size] = { bytes: result.bytes, entries: result.entries, writeMs: result.buildMs + result.writeMs, how: 'generated' };
    }

    const validEvent = JSON.stringify(httpApiV2Event(`Bearer ${await issuer.token()}`));
    const revokedEvent = JSON.stringify(httpApiV2Event(`Bearer ${await issuer.token({ jti: REVOKED_JTI })}`));
    const allSizes = [1, ...options.tableSizes, ...options.generatedSizes];
    const raw = new Map<string, ColdStartRun[]>();
    const key = (size: number, path: string, cpu: string) => `${size}/${path}/${cpu}`;
    const maxReps = Math.max(options.repetitions, options.largeRepetitions);
    for (let rep = 0; rep < maxReps; rep++) {
      for (const size of allSizes) {
        if (rep >= (size >= 10_000_000 ? options.largeRepetitions : options.repetitions)) continue;
        const paths: ('snapshot' | 'scan')[] = size === 1 || options.tableSizes.includes(size) ? ['snapshot', 'scan'] : ['snapshot'];
        for (const path of paths) {
          for (const cpu of ['limited', 'full'] as const) {
            progress(
              `cold start ${rep + 1}/${size >= 10_000_000 ? options.largeRepetitions : options.repetitions}: ${size.toLocaleString('en-US')} revocations, ${path}, ${cpu} CPU`,
            );
            const before = new Map(proxy.counts);
            const run = await runColdStart({
              env: {
                ...issuer.env,
                AWS_REGION: 'us-east-1',
                AWS_ACCESS_KEY_ID: 'local',
                AWS_SECRET_ACCESS_KEY: 'local',
                // Snapshot runs through the counting proxy; Scan runs straight to dynalite, as before.
                AWS_ENDPOINT_URL_DYNAMODB: path === 'snapshot' ? proxy.endpoint : dynamo.endpoint,
                REVOCATION_TABLE_NAME: tableOfRun(size),
                ...(path === 'snapshot'
                  ? {
                      REVOCATION_SNAPSHOT_URI: pathToFileURL(snapshotPath(size)).href,
                      REVOCATION_SNAPSHOT_MAX_AGE_MS: String(SNAPSHOT_MAX_AGE_MS),
                    }
                  : {}),
                POWERTOOLS_METRICS_DISABLED: 'true',
                BENCH_EVENT: validEvent,
                BENCH_REVOKED_EVENT: revokedEvent,
              },
              wrap: cpu === 'limited' ? limit.wrap : (command, args) => [command, [...args]],
            });
            const sent = (operation: string) => (proxy.counts.get(`${operation}:pass`) ?? 0) - (before.get(`${operation}:pass`) ?? 0);
            const counted =
              path === 'snapshot'
                ? { scanRequests: sent('Scan'), queryRequests: sent('Query') }
                : { scanRequests: null, queryRequests: null };
            if (run.source !== path) throw new Error(`a ${path} cold start of ${size} revocations loaded from a ${run.source}`);
            const list = raw.get(key(size, path, cpu)) ?? [];
            list.push({ ...run, ...counted });
            raw.set(key(size, path, cpu), list);
          }
        }
      }
    }

    const cells: ColdStartCell[] = [];
    for (const size of allSizes.filter((size) => size !== 1)) {
      for (const path of ['snapshot', 'scan'] as const) {
        for (const cpu of ['limited', 'full'] as const) {
          const runs = raw.get(key(size, path, cpu));
          if (runs === undefined) continue;
          const baseline = raw.get(key(1, path, cpu))!;
          const perEntry = (of: (run: ColdStartRun) => number) => (median(runs.map(of)) - median(baseline.map(of))) / size;
          cells.push({
            revocations: size,
            path,
            cpu,
            runs,
            firstDecisionMs: median(runs.map((run) => run.firstDecisionMs)),
            sinceProcessStartMs: median(runs.map((run) => run.sinceProcessStartMs)),
            loadMs: median(runs.map((run) => run.loadMs)),
            cpuMs: median(runs.map((run) => run.cpuMs)),
            peakRssBytesPerEntry: perEntry((run) => run.peakRssGrowthBytes),
            rssBytesPerEntry: perEntry((run) => run.rssGrowthBytes),
            growthBytesPerEntry: Math.max(
              perEntry((run) => run.peakRssGrowthBytes),
              perEntry((run) => run.rssGrowthBytes),
            ),
            scanRequests: path === 'snapshot' ? runs.reduce((sum, run) => sum + (run.scanRequests ?? 0), 0) : null,
            snapshotBytes: path === 'snapshot' ? snapshots[size]!.bytes : null,
          });
        }
      }
    }
    if (
      DEFAULTS.snapshotTimeoutMs <
      Math.max(...cells.filter((cell) => cell.path === 'snapshot').flatMap((cell) => cell.runs.map((run) => run.snapshotReadMs ?? 0)))
    )
      notes.push(`a snapshot read took longer than REVOCATION_SNAPSHOT_TIMEOUT_MS's default (${DEFAULTS.snapshotTimeoutMs} ms)`);
    return {
      cpuLimit: { cpus: LAMBDA_1024_MB_CPUS, applied: limit.applied, description: limit.description },
      snapshots,
      cells,
      notes,
    };
  } finally {
    await proxy.stop();
    await issuer.stop();
    await limit.remove();
    await rm(directory, { recursive: true, force: true });
  }
}

/** The snapshot function's bundle, run once in a fresh process against `table`, writing to `path`. */
async function writeWithSnapshotFunction(
  dynamo: DynaliteProcess,
  table: string,
  path: string,
): Promise<{ bytes: number; entries: number; writeMs: number }> {
  const script = `
    const { handler } = await import(process.env.BUNDLE_URL);
    const report = await handler({});
    process.stdout.write('@@RESULT ' + JSON.stringify(report) + '\\n');
    process.exit(0);
  `;
  const { result } = await runChild<{ bytes: number; entries: number; durationMs: number; source: string }>(
    ['--input-type=module', '-e', script],
    childEnv({
      ...dynamo.env,
      BUNDLE_URL: pathToFileURL(resolve('dist/snapshot.mjs')).href,
      REVOCATION_TABLE_NAME: table,
      REVOCATION_SNAPSHOT_URI: pathToFileURL(path).href,
      POWERTOOLS_METRICS_DISABLED: 'true',
    }),
  );
  return { bytes: result.bytes, entries: result.entries, writeMs: result.durationMs };
}

function runColdStart(options: {
  env: Record<string, string>;
  wrap: CpuLimit['wrap'];
}): Promise<Omit<ColdStartRun, 'scanRequests' | 'queryRequests'>> {
  const [command, args] = options.wrap(process.execPath, ['--input-type=module', '-e', RUN]);
  return new Promise((resolveRun, reject) => {
    const child = spawn(command, args, {
      env: childEnv({ ...options.env, BUNDLE_URL: pathToFileURL(resolve('dist/authorizer.mjs')).href }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('close', (code) => {
      const line = output.split('\n').find((candidate) => candidate.startsWith('@@RESULT '));
      if (line === undefined) return reject(new Error(`cold start process exited with ${code} and no result:\n${output.slice(-4000)}`));
      const result = JSON.parse(line.slice('@@RESULT '.length)) as {
        importMs: number;
        firstDecisionMs: number;
        sinceProcessStartMs: number;
        allowed: boolean;
        revokedAllowed: boolean;
        rssBefore: number;
        rssAfter: number;
        peakRss: number;
        cpuMs: number;
      };
      const loaded = output
        .split('\n')
        .filter((candidate) => candidate.startsWith('{'))
        .map((candidate) => JSON.parse(candidate) as Record<string, unknown>)
        .find((candidate) => candidate.message === 'revocations loaded') as
        { durationMs: number; source: 'snapshot' | 'scan'; entries: Record<string, number>; snapshot?: { readMs: number } } | undefined;
      if (loaded === undefined)
        return reject(new Error(`no "revocations loaded" line in the cold start's output:\n${output.slice(-4000)}`));
      // Measure only correct decisions: the valid token allowed, the revoked one denied.
      if (result.allowed !== true || result.revokedAllowed !== false) {
        return reject(new Error(`wrong decisions (valid: ${result.allowed}, revoked: ${result.revokedAllowed}):\n${output.slice(-4000)}`));
      }
      resolveRun({
        importMs: result.importMs,
        firstDecisionMs: result.firstDecisionMs,
        sinceProcessStartMs: result.sinceProcessStartMs,
        loadMs: loaded.durationMs,
        snapshotReadMs: loaded.snapshot?.readMs ?? null,
        cpuMs: result.cpuMs,
        source: loaded.source,
        entries: Object.values(loaded.entries).reduce((sum, count) => sum + count, 0),
        peakRssGrowthBytes: result.peakRss - result.rssBefore,
        rssGrowthBytes: result.rssAfter - result.rssBefore,
      });
    });
  });
}

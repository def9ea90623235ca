/**
 * Process memory per revocation while an authorizer instance loads its view: a fresh `node
 * --expose-gc` per run (plain Node, no loader hooks, as on Lambda) imports dist/authorizer.mjs,
 * whose cold start scans a table of N live jti revocations through the real SDK from the stand-in
 * of bench/support/scan-server.ts. Memory is sampled every 2 ms from before the import to the end
 * of the load (the peak: SDK pages, parsed items and the view together), then again after full
 * collections (what stays). A run with an empty table gives what the import alone costs; per-entry
 * figures are the difference, divided by N. The view's own structure is far smaller (its typed
 * arrays, reported beside): the rest is the load's transient garbage and what the allocator keeps.
 */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createInterface } from 'node:readline';
import { childEnv, tsArgs } from './support/processes.js';

export interface MemorySnapshot {
  /** Resident set size. */
  readonly rss: number;
  /** V8 heap in use plus memory outside it held by JS objects (buffers, typed arrays). */
  readonly js: number;
}

export interface LoadMemoryRun {
  readonly entries: number;
  readonly loadMs: number;
  readonly before: MemorySnapshot;
  readonly peak: MemorySnapshot;
  readonly retained: MemorySnapshot;
}

export interface LoadMemoryFigures {
  readonly entries: number;
  readonly loadMs: number;
  /** Peak growth during the load, per entry, less the empty table's. */
  readonly peakRssBytesPerEntry: number;
  readonly peakJsBytesPerEntry: number;
  /** Growth still there after full collections, per entry, less the empty table's. */
  readonly retainedRssBytesPerEntry: number;
  readonly retainedJsBytesPerEntry: number;
  readonly runs: { readonly empty: LoadMemoryRun; readonly loaded: LoadMemoryRun };
}

const CHILD = `
  const gc = globalThis.gc;
  const sample = () => { const m = process.memoryUsage(); return { rss: m.rss, js: m.heapUsed + m.external }; };
  gc(); gc();
  const before = sample();
  const peak = { ...before };
  const track = () => { const s = sample(); peak.rss = Math.max(peak.rss, s.rss); peak.js = Math.max(peak.js, s.js); };
  const timer = setInterval(track, 2);
  const { coldStart } = await import(process.env.BUNDLE_URL);
  const report = await coldStart;
  track();
  clearInterval(timer);
  gc(); gc();
  await new Promise((resolve) => setTimeout(resolve, 100));
  gc();
  const retained = sample();
  process.stdout.write('@@RESULT ' + JSON.stringify({ entries: report.revocations.jti, loadMs: report.loadMs, before, peak, retained }) + '\\n');
  process.exit(0);
`;

/** The scan stand-in in a child process, for the runs below. */
export async function startScanServer(issuer: string): Promise<{ endpoint: string; stop(): Promise<void> }> {
  const child = spawn(process.execPath, tsArgs('bench/support/scan-server.ts'), {
    env: childEnv({ BENCH_ISSUER: issuer }),
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolvePort, reject) => {
    child.once('exit', (code) => reject(new Error(`the scan server exited with ${code}`)));
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (line.startsWith('@@PORT ')) resolvePort(Number(line.slice('@@PORT '.length)));
    });
  });
  return {
    endpoint: `http://127.0.0.1:${port}`,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolveExit) => child.once('exit', resolveExit));
      child.stdin.end();
      await exited;
    },
  };
}

/** One fresh process loading `entries` revocations; `env` names the issuer and its key set. */
export function runLoad(endpoint: string, entries: number, env: Record<string, string>): Promise<LoadMemoryRun> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', '--input-type=module', '-e', CHILD], {
      env: childEnv({
        ...env,
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'local',
        AWS_SECRET_ACCESS_KEY: 'local',
        AWS_ENDPOINT_URL_DYNAMODB: endpoint,
        REVOCATION_TABLE_NAME: `bench-${entries}`,
        BUNDLE_URL: pathToFileURL(resolve('dist/authorizer.mjs')).href,
      }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('close', (code) => {
      const line = output.split('\n').find((candidate) => candidate.startsWith('@@RESULT '));
      if (line === undefined) reject(new Error(`load-memory process exited with ${code} and no result:\n${output.slice(-4000)}`));
      else {
        const run = JSON.parse(line.slice('@@RESULT '.length)) as LoadMemoryRun;
        if (run.entries !== entries) reject(new Error(`loaded ${run.entries} revocations, expected ${entries}`));
        else resolveRun(run);
      }
    });
  });
}

/** Per-entry figures of a run with `entries` against one with an empty table. */
export function perEntry(empty: LoadMemoryRun, loaded: LoadMemoryRun): LoadMemoryFigures {
  const growth = (run: LoadMemoryRun, at: 'peak' | 'retained', of: keyof MemorySnapshot) => run[at][of] - run.before[of];
  const per = (at: 'peak' | 'retained', of: keyof MemorySnapshot) => (growth(loaded, at, of) - growth(empty, at, of)) / loaded.entries;
  return {
    entries: loaded.entries,
    loadMs: loaded.loadMs,
    peakRssBytesPerEntry: per('peak', 'rss'),
    peakJsBytesPerEntry: per('peak', 'js'),
    retainedRssBytesPerEntry: per('retained', 'rss'),
    retainedJsBytesPerEntry: per('retained', 'js'),
    runs: { empty, loaded },
  };
}

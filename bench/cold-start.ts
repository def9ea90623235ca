/**
 * Cold start of the built authorizer: a fresh Node process per run, with nothing but environment
 * variables, that imports dist/authorizer.mjs and decides one request (the first decision waits for
 * the revocation load and the key set). Beside it, a naive loader in a fresh process of its own: a
 * sequential Scan without projection or filter into a Map, the way a first implementation would.
 */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { childEnv } from './support/processes.js';

export interface BundleColdStart {
  /** `await import()` of the bundle: module evaluation, config, clients. */
  readonly importMs: number;
  /** From the start of the import to the first answer: import, revocation load and key set, decision. */
  readonly firstDecisionMs: number;
  /** From the process start (performance.timeOrigin) to the first answer. */
  readonly sinceProcessStartMs: number;
  /** The load's own duration, from its log line. */
  readonly loadMs: number;
  /** Requests it took to get an answer: more than 1 when the load failed (a DynamoDB timeout) and was retried. */
  readonly attempts: number;
  readonly entries: number;
}

// Runs in the fresh process: plain Node, no loader hooks, as on Lambda.
const BUNDLE_RUN = `
  const start = performance.now();
  const { handler } = await import(process.env.BUNDLE_URL);
  const imported = performance.now();
  // DynamoDB's client has fixed request timeouts that a loaded machine's dynalite can miss; the
  // view then retries its load on the next request, as on Lambda: a few attempts, counted.
  let answer;
  let attempts = 0;
  for (;;) {
    attempts++;
    try { answer = await handler(JSON.parse(process.env.BENCH_EVENT)); break; }
    catch (error) { if (attempts >= 5) throw error; await new Promise((resolve) => setTimeout(resolve, 1000)); }
  }
  const decided = performance.now();
  process.stdout.write('@@RESULT ' + JSON.stringify({ importMs: imported - start, firstDecisionMs: decided - start, sinceProcessStartMs: decided, isAuthorized: answer.isAuthorized, attempts }) + '\\n');
  process.exit(0);
`;

// Module evaluation alone: what a cold start pays before any handler code runs (Lambda's INIT).
const IMPORT_RUN = `
  const start = performance.now();
  await import(process.env.BUNDLE_URL);
  process.stdout.write('@@RESULT ' + JSON.stringify({ importMs: performance.now() - start }) + '\\n');
  process.exit(0);
`;

const NAIVE_RUN = `
  import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
  const client = new DynamoDBClient({});
  const start = performance.now();
  const revocations = new Map();
  let startKey;
  do {
    const page = await client.send(new ScanCommand({ TableName: process.env.REVOCATION_TABLE_NAME, ExclusiveStartKey: startKey }));
    for (const item of page.Items ?? []) revocations.set(item.pk.S, item);
    startKey = page.LastEvaluatedKey;
  } while (startKey !== undefined);
  process.stdout.write('@@RESULT ' + JSON.stringify({ loadMs: performance.now() - start, entries: revocations.size }) + '\\n');
  process.exit(0);
`;

export async function runBundleColdStart(env: Record<string, string>, event: unknown): Promise<BundleColdStart> {
  const { result, output } = await runInline<Omit<BundleColdStart, 'loadMs' | 'entries'> & { isAuthorized: boolean }>(BUNDLE_RUN, {
    ...env,
    BUNDLE_URL: pathToFileURL(resolve('dist/authorizer.mjs')).href,
    BENCH_EVENT: JSON.stringify(event),
  });
  if (result.isAuthorized !== true) throw new Error(`cold start refused a valid token:\n${output}`);
  const loaded = output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { message?: string; durationMs?: number; items?: number })
    .find((line) => line.message === 'revocations loaded');
  if (loaded === undefined) throw new Error(`no "revocations loaded" line in the cold start's output:\n${output}`);
  return {
    importMs: result.importMs,
    firstDecisionMs: result.firstDecisionMs,
    sinceProcessStartMs: result.sinceProcessStartMs,
    attempts: result.attempts,
    loadMs: loaded.durationMs ?? NaN,
    entries: loaded.items ?? NaN,
  };
}

/** `await import()` of dist/<name>.mjs in a fresh process with `env`, in ms. */
export async function runImport(name: 'authorizer' | 'ingest', env: Record<string, string>): Promise<number> {
  const { result } = await runInline<{ importMs: number }>(IMPORT_RUN, {
    ...env,
    BUNDLE_URL: pathToFileURL(resolve('dist', `${name}.mjs`)).href,
  });
  return result.importMs;
}

export async function runNaiveLoader(env: Record<string, string>): Promise<{ loadMs: number; entries: number }> {
  return (await runInline<{ loadMs: number; entries: number }>(NAIVE_RUN, env)).result;
}

function runInline<T>(script: string, env: Record<string, string>): Promise<{ result: T; output: string }> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('close', (code) => {
      const line = output.split('\n').find((candidate) => candidate.startsWith('@@RESULT '));
      if (line === undefined) reject(new Error(`cold start process exited with ${code} and no result:\n${output.slice(-4000)}`));
      else resolveRun({ result: JSON.parse(line.slice('@@RESULT '.length)) as T, output });
    });
  });
}

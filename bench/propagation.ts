/**
 * Propagation through the local stack (docs/local.md): `node --import tsx local/start.ts` on free ports and a
 * temporary DATA_DIR; per revocation, a demo token that the gateway allows, a Publish of a
 * `token` revocation to the stack's SNS endpoint with @aws-sdk/client-sns, then requests through
 * the gateway, one after another, until it answers 403. Measured from the start of the Publish.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { childEnv, tsArgs } from './support/processes.js';

export interface PropagationRun {
  /** Publish start → the first 403 through the gateway. */
  readonly propagationMs: number;
  /** Publish start → Publish answered (the local endpoint answers once the ingest wrote). */
  readonly publishMs: number;
  /** Gateway requests that were still allowed after the Publish started. */
  readonly allowedAfterPublish: number;
}

export interface PropagationFigures {
  readonly revocations: number;
  readonly syncIntervalMs: number;
  readonly runs: readonly PropagationRun[];
  /** Median of one gateway request (token allowed), the polling resolution. */
  readonly gatewayRequestMs: number;
}

interface StackState {
  readonly gatewayUrl: string;
  readonly snsEndpoint: string;
  readonly topicArn: string;
  readonly region: string;
}

export async function measurePropagation(options: { revocations: number; syncIntervalMs: number }): Promise<PropagationFigures> {
  const dataDir = await mkdtemp(join(tmpdir(), 'bench-local-stack-'));
  const stack = spawn(process.execPath, tsArgs('local/start.ts'), {
    env: childEnv({
      PORT: '0',
      DYNAMODB_PORT: '0',
      DATA_DIR: dataDir,
      REVOCATION_SYNC_INTERVAL_MS: String(options.syncIntervalMs),
    }),
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group, so stopping it takes the stack and anything it started together.
    detached: true,
  });
  let output = '';
  stack.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  stack.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  try {
    const state = await waitForStack(stack, dataDir, () => output);
    const sns = new SNSClient({
      region: state.region,
      endpoint: state.snsEndpoint,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const runs: PropagationRun[] = [];
    const requestMs: number[] = [];
    for (let i = 0; i < options.revocations; i++) {
      const token = (await (await fetch(`${state.gatewayUrl}/_local/token?sub=bench-${i}&client=bench`)).text()).trim();
      const call = async (): Promise<number> => {
        const response = await fetch(`${state.gatewayUrl}/orders/${i}`, { headers: { authorization: `Bearer ${token}` } });
        await response.arrayBuffer();
        return response.status;
      };
      for (let k = 0; k < 5; k++) {
        const start = performance.now();
        const status = await call();
        requestMs.push(performance.now() - start);
        if (status !== 200) throw new Error(`the gateway answered ${status} to a fresh demo token`);
      }
      // A random phase against the sync interval, as revocations arrive whenever they arrive.
      await sleep(Math.random() * options.syncIntervalMs);
      const start = performance.now();
      let publishMs = NaN;
      const published = sns
        .send(new PublishCommand({ TopicArn: state.topicArn, Message: JSON.stringify({ version: 1, type: 'token', token }) }))
        .then(() => (publishMs = performance.now() - start));
      let allowedAfterPublish = 0;
      for (;;) {
        const status = await call();
        if (status === 403) break;
        if (status !== 200) throw new Error(`the gateway answered ${status} while waiting for the revocation`);
        allowedAfterPublish++;
        if (performance.now() - start > 30_000) throw new Error('the revocation was not enforced within 30 s');
      }
      const propagationMs = performance.now() - start;
      await published;
      runs.push({ propagationMs, publishMs, allowedAfterPublish });
    }
    sns.destroy();
    requestMs.sort((a, b) => a - b);
    return {
      revocations: options.revocations,
      syncIntervalMs: options.syncIntervalMs,
      runs,
      gatewayRequestMs: requestMs[requestMs.length >> 1]!,
    };
  } catch (error) {
    throw new Error(
      `propagation through the local stack failed: ${error instanceof Error ? error.message : String(error)}\n${output.slice(-3000)}`,
      { cause: error },
    );
  } finally {
    await stop(stack);
    await rm(dataDir, { recursive: true, force: true });
  }
}

async function waitForStack(stack: ChildProcess, dataDir: string, output: () => string): Promise<StackState> {
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    if (stack.exitCode !== null) throw new Error(`the local stack exited with ${stack.exitCode}:\n${output()}`);
    try {
      const state = JSON.parse(await readFile(join(dataDir, 'local-stack.json'), 'utf8')) as Partial<StackState>;
      if (state.gatewayUrl !== undefined) {
        const health = await fetch(`${state.gatewayUrl}/_local/health`);
        if (health.status === 200) return state as StackState;
      }
    } catch {
      // not written yet, or not listening yet
    }
    await sleep(100);
  }
  throw new Error(`the local stack was not ready within 90 s:\n${output()}`);
}

/** SIGTERM to the stack's process group (it shuts down cleanly), SIGKILL if it takes too long. */
async function stop(stack: ChildProcess): Promise<void> {
  if (stack.exitCode !== null || stack.pid === undefined) return;
  const exited = new Promise((resolve) => stack.once('exit', resolve));
  process.kill(-stack.pid, 'SIGTERM');
  const timer = setTimeout(() => {
    try {
      process.kill(-stack.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  }, 20_000);
  await exited;
  clearTimeout(timer);
}

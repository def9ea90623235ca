import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BatchGetItemCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { ANY_ISSUER, revocationKey } from '../../lambda/revocation/index.js';
import { TestIssuer } from '../support/issuer.js';
import { freePort, StackProcess } from '../local/support/stack-process.js';
import { percentile, residentBytes, runLoad, type LoadReport } from './support/load.js';

/**
 * The local stack (node --import tsx local/start.ts, the documented equivalent of `npm start` without its
 * build step, on the dist/ bundles built beforehand) under the two things a single machine must
 * survive: a SIGKILL in the middle of ingesting a stream of revocations, and load while
 * revocations stream in. dist/ must be built (npm run build) before this file runs.
 *
 * Environment: HARDENING_LOAD_MS (default 5000) lengthens the load run, HARDENING_LOAD_CLIENTS
 * (default 16) sets its concurrency.
 */

const TOPIC_ARN = 'arn:aws:sns:us-east-1:000000000000:revocations';
/** The stack's default REVOCATION_SYNC_INTERVAL_MS. */
const SYNC_INTERVAL_MS = 1000;
/**
 * Added to the sync interval for the staleness bound: the time between a request's arrival and its
 * handler reading the clock (the gateway queues invocations), the clock reads of two processes,
 * and timer granularity. The Publish answer itself comes after the write, so no write lag.
 */
const PROPAGATION_ALLOWANCE_MS = 250;
const LOAD_MS = Number(process.env.HARDENING_LOAD_MS ?? 5000);
const LOAD_CLIENTS = Number(process.env.HARDENING_LOAD_CLIENTS ?? 16);

let issuer: TestIssuer;
let dataDir: string;
let env: Record<string, string>;
let port: number;
const stacks: StackProcess[] = [];
/** The stack left running by the SIGKILL test, reused for the load test. */
let liveStack: StackProcess | undefined;

async function startStack(): Promise<StackProcess> {
  const stack = new StackProcess('node', port, env);
  stacks.push(stack);
  return stack.ready(60_000);
}

function snsClient(stack: StackProcess): SNSClient {
  return new SNSClient({
    region: 'us-east-1',
    endpoint: `${stack.url}/_local/sns`,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
}

/** Publishes one message; resolves with the ack time, or undefined when not acknowledged. */
async function publish(sns: SNSClient, message: unknown): Promise<number | undefined> {
  try {
    const answer = await sns.send(new PublishCommand({ TopicArn: TOPIC_ARN, Message: JSON.stringify(message) }));
    return answer.MessageId === undefined ? undefined : performance.now();
  } catch {
    return undefined;
  }
}

async function status(stack: StackProcess, token: string): Promise<number> {
  const response = await fetch(`${stack.url}/orders/1`, { headers: { authorization: `Bearer ${token}` } });
  await response.arrayBuffer();
  return response.status;
}

/** The pid of the running stack's own Node process, from DATA_DIR/local-stack.json. */
function stackPid(): number {
  return JSON.parse(readFileSync(join(dataDir, 'local-stack.json'), 'utf8')).pid as number;
}

async function untilGone(pid: number): Promise<void> {
  for (let waited = 0; waited < 10_000; waited += 20) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`process ${pid} is still alive 10 s after SIGKILL`);
}

beforeAll(async () => {
  issuer = await TestIssuer.start({ algorithms: ['ES256'] });
  dataDir = await mkdtemp(join(tmpdir(), 'hardening-stack-'));
  port = await freePort();
  env = { ...issuer.env, DYNAMODB_PORT: String(await freePort()), DATA_DIR: dataDir, POWERTOOLS_LOG_LEVEL: 'WARN' };
});
afterAll(async () => {
  await Promise.all(stacks.map((stack) => stack.kill()));
  await issuer?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

/** A revocation as published, and a token it must refuse. */
interface Published {
  readonly message: Record<string, unknown>;
  readonly refuses: () => Promise<string[]>;
}

describe('the local stack killed with SIGKILL in the middle of ingesting', () => {
  it('enforces every acknowledged revocation on the first request after a restart on the same DATA_DIR', async () => {
    // Prepare: a stream of single revocations and 100-entry batches, four Publish calls in flight.
    let stack = await startStack();
    const sns = snsClient(stack);
    const nowMs = Date.now();
    const iat = Math.floor(nowMs / 1000) - 30;
    const make = (n: number): Published => {
      switch (n % 4) {
        case 0:
          return {
            message: { type: 'jti', jti: `kill-jti-${n}`, iss: issuer.issuer },
            refuses: async () => [await issuer.token({ jti: `kill-jti-${n}` }, { key: issuer.key('ES256') })],
          };
        case 1:
          return {
            message: { type: 'subject', sub: `kill-sub-${n}`, iss: issuer.issuer },
            refuses: async () => [await issuer.token({ sub: `kill-sub-${n}`, iat }, { key: issuer.key('ES256') })],
          };
        case 2:
          return {
            message: { type: 'client', clientId: `kill-client-${n}` },
            refuses: async () => [await issuer.token({ client_id: `kill-client-${n}`, iat }, { key: issuer.key('ES256') })],
          };
        default:
          return {
            message: { revocations: Array.from({ length: 100 }, (_, i) => ({ type: 'jti', jti: `kill-batch-${n}-${i}` })) },
            refuses: () =>
              Promise.all(
                Array.from({ length: 100 }, (_, i) => issuer.token({ jti: `kill-batch-${n}-${i}` }, { key: issuer.key('ES256') })),
              ),
          };
      }
    };
    const acknowledged: Published[] = [];
    const inFlightBatches = new Map<Published, number>();
    let unacknowledged = 0;
    let killedAt: number | undefined;
    let next = 0;

    // Act: SIGKILL the whole process group once 32 messages are acknowledged and a batch is half
    // written, so the kill lands while the ingest is writing it.
    const publisher = async () => {
      while (killedAt === undefined) {
        const published = make(next++);
        const isBatch = 'revocations' in published.message;
        if (isBatch) inFlightBatches.set(published, performance.now());
        const ackAt = await publish(sns, published.message);
        if (killedAt === undefined || (ackAt !== undefined && ackAt < killedAt)) inFlightBatches.delete(published);
        if (ackAt !== undefined && (killedAt === undefined || ackAt < killedAt)) acknowledged.push(published);
        else unacknowledged++;
      }
    };
    // Watches the table itself: the kill comes once some, not all, entries of a batch are written.
    const table = new DynamoDBClient({
      region: 'us-east-1',
      endpoint: `http://127.0.0.1:${env.DYNAMODB_PORT}`,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const written = async (batch: Published): Promise<number> => {
      const keys = (batch.message.revocations as { jti: string }[]).map((entry) => ({
        pk: { S: revocationKey('jti', ANY_ISSUER, entry.jti) },
      }));
      const answer = await table.send(
        new BatchGetItemCommand({ RequestItems: { revocations: { Keys: keys, ProjectionExpression: 'pk' } } }),
      );
      return answer.Responses?.revocations?.length ?? 0;
    };
    let killedMidBatch = false;
    const killer = async () => {
      const giveUpAt = performance.now() + 20_000;
      for (;;) {
        if (performance.now() > giveUpAt) {
          // Never caught a batch half written: kill anyway, and let the assertion below say so.
          killedAt = performance.now();
          await stack.kill();
          table.destroy();
          return;
        }
        if (acknowledged.length >= 32) {
          for (const batch of inFlightBatches.keys()) {
            const count = await written(batch).catch(() => 0);
            if (count > 0 && count < 100) {
              killedMidBatch = true;
              killedAt = performance.now();
              await stack.kill();
              table.destroy();
              return;
            }
          }
        }
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
    };
    await Promise.all([publisher(), publisher(), publisher(), publisher(), killer()]);
    sns.destroy();
    const killed = stacks.at(-1)!;
    // The group is killed; wait until the stack's own process is gone too, as a
    // supervisor restarting it would.
    await untilGone(stackPid());
    stack = await startStack();
    const firstAnswers: number[] = [];
    for (const published of acknowledged) {
      for (const token of await published.refuses()) firstAnswers.push(await status(stack, token));
    }
    // Not acknowledged, so no promise either way: how far the batch being written had got.
    const partial: string[] = [];
    for (const batch of inFlightBatches.keys()) {
      const answers = await Promise.all((await batch.refuses()).map((token) => status(stack, token)));
      partial.push(`${answers.filter((answer) => answer === 403).length}/${answers.length}`);
    }
    const fresh = await issuer.token({ sub: 'kill-fresh', jti: 'kill-fresh' }, { key: issuer.key('ES256') });

    // Assess
    expect(await killed.exited).toMatchObject({ signal: 'SIGKILL' });
    expect(acknowledged.length).toBeGreaterThanOrEqual(32);
    expect(unacknowledged).toBeGreaterThan(0);
    expect(killedMidBatch).toBe(true);
    expect(firstAnswers.length).toBeGreaterThan(32);
    expect(firstAnswers.filter((answer) => answer !== 403)).toEqual([]);
    expect(await status(stack, fresh)).toBe(200);
    liveStack = stack;
    console.info(
      `SIGKILL: ${acknowledged.length} acknowledged messages (${firstAnswers.length} revocations) all enforced after restart; ` +
        `${unacknowledged} in flight at the kill, among them batches of which ${partial.join(', ')} entries had been written`,
    );
  });
});

describe('the local stack under load while revocations stream in', () => {
  let report: LoadReport;

  beforeAll(async () => {
    const stack = liveStack ?? (await startStack());
    const sns = snsClient(stack);
    report = await runLoad({
      url: `${stack.url}/orders/1`,
      issuer,
      clients: LOAD_CLIENTS,
      durationMs: LOAD_MS,
      tokens: 300,
      revoke: 150,
      publish: (message) => publish(sns, message),
      rssBytes: () => residentBytes(stackPid()),
    });
    sns.destroy();
    console.info(report.summary);
  }, 120_000);

  it('answers every request: no 5xx, no connection errors, no 401', () => {
    // Enough to matter even with every core busy elsewhere (about 300 requests/s then).
    expect(report.requests.length).toBeGreaterThan(500);
    expect(report.failures).toEqual([]);
    expect(report.requests.filter((request) => request.status !== 200 && request.status !== 403)).toEqual([]);
  });

  it('refuses no valid token, and lets each allowed request through with its own claims', () => {
    const wronglyRefused = report.requests.filter((request) => {
      const revocation = report.revocations.get(request.token);
      return request.status !== 200 && (revocation === undefined || request.sentAt < revocation.sentAt);
    });
    expect(wronglyRefused).toEqual([]);
    expect(report.requests.filter((request) => request.status === 200 && request.echoedJti !== `load-jti-${request.token}`)).toEqual([]);
  });

  it(`allows no revoked token later than REVOCATION_SYNC_INTERVAL_MS + ${PROPAGATION_ALLOWANCE_MS} ms after its Publish was acknowledged`, () => {
    const bound = SYNC_INTERVAL_MS + PROPAGATION_ALLOWANCE_MS;
    const late = report.requests.filter((request) => {
      const revocation = report.revocations.get(request.token);
      return revocation?.ackAt !== undefined && request.status === 200 && request.sentAt > revocation.ackAt + bound;
    });
    // At least one acknowledged revocation per second, even with every core busy elsewhere: each one
    // is 33 writes to the on-disk dynalite (the revocation, then the 32 change-head items).
    expect(report.revocations.size).toBeGreaterThanOrEqual(Math.min(150, Math.floor(LOAD_MS / 1000)));
    expect([...report.revocations.values()].every((revocation) => revocation.ackAt !== undefined)).toBe(true);
    expect(late).toEqual([]);
    // Each revoked token was asked about after the bound, so the check above had something to see.
    const checked = [...report.revocations.entries()].filter(([token, revocation]) =>
      report.requests.some((request) => request.token === token && request.sentAt > revocation.ackAt! + bound),
    );
    expect(checked.length).toBeGreaterThan(report.revocations.size / 2);
  });

  it('keeps its memory stable', () => {
    const samples = report.rss;
    expect(samples.length).toBeGreaterThan(5);
    const third = Math.floor(samples.length / 3);
    const early = Math.max(...samples.slice(0, third).map((sample) => sample.bytes));
    const late = Math.max(...samples.slice(-third).map((sample) => sample.bytes));
    // The instance holds bounded caches (verified tokens, revocations): after warm-up, growth is noise.
    expect(late - early).toBeLessThan(48 * 1024 * 1024);
    expect(
      percentile(
        report.requests.map((request) => request.latencyMs),
        0.5,
      ),
    ).toBeLessThan(250);
  });
});

/**
 * Child process of `npm run bench`: the built ingest (dist/ingest.mjs) writing batches of
 * BENCH_BATCH_ENTRIES jti revocations of BENCH_ISSUER, one SNS message each, into the dynalite table
 * REVOCATION_TABLE_NAME, with INGEST_WRITE_CONCURRENCY as set. Each batch is new (every write
 * applies); the first is then delivered again (every write is a no-op). Prints `@@RESULT {json}`.
 */
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { snsEvent } from '../local/sns-event.js';
import { reportResult } from './support/processes.js';

const entries = Number(process.env.BENCH_BATCH_ENTRIES ?? 2000);
const batches = Number(process.env.BENCH_BATCHES ?? 2);
const issuer = process.env.BENCH_ISSUER ?? 'https://issuer.example.com/';

interface Summary {
  readonly revocations: number;
  readonly applied: Record<string, number>;
  readonly unchanged: Record<string, number>;
}
const { handler } = (await import(pathToFileURL(resolve('dist/ingest.mjs')).href)) as { handler: (event: unknown) => Promise<Summary> };

function batchMessage(): string {
  const exp = Math.floor(Date.now() / 1000) + 3600;
  // The issuer travels as the message attribute, as a key manager that publishes for one issuer sends it.
  const revocations = Array.from({ length: entries }, () => ({ type: 'jti', jti: randomUUID(), exp }));
  return JSON.stringify({ version: 1, revocations });
}

async function deliver(message: string): Promise<{ ms: number; perSecond: number; applied: number; unchanged: number }> {
  const event = snsEvent({ message, attributes: { issuer } });
  const start = performance.now();
  const summary = await handler(event);
  const ms = performance.now() - start;
  const count = (record: Record<string, number>) => Object.values(record).reduce((sum, value) => sum + value, 0);
  return { ms, perSecond: (summary.revocations / ms) * 1000, applied: count(summary.applied), unchanged: count(summary.unchanged) };
}

const messages = Array.from({ length: batches }, batchMessage);
const fresh = [];
for (const message of messages) fresh.push(await deliver(message));
const redelivered = await deliver(messages[0]!);
reportResult({
  concurrency: Number(process.env.INGEST_WRITE_CONCURRENCY),
  entries,
  messageBytes: Buffer.byteLength(messages[0]!),
  fresh,
  redelivered,
});
process.exit(0);

import { readFileSync } from 'node:fs';
import type { TestIssuer } from '../../support/issuer.js';
import { seededRandom } from './dynamo-proxy.js';

/**
 * A bounded load generator of our own (no dependency): `clients` loops, each sending one request
 * at a time with a token picked from a pool, for `durationMs`, while one publisher revokes tokens
 * of the pool one after another. Every request and every revocation is recorded with the times
 * the test process saw, so the promises can be checked afterwards.
 */

export interface LoadOptions {
  readonly url: string;
  readonly issuer: TestIssuer;
  readonly clients: number;
  readonly durationMs: number;
  /** Tokens in the pool; token i has jti load-jti-i, sub load-sub-i, client_id load-client-i. */
  readonly tokens: number;
  /** Tokens 0 … revoke-1 are revoked during the run (by jti, subject or client in turn); the rest never are. */
  readonly revoke: number;
  /** Publishes a revocation message; resolves with the time it was acknowledged, undefined if not. */
  readonly publish: (message: unknown) => Promise<number | undefined>;
  /** The resident memory of the process under load. */
  readonly rssBytes: () => number;
}

export interface RequestRecord {
  readonly token: number;
  readonly sentAt: number;
  readonly latencyMs: number;
  readonly status: number;
  /** For a 200: the jti the backend received in the authorizer context. */
  readonly echoedJti?: string;
}

export interface RevocationRecord {
  readonly kind: 'jti' | 'subject' | 'client';
  readonly sentAt: number;
  readonly ackAt: number | undefined;
}

export interface LoadReport {
  readonly requests: RequestRecord[];
  readonly failures: { token: number; error: string }[];
  /** By token index. */
  readonly revocations: Map<number, RevocationRecord>;
  readonly rss: { at: number; bytes: number }[];
  readonly requestsPerSecond: number;
  readonly latencyMs: { p50: number; p95: number; p99: number; max: number };
  /** Per revoked token, the longest time from the Publish ack to a request that was still allowed. */
  readonly maxAllowedAfterAckMs: number;
  readonly summary: string;
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

/** VmRSS of a process, from /proc (Linux). */
export function residentBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
  if (kb === undefined) throw new Error(`no VmRSS for process ${pid}`);
  return Number(kb) * 1024;
}

export async function runLoad(options: LoadOptions): Promise<LoadReport> {
  const iat = Math.floor(Date.now() / 1000) - 60;
  const key = options.issuer.keys[0]!;
  const tokens = await Promise.all(
    Array.from({ length: options.tokens }, (_, i) =>
      options.issuer.token({ jti: `load-jti-${i}`, sub: `load-sub-${i}`, client_id: `load-client-${i}`, iat }, { key }),
    ),
  );
  const requests: RequestRecord[] = [];
  const failures: { token: number; error: string }[] = [];
  const revocations = new Map<number, RevocationRecord>();
  const rss: { at: number; bytes: number }[] = [];
  const startedAt = performance.now();
  const endAt = startedAt + options.durationMs;

  const sampler = setInterval(() => {
    try {
      rss.push({ at: performance.now() - startedAt, bytes: options.rssBytes() });
    } catch {
      // The process is gone: the requests will show it.
    }
  }, 250);

  const client = async (seed: number) => {
    const random = seededRandom(seed);
    while (performance.now() < endAt) {
      const token = Math.floor(random() * options.tokens);
      const sentAt = performance.now();
      try {
        const response = await fetch(options.url, { headers: { authorization: `Bearer ${tokens[token]}` } });
        const body = await response.text();
        const latencyMs = performance.now() - sentAt;
        let echoedJti: string | undefined;
        if (response.status === 200) echoedJti = (JSON.parse(body) as { authorizer?: { jti?: string } }).authorizer?.jti;
        requests.push({ token, sentAt, latencyMs, status: response.status, echoedJti });
      } catch (error) {
        failures.push({ token, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
      }
    }
  };

  // Revocations spread over the first 80% of the run, so every one is checked after its bound.
  const publisher = async () => {
    const gapMs = (options.durationMs * 0.8) / options.revoke;
    for (let i = 0; i < options.revoke && performance.now() < startedAt + options.durationMs * 0.8; i++) {
      const kind = (['jti', 'subject', 'client'] as const)[i % 3]!;
      const message =
        kind === 'jti'
          ? { type: 'jti', jti: `load-jti-${i}`, iss: options.issuer.issuer }
          : kind === 'subject'
            ? { type: 'subject', sub: `load-sub-${i}` }
            : { type: 'client', clientId: `load-client-${i}`, iss: options.issuer.issuer };
      const sentAt = performance.now();
      // Recorded before the Publish goes out: from then on a refusal of this token is legitimate.
      revocations.set(i, { kind, sentAt, ackAt: undefined });
      const ackAt = await options.publish(message);
      revocations.set(i, { kind, sentAt, ackAt });
      const wait = startedAt + (i + 1) * gapMs - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    }
  };

  await Promise.all([publisher(), ...Array.from({ length: options.clients }, (_, i) => client(1000 + i))]);
  clearInterval(sampler);
  const elapsedMs = performance.now() - startedAt;

  const latencies = requests.map((request) => request.latencyMs);
  const latencyMs = {
    p50: percentile(latencies, 0.5),
    p95: percentile(latencies, 0.95),
    p99: percentile(latencies, 0.99),
    max: latencies.reduce((max, value) => Math.max(max, value), 0),
  };
  const requestsPerSecond = requests.length / (elapsedMs / 1000);
  let maxAllowedAfterAckMs = 0;
  for (const request of requests) {
    const ackAt = revocations.get(request.token)?.ackAt;
    if (ackAt !== undefined && request.status === 200 && request.sentAt > ackAt) {
      maxAllowedAfterAckMs = Math.max(maxAllowedAfterAckMs, request.sentAt - ackAt);
    }
  }
  const acks = [...revocations.values()]
    .filter((revocation) => revocation.ackAt !== undefined)
    .map((revocation) => revocation.ackAt! - revocation.sentAt);
  const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
  const summary = [
    `load: ${requests.length} requests in ${(elapsedMs / 1000).toFixed(1)} s with ${options.clients} clients = ${Math.round(requestsPerSecond)} requests/s`,
    `  latency ms: p50 ${latencyMs.p50.toFixed(1)}, p95 ${latencyMs.p95.toFixed(1)}, p99 ${latencyMs.p99.toFixed(1)}, max ${latencyMs.max.toFixed(1)}`,
    `  statuses: ${[...new Set(requests.map((request) => request.status))].map((status) => `${status} × ${requests.filter((request) => request.status === status).length}`).join(', ')}; failures ${failures.length}`,
    `  revocations: ${revocations.size} published (Publish answered in p50 ${percentile(acks, 0.5).toFixed(1)} ms, max ${Math.max(...acks).toFixed(1)} ms); a revoked token was last allowed ${maxAllowedAfterAckMs.toFixed(0)} ms after its ack`,
    `  stack RSS: first ${mb(rss[0]?.bytes ?? NaN)} MB, max ${mb(Math.max(...rss.map((sample) => sample.bytes)))} MB, last ${mb(rss.at(-1)?.bytes ?? NaN)} MB (${rss.length} samples)`,
    `  RSS by tenth of the run (MB): ${Array.from({ length: 10 }, (_, i) => mb(rss[Math.min(rss.length - 1, Math.floor(((i + 1) * rss.length) / 10) - 1)]?.bytes ?? NaN)).join(' ')}`,
  ].join('\n');
  return { requests, failures, revocations, rss, requestsPerSecond, latencyMs, maxAllowedAfterAckMs, summary };
}

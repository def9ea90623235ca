import { httpApiV2Event } from '../../support/api-gateway-events.js';
import type { BundleProcess, Invocation } from '../../support/bundle-process.js';

/** One answer of the authorizer, reduced to what the promises are about. */
export type Outcome = 'allow' | `deny:${string}` | `error:${string}`;

export function outcomeOf(invocation: Invocation): Outcome {
  if (!invocation.ok) return `error:${invocation.error.code ?? invocation.error.name}`;
  const result = invocation.result as { isAuthorized: boolean; context?: { reason?: string } };
  return result.isAuthorized ? 'allow' : `deny:${result.context?.reason ?? '?'}`;
}

/** Asks a bundle process (HTTP API payload 2.0) about a token. */
export async function decide(authorizer: BundleProcess, token: string): Promise<Outcome> {
  return outcomeOf(await authorizer.invoke(httpApiV2Event(`Bearer ${token}`)));
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Asks until `done` holds for the answer, or gives up after `limitMs`; how long it took. */
export async function until(
  authorizer: BundleProcess,
  token: string,
  done: (outcome: Outcome) => boolean,
  limitMs: number,
  gapMs = 20,
): Promise<{ afterMs: number; outcome: Outcome } | undefined> {
  const startedMs = performance.now();
  while (performance.now() - startedMs < limitMs) {
    const outcome = await decide(authorizer, token);
    if (done(outcome)) return { afterMs: performance.now() - startedMs, outcome };
    await sleep(gapMs);
  }
  return undefined;
}

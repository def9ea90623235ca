import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LambdaFunction } from '../../local/lambda-runtime.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lambda-runtime-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** Writes a bundle-like ESM module and returns its path. */
async function bundle(name: string, source: string): Promise<string> {
  const path = join(dir, `${name}.mjs`);
  await writeFile(path, source);
  return path;
}

const options = (bundlePath: string, timeoutMs = 1000) => ({ name: 'fn', bundlePath, timeoutMs, region: 'us-east-1' });

describe('LambdaFunction', () => {
  it('runs the module scope once and reuses it for every invocation, one at a time in arrival order', async () => {
    const path = await bundle(
      'counter',
      `let initialised = 0; initialised++;
       let running = 0, overlapped = false, calls = 0;
       export async function handler(event, context) {
         running++; if (running > 1) overlapped = true;
         await new Promise((done) => setTimeout(done, 5));
         running--; calls++;
         return { initialised, calls, overlapped, order: event.n, requestId: context.awsRequestId, name: context.functionName, remaining: context.getRemainingTimeInMillis() };
       }`,
    );
    const fn = await LambdaFunction.load(options(path));

    const results = await Promise.all([1, 2, 3].map((n) => fn.invoke({ n })));

    expect(results.map((result) => result.ok && result.result)).toEqual(
      [1, 2, 3].map((n) =>
        expect.objectContaining({ initialised: 1, calls: n, overlapped: false, order: n, name: 'fn', remaining: expect.any(Number) }),
      ),
    );
    expect(new Set(results.map((result) => result.requestId)).size).toBe(3);
  });

  it('reports a thrown error as Lambda does, by its name and message, and carries on', async () => {
    const path = await bundle(
      'thrower',
      `class InvalidMessageError extends Error { name = 'InvalidMessageError' }
      export const handler = async (event) => { if (event.fail) throw new InvalidMessageError('bad message'); return 'fine'; };`,
    );
    const fn = await LambdaFunction.load(options(path));

    expect(await fn.invoke({ fail: true })).toMatchObject({
      ok: false,
      error: { errorType: 'InvalidMessageError', errorMessage: 'bad message' },
    });
    expect(await fn.invoke({})).toMatchObject({ ok: true, result: 'fine' });
  });

  it('fails an invocation that outlives the timeout with Sandbox.Timedout, then starts a new instance', async () => {
    const path = await bundle(
      'slow',
      `const instance = Math.random();
      export const handler = (event) => event.hang ? new Promise(() => {}) : instance;`,
    );
    const fn = await LambdaFunction.load(options(path, 50));
    const before = await fn.invoke({});

    const timedOut = await fn.invoke({ hang: true });
    const after = await fn.invoke({});

    expect(timedOut).toMatchObject({
      ok: false,
      error: { errorType: 'Sandbox.Timedout', errorMessage: 'Task timed out after 0.05 seconds' },
    });
    expect(before.ok && after.ok && before.result !== after.result).toBe(true);
  });

  it('passes events and results through JSON, and supports callback handlers', async () => {
    const path = await bundle(
      'callback',
      `export function handler(event, context, callback) { event.mutated = true; callback(null, { at: new Date(0), missing: undefined }); }`,
    );
    const fn = await LambdaFunction.load(options(path));
    const event = { original: true };

    const result = await fn.invoke(event);

    expect(result).toMatchObject({ ok: true, result: { at: '1970-01-01T00:00:00.000Z' } });
    expect(event).toEqual({ original: true });
  });

  it('throws at load when the module scope throws (a configuration error at cold start)', async () => {
    const path = await bundle(
      'misconfigured',
      `throw new Error('JWT_ISSUER must name the trusted token issuer'); export const handler = () => {};`,
    );

    await expect(LambdaFunction.load(options(path))).rejects.toThrow('JWT_ISSUER must name the trusted token issuer');
  });
});

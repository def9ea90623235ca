import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createRevocationTable } from '../../local/table-admin.js';
import { httpApiV2Event, restTokenEvent } from '../support/api-gateway-events.js';
import { BundleProcess, type Invocation } from '../support/bundle-process.js';
import { startDynalite, type LocalDynamo } from '../support/dynalite.js';
import { TestIssuer } from '../support/issuer.js';

/**
 * Issue 11, item 1: nothing unverified is logged or echoed except as a bounded, typed summary, and
 * the deny path cannot throw. Through the built authorizer:
 * - the report's token: header `{"alg":"ES256","crit":[[[…]]]}` nested 2,300 deep (6 KB), the
 *   trusted issuer and any signature. The unverified `crit` went into the deny line, whose JSON
 *   replacer overflowed the stack: a 500 for HTTP APIs and REST alike. Now 403 / 401;
 * - a property over arbitrary unsigned header and payload shapes: never a 500, and the deny line
 *   stays under {@link MAX_DENY_LINE_BYTES} whatever the token holds.
 */

const MAX_DENY_LINE_BYTES = 1024;
const SEED = 0x11;

let dynamo: LocalDynamo;
let issuer: TestIssuer;
let authorizer: BundleProcess;

beforeAll(async () => {
  [dynamo, issuer] = await Promise.all([startDynalite(), TestIssuer.start({ algorithms: ['ES256'] })]);
  await createRevocationTable(dynamo.client, 'revocations');
  authorizer = new BundleProcess('authorizer', {
    ...dynamo.env,
    ...issuer.env,
    REVOCATION_TABLE_NAME: 'revocations',
    POWERTOOLS_METRICS_DISABLED: 'true',
    // A kid the key set does not hold must not turn every generated token into a JWKS fetch.
    JWKS_COOLDOWN_MS: '600000',
  });
});
afterAll(async () => {
  await authorizer?.stop();
  await Promise.all([dynamo?.stop(), issuer?.stop()]);
});

const b64url = (text: string) => Buffer.from(text).toString('base64url');

/** A compact JWS of exactly this header and payload text and a signature of random bytes. */
function unsigned(headerText: string, payloadText: string, signature = Buffer.alloc(64, 7)): string {
  return `${b64url(headerText)}.${b64url(payloadText)}.${signature.toString('base64url')}`;
}

/** The invocation and the log lines it wrote. */
async function invoke(event: unknown): Promise<{ invocation: Invocation; lines: string[] }> {
  const before = authorizer.output.length;
  const invocation = await authorizer.invoke(event);
  return {
    invocation,
    lines: authorizer.output
      .slice(before)
      .split('\n')
      .filter((line) => line.startsWith('{')),
  };
}

const denyLine = (lines: string[]) => lines.find((line) => (JSON.parse(line) as { message?: string }).message === 'deny');

describe('the report’s token: a crit header nested 2,300 deep', () => {
  const header = `{"alg":"ES256","crit":${'['.repeat(2300)}${']'.repeat(2300)}}`;
  let token: string;
  beforeAll(() => {
    token = unsigned(header, JSON.stringify({ iss: issuer.issuer }));
    expect(token.length).toBeGreaterThan(6000);
    expect(token.length).toBeLessThan(8192);
  });

  it('is denied by an HTTP API (403), with a deny line that summarizes crit instead of holding it', async () => {
    const { invocation, lines } = await invoke(httpApiV2Event(`Bearer ${token}`));

    expect(invocation).toMatchObject({ ok: true, result: { isAuthorized: false, context: { reason: 'unsupported_header' } } });
    const line = denyLine(lines)!;
    expect(Buffer.byteLength(line)).toBeLessThan(MAX_DENY_LINE_BYTES);
    expect(JSON.parse(line)).toMatchObject({ reason: 'unsupported_header', failedAssertion: { actual: { type: 'array', length: 1 } } });
    expect(line).not.toContain('[[');
  });

  it('is refused by a REST API with Unauthorized (401), not a 500', async () => {
    const { invocation } = await invoke(restTokenEvent(`Bearer ${token}`));

    expect(invocation).toEqual({ ok: false, error: { name: 'Error', message: 'Unauthorized' } });
  });
});

describe('unverified header and payload values in the deny line', () => {
  it.each([
    ['kid', { alg: 'ES256', kid: 'K'.repeat(5000) }, { iss: 'TRUSTED' }],
    ['alg', { alg: 'A'.repeat(5000) }, { iss: 'TRUSTED' }],
    ['typ', { alg: 'ES256', typ: 'T'.repeat(5000) }, { iss: 'TRUSTED' }],
    ['iss', { alg: 'ES256' }, { iss: 'I'.repeat(5000) }],
  ])('are summarized, never copied: a 5,000-character %s', async (name, header, payload) => {
    const text = JSON.stringify(payload).replace('TRUSTED', issuer.issuer);
    const token = unsigned(JSON.stringify(header), text);

    const { invocation, lines } = await invoke(httpApiV2Event(`Bearer ${token}`));

    expect(invocation).toMatchObject({ ok: true, result: { isAuthorized: false } });
    const line = denyLine(lines)!;
    expect(Buffer.byteLength(line), name).toBeLessThan(MAX_DENY_LINE_BYTES);
    expect(line).not.toContain(name.toUpperCase()[0]!.repeat(30));
  });
});

describe('arbitrary unsigned header and payload shapes', () => {
  /** JSON values up to a few levels deep, and now and then an array nested hundreds to thousands deep. */
  const value = fc.oneof(
    { arbitrary: fc.jsonValue({ maxDepth: 4 }), weight: 8 },
    {
      arbitrary: fc.integer({ min: 100, max: 2500 }).map((depth) => JSON.parse('['.repeat(depth) + ']'.repeat(depth)) as unknown),
      weight: 1,
    },
    { arbitrary: fc.string({ unit: 'binary', maxLength: 3000 }), weight: 1 },
  );
  const header = fc.record(
    {
      alg: fc.oneof(fc.constantFrom('ES256', 'RS256', 'none', 'HS256', 'EdDSA'), value),
      kid: value,
      typ: fc.oneof(fc.constantFrom('at+jwt', 'JWT', 'id_token'), value),
      crit: value,
      b64: value,
      jwk: value,
      extra: value,
    },
    { requiredKeys: [] },
  );
  const payload = fc.record(
    {
      iss: fc.oneof({ arbitrary: fc.constant('TRUSTED'), weight: 3 }, { arbitrary: value, weight: 1 }),
      sub: value,
      jti: value,
      aud: value,
      exp: value,
      iat: value,
      extra: value,
    },
    { requiredKeys: [] },
  );

  it(`are refused without a 500, and the deny line stays under ${MAX_DENY_LINE_BYTES} bytes`, async () => {
    let refusals = 0;
    await fc.assert(
      fc.asyncProperty(header, payload, fc.uint8Array({ maxLength: 300 }), async (headerValue, payloadValue, signature) => {
        const payloadText = JSON.stringify(payloadValue).replace('"TRUSTED"', JSON.stringify(issuer.issuer));
        const token = unsigned(JSON.stringify(headerValue), payloadText, Buffer.from(signature));

        const { invocation, lines } = await invoke(httpApiV2Event(`Bearer ${token}`));

        // Never a throw (API Gateway's 500), never an allow: nothing here is signed by the issuer.
        expect(invocation.ok).toBe(true);
        expect((invocation as { result: { isAuthorized: boolean } }).result.isAuthorized).toBe(false);
        const line = denyLine(lines);
        expect(line).toBeDefined();
        expect(Buffer.byteLength(line!)).toBeLessThan(MAX_DENY_LINE_BYTES);
        refusals++;
      }),
      { seed: SEED, numRuns: 200 },
    );
    expect(refusals).toBeGreaterThanOrEqual(200);
  }, 120_000);
});

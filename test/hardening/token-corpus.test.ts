import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RevocationStore } from '../../lambda/revocation/index.js';
import { CORPUS_NOW_MS, TOKEN_CORPUS, type TokenCase } from '../fixtures/tokens/corpus.js';
import { httpApiV2Event, restTokenEvent } from '../support/api-gateway-events.js';
import { BundleProcess, type Invocation } from '../support/bundle-process.js';
import { startDynalite, type LocalDynamo } from '../support/dynalite.js';
import { createSigningKey, TestIssuer } from '../support/issuer.js';
import { TokenBuilder } from './support/token-builder.js';
import { createRevocationTable } from '../../local/table-admin.js';

/**
 * The hostile-token corpus (test/fixtures/tokens/corpus.ts) through the built dist/authorizer.mjs,
 * in a fresh Node process whose clock is frozen at the corpus clock, trusting two issuers, with
 * the corpus revocations in dynalite before its cold start.
 */

const TABLE = 'revocations';

let dynamo: LocalDynamo;
let issuerA: TestIssuer;
let issuerB: TestIssuer;
let authorizer: BundleProcess;
const tokens = new Map<TokenCase, string>();
let builder: TokenBuilder;

beforeAll(async () => {
  [dynamo, issuerA, issuerB] = await Promise.all([
    startDynalite(),
    TestIssuer.start({ issuer: 'https://issuer-a.example.com/' }),
    TestIssuer.start({ algorithms: ['RS256'], issuer: 'https://issuer-b.example.com/' }),
  ]);
  const attacker = await createSigningKey('RS256', 'attacker-kid');
  builder = new TokenBuilder({ issuerA, issuerB, attacker, untrustedIssuer: 'https://attacker.example/' }, CORPUS_NOW_MS);
  TOKEN_CORPUS.forEach((testCase, index) => tokens.set(testCase, builder.token(testCase.token, index)));

  const store = new RevocationStore(dynamo.client, TABLE);
  await createRevocationTable(dynamo.client, TABLE);
  // One write per seed, in corpus order: later seeds meet earlier ones as the ingest's would.
  for (const testCase of TOKEN_CORPUS) {
    for (const revocation of builder.revocations(testCase.revocations ?? [])) await store.applyRevocations([revocation]);
  }

  authorizer = new BundleProcess(
    'authorizer',
    {
      ...dynamo.env,
      JWT_ISSUERS: JSON.stringify(
        [issuerA, issuerB].map((issuer) => ({ issuer: issuer.issuer, jwksUri: issuer.jwksUri, audience: issuer.audience })),
      ),
      REVOCATION_TABLE_NAME: TABLE,
      POWERTOOLS_METRICS_DISABLED: 'true',
    },
    { clockMs: CORPUS_NOW_MS },
  );
});
afterAll(async () => {
  await authorizer?.stop();
  await Promise.all([dynamo?.stop(), issuerA?.stop(), issuerB?.stop()]);
});

/** One invocation and the log lines the process wrote for it. */
async function invoke(event: unknown): Promise<{ invocation: Invocation; lines: Record<string, unknown>[]; text: string }> {
  const start = authorizer.output.length;
  const invocation = await authorizer.invoke(event);
  const text = authorizer.output.slice(start);
  const lines = text
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { invocation, lines, text };
}

/** Neither the token nor a recognisable piece of it appears in what the process wrote. */
function expectTokenNotIn(text: string, token: string): void {
  if (token.length < 16) return;
  expect(text.includes(token)).toBe(false);
  for (const segment of token.split('.')) {
    if (segment.length >= 24) expect(text.includes(segment)).toBe(false);
  }
}

const byCategory = (category: TokenCase['category']) =>
  TOKEN_CORPUS.filter((testCase) => testCase.category === category).map((testCase) => [testCase.name, testCase] as const);

describe('the token corpus', () => {
  it('holds at least 60 cases in every category, each with a distinct name', () => {
    const names = new Set(TOKEN_CORPUS.map((testCase) => testCase.name));
    const categories = new Set(TOKEN_CORPUS.map((testCase) => testCase.category));

    expect(TOKEN_CORPUS.length).toBeGreaterThanOrEqual(60);
    expect(names.size).toBe(TOKEN_CORPUS.length);
    expect([...categories].sort()).toEqual(['claims', 'encoding', 'revocation', 'rfc8725', 'size', 'valid']);
  });
});

describe.each(['valid', 'claims', 'rfc8725', 'encoding', 'size', 'revocation'] as const)(
  'dist/authorizer.mjs, HTTP API v2, %s cases',
  (category) => {
    it.each(byCategory(category))('%s', async (_name, testCase) => {
      // Prepare
      const token = tokens.get(testCase)!;
      const authorization = builder.authorization(testCase, token);

      // Act
      const { invocation, lines, text } = await invoke(httpApiV2Event(authorization));

      // Assess
      expect(invocation.ok, JSON.stringify(invocation).slice(0, 500)).toBe(true);
      const result = (invocation as { result: { isAuthorized: boolean; context: Record<string, string> } }).result;
      const denies = lines.filter((line) => line.message === 'deny');
      expect(lines.filter((line) => line.level === 'ERROR' || line.level === 'CRITICAL')).toEqual([]);
      if (testCase.expect.decision === 'allow') {
        expect(result).toMatchObject({ isAuthorized: true, policyDocument: { Statement: [{ Effect: 'Allow' }] } });
        expect(denies).toEqual([]);
      } else {
        expect({ isAuthorized: result.isAuthorized, context: result.context }).toEqual({
          isAuthorized: false,
          context: { reason: testCase.expect.reason },
        });
        expect(denies).toHaveLength(1);
        expect(denies[0]).toMatchObject({ decision: 'deny', reason: testCase.expect.reason, level: 'INFO' });
        if (testCase.expect.maxLatencyMs !== undefined) {
          expect(denies[0]!.latencyMs as number).toBeLessThan(testCase.expect.maxLatencyMs);
          console.info(`${testCase.name}: ${token.length} characters refused in ${denies[0]!.latencyMs} ms`);
        }
      }
      expectTokenNotIn(JSON.stringify(result) + text, token);
    });
  },
);

describe('dist/authorizer.mjs, REST API TOKEN authorizer, representative cases', () => {
  it.each(TOKEN_CORPUS.filter((testCase) => testCase.rest).map((testCase) => [testCase.name, testCase] as const))(
    '%s',
    async (_name, testCase) => {
      // Prepare
      const token = tokens.get(testCase)!;
      const authorization = builder.authorization(testCase, token) ?? '';

      // Act
      const { invocation, lines, text } = await invoke(restTokenEvent(authorization));

      // Assess
      const expected = testCase.expect;
      if (expected.decision === 'allow') {
        expect(invocation).toMatchObject({ ok: true, result: { policyDocument: { Statement: [{ Effect: 'Allow' }] } } });
      } else if (expected.reason.startsWith('revoked_')) {
        // 403: an explicit Deny with the reason.
        expect(invocation).toMatchObject({
          ok: true,
          result: { policyDocument: { Statement: [{ Effect: 'Deny' }] }, context: { reason: expected.reason } },
        });
      } else {
        // 401: API Gateway answers Unauthorized only when the authorizer throws exactly that.
        expect(invocation).toEqual({ ok: false, error: { name: 'Error', message: 'Unauthorized' } });
      }
      if (expected.decision === 'deny') {
        expect(lines.filter((line) => line.message === 'deny').map((line) => line.reason)).toEqual([expected.reason]);
      }
      expectTokenNotIn(JSON.stringify(invocation) + text, token);
    },
  );

  it('covers allow, 401 and 403 outcomes', () => {
    const rest = TOKEN_CORPUS.filter((testCase) => testCase.rest);
    const outcomes = new Set(
      rest.map((testCase) =>
        testCase.expect.decision === 'allow' ? 'allow' : testCase.expect.reason.startsWith('revoked_') ? '403' : '401',
      ),
    );
    expect([...outcomes].sort()).toEqual(['401', '403', 'allow']);
    expect(rest.length).toBeGreaterThanOrEqual(12);
  });
});

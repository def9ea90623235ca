import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signatureIds } from '../lambda/token/index.js';
import { snsEvent } from '../local/sns-event.js';
import { createRevocationTable } from '../local/table-admin.js';
import {
  FIXTURE_NOW_MS,
  jwtSignatureRevocationBody,
  WSO2_FIXTURES,
  WSO2_RECIPE,
  type Decision,
  type TokenCase,
  type Wso2BodyFixture,
} from './fixtures/wso2/bodies.js';
import { httpApiV2Event } from './support/api-gateway-events.js';
import { BundleProcess, type Invocation } from './support/bundle-process.js';
import { startDynalite, type LocalDynamo } from './support/dynalite.js';
import { TestIssuer } from './support/issuer.js';

/**
 * Every WSO2 body of test/fixtures/wso2/bodies.ts (byte for byte as API-M 4.x puts it on its
 * tokenRevocation topic, rebuilt from carbon-apimgt, apim-km-wso2is and carbon-analytics-common;
 * the fixture's README cites the lines) published unchanged to the built dist/ingest.mjs, and the
 * fixture's tokens then put to the built dist/authorizer.mjs configured with the WSO2 recipe
 * (JWT_SUBJECT_CLAIM=entity_id, JWT_CLIENT_CLAIM=azp). Each token must get WSO2's own gateway
 * decision (JWTValidator@d2c5200a), or `projectExpect` where the project decides otherwise on
 * purpose. Both bundles run on a frozen wall clock at the fixtures' time, moved by hand; only the authorizer's
 * sync interval (monotonic) is waited for, once.
 *
 * Each fixture's tokens come from an issuer of their own, and its body is published with that
 * issuer as the SNS `issuer` attribute (the body stays WSO2's): the fixtures' ids overlap (the
 * same application and user in several events), and WSO2 judges each event on its own.
 */

const SYNC_INTERVAL_MS = 1000;
const AFTER_SYNC_MS = FIXTURE_NOW_MS + 2 * SYNC_INTERVAL_MS;
/** Past the notifier's ttl ("5000", ms) and close to the end of the fixtures' tokens (iat + 3600 s). */
const LATER_MS = [FIXTURE_NOW_MS + 6_000, FIXTURE_NOW_MS + 3_400_000];

interface Prepared {
  readonly fixture: Wso2BodyFixture;
  readonly issuer: string;
  readonly body: string;
  readonly tokens: { readonly tokenCase: TokenCase; readonly token: string }[];
}

let dynamo: LocalDynamo;
let jwks: TestIssuer;
let authorizer: BundleProcess;
let ingest: BundleProcess;
const prepared: Prepared[] = [];
/** The token revoked by its ES256 signature, re-spelled (r, n - s): the same signature to OpenSSL. */
let twinOfRevokedSignature: string;

const issuerOf = (fixture: Wso2BodyFixture) => `https://wso2-is.example.com/${fixture.id}/oauth2/token`;

async function sign(iss: string, claims: TokenCase['claims']): Promise<string> {
  // Only the fixture's claims (the issuer's defaults dropped), plus iss and aud.
  return jwks.token(
    { iss, aud: jwks.audience, sub: undefined, jti: undefined, client_id: undefined, scope: undefined, ...claims },
    { key: jwks.key('ES256') },
  );
}

beforeAll(async () => {
  [dynamo, jwks] = await Promise.all([startDynalite(), TestIssuer.start({ algorithms: ['ES256'] })]);
  await createRevocationTable(dynamo.client, 'revocations');
  for (const fixture of WSO2_FIXTURES) {
    const issuer = issuerOf(fixture);
    const tokens = await Promise.all(fixture.cases.map(async (tokenCase) => ({ tokenCase, token: await sign(issuer, tokenCase.claims) })));
    const bySignature = tokens.find(({ tokenCase }) => tokenCase.signatureIsRevokedToken);
    // A JWT event for a jti-less token names that token's own signature.
    const body = bySignature === undefined ? fixture.body : jwtSignatureRevocationBody(bySignature.token);
    prepared.push({ fixture, issuer, body, tokens });
    if (bySignature !== undefined) {
      const [header, payload, signature] = bySignature.token.split('.');
      const twin = signatureIds('ES256', signature!, Buffer.from(signature!, 'base64url'))[1]!;
      twinOfRevokedSignature = `${header}.${payload}.${twin}`;
    }
  }
  const common = { ...dynamo.env, REVOCATION_TABLE_NAME: 'revocations', POWERTOOLS_METRICS_DISABLED: 'true' };
  authorizer = new BundleProcess(
    'authorizer',
    {
      ...common,
      ...WSO2_RECIPE,
      JWT_ISSUERS: JSON.stringify(prepared.map(({ issuer }) => ({ issuer, jwksUri: jwks.jwksUri, audience: jwks.audience }))),
      // The jwt-by-signature fixture's token has no jti, as some WSO2 tokens do not.
      JWT_REQUIRED_CLAIMS: 'iss sub aud exp iat',
      REVOCATION_SYNC_INTERVAL_MS: String(SYNC_INTERVAL_MS),
    },
    { clockMs: FIXTURE_NOW_MS },
  );
  ingest = new BundleProcess('ingest', common, { clockMs: FIXTURE_NOW_MS });
});
afterAll(async () => {
  await Promise.all([authorizer?.stop(), ingest?.stop()]);
  await Promise.all([dynamo?.stop(), jwks?.stop()]);
});

async function decide(token: string): Promise<{ decision: Decision; reason?: unknown }> {
  const invocation = await authorizer.invoke(httpApiV2Event(`Bearer ${token}`));
  if (!invocation.ok) throw new Error(`the authorizer failed: ${JSON.stringify(invocation.error)}\n${authorizer.output}`);
  const answer = invocation.result as { isAuthorized: boolean; context: { reason?: string } };
  return answer.isAuthorized ? { decision: 'allow' } : { decision: 'deny', reason: answer.context.reason };
}

/** Every case's decision, named so a failure says which token of which body. */
async function decisions(): Promise<Record<string, Decision>> {
  const all: Record<string, Decision> = {};
  for (const { fixture, tokens } of prepared) {
    for (const { tokenCase, token } of tokens) all[`${fixture.id}: ${tokenCase.name}`] = (await decide(token)).decision;
  }
  return all;
}

const expectedDecisions = () =>
  Object.fromEntries(
    prepared.flatMap(({ fixture }) =>
      fixture.cases.map((tokenCase) => [`${fixture.id}: ${tokenCase.name}`, tokenCase.projectExpect ?? tokenCase.expect]),
    ),
  );

describe('WSO2 bodies through dist/ingest.mjs and dist/authorizer.mjs (the WSO2 recipe)', () => {
  it('allows every fixture token before any event is published', async () => {
    const before = await decisions();
    expect(
      Object.values(before).every((decision) => decision === 'allow'),
      JSON.stringify(before, null, 1),
    ).toBe(true);
    expect(Object.keys(before).length).toBe(WSO2_FIXTURES.reduce((sum, fixture) => sum + fixture.cases.length, 0));
  });

  it('accepts every body as WSO2 publishes it: nothing is refused, so nothing is dead-lettered', async () => {
    // Act
    const published: [string, Invocation][] = [];
    for (const { fixture, issuer, body } of prepared) {
      published.push([
        fixture.id,
        await ingest.invoke(snsEvent({ message: body, attributes: { issuer }, timestamp: new Date(FIXTURE_NOW_MS) })),
      ]);
    }
    // The jwt-by-signature fixture's own example body too, exactly as committed.
    const example = prepared.find(({ fixture }) => fixture.disposition === 'signature')!;
    published.push([
      'jwt-by-signature (example)',
      await ingest.invoke(snsEvent({ message: example.fixture.body, attributes: { issuer: example.issuer } })),
    ]);

    // Assess
    for (const [id, invocation] of published) expect(invocation.ok, `${id}: ${JSON.stringify(invocation)}`).toBe(true);
    const summaries = Object.fromEntries(
      published.map(([id, invocation]) => [
        id,
        invocation.ok ? (invocation.result as { revocations: number; notApplicable: number }) : undefined,
      ]),
    );
    for (const { fixture } of prepared) {
      const applicable = fixture.disposition !== 'not-applicable';
      expect(summaries[fixture.id], fixture.id).toMatchObject({ revocations: applicable ? 1 : 0, notApplicable: applicable ? 0 : 1 });
    }
    expect(ingest.output).not.toMatch(/"level":"ERROR"/);
  });

  it('then decides every token as WSO2’s gateway does, a token issued after T still allowed', async () => {
    // Act: sync intervals run on the monotonic clock, which the frozen wall clock does not move, so
    // one real interval passes before the first decision (which then waits for its delta sync).
    await authorizer.setClock(AFTER_SYNC_MS);
    await new Promise((resolve) => setTimeout(resolve, SYNC_INTERVAL_MS + 100));
    const after = await decisions();

    // Assess
    expect(after).toEqual(expectedDecisions());
    expect(Object.entries(after).filter(([name, decision]) => name.includes('after T') && decision === 'allow').length).toBeGreaterThan(3);
  });

  it('refuses the jti-less token revoked by its ECDSA signature also when its signature is re-spelled as (r, n - s)', async () => {
    expect(await decide(twinOfRevokedSignature)).toEqual({ decision: 'deny', reason: 'revoked_jti' });
  });

  it.each(LATER_MS.map((ms) => [ms - FIXTURE_NOW_MS, ms]))(
    'keeps every decision %i ms later, past the notifier’s ttl',
    async (_offset, ms) => {
      await authorizer.setClock(ms);
      expect(await decisions()).toEqual(expectedDecisions());
    },
  );
});

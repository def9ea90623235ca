import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  APP,
  appRevocationInner,
  jsonOutputMapperBody,
  jwtSignatureRevocationBody,
  OTHER_APP,
  OTHER_USER,
  subjectRevocationInner,
  USER,
  WSO2_FIXTURES,
  WSO2_RECIPE,
  type Decision,
  type TokenCase,
  type Wso2BodyFixture,
} from '../fixtures/wso2/bodies.js';
import { TestIssuer } from '../support/issuer.js';
import { freePort, runCli, StackProcess, type CliResult } from './support/stack-process.js';

/**
 * The local stack (one start) trusting a test issuer with the WSO2 recipe, fed every WSO2 body of
 * test/fixtures/wso2/bodies.ts with `npm run revoke -- --raw` (through the stack's SNS endpoint),
 * then asked, over HTTP, for each fixture token: WSO2's gateway decision (or the fixture's
 * `projectExpect`) must come back as 200 or 403.
 *
 * The stack runs on the real clock, so bodies whose meaning depends on the time are rebuilt now
 * with the fixtures' own builders (the Java HashMap order, the JSON mapper's bytes): the indirect
 * events get T = a few seconds ago, and every token keeps its place relative to T. The others
 * (JWT, API_KEY, Default, the flat maps) are published exactly as committed. --raw carries no
 * issuer attribute, so each fixture gets its own application and user ids instead, keeping one
 * event from touching another fixture's tokens.
 */

const TOPIC_ARN = 'arn:aws:sns:us-east-1:000000000000:revocations';
/** The notifier's ttl ("5000"): the revoked tokens are checked again once it has passed. */
const NOTIFIER_TTL_MS = 5000;

interface Prepared {
  readonly fixture: Wso2BodyFixture;
  readonly body: string;
  readonly tokens: { readonly tokenCase: TokenCase; readonly token: string }[];
}

let issuer: TestIssuer;
let dataDir: string;
let env: Record<string, string>;
let stack: StackProcess;
const prepared: Prepared[] = [];

/** Fixture k's own ids, in the forms WSO2 uses (28-character consumer keys, UUID user ids). */
function idsOf(k: number): Map<string, string> {
  const n = String(k).padStart(2, '0');
  return new Map([
    [APP, `${APP.slice(0, 26)}${n}`],
    [OTHER_APP, `${OTHER_APP.slice(0, 26)}${n}`],
    [USER, `${USER.slice(0, 34)}${n}`],
    [OTHER_USER, `${OTHER_USER.slice(0, 34)}${n}`],
  ]);
}

/** The body as WSO2 would publish it now (indirect events) or as committed, and T's shift in seconds. */
function bodyNow(fixture: Wso2BodyFixture, ids: Map<string, string>, revocationTimeMs: number): string {
  const inner = JSON.parse(fixture.inner!.json) as Record<string, string>;
  const revokedToken =
    inner.consumer_key !== undefined
      ? appRevocationInner(ids.get(inner.consumer_key)!, revocationTimeMs).base64
      : subjectRevocationInner(ids.get(inner.entityId!)!, inner.entityType as 'USER_ID' | 'CLIENT_ID', revocationTimeMs).base64;
  return jsonOutputMapperBody({ ...fixture.payload!, revokedToken });
}

beforeAll(async () => {
  issuer = await TestIssuer.start({ algorithms: ['ES256'] });
  dataDir = await mkdtemp(join(tmpdir(), 'wso2-local-stack-'));
  env = {
    ...issuer.env,
    ...WSO2_RECIPE,
    JWT_REQUIRED_CLAIMS: 'iss sub aud exp iat',
    DYNAMODB_PORT: String(await freePort()),
    DATA_DIR: dataDir,
    POWERTOOLS_LOG_LEVEL: 'WARN',
  };
  stack = await new StackProcess('node', await freePort(), env).ready(60_000);

  // Every T a few seconds in the past, its millisecond fraction kept (the whole-second case stays one).
  const nowSeconds = Math.floor(Date.now() / 1000) - 10;
  for (const [k, fixture] of WSO2_FIXTURES.entries()) {
    const ids = idsOf(k);
    const fixtureT =
      fixture.inner === undefined ? undefined : Number((JSON.parse(fixture.inner.json) as { revocationTime: string }).revocationTime);
    const referenceSeconds = Math.floor((fixtureT ?? 1_767_225_600_000) / 1000);
    const shift = nowSeconds - referenceSeconds;
    const tokens = await Promise.all(
      fixture.cases.map(async (tokenCase) => {
        const claims: Record<string, unknown> = { sub: undefined, jti: undefined, client_id: undefined, scope: undefined };
        for (const [name, value] of Object.entries(tokenCase.claims)) {
          claims[name] = typeof value === 'number' ? value + shift : (ids.get(value) ?? value);
        }
        return { tokenCase, token: await issuer.token(claims, { key: issuer.key('ES256') }) };
      }),
    );
    const bySignature = tokens.find(({ tokenCase }) => tokenCase.signatureIsRevokedToken);
    const body =
      bySignature !== undefined
        ? jwtSignatureRevocationBody(bySignature.token)
        : fixtureT !== undefined
          ? bodyNow(fixture, ids, fixtureT + shift * 1000)
          : fixture.body;
    prepared.push({ fixture, body, tokens });
  }
}, 90_000);
afterAll(async () => {
  await stack?.kill();
  await issuer?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

async function decision(token: string): Promise<Decision> {
  const response = await fetch(`${stack.url}/orders/42`, { headers: { authorization: `Bearer ${token}` } });
  await response.arrayBuffer();
  if (response.status !== 200 && response.status !== 403) throw new Error(`the gateway answered ${response.status}`);
  return response.status === 200 ? 'allow' : 'deny';
}

async function decisions(): Promise<Record<string, Decision>> {
  const all: Record<string, Decision> = {};
  for (const { fixture, tokens } of prepared) {
    for (const { tokenCase, token } of tokens) all[`${fixture.id}: ${tokenCase.name}`] = await decision(token);
  }
  return all;
}

const expectedDecisions = () =>
  Object.fromEntries(
    prepared.flatMap(({ fixture }) =>
      fixture.cases.map((tokenCase) => [`${fixture.id}: ${tokenCase.name}`, tokenCase.projectExpect ?? tokenCase.expect]),
    ),
  );

describe('WSO2 bodies published to the local stack with npm run revoke -- --raw (the WSO2 recipe)', () => {
  let firstPublishedAtMs = 0;

  it('allows every fixture token before the events', async () => {
    const before = await decisions();
    expect(
      Object.values(before).every((each) => each === 'allow'),
      JSON.stringify(before, null, 1),
    ).toBe(true);
  });

  it('takes every body as published, nothing dead-lettered, and decides each token as WSO2’s gateway does', async () => {
    // Act: the first body through `npm run revoke`, the rest through the same CLI run directly (the
    // npm script runs it the same way; npm's start-up is skipped for time), two at a time.
    firstPublishedAtMs = Date.now();
    const results: [string, CliResult][] = [];
    const [first, ...rest] = prepared;
    results.push([first!.fixture.id, await runCli('revoke', ['--raw', first!.body], env, { viaNpm: true })]);
    for (let i = 0; i < rest.length; i += 2) {
      const pair = rest.slice(i, i + 2);
      const answers = await Promise.all(pair.map(({ body }) => runCli('revoke', ['--raw', body], env)));
      pair.forEach(({ fixture }, j) => results.push([fixture.id, answers[j]!]));
    }
    const after = await decisions();

    // Assess
    for (const [id, result] of results) {
      expect(result.code, `${id}: ${result.stderr}`).toBe(0);
      expect(result.stdout, id).toContain('published 1 message to the local stack');
    }
    expect(existsSync(join(dataDir, 'dead-letter.jsonl'))).toBe(false);
    expect(after).toEqual(expectedDecisions());
  }, 120_000);

  it('forwards entity_id in the authorizer context of an allowed WSO2 token, sub still as sub', async () => {
    const { token } = prepared
      .find(({ fixture }) => fixture.id === 'user-revocation')!
      .tokens.find(({ tokenCase }) => tokenCase.expect === 'allow')!;
    const response = await fetch(`${stack.url}/orders/42`, { headers: { authorization: `Bearer ${token}` } });
    const body = (await response.json()) as { authorizer: Record<string, string> };
    expect(body.authorizer).toMatchObject({ sub: expect.any(String), entity_id: expect.any(String), client_id: expect.any(String) });
  });

  it('acknowledges a Default event published straight to the SNS endpoint, and keeps every decision once the notifier’s ttl has passed', async () => {
    // Prepare
    const sns = new SNSClient({
      region: 'us-east-1',
      endpoint: `${stack.url}/_local/sns`,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 1,
    });
    const opaque = prepared.find(({ fixture }) => fixture.disposition === 'not-applicable')!;

    // Act
    const answer = await sns.send(new PublishCommand({ TopicArn: TOPIC_ARN, Message: opaque.body }));
    sns.destroy();
    const waitMs = firstPublishedAtMs + NOTIFIER_TTL_MS + 1000 - Date.now();
    if (waitMs > 0) await new Promise((done) => setTimeout(done, waitMs));
    const later = await decisions();

    // Assess
    expect(answer.MessageId).toEqual(expect.any(String));
    expect(existsSync(join(dataDir, 'dead-letter.jsonl'))).toBe(false);
    expect(later).toEqual(expectedDecisions());
  });
});

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetItemCommand, ScanCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REVOCATION_TABLE_SCHEMA } from '../../lambda/contract/index.js';
import { headKey, isHeadKey, revocationKey, RevocationStore, storedId } from '../../lambda/revocation/index.js';
import { createRevocationTable } from '../../local/table-admin.js';
import {
  APP,
  appRevocationInner,
  CONFIGURED_TTL,
  jsonOutputMapperBody,
  subjectRevocationInner,
  SUPER_TENANT_ID,
  USER,
} from '../fixtures/wso2/bodies.js';
import { startDynalite, type LocalDynamo } from '../support/dynalite.js';
import { TestIssuer } from '../support/issuer.js';

let dynamo: LocalDynamo;
let issuer: TestIssuer;
let directory: string;
let tables = 0;

beforeAll(async () => {
  [dynamo, issuer] = await Promise.all([startDynalite(), TestIssuer.start({ algorithms: ['RS256'] })]);
  directory = await mkdtemp(join(tmpdir(), 'table-import-'));
});
afterAll(async () => {
  await Promise.all([dynamo.stop(), issuer.stop(), rm(directory, { recursive: true, force: true })]);
});

async function newTable(): Promise<string> {
  const name = `import-${++tables}`;
  await createRevocationTable(dynamo.client, name);
  return name;
}

async function file(name: string, content: string): Promise<string> {
  const path = join(directory, name);
  await writeFile(path, content);
  return path;
}

/** `npm run table:import -- ARGS` with nothing but PATH and the given variables, as a user types it; `kill` ends it at once. */
function startImport(
  args: string[],
  env: Record<string, string>,
  stdin = '',
): { done: Promise<{ code: number | null; stdout: string; output: string }>; kill: () => void } {
  // Its own process group, so a kill reaches the node process under npm and tsx.
  const child = spawn('npm', ['run', '--silent', 'table:import', '--', ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
    detached: true,
  });
  let stdout = '';
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    output += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stdin.end(stdin);
  const done = new Promise<{ code: number | null; stdout: string; output: string }>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, output }));
  });
  return { done, kill: () => process.kill(-child.pid!, 'SIGKILL') };
}

function tableImport(args: string[], env: Record<string, string>, stdin = '') {
  return startImport(args, env, stdin).done;
}

async function items(table: string): Promise<Record<string, AttributeValue>[]> {
  const found: Record<string, AttributeValue>[] = [];
  let startKey: Record<string, AttributeValue> | undefined;
  do {
    const page = await dynamo.client.send(new ScanCommand({ TableName: table, ConsistentRead: true, ExclusiveStartKey: startKey }));
    found.push(...(page.Items ?? []));
    startKey = page.LastEvaluatedKey;
  } while (startKey !== undefined);
  return found.filter((item) => !isHeadKey(item.pk!.S!));
}

async function item(table: string, pk: string): Promise<Record<string, AttributeValue> | undefined> {
  const { Item } = await dynamo.client.send(new GetItemCommand({ TableName: table, Key: { pk: { S: pk } }, ConsistentRead: true }));
  return Item;
}

const ISS = 'https://revocations.example.com/';

describe('npm run table:import', () => {
  it('writes jti lines, JWTs and our messages into the table at AWS_ENDPOINT_URL_DYNAMODB, raises the change head, and says how fast', async () => {
    // Prepare
    const table = await newTable();
    const expSeconds = Math.floor(Date.now() / 1000) + 3600;
    const token = await issuer.token({ jti: 'from-a-jwt', exp: expSeconds });
    const path = await file(
      'mixed.txt',
      [
        '# revoked in the old system',
        'plain-jti',
        token,
        JSON.stringify({ type: 'subject', sub: 'alice', iss: ISS, revokedAt: Date.now() - 60_000 }),
        JSON.stringify({
          revocations: [
            { type: 'client', clientId: 'app-1' },
            { type: 'jti', jti: 'batched', exp: expSeconds },
          ],
        }),
        '',
      ].join('\n'),
    );
    const beforeMs = Date.now();

    // Act
    const run = await tableImport(['--file', path, '--iss', ISS], {
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
      REVOCATION_TABLE_NAME: table,
    });

    // Assess
    expect(run.code, run.output).toBe(0);
    expect(run.stdout).toMatch(
      new RegExp(
        `^imported 5 revocations from ${path} into ${table} at ${dynamo.endpoint} in [\\d.]+ s \\([\\d,]+/s\\): 5 applied, 0 unchanged`,
      ),
    );
    expect((await items(table)).map((stored) => stored.pk!.S).sort()).toEqual(
      [
        revocationKey('jti', ISS, 'plain-jti'),
        revocationKey('jti', issuer.issuer, 'from-a-jwt'),
        revocationKey('subject', ISS, 'alice'),
        // A message naming no issuer takes --iss, as it would the SNS attribute `issuer`.
        revocationKey('client', ISS, 'app-1'),
        revocationKey('jti', ISS, 'batched'),
      ].sort(),
    );
    expect(Number((await item(table, revocationKey('jti', issuer.issuer, 'from-a-jwt')))?.expiresAt?.N)).toBe(expSeconds + 60);
    expect(Number((await item(table, headKey(REVOCATION_TABLE_SCHEMA.head.replicas - 1)))?.headAt?.N)).toBeGreaterThanOrEqual(beforeMs);
    expect(run.output).not.toContain('NodeVersionSupportWarning');
    expect(existsSync(`${path}.import-checkpoint.json`)).toBe(false);
  });

  it('never lowers a cut-off nor shortens an expiry already in the table, and a rerun changes nothing', async () => {
    // Prepare: the table already holds a later cut-off and a longer expiry than the file.
    const table = await newTable();
    const store = new RevocationStore(dynamo.client, table);
    const laterMs = Date.now() - 1000;
    const longerExp = Math.floor(Date.now() / 1000) + 7200;
    await store.applyRevocations([
      { kind: 'subject', issuer: ISS, id: 'bob', revokedAtEpochMs: laterMs, expiresAtEpochSeconds: Math.ceil(laterMs / 1000) + 86_460 },
      { kind: 'jti', issuer: ISS, jti: 'long-lived', expiresAtEpochSeconds: longerExp + 60 },
    ]);
    const path = await file(
      'older.txt',
      [
        JSON.stringify({ type: 'subject', sub: 'bob', iss: ISS, revokedAt: laterMs - 3_600_000 }),
        JSON.stringify({ type: 'jti', jti: 'long-lived', iss: ISS, exp: longerExp - 3600 }),
        JSON.stringify({ type: 'jti', jti: 'new-one', iss: ISS, exp: longerExp }),
      ].join('\n'),
    );
    const env = { AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint, REVOCATION_TABLE_NAME: table };

    // Act
    const first = await tableImport(['--file', path], env);
    const second = await tableImport(['--file', path, '--quiet'], env);

    // Assess
    expect(first.stdout).toContain('1 applied, 2 unchanged');
    expect(second.stdout).toContain('0 applied, 3 unchanged');
    expect((await item(table, revocationKey('subject', ISS, 'bob')))?.revokedAt).toEqual({ N: String(laterMs) });
    expect((await item(table, revocationKey('jti', ISS, 'long-lived')))?.expiresAt).toEqual({ N: String(longerExp + 60) });
  });

  it('refuses a file with an invalid item, naming it, and writes nothing', async () => {
    const table = await newTable();
    const path = await file(
      'invalid.txt',
      ['good-jti', JSON.stringify({ type: 'subject', sub: 'carol', revokedAt: 1_700_000_000 }), 'another'].join('\n'),
    );

    const run = await tableImport(['--file', path], { AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint, REVOCATION_TABLE_NAME: table });

    expect(run.code).toBe(2);
    expect(run.output).toMatch(/table:import: .*invalid\.txt: 1 invalid item\(s\), nothing written:\n {2}line 2: /);
    expect(await items(table)).toEqual([]);
  });

  it.each([
    [['--file'], /--file/],
    [['--file', 'x', '--concurrency', '0'], /--concurrency must be a whole number from 1 to 1000, got "0"/],
    [['--file', '-', '--resume'], /--resume and --checkpoint need a file/],
    [['--file', 'x', '--bogus'], /Unknown option '--bogus'/],
  ])('exits 2 for the usage error in %j', async (args, message) => {
    const run = await tableImport(args, { AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint });

    expect(run.code).toBe(2);
    expect(run.output).toMatch(message);
  });

  it('imports a WSO2 export, one body per line as API-M publishes them, as the ingest would apply them', async () => {
    // Prepare: the bodies WSO2 API-M 4.x puts on its tokenRevocation topic, built by the fixtures'
    // builders from carbon-apimgt's source (test/fixtures/wso2/bodies.ts cites the files and lines:
    // TokenRevocationNotifierImpl for the envelope and the base64 inner events, the JSON output
    // mapper for the bytes), at times around now so their TTLs have not passed.
    const table = await newTable();
    const nowMs = Date.now();
    const revokedAtMs = nowMs - 30_000;
    const jtiExpiryMs = BigInt(nowMs + 3_600_000);
    const envelope = (type: string, revokedToken: string, expiryTime: bigint, eventId: string) =>
      jsonOutputMapperBody({ eventId, revokedToken, ttl: CONFIGURED_TTL, expiryTime, type, tenantId: SUPER_TENANT_ID });
    const lines = [
      envelope('consumer_app_revocation_event', appRevocationInner(APP, revokedAtMs).base64, 0n, '5d0c8f2e-3b1a-4c6d-8e9f-0a1b2c3d4e5f'),
      envelope(
        'subject_entity_revocation_event',
        subjectRevocationInner(USER, 'USER_ID', revokedAtMs).base64,
        0n,
        '6e1d9f3a-4c2b-4d7e-9fa0-1b2c3d4e5f60',
      ),
      envelope('JWT', 'c1f2a3b4-d5e6-4f70-8192-a3b4c5d6e7f8', jtiExpiryMs, '7f2e0a4b-5d3c-4e8f-a0b1-2c3d4e5f6071'),
      // An opaque token's revocation: acknowledged, nothing a JWT can match, nothing written.
      envelope('Default', '4f8c1d2e-9a3b-3c5d-8e7f-6a5b4c3d2e1f', jtiExpiryMs, '809f1b5c-6e4d-4f90-b1c2-3d4e5f607182'),
      // API-M 3.x's JMS map rendered as JSON by a bridge.
      JSON.stringify({ revokedToken: 'd2e3f4a5-b6c7-4d8e-9fa0-b1c2d3e4f5a6', ttl: CONFIGURED_TTL, expiryTime: String(jtiExpiryMs) }),
    ];
    const path = await file('wso2-export.jsonl', `${lines.join('\n')}\n`);
    const KEY_MANAGER = 'https://km.example.com/oauth2/token';

    // Act
    const run = await tableImport(['--file', path, '--iss', KEY_MANAGER], {
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
      REVOCATION_TABLE_NAME: table,
    });

    // Assess
    expect(run.code, run.output).toBe(0);
    expect(run.stdout).toContain('imported 4 revocations');
    expect(run.stdout).toContain('1 message(s) not applicable');
    expect((await item(table, revocationKey('client', KEY_MANAGER, storedId(APP))))?.revokedAt).toEqual({ N: String(revokedAtMs) });
    expect((await item(table, revocationKey('subject', KEY_MANAGER, storedId(USER))))?.revokedAt).toEqual({ N: String(revokedAtMs) });
    const jti = await item(table, revocationKey('jti', KEY_MANAGER, 'c1f2a3b4-d5e6-4f70-8192-a3b4c5d6e7f8'));
    // expiryTime rounds up to whole seconds (lambda/messages/wso2-events.ts): never a shorter revocation.
    expect(Number(jti?.expiresAt?.N)).toBe(Math.ceil(Number(jtiExpiryMs) / 1000) + 60);
    expect(await item(table, revocationKey('jti', KEY_MANAGER, 'd2e3f4a5-b6c7-4d8e-9fa0-b1c2d3e4f5a6'))).toBeDefined();
    expect(await items(table)).toHaveLength(4);
  });

  it('reads standard input with --file -', async () => {
    const table = await newTable();

    const run = await tableImport(
      ['--file', '-', '--quiet'],
      { AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint, REVOCATION_TABLE_NAME: table },
      'piped-1\npiped-2\n',
    );

    expect(run.code, run.output).toBe(0);
    expect(run.output).toBe(run.stdout);
    expect(await items(table)).toHaveLength(2);
  });

  it('continues an interrupted import from its checkpoint with --resume, skipping what was done', async () => {
    // Prepare: 5,000 jtis; the first run is killed once its first checkpoint is on disk, as a crash
    // or a lost terminal would end it (most likely mid-chunk).
    const table = await newTable();
    const path = await file('bulk.txt', `${Array.from({ length: 5000 }, (_, i) => `bulk-${i}`).join('\n')}\n`);
    const checkpoint = `${path}.import-checkpoint.json`;
    const env = { AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint, REVOCATION_TABLE_NAME: table };
    const interrupted = startImport(['--file', path], env);
    while (!existsSync(checkpoint)) await new Promise((resolve) => setTimeout(resolve, 20));
    interrupted.kill();
    await interrupted.done;
    const recorded = JSON.parse(await readFile(checkpoint, 'utf8')) as { itemsDone: number; revocationsDone: number };

    // Act
    const resumed = await tableImport(['--file', path, '--resume'], env);

    // Assess: the resumed run wrote only what the checkpoint did not name.
    expect(recorded.revocationsDone).toBeGreaterThan(0);
    expect(resumed.code, resumed.output).toBe(0);
    expect(resumed.output).toContain(`table:import: resuming after ${recorded.revocationsDone.toLocaleString('en-US')} revocations`);
    expect(resumed.stdout).toContain(`imported ${(5000 - recorded.revocationsDone).toLocaleString('en-US')} revocations`);
    expect(await items(table)).toHaveLength(5000);
    expect(existsSync(checkpoint)).toBe(false);
  }, 60_000);

  it('refuses to resume from a checkpoint of other content, and writes nothing', async () => {
    const table = await newTable();
    const path = await file('changed.txt', 'one\ntwo\n');
    await writeFile(
      `${path}.import-checkpoint.json`,
      JSON.stringify({ version: 1, sha256: 'f'.repeat(64), table, itemsDone: 1, revocationsDone: 1 }),
    );

    const run = await tableImport(['--file', path, '--resume'], {
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
      REVOCATION_TABLE_NAME: table,
    });

    expect(run.code).toBe(2);
    expect(run.output).toMatch(/records an import of other content or into another table/);
    expect(await items(table)).toEqual([]);
  });

  it('writes a progress line when it starts (and every few seconds) when not on a terminal, and none with --quiet', async () => {
    const table = await newTable();
    const path = await file('progress.txt', 'p-1\np-2\np-3\n');
    const env = { AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint, REVOCATION_TABLE_NAME: table };

    const loud = await tableImport(['--file', path], env);
    const quiet = await tableImport(['--file', path, '-q'], env);

    expect(loud.output).toContain(`table:import: writing 3 revocations into ${table} at ${dynamo.endpoint}`);
    expect(quiet.output).toBe(quiet.stdout);
  });
});

import { spawn } from 'node:child_process';
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REVOCATION_TABLE_SCHEMA } from '../../lambda/contract/index.js';
import { startDynalite, type LocalDynamo } from '../support/dynalite.js';

let dynamo: LocalDynamo;
beforeAll(async () => {
  dynamo = await startDynalite();
});
afterAll(() => dynamo.stop());

/** `npm run table:create` with nothing but PATH and the given variables, as a user types it. */
function tableCreate(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['run', '--silent', 'table:create'], { env: { PATH: process.env.PATH ?? '', ...env } });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, output }));
  });
}

describe('npm run table:create', () => {
  it('creates the table at AWS_ENDPOINT_URL_DYNAMODB with no other variable, and is idempotent', async () => {
    const env = { AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint };

    const first = await tableCreate(env);
    const second = await tableCreate(env);

    expect(first.code, first.output).toBe(0);
    expect(first.output).toContain(`created table revocations at ${dynamo.endpoint}`);
    expect(second.code, second.output).toBe(0);
    expect(second.output).toContain('already exists: table revocations');
    expect(first.output + second.output).not.toContain('NodeVersionSupportWarning');
    const { Table } = await dynamo.client.send(new DescribeTableCommand({ TableName: 'revocations' }));
    expect(Table?.GlobalSecondaryIndexes?.map((index) => index.IndexName)).toEqual([REVOCATION_TABLE_SCHEMA.changesIndex.name]);
  });

  it('creates the table named by REVOCATION_TABLE_NAME', async () => {
    const created = await tableCreate({ AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint, REVOCATION_TABLE_NAME: 'tenant-a-revocations' });

    expect(created.code, created.output).toBe(0);
    const { Table } = await dynamo.client.send(new DescribeTableCommand({ TableName: 'tenant-a-revocations' }));
    expect(Table?.TableStatus).toBe('ACTIVE');
  });

  it('exits 1 with a message naming the endpoint when nothing answers there', async () => {
    const failed = await tableCreate({ AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:9' });

    expect(failed.code).toBe(1);
    expect(failed.output).toContain('could not create table revocations at http://127.0.0.1:9');
  });
});

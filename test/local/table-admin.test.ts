import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DescribeTableCommand, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { REVOCATION_TABLE_SCHEMA } from '../../lambda/contract/index.js';
import { ANY_ISSUER, revocationId, revocationKey, RevocationStore, type Revocation } from '../../lambda/revocation/index.js';
import { createRevocationTable, importRevocations } from '../../local/table-admin.js';
import { startDynalite, type LocalDynamo } from '../support/dynalite.js';

const ISS = 'https://issuer.example.com/tenant#1';
const NOW_MS = 1_800_000_000_000;
const NOW = NOW_MS / 1000;

let dynamo: LocalDynamo;

beforeAll(async () => {
  dynamo = await startDynalite();
});
afterAll(() => dynamo.stop());

async function rawItem(tableName: string, revocation: Revocation) {
  const response = await dynamo.client.send(
    new GetItemCommand({
      TableName: tableName,
      Key: { pk: { S: revocationKey(revocation.kind, revocation.issuer, revocationId(revocation)) } },
      ConsistentRead: true,
    }),
  );
  return response.Item;
}

describe('createRevocationTable', () => {
  it('creates the table with its change index, and a second call finds it in place', async () => {
    const first = await createRevocationTable(dynamo.client, 'created-twice');
    const second = await createRevocationTable(dynamo.client, 'created-twice');

    expect(first).toEqual({ created: true, timeToLive: 'unsupported' });
    expect(second.created).toBe(false);
    const { Table } = await dynamo.client.send(new DescribeTableCommand({ TableName: 'created-twice' }));
    expect(Table?.TableStatus).toBe('ACTIVE');
    expect(Table?.KeySchema).toEqual([{ AttributeName: 'pk', KeyType: 'HASH' }]);
    expect(Table?.GlobalSecondaryIndexes?.[0]).toMatchObject({
      IndexName: REVOCATION_TABLE_SCHEMA.changesIndex.name,
      KeySchema: [
        { AttributeName: 'shard', KeyType: 'HASH' },
        { AttributeName: 'updatedAt', KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'ALL' },
    });
  });
});

describe('importRevocations', () => {
  it('bulk-writes items exactly as the conditional writes leave them', async () => {
    await createRevocationTable(dynamo.client, 'written');
    await createRevocationTable(dynamo.client, 'imported');
    const revocations: Revocation[] = [
      { kind: 'jti', issuer: ISS, jti: 'token-1', expiresAtEpochSeconds: NOW + 3600 },
      { kind: 'subject', issuer: ISS, id: 'alice', revokedAtEpochMs: NOW_MS, expiresAtEpochSeconds: NOW + 86_460 },
      { kind: 'client', issuer: ANY_ISSUER, id: 'app', revokedAtEpochMs: NOW_MS, expiresAtEpochSeconds: NOW + 86_460 },
    ];

    await new RevocationStore(dynamo.client, 'written').applyRevocations(revocations, { nowMs: NOW_MS });
    const count = await importRevocations(dynamo.client, 'imported', revocations, { nowMs: NOW_MS });

    expect(count).toBe(3);
    for (const revocation of revocations) {
      expect(await rawItem('imported', revocation)).toEqual(await rawItem('written', revocation));
    }
  });

  it('refuses a revocation the table cannot hold before writing anything', async () => {
    await createRevocationTable(dynamo.client, 'import-refused');
    const fine: Revocation = { kind: 'jti', issuer: ISS, jti: 'fine', expiresAtEpochSeconds: NOW + 3600 };
    const milliseconds: Revocation = { kind: 'jti', issuer: ISS, jti: 'ms', expiresAtEpochSeconds: NOW_MS };

    const error = await importRevocations(dynamo.client, 'import-refused', [fine, milliseconds]).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(RangeError);
    expect(await rawItem('import-refused', fine)).toBeUndefined();
  });
});

/**
 * `npm run table:create`: creates the revocation table (schema: lambda/contract/table-schema.ts) at
 * AWS_ENDPOINT_URL_DYNAMODB, or in the account and region of the standard AWS variables when it
 * is unset. Idempotent. Reads REVOCATION_TABLE_NAME (default `revocations`). Against a local
 * endpoint, region and credentials default to us-east-1 and dummy keys.
 */
import './quiet-node-warning.js';
import { describeError } from '../lambda/shared/index.js';
import { cliTable } from './dynamo-cli-client.js';
import { createRevocationTable } from './table-admin.js';

const { client, tableName, endpoint } = cliTable(process.env);

try {
  const result = await createRevocationTable(client, tableName);
  const ttl = {
    enabled: 'TTL enabled on expiresAt',
    'already-enabled': 'TTL already enabled on expiresAt',
    unsupported: 'TTL not supported by this endpoint (readers filter expired items themselves)',
  }[result.timeToLive];
  console.log(`${result.created ? 'created' : 'already exists:'} table ${tableName} at ${endpoint}; ${ttl}`);
} catch (error) {
  console.error(`could not create table ${tableName} at ${endpoint}: ${describeError(error)}`);
  process.exitCode = 1;
}

/**
 * `npm run table:create`: creates the revocation table (schema: lambda/contract/table-schema.ts) at
 * AWS_ENDPOINT_URL_DYNAMODB, or in the account and region of the standard AWS variables when it
 * is unset. Idempotent. Reads REVOCATION_TABLE_NAME (default `revocations`). Against a local
 * endpoint, region and credentials default to us-east-1 and dummy keys.
 */
import './quiet-node-warning.js';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EnvReader } from '../lambda/config/index.js';
import { describeError } from '../lambda/shared/index.js';
import { createRevocationTable } from './table-admin.js';

const read = new EnvReader(process.env);
const tableName = read.string('REVOCATION_TABLE_NAME', 'revocations');
const localEndpoint = read.optional('AWS_ENDPOINT_URL_DYNAMODB');
const endpoint = localEndpoint ?? '(default AWS endpoint)';
// Against a local endpoint (dynalite, the local stack) a region and credentials mean nothing, so
// the command works with AWS_ENDPOINT_URL_DYNAMODB alone; whatever the environment gives wins.
const localDefaults =
  localEndpoint === undefined
    ? {}
    : {
        ...((read.optional('AWS_REGION') ?? read.optional('AWS_DEFAULT_REGION')) ? {} : { region: 'us-east-1' }),
        ...((read.optional('AWS_ACCESS_KEY_ID') ?? read.optional('AWS_PROFILE'))
          ? {}
          : { credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }),
      };

try {
  // The SDK reads AWS_ENDPOINT_URL_DYNAMODB, AWS_REGION and credentials from the environment.
  const result = await createRevocationTable(new DynamoDBClient(localDefaults), tableName);
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

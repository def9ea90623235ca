import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EnvReader, type Environment } from '../lambda/config/index.js';
import { DEFAULTS } from '../lambda/contract/index.js';

/** The table a table CLI works on, and how to reach it. */
export interface CliTable {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  /** AWS_ENDPOINT_URL_DYNAMODB, or a description of the default AWS endpoint, for messages. */
  readonly endpoint: string;
}

/**
 * The DynamoDB client of `npm run table:create` and `npm run table:import`: the table named by
 * REVOCATION_TABLE_NAME at AWS_ENDPOINT_URL_DYNAMODB, or in the account and region of the standard
 * AWS variables when that is unset. Against a local endpoint (dynalite, the local stack) a region
 * and credentials mean nothing, so the commands work with AWS_ENDPOINT_URL_DYNAMODB alone; whatever
 * the environment gives wins.
 */
export function cliTable(env: Environment, options: { maxAttempts?: number; requestTimeoutMs?: number } = {}): CliTable {
  const read = new EnvReader(env);
  const tableName = read.string('REVOCATION_TABLE_NAME', DEFAULTS.tableName);
  const localEndpoint = read.optional('AWS_ENDPOINT_URL_DYNAMODB');
  const localDefaults =
    localEndpoint === undefined
      ? {}
      : {
          ...((read.optional('AWS_REGION') ?? read.optional('AWS_DEFAULT_REGION')) ? {} : { region: 'us-east-1' }),
          ...((read.optional('AWS_ACCESS_KEY_ID') ?? read.optional('AWS_PROFILE'))
            ? {}
            : { credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }),
        };
  // The SDK reads AWS_ENDPOINT_URL_DYNAMODB, AWS_REGION and credentials from the environment.
  const client = new DynamoDBClient({
    ...localDefaults,
    ...(options.maxAttempts === undefined ? {} : { maxAttempts: options.maxAttempts }),
    ...(options.requestTimeoutMs === undefined
      ? {}
      : { requestHandler: { connectionTimeout: 1000, requestTimeout: options.requestTimeoutMs, throwOnRequestTimeout: true } }),
  });
  return { client, tableName, endpoint: localEndpoint ?? '(default AWS endpoint)' };
}

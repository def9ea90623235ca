import type { Server } from 'node:http';
import { mkdir } from 'node:fs/promises';
import dynalite from 'dynalite';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { describeError } from '../lambda/shared/index.js';
import { createRevocationTable, type CreateTableResult } from './table-admin.js';
import { closeServer, listen } from './listen.js';

export interface DynamoServerOptions {
  readonly host: string;
  readonly port: number;
  /** LevelDB directory: the table survives restarts. */
  readonly path: string;
  readonly region: string;
  readonly tableName: string;
}

export interface DynamoServer {
  readonly endpoint: string;
  readonly port: number;
  readonly table: CreateTableResult;
  /** Finishes pending writes and closes the LevelDB store. */
  stop(): Promise<void>;
}

/**
 * dynalite (a DynamoDB implementation on LevelDB) on disk, with the revocation table created if
 * missing, through the same createRevocationTable as `npm run table:create`.
 */
export async function startDynamoServer(options: DynamoServerOptions): Promise<DynamoServer> {
  await mkdir(options.path, { recursive: true });
  const server = newDynalite(options.path);
  const port = await listen(server, options.port, options.host, 'DYNAMODB_PORT');
  const endpoint = `http://${urlHost(options.host)}:${port}`;
  const client = localDynamoClient(endpoint, options.region);
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    client.destroy();
    // dynalite's close waits for pending writes, then closes LevelDB.
    await closeServer(server, 5000);
  };
  try {
    const table = await createRevocationTable(client, options.tableName, { maxWaitSeconds: 10 });
    return { endpoint, port, table, stop };
  } catch (error) {
    await stop().catch(() => {});
    const detail = describeError(error);
    throw new Error(`cannot open the DynamoDB data in ${options.path} (${detail}); is another local stack using this DATA_DIR?`, {
      cause: error,
    });
  }
}

/** A dynalite server, not yet listening: on LevelDB at `path`, in memory without one. */
export function newDynalite(path: string | undefined): Server {
  // createTableMs 0: the table is ACTIVE at once instead of CREATING for half a second.
  return dynalite({ path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 }) as Server;
}

/** A client for a local dynalite: dummy credentials, and no retries to hide its failures. */
export function localDynamoClient(endpoint: string, region: string): DynamoDBClient {
  return new DynamoDBClient({ region, endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 1 });
}

/** An address as it goes in a URL: IPv6 in brackets, the wildcard as loopback. */
export function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

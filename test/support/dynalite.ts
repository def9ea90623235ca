import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { localDynamoClient, newDynalite } from '../../local/dynamo-server.js';

/** A dynalite server started by a test, on a free loopback port, in memory unless `path` is given. */
export interface LocalDynamo {
  readonly port: number;
  readonly endpoint: string;
  /** A client pointed at this server with dummy credentials. */
  readonly client: DynamoDBClient;
  /** Environment that makes code under test use this server. */
  readonly env: Record<string, string>;
  /** Stops accepting requests; `start()` brings it back on the same port and data. */
  stop(): Promise<void>;
  start(): Promise<void>;
}

export async function startDynalite(options: { path?: string } = {}): Promise<LocalDynamo> {
  const create = (): Server => newDynalite(options.path);
  let server = create();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const endpoint = `http://127.0.0.1:${port}`;
  const env = {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_ENDPOINT_URL_DYNAMODB: endpoint,
  };
  const client = localDynamoClient(endpoint, env.AWS_REGION);
  let running = true;
  return {
    port,
    endpoint,
    client,
    env,
    async stop() {
      if (!running) return;
      running = false;
      server.closeAllConnections?.();
      // Drop the client's keep-alive sockets too: the first request after a restart would
      // otherwise go to a dead socket and fail with "socket hang up". The client stays usable.
      client.destroy();
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
    async start() {
      if (running) return;
      // A stopped dynalite cannot listen again; a new instance over the same LevelDB path (or a
      // fresh in-memory one) takes its port.
      server = create();
      await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
      running = true;
    },
  };
}

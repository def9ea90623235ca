import { Agent } from 'node:http';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { LocalDynamo } from './dynalite.js';

/**
 * What cannot run against dynalite: throttling and counting requests. Each helper works on a
 * client of its own pointed at the real dynalite, so the requests that do go through are real.
 */
export interface ObservedClient {
  readonly client: DynamoDBClient;
  /** Requests sent per command name (e.g. `UpdateItemCommand`), including failed ones. */
  readonly sent: Map<string, number>;
  /** The most requests that were in flight at once. */
  readonly maxInFlight: number;
  /** Requests sent in total. */
  readonly total: number;
  /** Makes the next `count` requests of `commandName` fail with `error()` before reaching dynalite. */
  failNext(commandName: string, count: number, error: () => Error): void;
}

export function observedClient(dynamo: LocalDynamo): ObservedClient {
  const client = new DynamoDBClient({
    region: dynamo.env.AWS_REGION,
    endpoint: dynamo.endpoint,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
    // A connection per request: after dynalite stops, requests fail at once with ECONNREFUSED,
    // and after it restarts none goes to a dead keep-alive socket.
    requestHandler: { httpAgent: new Agent({ keepAlive: false }) },
  });
  const sent = new Map<string, number>();
  const failures = new Map<string, { count: number; error: () => Error }>();
  let inFlight = 0;
  let maxInFlight = 0;
  let total = 0;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const name = context.commandName ?? 'unknown';
      sent.set(name, (sent.get(name) ?? 0) + 1);
      total++;
      const failure = failures.get(name);
      if (failure !== undefined && failure.count > 0) {
        failure.count--;
        throw failure.error();
      }
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      try {
        return await next(args);
      } finally {
        inFlight--;
      }
    },
    { step: 'initialize', name: 'testObserver' },
  );
  return {
    client,
    sent,
    get maxInFlight() {
      return maxInFlight;
    },
    get total() {
      return total;
    },
    failNext(commandName, count, error) {
      failures.set(commandName, { count, error });
    },
  };
}

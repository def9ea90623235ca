import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { FeedStore, FeedWriter } from '../lambda/feed/index.js';
import { RevocationStore } from '../lambda/revocation/index.js';
import type { Log } from '../lambda/shared/index.js';

/** The change-feed writer the local stack runs in its own process (LOCAL_CHANGE_FEED=1). */
export interface LocalChangeFeed {
  /** Ends the loop after the step in flight, and resolves once it has. */
  stop(): Promise<void>;
}

/**
 * Runs the feed writer against the stack's table until stopped, stepping every `intervalMs`, as
 * the feed function does on AWS; a failed step is written to `output` and the next one tries again.
 */
export function startChangeFeed(options: {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  readonly overlapMs: number;
  readonly intervalMs: number;
  readonly output: (line: string) => void;
}): LocalChangeFeed {
  const write = (level: string) => (message: string, extra?: Record<string, unknown>) =>
    options.output(`change feed ${level}: ${message}${extra === undefined ? '' : ` ${JSON.stringify(extra)}`}`);
  const log: Log = { debug() {}, info() {}, warn: write('warning'), error: write('error') };
  const writer = new FeedWriter(new RevocationStore(options.client, options.tableName), new FeedStore(options.client, options.tableName), {
    overlapMs: options.overlapMs,
    intervalMs: options.intervalMs,
    log,
  });
  const controller = new AbortController();
  const running = writer.run(Number.POSITIVE_INFINITY, { signal: controller.signal });
  return {
    async stop() {
      controller.abort();
      await running;
    },
  };
}

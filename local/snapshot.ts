/**
 * `npm run snapshot -- [--out URI]`: writes a revocation snapshot (docs/scale.md, "Cold start and snapshots")
 * the way the scheduled snapshot function does: the previous snapshot at URI plus its delta, or a
 * Scan of the table. Table: AWS_ENDPOINT_URL_DYNAMODB, else the running local stack's, else
 * DATA_DIR's on disk, else AWS. URI: `--out`, default the local stack's
 * `file://DATA_DIR/revocations.snapshot` (required against AWS: `s3://BUCKET/KEY`).
 * Exit status: 0 written, 1 failed, 2 usage or configuration error.
 */
import './quiet-node-warning.js';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { loadSnapshotWriterConfig } from '../lambda/config/index.js';
import { RevocationStore } from '../lambda/revocation/index.js';
import { ConfigurationError, describeError } from '../lambda/shared/index.js';
import { openSnapshotStore, SNAPSHOT_URI_SHAPE, SnapshotWriter } from '../lambda/snapshot/index.js';
import { localDynamoClient, newDynalite } from './dynamo-server.js';
import { resolveSnapshotTarget } from './snapshot-target.js';

const USAGE = `Usage: npm run snapshot -- [--out URI] [--quiet]
Writes a revocation snapshot: the previous one at URI plus what changed since, or a Scan of the table.
  --out URI    where to write: ${SNAPSHOT_URI_SHAPE}
               (default: the local stack's file, file://DATA_DIR/revocations.snapshot)
  -q, --quiet  print nothing but errors
Table: AWS_ENDPOINT_URL_DYNAMODB, else the local stack running on DATA_DIR, else DATA_DIR's data
on disk, else AWS (REVOCATION_TABLE_NAME, default revocations).`;

async function main(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        out: { type: 'string' },
        quiet: { type: 'boolean', short: 'q', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (error) {
    const problem = error instanceof Error ? error.message.replace(/\. To specify .*$/s, '') : String(error);
    console.error(`snapshot: ${problem} (npm run snapshot -- --help for the usage)`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const target = resolveSnapshotTarget(process.env);
  const out = values.out ?? target.defaultOut;
  if (out === undefined) {
    console.error('snapshot: --out s3://BUCKET/KEY is required when the table is on AWS (no local stack, no AWS_ENDPOINT_URL_DYNAMODB)');
    return 2;
  }
  let config;
  try {
    config = loadSnapshotWriterConfig({ ...process.env, REVOCATION_SNAPSHOT_URI: out });
  } catch (error) {
    if (!(error instanceof ConfigurationError)) throw error;
    const problems = error.problems.map((problem) => problem.replace(/^REVOCATION_SNAPSHOT_URI/, '--out'));
    console.error(`snapshot: nothing written; fix these first:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    return 2;
  }

  const region = process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1';
  let client: DynamoDBClient;
  let stopDynalite = async () => {};
  if (target.table.kind === 'aws') client = new DynamoDBClient({});
  else if (target.table.kind === 'endpoint') client = localDynamoClient(target.table.endpoint, region);
  else {
    // No stack runs on DATA_DIR: open its table directly (LevelDB allows one process at a time).
    const server = newDynalite(target.table.path);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    client = localDynamoClient(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, region);
    stopDynalite = () => new Promise((resolve) => server.close(() => resolve()));
  }
  const where = target.table.kind === 'aws' ? 'AWS' : target.table.kind === 'data' ? target.table.path : target.table.endpoint;
  try {
    const writer = new SnapshotWriter({
      reader: new RevocationStore(client, config.revocation.tableName),
      settings: config.revocation,
      rules: config.rules,
      store: openSnapshotStore(out),
      rescanIntervalMs: config.rescanIntervalMs,
    });
    const report = await writer.write();
    if (!values.quiet) {
      const from = report.source === 'scan' ? `a Scan of ${config.revocation.tableName}` : `the previous snapshot and the changes since`;
      console.log(
        `wrote a snapshot of ${report.entries.toLocaleString('en-US')} revocations (${(report.bytes / 1024).toFixed(1)} KiB, sha256 ${report.sha256.slice(0, 16)}…) to ${report.uri} in ${report.durationMs} ms, from ${from} (table at ${where})`,
      );
    }
    return 0;
  } catch (error) {
    console.error(`snapshot: could not write ${out} from table ${config.revocation.tableName} at ${where}: ${describeError(error)}`);
    return 1;
  } finally {
    client.destroy();
    await stopDynalite();
  }
}

process.exitCode = await main(process.argv.slice(2));

/**
 * Child process: a stand-in for DynamoDB that answers only what an authorizer's cold start asks,
 * for a table named `anything-N` holding N live jti revocations generated on the fly: the parallel Scan (each
 * segment its share, in pages of at most 1 MB as DynamoDB pages them, projected to what the
 * request names) and the change-index Query of the delta sync (nothing changed). It lets the
 * bench load a million revocations through the real SDK and the built bundle without seeding a
 * million items into dynalite first (minutes). Prints `@@PORT <n>`; runs until stdin closes.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { toItem } from '../../lambda/revocation/index.js';

const ISSUER = process.env.BENCH_ISSUER ?? 'https://issuer.example.com/';
const PAGE_BYTES = 1024 * 1024;

const nowMs = Date.now();
const nowSeconds = Math.floor(nowMs / 1000);

interface ScanRequest {
  readonly TableName?: string;
  readonly Segment?: number;
  readonly TotalSegments?: number;
  readonly ProjectionExpression?: string;
  readonly ExpressionAttributeNames?: Record<string, string>;
  readonly ExclusiveStartKey?: { readonly index?: { readonly N: string } };
}

/** Item `index` as the ingest writes it (lambda/revocation's toItem), projected as the request asks. */
function itemAt(index: number, projected: readonly string[] | undefined): Record<string, unknown> {
  const item = toItem(
    { kind: 'jti', issuer: ISSUER, jti: randomUUID(), expiresAtEpochSeconds: nowSeconds + 3600 + (index % 3600) },
    nowMs,
  ) as Record<string, unknown>;
  if (projected === undefined) return item;
  return Object.fromEntries(projected.filter((name) => name in item).map((name) => [name, item[name]]));
}

function scan(request: ScanRequest): unknown {
  const entries = Number(request.TableName?.split('-').pop());
  if (!Number.isSafeInteger(entries)) throw new Error(`table name ${request.TableName} does not end with -<entries>`);
  const segments = request.TotalSegments ?? 1;
  const segment = request.Segment ?? 0;
  const projected = request.ProjectionExpression?.split(',').map((name) => {
    const trimmed = name.trim();
    return request.ExpressionAttributeNames?.[trimmed] ?? trimmed;
  });
  // Item i belongs to segment i % segments; the start key is the next index of this segment.
  let index = request.ExclusiveStartKey?.index === undefined ? segment : Number(request.ExclusiveStartKey.index.N);
  const items: unknown[] = [];
  let bytes = 0;
  for (; index < entries && bytes < PAGE_BYTES; index += segments) {
    const item = itemAt(index, projected);
    bytes += JSON.stringify(item).length;
    items.push(item);
  }
  return {
    Items: items,
    Count: items.length,
    ScannedCount: items.length,
    ...(index < entries ? { LastEvaluatedKey: { index: { N: String(index) } } } : {}),
  };
}

const server = createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    const target = String(request.headers['x-amz-target'] ?? '');
    const body = JSON.parse(Buffer.concat(chunks).toString() || '{}') as ScanRequest;
    const answer = target.endsWith('.Scan') ? scan(body) : target.endsWith('.Query') ? { Items: [], Count: 0, ScannedCount: 0 } : undefined;
    if (answer === undefined) {
      response.writeHead(400, { 'content-type': 'application/x-amz-json-1.0' });
      response.end(JSON.stringify({ __type: 'com.amazon.coral.validate#ValidationException', message: `not served here: ${target}` }));
      return;
    }
    response.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
    response.end(JSON.stringify(answer));
  });
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`@@PORT ${(server.address() as AddressInfo).port}\n`));
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BundleProcess } from '../support/bundle-process.js';
import { startDynalite, type LocalDynamo } from '../support/dynalite.js';
import { TestIssuer } from '../support/issuer.js';
import { decide, sleep, until } from './support/decisions.js';
import { createRevocationTable } from '../../local/table-admin.js';

/**
 * Issue 11, item 7: the issuer's key set body is capped (JWKS_MAX_BYTES, 1 MiB by default). A real
 * HTTP server streams a 60 MB key set (valid JSON, chunked, no Content-Length) to the built
 * authorizer; it must be refused, cut off early (the server sees the connection closed long before
 * it has written the set: bounded memory shown by outcome, not by timing), logged with its code,
 * and the keys already held kept. Before the cap the whole set was read (447 MB of memory).
 */

const HUGE_BYTES = 60 * 1024 * 1024;
const TABLE = 'revocations';

/** The JWKS endpoint: the issuer's key set, or a 60 MB one streamed until the client hangs up. */
class KeySetServer {
  huge = false;
  /** Bytes written of the last huge answer, and whether the client closed it before the end. */
  lastHuge: { written: number; closedEarly: boolean } | undefined;
  private server: Server | undefined;

  constructor(private readonly issuer: TestIssuer) {}

  get uri(): string {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}/jwks.json`;
  }

  async start(): Promise<void> {
    this.server = createServer((_request, response) => {
      if (this.huge) void this.streamHuge(response);
      else
        response
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ keys: this.issuer.keys.map((key) => key.publicJwk) }));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
  }

  private async streamHuge(response: ServerResponse): Promise<void> {
    const state = { written: 0, closedEarly: false };
    this.lastHuge = state;
    let closed = false;
    response.on('close', () => (closed = true));
    response.writeHead(200, { 'content-type': 'application/json' });
    const filler = this.issuer.keys[0]!.publicJwk;
    const write = (text: string) => {
      state.written += Buffer.byteLength(text);
      return response.write(text);
    };
    write('{"keys":[');
    for (let index = 0; state.written < HUGE_BYTES && !closed; index++) {
      const more = write(`${index === 0 ? '' : ','}${JSON.stringify({ ...filler, kid: `filler-${index}` })}`);
      if (!more && !closed) await drainedOrClosed(response);
    }
    state.closedEarly = closed;
    if (!closed) response.end(']}');
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }
}

let dynamo: LocalDynamo;
let issuer: TestIssuer;
let keySets: KeySetServer;
const processes: BundleProcess[] = [];

beforeAll(async () => {
  [dynamo, issuer] = await Promise.all([startDynalite(), TestIssuer.start({ algorithms: ['RS256'] })]);
  await createRevocationTable(dynamo.client, TABLE);
  keySets = new KeySetServer(issuer);
  await keySets.start();
});
afterAll(async () => {
  await Promise.all(processes.map((child) => child.stop()));
  await keySets?.stop();
  await Promise.all([dynamo?.stop(), issuer?.stop()]);
});

function authorizer(env: Record<string, string> = {}): BundleProcess {
  const child = new BundleProcess('authorizer', {
    ...dynamo.env,
    ...issuer.env,
    JWKS_URI: keySets.uri,
    REVOCATION_TABLE_NAME: TABLE,
    POWERTOOLS_METRICS_DISABLED: 'true',
    ...env,
  });
  processes.push(child);
  return child;
}

const tooLargeLines = (child: BundleProcess) => child.logLines().filter((line) => line.code === 'ERR_JWKS_TOO_LARGE');

/** Error lines go to stderr, which may arrive after the invocation's answer on stdout: wait for them. */
async function waitFor(check: () => boolean, limitMs = 5000): Promise<boolean> {
  for (const startedMs = performance.now(); performance.now() - startedMs < limitMs; await sleep(20)) if (check()) return true;
  return check();
}

describe('a key set larger than JWKS_MAX_BYTES', () => {
  it('is refused on refresh after reading at most a little over the limit, logged, and the keys already held keep working', async () => {
    // Prepare: a warm instance holding the issuer's key; then the endpoint serves 60 MB.
    keySets.huge = false;
    // No verified-token cache: a repeated token would be answered from it without asking the key
    // set (so without starting the refresh), and the cold start, awaited at import, has already
    // put the first decision's token in it.
    const child = authorizer({ JWKS_CACHE_MAX_AGE_MS: '1000', JWKS_COOLDOWN_MS: '0', TOKEN_CACHE_MAX_ENTRIES: '0' });
    const token = await issuer.token();
    expect(await decide(child, token)).toBe('allow');
    keySets.huge = true;
    await sleep(1100);

    // Act: a request past the key set's age starts the background refresh, which meets 60 MB.
    expect(await decide(child, token)).toBe('allow');
    const refused = await until(child, token, () => tooLargeLines(child).length > 0, 20_000, 100);
    const afterwards = await decide(child, token);
    const unknownKid = await decide(child, await issuer.token({}, { header: { kid: 'not-held' } }));

    // Assess
    expect(refused).toBeDefined();
    expect(tooLargeLines(child)[0]).toMatchObject({ level: 'ERROR', maxBytes: 1_048_576, bytesRead: expect.any(Number) });
    expect(tooLargeLines(child)[0]!.bytesRead as number).toBeLessThan(1_048_576 + 1_048_576);
    expect(keySets.lastHuge!.closedEarly).toBe(true);
    // A few MB of socket buffers at most, never the 60 MB set.
    expect(keySets.lastHuge!.written).toBeLessThan(HUGE_BYTES / 4);
    expect(afterwards).toBe('allow');
    // A kid not held needs a fetch, which is refused the same way: fail closed, never an allow.
    expect(unknownKid).toBe('error:ERR_JWKS_UNAVAILABLE');
  }, 40_000);

  it('at cold start leaves the instance without keys: it fails closed (500) and says why', async () => {
    // Prepare
    keySets.huge = true;
    const child = authorizer({ JWKS_MAX_BYTES: '65536' });

    // Act
    const outcome = await decide(child, await issuer.token());
    await waitFor(() => tooLargeLines(child).length > 0);

    // Assess
    expect(outcome).toBe('error:ERR_JWKS_UNAVAILABLE');
    expect(tooLargeLines(child)[0]).toMatchObject({ maxBytes: 65_536 });
    expect(keySets.lastHuge!.written).toBeLessThan(HUGE_BYTES / 4);
  }, 40_000);
});

/** Waits for the response to drain or close, leaving no listener behind (one per wait would pile up). */
function drainedOrClosed(response: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      response.off('drain', done).off('close', done);
      resolve();
    };
    response.once('drain', done).once('close', done);
  });
}

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTokenSources } from '../../lambda/contract/index.js';
import { RevocationStore } from '../../lambda/revocation/index.js';
import { echoBackend } from '../../local/echo-backend.js';
import { createGateway } from '../../local/gateway.js';
import type { InvocationResult } from '../../local/lambda-runtime.js';
import { readRouteTable, type LocalApi } from '../../local/route-table.js';
import { createRevocationTable } from '../../local/table-admin.js';
import { BundleProcess } from '../support/bundle-process.js';
import { startDynalite, type LocalDynamo } from '../support/dynalite.js';
import { createSigningKey, TestIssuer } from '../support/issuer.js';
import { freePort, StackProcess } from './support/stack-process.js';

/**
 * The local gateway in each LOCAL_API flavour, in front of the built dist/authorizer.mjs (a real
 * issuer, a real table in dynalite), with LOCAL_ROUTES and JWT_ROUTE_SCOPES: the status codes API
 * Gateway answers for each flavour ("Working with AWS Lambda authorizers for HTTP APIs"; for REST,
 * "Use API Gateway Lambda authorizers": 401 for a thrown Unauthorized, 403 for a Deny).
 */

const FLAVOURS: readonly LocalApi[] = ['http-v2', 'http-v1', 'rest-token', 'rest-request'];
const ROUTES = 'GET /orders/{id}, ANY /admin/{proxy+}';
const ROUTE_SCOPES = JSON.stringify({ 'ANY /admin/{proxy+}': ['admin'] });

let dynamo: LocalDynamo;
let issuer: TestIssuer;
let byHeader: BundleProcess;
let byQuery: BundleProcess;
const gateways = new Map<string, { server: Server; url: string }>();
const tokens = { valid: '', admin: '', revoked: '', foreignKey: '' };

/** The bundle as the gateway's authorize function: what the local Lambda runtime would report. */
function authorizeWith(bundle: BundleProcess) {
  return async (event: unknown): Promise<InvocationResult> => {
    const invocation = await bundle.invoke(event);
    return invocation.ok
      ? { ok: true, result: invocation.result, requestId: 'r' }
      : { ok: false, error: { errorType: invocation.error.name, errorMessage: invocation.error.message }, requestId: 'r' };
  };
}

async function startGateway(name: string, flavour: LocalApi, bundle: BundleProcess, tokenSources: string): Promise<void> {
  const api = { apiId: 'local', region: 'eu-west-1' };
  const server = createServer(
    createGateway({
      api,
      authorize: authorizeWith(bundle),
      backend: echoBackend(api),
      reservedPrefix: '/_local',
      localRoutes: async (_request, response) => void response.writeHead(404).end(),
      ready: Promise.resolve(),
      flavour,
      routes: readRouteTable({ LOCAL_ROUTES: ROUTES }, '/').table,
      tokenSources: parseTokenSources(tokenSources).sources,
    }),
  );
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  gateways.set(name, { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
}

async function call(gateway: string, path: string, token?: string): Promise<{ status: number; body: any }> {
  const response = await fetch(`${gateways.get(gateway)!.url}${path}`, {
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
  });
  const text = await response.text();
  return { status: response.status, body: JSON.parse(text) };
}

beforeAll(async () => {
  [dynamo, issuer] = await Promise.all([startDynalite(), TestIssuer.start({ algorithms: ['RS256'] })]);
  await createRevocationTable(dynamo.client, 'revocations');
  await new RevocationStore(dynamo.client, 'revocations').applyRevocations([
    { kind: 'jti', issuer: issuer.issuer, jti: 'revoked-jti', expiresAtEpochSeconds: Math.floor(Date.now() / 1000) + 3600 },
  ]);
  tokens.valid = await issuer.token({ sub: 'alice', jti: 'valid-jti', scope: 'orders.read' });
  tokens.admin = await issuer.token({ sub: 'root', scope: 'admin' });
  tokens.revoked = await issuer.token({ sub: 'bob', jti: 'revoked-jti' });
  // Signed by a key the issuer's key set does not hold, while the key set cannot be fetched: 500.
  tokens.foreignKey = await issuer.token({ sub: 'eve' }, { key: await createSigningKey('RS256', 'unknown-kid') });
  const env = {
    ...dynamo.env,
    ...issuer.env,
    REVOCATION_TABLE_NAME: 'revocations',
    POWERTOOLS_METRICS_DISABLED: 'true',
    JWT_ROUTE_SCOPES: ROUTE_SCOPES,
    // An unknown kid makes the authorizer fetch the key set again at once (the 500 test).
    JWKS_COOLDOWN_MS: '0',
  };
  byHeader = new BundleProcess('authorizer', env);
  byQuery = new BundleProcess('authorizer', { ...env, JWT_TOKEN_SOURCES: 'query:access_token' });
  for (const flavour of FLAVOURS) await startGateway(flavour, flavour, byHeader, 'header:authorization');
  await startGateway('query', 'http-v2', byQuery, 'query:access_token');
});
afterAll(async () => {
  for (const { server } of gateways.values()) {
    server.closeAllConnections();
    await new Promise((done) => server.close(done));
  }
  await Promise.all([byHeader?.stop(), byQuery?.stop()]);
  await Promise.all([dynamo?.stop(), issuer?.stop()]);
});

describe.each(FLAVOURS)('LOCAL_API=%s', (flavour) => {
  const isRest = flavour.startsWith('rest');

  it('answers 200 for a valid token, the echo showing the context and the event its integration would get', async () => {
    const { status, body } = await call(flavour, '/orders/42', tokens.valid);

    expect(status).toBe(200);
    expect(body.authorizer).toMatchObject({ sub: 'alice', jti: 'valid-jti', scope: 'orders.read' });
    if (flavour === 'http-v2')
      expect(body.event).toMatchObject({ version: '2.0', routeKey: 'GET /orders/{id}', pathParameters: { id: '42' } });
    else
      expect(body.event).toMatchObject({
        resource: '/orders/{id}',
        pathParameters: { id: '42' },
        requestContext: { authorizer: { sub: 'alice', principalId: 'alice' } },
      });
  });

  it('answers 401 without a token, without invoking the authorizer', async () => {
    expect(await call(flavour, '/orders/42')).toEqual({ status: 401, body: { message: 'Unauthorized' } });
  });

  it(`answers ${isRest ? '401 (the authorizer throws Unauthorized)' : '403'} for a token that is not a JWT`, async () => {
    const { status } = await call(flavour, '/orders/42', 'not-a-jwt');
    expect(status).toBe(isRest ? 401 : 403);
  });

  it('answers 403 for a revoked token', async () => {
    const { status, body } = await call(flavour, '/orders/42', tokens.revoked);
    expect(status).toBe(403);
    expect(body.message).toBe(isRest ? 'User is not authorized to access this resource with an explicit deny' : 'Forbidden');
  });

  it('answers 403 on a route whose scope the token lacks, 200 with it, by the route keys of LOCAL_ROUTES', async () => {
    expect((await call(flavour, '/admin/users/7', tokens.valid)).status).toBe(403);
    expect((await call(flavour, '/admin/users/7', tokens.admin)).status).toBe(200);
  });

  it('answers 404 for a path no route matches', async () => {
    expect(await call(flavour, '/elsewhere', tokens.valid)).toEqual({ status: 404, body: { message: 'Not Found' } });
  });

  it('answers 500 when the authorizer fails: a key it must fetch while the key set is unreachable', async () => {
    issuer.mode = 'error';
    try {
      expect((await call(flavour, '/orders/42', tokens.foreignKey)).status).toBe(500);
    } finally {
      issuer.mode = 'ok';
    }
  });
});

describe('JWT_TOKEN_SOURCES=query:access_token on the local gateway', () => {
  it('takes the token from the query string: 200 with it, 401 without (the identity source is the parameter)', async () => {
    expect((await call('query', `/orders/42?access_token=${tokens.valid}`)).status).toBe(200);
    expect((await call('query', '/orders/42', tokens.valid)).status).toBe(401);
  });
});

describe('tsx local/start.ts with LOCAL_API=rest-request, a routes file and JWT_ROUTE_SCOPES', () => {
  let dataDir: string;
  let stack: StackProcess;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'local-stack-flavour-'));
    const routesFile = join(dataDir, 'routes.txt');
    await writeFile(routesFile, '# the routes of the API\nGET /orders/{id}\nANY /admin/{proxy+}   # admins only\n');
    stack = await new StackProcess('node', await freePort(), {
      DYNAMODB_PORT: String(await freePort()),
      DATA_DIR: join(dataDir, 'data'),
      LOCAL_API: 'rest-request',
      LOCAL_ROUTES_FILE: routesFile,
      JWT_ROUTE_SCOPES: ROUTE_SCOPES,
      JWT_CONTEXT_CLAIMS: 'sub,scope',
    }).ready();
  });
  afterAll(async () => {
    await stack?.kill();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  const mint = async (query: string) => (await (await fetch(`${stack.url}/_local/token?${query}`)).text()).trim();
  const status = async (path: string, token?: string) =>
    (await fetch(`${stack.url}${path}`, { headers: token === undefined ? {} : { authorization: `Bearer ${token}` } })).status;

  it('says which flavour and routes it plays once ready', () => {
    expect(stack.output).toContain('(REST API, REQUEST authorizer, routes GET /orders/{id}, ANY /admin/{proxy+}; backend: echo)');
  });

  it('answers as a REST API would: 200, 401, 403 for a missing scope, 404 off the routes', async () => {
    const reader = await mint('sub=alice&scope=orders.read');
    const admin = await mint('sub=root&scope=admin');

    expect(await status('/orders/1', reader)).toBe(200);
    expect(await status('/orders/1')).toBe(401);
    expect(await status('/orders/1', 'not-a-jwt')).toBe(401);
    expect(await status('/admin/users', reader)).toBe(403);
    expect(await status('/admin/users', admin)).toBe(200);
    expect(await status('/other', reader)).toBe(404);
    const echo = (await (await fetch(`${stack.url}/orders/1`, { headers: { authorization: `Bearer ${reader}` } })).json()) as Record<
      string,
      any
    >;
    expect(echo.authorizer).toEqual({ sub: 'alice', scope: 'orders.read' });
    expect(echo.event.requestContext.authorizer).toEqual({ sub: 'alice', scope: 'orders.read', principalId: 'alice' });
  });
});

/**
 * `npm run token -- --sub alice [--client web] [--scope "orders.read"] [--ttl 3600] [--jti ID] [--sid S] [--json]`:
 * mints a token from the running local stack's demo issuer (GET /_local/token) and prints it;
 * with `--logout [--sub U] [--sid S]`, a logout token for the receiver's back-channel logout endpoint.
 * Finds the stack on PORT (default 3000) or through DATA_DIR's state file, as `npm run revoke` does.
 */
import './quiet-node-warning.js';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { LOCAL_PATHS } from './local-routes.js';
import { readStackState } from './stack-state.js';

const USAGE = `Usage: npm run token -- [--sub SUB] [--client ID] [--scope SCOPE] [--ttl SECONDS] [--jti ID] [--sid SID] [--json]
       npm run token -- --logout [--sub SUB] [--sid SID] [--json]
Mints an access token from the local stack's demo issuer (npm start without JWT_ISSUER).
Defaults: sub demo-user, client demo-client, ttl 3600, no sid (--sid: the session --session revokes).
--json prints the claims too.
--logout mints an OIDC Back-Channel Logout token (typ logout+jwt, 2 minutes) naming --sid, --sub or
both, for POST /_local/receiver/oidc/backchannel-logout (form field logout_token).
Prints only the token (and a newline), so TOKEN=$(npm run token -- --sub alice) captures it.`;

async function main(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        sub: { type: 'string' },
        client: { type: 'string' },
        scope: { type: 'string' },
        ttl: { type: 'string' },
        jti: { type: 'string' },
        sid: { type: 'string' },
        logout: { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (error) {
    const problem = error instanceof Error ? error.message.replace(/\. To specify .*$/s, '') : String(error);
    console.error(`token: ${problem} (npm run token -- --help for the usage)`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const port = process.env.PORT;
  const state = readStackState(resolve(process.env.DATA_DIR ?? '.data'));
  const base = port ? `http://127.0.0.1:${port}` : (state?.gatewayUrl ?? 'http://127.0.0.1:3000');
  const url = new URL(LOCAL_PATHS.token, base);
  if (
    values.logout &&
    (values.client !== undefined || values.scope !== undefined || values.ttl !== undefined || values.jti !== undefined)
  ) {
    console.error('token: --logout takes only --sub and --sid (npm run token -- --help for the usage)');
    return 2;
  }
  for (const name of ['sub', 'client', 'scope', 'ttl', 'jti', 'sid'] as const) {
    const value = values[name];
    if (value !== undefined) url.searchParams.set(name, value);
  }
  if (values.logout) url.searchParams.set('logout', '1');
  if (values.json) url.searchParams.set('format', 'json');
  let response: Response;
  try {
    response = await fetch(url);
  } catch {
    console.error(`token: nothing answers at ${base}. Is \`npm start\` running? Set PORT if it is not on 3000.`);
    return 1;
  }
  const text = await response.text();
  if (!response.ok) {
    console.error(`token: ${response.status}: ${text.trim()}`);
    return response.status === 400 ? 2 : 1;
  }
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  return 0;
}

// Last, so every declaration above is initialised when main runs.
process.exitCode = await main(process.argv.slice(2));

import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { resolve } from 'node:path';

const REPOSITORY = resolve(import.meta.dirname, '..', '..', '..');
const TSX = resolve(REPOSITORY, 'node_modules', '.bin', 'tsx');

/** Variables of the developer's shell that would change what the stack or the CLIs do. */
const SCRUBBED = [
  'PORT',
  'DYNAMODB_PORT',
  'DATA_DIR',
  'HOST',
  'UPSTREAM_URL',
  'JWT_ISSUER',
  'JWT_ISSUERS',
  'JWT_AUDIENCE',
  'JWKS_URI',
  'JWT_PRESET',
  'JWT_ROUTE_SCOPES',
  'JWT_TOKEN_SOURCES',
  'JWT_CONTEXT_CLAIMS',
  'LOCAL_API',
  'LOCAL_ROUTES',
  'LOCAL_ROUTES_FILE',
  'REVOCATION_TOPIC_ARN',
  'AWS_ENDPOINT_URL',
  'AWS_ENDPOINT_URL_SNS',
  'AWS_ENDPOINT_URL_DYNAMODB',
  'AWS_PROFILE',
  // Set by an `npm test` run with its own log level; npm in a child reads the project's .npmrc as a user's would.
  'npm_config_loglevel',
  'npm_config_json',
];

/** The environment for a child: this one without the stack's own variables, plus `env`. */
export function childEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };
  for (const name of SCRUBBED) delete base[name];
  return { ...base, ...env };
}

/** A free loopback port (free when asked; the stack binds it a moment later). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as { port: number };
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}

/**
 * `npm start` (or `node --import tsx local/start.ts`, what it runs after building) as a child
 * process in its own process group, so that `kill()` can take down npm and the stack together
 * whatever happened.
 */
export class StackProcess {
  output = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly child: ChildProcess;

  constructor(
    how: 'npm start' | 'node',
    readonly port: number,
    env: Record<string, string>,
  ) {
    const [command, args] = how === 'npm start' ? ['npm', ['start']] : [process.execPath, ['--import', 'tsx', 'local/start.ts']];
    this.child = spawn(command, args, {
      cwd: REPOSITORY,
      env: childEnv({ ...env, PORT: String(port) }),
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    this.child.stdout!.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    this.child.stderr!.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    this.exited = new Promise((done) => this.child.on('exit', (code, signal) => done({ code, signal })));
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Polls /_local/health until the stack says it is ready; fails with its output if it exits first. */
  async ready(timeoutMs = 45_000): Promise<this> {
    const deadline = Date.now() + timeoutMs;
    let exited = false;
    void this.exited.then(() => (exited = true));
    while (Date.now() < deadline) {
      if (exited) throw new Error(`the stack exited before it was ready:\n${this.output}`);
      try {
        const response = await fetch(`${this.url}/_local/health`);
        if (response.status === 200) return this;
      } catch {
        // Not listening yet.
      }
      await new Promise((done) => setTimeout(done, 100));
    }
    throw new Error(`the stack was not ready after ${timeoutMs} ms:\n${this.output}`);
  }

  /** Sends `signal` to the spawned process only (npm, for `npm start`), as a supervisor would. */
  signal(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  /** Kills the whole process group; for afterAll, whatever state the test left. */
  async kill(): Promise<void> {
    try {
      process.kill(-this.child.pid!, 'SIGKILL');
    } catch {
      // Already gone.
    }
    await Promise.race([this.exited, new Promise((done) => setTimeout(done, 2000))]);
  }
}

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `npm run <script> -- args` (viaNpm) or `tsx local/<script>.ts args` and collects its output;
 * `input` is written to its standard input (else it has none).
 */
export function runCli(
  script: 'revoke' | 'token',
  args: string[],
  env: Record<string, string>,
  options: { viaNpm?: boolean; input?: string } = {},
): Promise<CliResult> {
  const [command, commandArgs] = options.viaNpm ? ['npm', ['run', script, '--', ...args]] : [TSX, [`local/${script}.ts`, ...args]];
  return new Promise((done, fail) => {
    const child = spawn(command, commandArgs, {
      cwd: REPOSITORY,
      env: childEnv(env),
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    child.stdin?.end(options.input);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', fail);
    child.on('exit', (code) => done({ code, stdout, stderr }));
  });
}

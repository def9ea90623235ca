import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { IssuerReady } from './tokens.js';

/** Environment every child gets: nothing of the parent's AWS settings, the SDK's warning off. */
export function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    ...extra,
  };
}

/** Node arguments that run a TypeScript file through tsx's loader. */
export function tsArgs(file: string, nodeFlags: readonly string[] = []): string[] {
  return [...nodeFlags, '--import', 'tsx', file];
}

export interface ChildResult<T> {
  readonly result: T;
  /** Everything else the child wrote (its logs). */
  readonly output: string;
}

/**
 * Runs a child process to completion and returns the JSON it printed on its `@@RESULT ` line.
 * Rejects with the child's output when it exits without one. `hangAfterMs` only guards against a
 * child that hangs: it is far above any run's duration on a loaded machine, so CPU speed never
 * decides whether the bench passes.
 */
export function runChild<T>(args: readonly string[], env: NodeJS.ProcessEnv, hangAfterMs = 30 * 60_000): Promise<ChildResult<T>> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let result: T | undefined;
    let found = false;
    const timer = setTimeout(() => child.kill('SIGKILL'), hangAfterMs);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line.startsWith('@@RESULT ')) {
        result = JSON.parse(line.slice('@@RESULT '.length)) as T;
        found = true;
      } else output += `${line}\n`;
    });
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (found) resolve({ result: result as T, output });
      else reject(new Error(`${args.join(' ')} exited with ${code ?? signal} and no result:\n${output.slice(-4000)}`));
    });
  });
}

/** Prints a child's result for runChild. */
export function reportResult(result: unknown): void {
  process.stdout.write(`@@RESULT ${JSON.stringify(result)}\n`);
}

export interface DynaliteProcess {
  readonly endpoint: string;
  readonly client: DynamoDBClient;
  /** Environment that points the AWS SDK (and the bundles) at it. */
  readonly env: Record<string, string>;
  stop(): Promise<void>;
}

/** dynalite in a child process (bench/support/dynalite-server.ts). */
export async function startDynaliteProcess(): Promise<DynaliteProcess> {
  const child: ChildProcess = spawn(process.execPath, tsArgs('bench/support/dynalite-server.ts'), {
    env: childEnv(),
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`dynalite exited with ${code}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line.startsWith('@@PORT ')) resolve(Number(line.slice('@@PORT '.length)));
    });
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const env = { AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local', AWS_ENDPOINT_URL_DYNAMODB: endpoint };
  const client = new DynamoDBClient({ region: env.AWS_REGION, endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  return {
    endpoint,
    client,
    env,
    async stop() {
      client.destroy();
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.stdin!.end();
      await exited;
    },
  };
}

export interface IssuerProcess {
  readonly ready: IssuerReady;
  stop(): Promise<void>;
}

/**
 * The token issuer in a child process (bench/support/issuer-process.ts): it signs every token into
 * `tokensFile`, then serves the key set. Resolves once it serves. Signing runs there, in parallel
 * with whatever the caller does meanwhile (seeding dynalite), never in the measuring process.
 */
export async function startIssuerProcess(env: Record<string, string>): Promise<IssuerProcess> {
  const child: ChildProcess = spawn(process.execPath, tsArgs('bench/support/issuer-process.ts'), {
    env: childEnv(env),
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const ready = await new Promise<IssuerReady>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the issuer process exited with ${code}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line.startsWith('@@READY ')) resolve(JSON.parse(line.slice('@@READY '.length)) as IssuerReady);
    });
  });
  return {
    ready,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.stdin!.end();
      await exited;
    },
  };
}

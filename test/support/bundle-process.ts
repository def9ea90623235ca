import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';

/** The outcome of one invocation: the handler's result, or what it threw. */
export type Invocation =
  | { readonly ok: true; readonly result: unknown }
  | { readonly ok: false; readonly error: { readonly name: string; readonly message: string; readonly code?: string } };

// Runs in the child: import the bundle once (a cold start), then one invocation per stdin line,
// the way a Lambda instance reuses its module between events.
// BUNDLE_CLOCK_MS, when set, freezes Date.now (the wall clock the bundles read for token and item
// times) at that value, and a '@@CLOCK <ms>' line moves it: claim and cut-off boundaries then hold
// to the ms. A '@@CLOCK_OFFSET <ms>' line instead lets the wall clock run, stepped by that much (a
// clock stepped back on a warm instance); performance.now, the monotonic clock, is never touched.
const RUNTIME = `
  import { createInterface } from 'node:readline';
  const realNow = Date.now;
  let clockMs = process.env.BUNDLE_CLOCK_MS === undefined ? undefined : Number(process.env.BUNDLE_CLOCK_MS);
  if (clockMs !== undefined) Date.now = () => clockMs;
  const { handler } = await import(process.env.BUNDLE_URL);
  const context = { functionName: 'test', awsRequestId: 'test-request', invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:test', memoryLimitInMB: '256', functionVersion: '$LATEST', getRemainingTimeInMillis: () => 10000 };
  // BUNDLE_TIMEOUT_MS, when set, makes the remaining time count down from it on the monotonic clock, invocation by invocation, as Lambda's does.
  const timeoutMs = process.env.BUNDLE_TIMEOUT_MS === undefined ? undefined : Number(process.env.BUNDLE_TIMEOUT_MS);
  for await (const line of createInterface({ input: process.stdin })) {
    if (timeoutMs !== undefined) {
      const deadline = performance.now() + timeoutMs;
      context.getRemainingTimeInMillis = () => Math.max(0, Math.round(deadline - performance.now()));
    }
    if (line.startsWith('@@CLOCK ')) {
      clockMs = Number(line.slice(8));
      process.stdout.write('@@INVOCATION {"ok":true,"result":null}\\n');
      continue;
    }
    if (line.startsWith('@@CLOCK_OFFSET ')) {
      const offsetMs = Number(line.slice(15));
      Date.now = () => realNow() + offsetMs;
      process.stdout.write('@@INVOCATION {"ok":true,"result":null}\\n');
      continue;
    }
    let reply;
    try {
      reply = { ok: true, result: await handler(JSON.parse(line), context) };
    } catch (error) {
      reply = { ok: false, error: { name: error?.name, message: error?.message, code: error?.code } };
    }
    process.stdout.write('@@INVOCATION ' + JSON.stringify(reply) + '\\n');
  }
`;

export interface BundleProcessOptions {
  /** Freezes the child's Date.now at this epoch ms (see setClock); real time when undefined. */
  readonly clockMs?: number;
  /** The function timeout its context's getRemainingTimeInMillis counts down from, per invocation. @default a constant 10 s */
  readonly timeoutMs?: number;
}

/**
 * A built bundle (dist/*.mjs) loaded in a fresh Node process that has nothing but environment
 * variables, invoked repeatedly like a warm Lambda instance.
 */
export class BundleProcess {
  /** Everything the process wrote that was not an invocation result: its logs. */
  output = '';
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly pending: ((invocation: Invocation) => void)[] = [];

  constructor(
    bundle: 'authorizer' | 'feed' | 'ingest' | 'receiver' | 'snapshot',
    env: Record<string, string>,
    options: BundleProcessOptions = {},
  ) {
    const path = resolve('dist', `${bundle}.mjs`);
    if (!existsSync(path)) throw new Error(`${path} is missing: run npm run build first (npm test does)`);
    this.child = spawn(process.execPath, ['--input-type=module', '-e', RUNTIME], {
      env: {
        PATH: process.env.PATH ?? '',
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        BUNDLE_URL: pathToFileURL(path).href,
        ...(options.clockMs === undefined ? {} : { BUNDLE_CLOCK_MS: String(options.clockMs) }),
        ...(options.timeoutMs === undefined ? {} : { BUNDLE_TIMEOUT_MS: String(options.timeoutMs) }),
        ...env,
      },
    });
    createInterface({ input: this.child.stdout }).on('line', (line) => {
      if (line.startsWith('@@INVOCATION ')) this.pending.shift()?.(JSON.parse(line.slice('@@INVOCATION '.length)));
      else this.output += `${line}\n`;
    });
    this.child.stderr.on('data', (chunk: Buffer) => {
      this.output += chunk.toString();
    });
    this.child.on('exit', (code) => {
      for (const settle of this.pending.splice(0)) {
        settle({ ok: false, error: { name: 'ProcessExited', message: `bundle process exited with ${code}:\n${this.output}` } });
      }
    });
  }

  /** Moves the frozen clock (only for a process started with `clockMs`). */
  async setClock(clockMs: number): Promise<void> {
    await new Promise((settle) => {
      this.pending.push(settle);
      this.child.stdin.write(`@@CLOCK ${clockMs}\n`);
    });
  }

  /** Lets the child's wall clock (Date.now) run `offsetMs` from the real one; its monotonic clock is untouched. */
  async setClockOffset(offsetMs: number): Promise<void> {
    await new Promise((settle) => {
      this.pending.push(settle);
      this.child.stdin.write(`@@CLOCK_OFFSET ${offsetMs}\n`);
    });
  }

  /** The child's process id, e.g. to sample its memory. */
  get pid(): number | undefined {
    return this.child.pid;
  }

  invoke(event: unknown): Promise<Invocation> {
    return new Promise((settle) => {
      this.pending.push(settle);
      this.child.stdin.write(`${JSON.stringify(event)}\n`);
    });
  }

  /** Structured log lines the process printed, parsed. */
  logLines(): Record<string, unknown>[] {
    return this.output
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  }

  async stop(): Promise<void> {
    // A process ended by a signal has a null exitCode and a signalCode: stopping it again must not wait for an exit that happened.
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolveExit) => this.child.once('exit', resolveExit));
    this.child.stdin.end();
    this.child.kill();
    await exited;
  }
}

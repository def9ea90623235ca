import { randomBytes, randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import type { Context } from 'aws-lambda';

/** What Lambda reports for an invocation that threw or timed out (its `errorType`/`errorMessage`). */
export interface FunctionError {
  readonly errorType: string;
  readonly errorMessage: string;
}

/** The outcome of one invocation, as the Lambda Invoke API would return it. */
export type InvocationResult =
  | { readonly ok: true; readonly result: unknown; readonly requestId: string }
  | { readonly ok: false; readonly error: FunctionError; readonly requestId: string };

export interface LambdaFunctionOptions {
  /** The function name, as in the ARN and the context. */
  readonly name: string;
  /** A built bundle exporting `handler`, e.g. dist/authorizer.mjs. */
  readonly bundlePath: string;
  /** Lambda's function timeout: a longer invocation fails with `Sandbox.Timedout`. */
  readonly timeoutMs: number;
  readonly region: string;
  /** @default 128 */
  readonly memoryLimitInMB?: number;
}

type Handler = (event: unknown, context: Context, callback?: (error: unknown, result?: unknown) => void) => unknown;

/** The account id every local ARN carries, as LocalStack and the AWS docs' examples do. */
export const LOCAL_ACCOUNT_ID = '000000000000';

/**
 * One warm Lambda instance of a built bundle, in this process.
 *
 * The bundle is imported once (its module scope is the init phase, so it must find its
 * environment in process.env before `load`), then every invocation reuses it. Invocations run one
 * at a time, in arrival order, like a single Lambda instance (reserved concurrency 1): handlers
 * may rely on Lambda never running two events at once in one instance, the revocation view is
 * per instance as on AWS, and the authorizer's warm path is microseconds, so a queue costs nothing
 * noticeable on a laptop. Events and results cross the boundary as JSON, as they do on Lambda.
 * An invocation that times out ends the instance, as on Lambda: the next one imports the bundle
 * afresh (a new module instance, so a new cold start).
 */
export class LambdaFunction {
  readonly arn: string;
  private queue: Promise<unknown> = Promise.resolve();
  private inFlight = 0;
  private idleWaiters: (() => void)[] = [];
  /** Module instances so far: a timeout ends one. */
  private instances = 1;

  private constructor(
    private readonly options: LambdaFunctionOptions,
    private handler: Handler | undefined,
    /**
     * The first instance's `coldStart` export, when the bundle has one: a promise of the init
     * work its module scope started (the authorizer's revocation load and key prefetch).
     */
    readonly coldStart: Promise<unknown> | undefined,
  ) {
    this.arn = `arn:aws:lambda:${options.region}:${LOCAL_ACCOUNT_ID}:function:${options.name}`;
  }

  /** Imports the bundle (the cold start). Throws what its module scope throws, e.g. a ConfigurationError. */
  static async load(options: LambdaFunctionOptions): Promise<LambdaFunction> {
    const module = await importBundle(options.bundlePath, 1);
    const coldStart = module.coldStart instanceof Promise ? (module.coldStart as Promise<unknown>) : undefined;
    return new LambdaFunction(options, handlerOf(module, options.bundlePath), coldStart);
  }

  get name(): string {
    return this.options.name;
  }

  /** Queues one invocation; resolves with its result or its error, never rejects. */
  invoke(event: unknown): Promise<InvocationResult> {
    this.inFlight++;
    const run = this.queue.then(() => this.run(event));
    this.queue = run;
    return run.finally(() => {
      if (--this.inFlight === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
    });
  }

  /** Resolves once every queued invocation has finished. */
  idle(): Promise<void> {
    return this.inFlight === 0 ? Promise.resolve() : new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private async run(event: unknown): Promise<InvocationResult> {
    const requestId = randomUUID();
    const deadline = Date.now() + this.options.timeoutMs;
    const context = this.context(requestId, deadline);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(lambdaError('Sandbox.Timedout', `Task timed out after ${(this.options.timeoutMs / 1000).toFixed(2)} seconds`)),
        this.options.timeoutMs,
      );
    });
    // Observed even when the import below fails before the race starts.
    timedOut.catch(() => {});
    try {
      // A query string makes the module loader treat the bundle as a new module: a new instance.
      this.handler ??= handlerOf(await importBundle(this.options.bundlePath, this.instances), this.options.bundlePath);
      // The JSON round trip is Lambda's: the handler gets a fresh copy, the caller plain data.
      const result = await Promise.race([this.call(this.handler, JSON.parse(JSON.stringify(event)) as unknown, context), timedOut]);
      return { ok: true, result: result === undefined ? null : (JSON.parse(JSON.stringify(result)) as unknown), requestId };
    } catch (error) {
      const described = describeError(error);
      if (described.errorType === 'Sandbox.Timedout') {
        this.handler = undefined;
        this.instances++;
      }
      return { ok: false, error: described, requestId };
    } finally {
      clearTimeout(timer);
    }
  }

  private call(handler: Handler, event: unknown, context: Context): Promise<unknown> {
    // Node.js runtime contract: a handler of three parameters answers through the callback.
    if (handler.length >= 3) {
      return new Promise((resolve, reject) => {
        const returned = handler(event, context, (error, result) => (error ? reject(error) : resolve(result)));
        if (returned instanceof Promise) returned.then(resolve, reject);
      });
    }
    return Promise.resolve().then(() => handler(event, context));
  }

  private context(awsRequestId: string, deadline: number): Context {
    const name = this.options.name;
    const day = new Date().toISOString().slice(0, 10).replaceAll('-', '/');
    return {
      callbackWaitsForEmptyEventLoop: true,
      functionName: name,
      functionVersion: '$LATEST',
      invokedFunctionArn: this.arn,
      memoryLimitInMB: String(this.options.memoryLimitInMB ?? 128),
      awsRequestId,
      logGroupName: `/aws/lambda/${name}`,
      logStreamName: `${day}/[$LATEST]${randomBytes(16).toString('hex')}`,
      getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
      done: () => {},
      fail: () => {},
      succeed: () => {},
    };
  }
}

async function importBundle(bundlePath: string, instance: number): Promise<Record<string, unknown>> {
  const url = pathToFileURL(bundlePath);
  if (instance > 1) url.search = `instance=${instance}`;
  return (await import(url.href)) as Record<string, unknown>;
}

function handlerOf(module: Record<string, unknown>, bundlePath: string): Handler {
  if (typeof module.handler !== 'function') throw new TypeError(`${bundlePath} does not export a handler function`);
  return module.handler as Handler;
}

function lambdaError(errorType: string, errorMessage: string): Error {
  const error = new Error(errorMessage);
  error.name = errorType;
  return error;
}

/** Lambda's error payload: the error's name (or constructor name) and message. */
export function describeError(error: unknown): FunctionError {
  if (error instanceof Error) return { errorType: error.name || 'Error', errorMessage: error.message };
  return { errorType: typeof error, errorMessage: String(error) };
}

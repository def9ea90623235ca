import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * What the proxy does with one request: pass it on; answer ProvisionedThroughputExceededException;
 * drop the connection; or pass it on and trickle the answer back, headers at once and then the
 * body a byte at a time (what the SDK's request timeout does not see: it stops at the headers).
 */
export type Fault = 'pass' | 'throttle' | 'reset' | 'trickle';

/**
 * An HTTP proxy in front of dynalite that injects the faults DynamoDB has and dynalite does not:
 * ProvisionedThroughputExceededException answers (the exact wire shape DynamoDB sends, so the SDK
 * classifies them as throttling and retries them as it would in AWS) and dropped connections.
 * A code under test points AWS_ENDPOINT_URL_DYNAMODB at `endpoint`.
 */
export class DynamoProxy {
  /** Decides per request from the operation name (`Scan`, `Query`, `UpdateItem`, ...). */
  policy: (operation: string) => Fault = () => 'pass';
  /** Requests seen per operation and outcome, e.g. `Query:throttle`. */
  readonly counts = new Map<string, number>();
  /** Gap between two bytes of a trickled body. @default 1000 */
  trickleGapMs = 1000;
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private port = 0;

  private constructor(private readonly target: string) {}

  static async start(target: string): Promise<DynamoProxy> {
    const proxy = new DynamoProxy(target);
    await proxy.listen();
    return proxy;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  count(operation: string, fault: Fault): number {
    return this.counts.get(`${operation}:${fault}`) ?? 0;
  }

  /** Every request dropped at once (like a table that is unreachable), or everything passed. */
  set down(down: boolean) {
    this.policy = down ? () => 'reset' : () => 'pass';
    // Kept-alive connections go too, so the next request cannot ride on one.
    if (down) for (const socket of this.sockets) socket.destroy();
  }

  private async listen(): Promise<void> {
    this.server = createServer((request, response) => void this.handle(request, response));
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const target = String(request.headers['x-amz-target'] ?? '');
    const operation = target.slice(target.indexOf('.') + 1) || 'unknown';
    const fault = this.policy(operation);
    this.counts.set(`${operation}:${fault}`, (this.counts.get(`${operation}:${fault}`) ?? 0) + 1);
    if (fault === 'reset') {
      request.socket.destroy();
      return;
    }
    if (fault === 'throttle') {
      // DynamoDB's own answer: HTTP 400, x-amz-json-1.0, __type naming the exception.
      const answer = JSON.stringify({
        __type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException',
        message:
          'The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.',
      });
      response.writeHead(400, {
        'content-type': 'application/x-amz-json-1.0',
        'x-amzn-requestid': `THROTTLED${Date.now()}`,
        'content-length': Buffer.byteLength(answer),
      });
      response.end(answer);
      return;
    }
    const url = new URL(request.url ?? '/', this.target);
    const upstream = httpRequest(url, { method: request.method, headers: { ...request.headers, host: url.host } }, (answer) => {
      if (fault === 'trickle') {
        void this.trickle(answer, response);
        return;
      }
      response.writeHead(answer.statusCode ?? 500, answer.headers);
      answer.pipe(response);
    });
    upstream.on('error', () => request.socket.destroy());
    upstream.end(body);
  }

  /** The whole answer read from dynalite, then handed on: headers now, the body a byte per trickleGapMs. */
  private async trickle(answer: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of answer) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    response.writeHead(answer.statusCode ?? 500, answer.headers);
    let closed = false;
    response.on('close', () => (closed = true));
    for (let offset = 0; offset < body.length && !closed; offset++) {
      response.write(body.subarray(offset, offset + 1));
      await new Promise((resolve) => setTimeout(resolve, this.trickleGapMs));
    }
    if (!closed) response.end();
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** A small seeded PRNG (mulberry32), so fault patterns repeat from run to run. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { SignJWT } from 'jose';
import { readBody } from '../../local/gateway.js';
import type { Publication } from '../../local/sns-delivery.js';
import { createSnsEndpoint } from '../../local/sns-endpoint.js';
import type { SigningKey } from './issuer.js';

/** OIDC Back-Channel Logout 1.0 §2.4: the event member of a logout token. */
export const BACKCHANNEL_LOGOUT = 'http://schemas.openid.net/event/backchannel-logout';
export const CAEP = 'https://schemas.openid.net/secevent/caep/event-type/';
export const RISC = 'https://schemas.openid.net/secevent/risc/event-type/';

/** Signs `claims` under exactly `header` (alg and kid from the key unless given); a member set to undefined is dropped. */
export async function signJwt(claims: Record<string, unknown>, key: SigningKey, header: Record<string, unknown> = {}): Promise<string> {
  const protectedHeader: Record<string, unknown> = { alg: key.alg, kid: key.kid, ...header };
  for (const [name, value] of Object.entries(protectedHeader)) if (value === undefined) delete protectedHeader[name];
  const payload = { ...claims };
  for (const [name, value] of Object.entries(payload)) if (value === undefined) delete payload[name];
  return new SignJWT(payload).setProtectedHeader(protectedHeader as { alg: string }).sign(key.privateKey);
}

/** An HTTP API payload 2.0 event for a POST to the receiver, as API Gateway builds it (headers lower-cased). */
export function receiverEvent(
  path: string,
  body: string,
  headers: Record<string, string> = {},
  options: { method?: string; base64?: boolean } = {},
): APIGatewayProxyEventV2 {
  const method = options.method ?? 'POST';
  return {
    version: '2.0',
    routeKey: `${method} ${path}`,
    rawPath: path,
    rawQueryString: '',
    headers: Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value])),
    requestContext: {
      accountId: '123456789012',
      apiId: 'receiver',
      domainName: 'receiver.example.com',
      domainPrefix: 'receiver',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '192.0.2.1', userAgent: 'test' },
      requestId: 'request-1',
      routeKey: `${method} ${path}`,
      stage: '$default',
      time: '01/Jan/2026:00:00:00 +0000',
      timeEpoch: Date.now(),
    },
    body: options.base64 === true ? Buffer.from(body).toString('base64') : body,
    isBase64Encoded: options.base64 === true,
  };
}

/** A form body (application/x-www-form-urlencoded). */
export function form(parameters: Record<string, string>): string {
  return new URLSearchParams(parameters).toString();
}

/** `sha256:<hex>` of a client secret, the RECEIVER_CLIENTS value. */
export function secretHash(secret: string): string {
  return `sha256:${createHash('sha256').update(secret, 'utf8').digest('hex')}`;
}

/**
 * The local stack's SNS endpoint (the real Query protocol the SDK speaks), standalone: it records
 * each message published, and answers 500 while `failing` is set.
 */
export class RecordingSns {
  readonly published: Publication[] = [];
  failing = false;
  private server: Server | undefined;

  static async start(): Promise<RecordingSns> {
    const sns = new RecordingSns();
    const endpoint = createSnsEndpoint({
      region: 'us-east-1',
      deliver: async (publication) => {
        sns.published.push(publication);
        return { delivered: true, attempts: 1 };
      },
    });
    sns.server = createServer(async (request, response) => {
      if (sns.failing) {
        response
          .writeHead(500, { 'content-type': 'text/xml' })
          .end('<ErrorResponse><Error><Type>Receiver</Type><Code>InternalError</Code><Message>down</Message></Error></ErrorResponse>');
        return;
      }
      await endpoint(request, response, (await readBody(request, 1 << 20))!);
    });
    await new Promise<void>((done) => sns.server!.listen(0, '127.0.0.1', done));
    return sns;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}/_local/sns`;
  }

  /** The message bodies published, parsed. */
  messages(): unknown[] {
    return this.published.map((publication) => JSON.parse(publication.message) as unknown);
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((done) => this.server?.close(done));
  }
}

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RevocationStore, type Revocation } from '../../lambda/revocation/index.js';
import { createRevocationTable } from '../../local/table-admin.js';
import { BundleProcess, type Invocation } from '../support/bundle-process.js';
import { startDynalite, type LocalDynamo } from '../support/dynalite.js';
import { TestIssuer } from '../support/issuer.js';
import { describeWithFixtures, sharedFixtures } from './shared-fixtures.js';

/**
 * The log lines a bundle wrote since `before`, once one has `code`: error lines go to stderr, which
 * may arrive after the invocation's answer on stdout (a loaded machine shows it).
 */
async function logLinesSince(bundle: BundleProcess, before: number, code: string): Promise<Record<string, unknown>[]> {
  for (const startedMs = performance.now(); performance.now() - startedMs < 5000;) {
    if (
      bundle
        .logLines()
        .slice(before)
        .some((line) => line.code === code)
    )
      break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return bundle.logLines().slice(before);
}

/**
 * Sample Lambda events written by AWS and the Powertools maintainers (../shared/fixtures/aws-events;
 * SOURCES.txt gives repository, commit and path of each, and every sample below cites its line),
 * run through the built bundles as Lambda would run them: dist/authorizer.mjs trusting a real JWKS
 * server, dist/ingest.mjs writing to dynalite, one process of each for the whole file.
 *
 * The samples' tokens are placeholders ("allow", "Bearer foo", "user1,123"…): each authorizer
 * event is run as published and with the placeholder replaced by a valid, a revoked, a garbage
 * (bad signature) or no token of our own issuer, placed where API Gateway puts the identity source
 * for that event's kind. Expected shapes, from the API Gateway developer guide ("Output from an
 * API Gateway Lambda authorizer"; HTTP APIs: "Working with AWS Lambda authorizers for HTTP APIs"):
 * - HTTP API payload 2.0: `isAuthorized` (simple response) and an IAM policy, both present since
 *   the event does not say which the authorizer was created with; a refusal is a deny (403);
 * - HTTP API payload 1.0: an IAM policy; a refusal is a Deny policy (403);
 * - REST TOKEN and REQUEST: an IAM policy; a revoked token gets a Deny policy (403), a missing or
 *   invalid one makes the function throw `Unauthorized`, which API Gateway answers with 401.
 * Every policy must cover the invoked methodArn/routeArn, or API Gateway would refuse an allow.
 */

const awsEvents = sharedFixtures('aws-events');

type Flavour = 'rest-token' | 'rest-request' | 'http-v1' | 'http-v2';

/** A sample file and where it comes from: `owner/repository@commit path`, as SOURCES.txt gives it. */
interface Sample {
  readonly file: string;
  readonly source: string;
}

interface AuthorizerSample extends Sample {
  readonly flavour: Flavour;
  /** The policy Resource expected: the event's API and stage, every method and path. */
  readonly resource: string;
  /** The refusal reason for the event as published, placeholder and all. */
  readonly asPublished: 'missing_token' | 'malformed_token';
}

const AUTHORIZER_SAMPLES: readonly AuthorizerSample[] = [
  {
    file: 'go-apigw-custom-auth-request.json',
    source: 'aws/aws-lambda-go@815d21f4176907c97cc6a77465ece6a1d2bbbac4 events/testdata/apigw-custom-auth-request.json',
    flavour: 'rest-token',
    resource: 'arn:aws:execute-api:us-west-2:123456789012:ymy8tbxw7b/*/*',
    asPublished: 'malformed_token',
  },
  {
    file: 'ptpy-apiGatewayAuthorizerTokenEvent.json',
    source:
      'aws-powertools/powertools-lambda-python@fa1c29f2d497a7c233f06eb69d0f7ee1b187a9e4 tests/events/apiGatewayAuthorizerTokenEvent.json',
    flavour: 'rest-token',
    resource: 'arn:aws:execute-api:us-west-2:123456789012:ymy8tbxw7b/*/*',
    asPublished: 'malformed_token',
  },
  {
    file: 'ptts-apigw-rest-authorizer-token.json',
    source:
      'aws-powertools/powertools-lambda-typescript@1e5fe1b497003615377ceb8e03b4321ce6260815 packages/parser/tests/events/apigw-rest/authorizer-token.json',
    flavour: 'rest-token',
    resource: 'arn:aws:execute-api:eu-west-1:123456789012:puhdx84jy9/prod/*',
    asPublished: 'malformed_token',
  },
  {
    file: 'sam-ApiGatewayAuthorizer.json',
    source:
      'aws/aws-sam-cli@fe8f8dbb1160abce8ae13e0a4c5f8b456658afd3 samcli/lib/generated_sample_events/events/apigateway/ApiGatewayAuthorizer.json',
    flavour: 'rest-token',
    resource: 'arn:aws:execute-api:us-east-1:123456789012:example/prod/*',
    asPublished: 'malformed_token',
  },
  {
    file: 'go-apigw-custom-auth-request-type-request.json',
    source: 'aws/aws-lambda-go@815d21f4176907c97cc6a77465ece6a1d2bbbac4 events/testdata/apigw-custom-auth-request-type-request.json',
    flavour: 'rest-request',
    resource: 'arn:aws:execute-api:us-east-1:123456789012:s4x3opwd6i/test/*',
    asPublished: 'missing_token',
  },
  {
    file: 'ptts-apigw-rest-authorizer-request.json',
    source:
      'aws-powertools/powertools-lambda-typescript@1e5fe1b497003615377ceb8e03b4321ce6260815 packages/parser/tests/events/apigw-rest/authorizer-request.json',
    flavour: 'rest-request',
    resource: 'arn:aws:execute-api:eu-west-1:123456789012:puhdx84jy9/prod/*',
    asPublished: 'malformed_token',
  },
  {
    file: 'sam-ApiGatewayRestRequestAuthorizer.json',
    source:
      'aws/aws-sam-cli@fe8f8dbb1160abce8ae13e0a4c5f8b456658afd3 samcli/lib/generated_sample_events/events/apigateway/ApiGatewayRestRequestAuthorizer.json',
    flavour: 'rest-request',
    resource: 'arn:aws:execute-api:us-east-1:123456789012:example/prod/*',
    asPublished: 'missing_token',
  },
  {
    file: 'go-apigw-v2-custom-authorizer-v1-request.json',
    source: 'aws/aws-lambda-go@815d21f4176907c97cc6a77465ece6a1d2bbbac4 events/testdata/apigw-v2-custom-authorizer-v1-request.json',
    flavour: 'http-v1',
    resource: 'arn:aws:execute-api:us-east-1:123456789012:abcdef123/test/*',
    asPublished: 'malformed_token',
  },
  {
    file: 'ptpy-apiGatewayAuthorizerRequestEvent.json',
    source:
      'aws-powertools/powertools-lambda-python@fa1c29f2d497a7c233f06eb69d0f7ee1b187a9e4 tests/events/apiGatewayAuthorizerRequestEvent.json',
    flavour: 'http-v1',
    resource: 'arn:aws:execute-api:us-east-1:123456789012:abcdef123/test/*',
    asPublished: 'malformed_token',
  },
  {
    file: 'go-apigw-v2-custom-authorizer-v2-request.json',
    source: 'aws/aws-lambda-go@815d21f4176907c97cc6a77465ece6a1d2bbbac4 events/testdata/apigw-v2-custom-authorizer-v2-request.json',
    flavour: 'http-v2',
    resource: 'arn:aws:execute-api:us-east-1:123456789012:abcdef123/test/*',
    asPublished: 'malformed_token',
  },
  {
    file: 'ptpy-apiGatewayAuthorizerV2Event.json',
    source:
      'aws-powertools/powertools-lambda-python@fa1c29f2d497a7c233f06eb69d0f7ee1b187a9e4 tests/events/apiGatewayAuthorizerV2Event.json',
    flavour: 'http-v2',
    resource: 'arn:aws:execute-api:us-east-1:123456789012:abcdef123/test/*',
    asPublished: 'malformed_token',
  },
  {
    file: 'ptts-apigw-http-authorizer-request.json',
    source:
      'aws-powertools/powertools-lambda-typescript@1e5fe1b497003615377ceb8e03b4321ce6260815 packages/parser/tests/events/apigw-http/authorizer-request.json',
    flavour: 'http-v2',
    resource: 'arn:aws:execute-api:eu-west-1:123456789012:lsw1ro4ipb/$default/*',
    asPublished: 'malformed_token',
  },
];

interface SnsSample extends Sample {
  /** The record's `Timestamp` (SNS publish time), the default cut-off of a subject or client message. */
  readonly timestamp: string;
}

const SNS_SAMPLES: readonly SnsSample[] = [
  {
    file: 'go-sns-event.json',
    source: 'aws/aws-lambda-go@815d21f4176907c97cc6a77465ece6a1d2bbbac4 events/testdata/sns-event.json',
    timestamp: '2015-06-03T17:43:27.123Z',
  },
  {
    file: 'ptpy-snsEvent.json',
    source: 'aws-powertools/powertools-lambda-python@fa1c29f2d497a7c233f06eb69d0f7ee1b187a9e4 tests/events/snsEvent.json',
    timestamp: '2019-01-02T12:45:07.000Z',
  },
  {
    file: 'ptts-sns-base.json',
    source:
      'aws-powertools/powertools-lambda-typescript@1e5fe1b497003615377ceb8e03b4321ce6260815 packages/parser/tests/events/sns/base.json',
    timestamp: '2019-01-02T12:45:07.000Z',
  },
  {
    file: 'sam-Sns.json',
    source: 'aws/aws-sam-cli@fe8f8dbb1160abce8ae13e0a4c5f8b456658afd3 samcli/lib/generated_sample_events/events/sns/Sns.json',
    timestamp: '1970-01-01T00:00:00.000Z',
  },
];

const FLAVOUR_NAMES: Readonly<Record<Flavour, string>> = {
  'rest-token': 'REST API TOKEN',
  'rest-request': 'REST API REQUEST',
  'http-v1': 'HTTP API payload 1.0',
  'http-v2': 'HTTP API payload 2.0',
};

/**
 * aws-sam-cli's samples are mustache templates that `sam local generate-event` renders with the
 * defaults in samcli/lib/generated_sample_events/event-mapping.json (apigateway authorizer and sns
 * notification entries); a name without a default renders empty, as mustache does.
 */
const SAM_DEFAULTS: Readonly<Record<string, string>> = {
  partition: 'aws',
  region: 'us-east-1',
  account_id: '123456789012',
  restApiId: 'example',
  stage: 'prod',
  method: 'POST',
  resource: '{proxy+}',
  topic: 'ExampleTopic',
  subject: 'example subject',
  message: 'example message',
};

/** SOURCES.txt (`owner+repository commit path -> file` per line), by file: `owner/repository@commit path`. */
function readSources(): Map<string, string> {
  const sources = new Map<string, string>();
  for (const line of readFileSync(join(awsEvents.dir, 'SOURCES.txt'), 'utf8').split('\n')) {
    const match = /^(\S+)\+(\S+) ([0-9a-f]{40}) (\S+) -> (\S+)$/.exec(line.trim());
    if (match) sources.set(match[5]!, `${match[1]}/${match[2]}@${match[3]} ${match[4]}`);
  }
  return sources;
}

/** A sample as Lambda would receive it (SAM's templates rendered), as a fresh object. */
function loadSample(file: string): Record<string, unknown> {
  let text = readFileSync(join(awsEvents.dir, file), 'utf8');
  if (file.startsWith('sam-')) text = text.replace(/\{\{\{(\w+)\}\}\}/g, (_, name: string) => SAM_DEFAULTS[name] ?? '');
  return JSON.parse(text) as Record<string, unknown>;
}

function replaceHeader(headers: Record<string, unknown>, defaultName: string, value: string | undefined, asList = false): void {
  const existing = Object.keys(headers).filter((name) => name.toLowerCase() === 'authorization');
  for (const name of existing) delete headers[name];
  if (value !== undefined) headers[existing[0] ?? defaultName] = asList ? [value] : value;
}

/**
 * The event with its placeholder credential replaced by `authorization` (undefined: none), where
 * API Gateway puts an Authorization identity source for that kind of event: the TOKEN
 * authorizer's `authorizationToken`; a REQUEST event's headers (and payload 1.0's
 * `identitySource` and `authorizationToken`, payload 2.0's `identitySource` array).
 */
function withAuthorization(sample: AuthorizerSample, authorization: string | undefined): Record<string, unknown> {
  const event = loadSample(sample.file);
  if (sample.flavour === 'rest-token') {
    if (authorization === undefined) delete event.authorizationToken;
    else event.authorizationToken = authorization;
    return event;
  }
  event.headers ??= {};
  replaceHeader(event.headers as Record<string, unknown>, sample.flavour === 'http-v2' ? 'authorization' : 'Authorization', authorization);
  if (event.multiValueHeaders) replaceHeader(event.multiValueHeaders as Record<string, unknown>, 'Authorization', authorization, true);
  if (sample.flavour === 'http-v1') {
    for (const field of ['identitySource', 'authorizationToken']) {
      if (authorization === undefined) delete event[field];
      else event[field] = authorization;
    }
  }
  if (sample.flavour === 'http-v2') event.identitySource = authorization === undefined ? [] : [authorization];
  return event;
}

/** Whether an IAM Resource with `*` wildcards matches `arn` (IAM policy grammar: `*` is any run of characters). */
function covers(resource: string, arn: string): boolean {
  const pattern = resource
    .split('*')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${pattern}$`).test(arn);
}

function arnOf(event: Record<string, unknown>): string {
  return (event.routeArn ?? event.methodArn) as string;
}

let dynamo: LocalDynamo;
let issuer: TestIssuer;
let store: RevocationStore;
let authorizer: BundleProcess;
let ingest: BundleProcess;
const tokens: Record<'valid' | 'revoked' | 'garbage', string> = { valid: '', revoked: '', garbage: '' };
let sources: Map<string, string>;

describeWithFixtures('AWS sample events', awsEvents, () => {
  beforeAll(async () => {
    sources = readSources();
    [dynamo, issuer] = await Promise.all([startDynalite(), TestIssuer.start({ algorithms: ['RS256'] })]);
    store = new RevocationStore(dynamo.client, 'revocations');
    await createRevocationTable(dynamo.client, 'revocations');
    const exp = Math.floor(Date.now() / 1000) + 3600;
    // Written through the real store before the authorizer's cold start, which loads it.
    await store.applyRevocations([{ kind: 'jti', issuer: issuer.issuer, jti: 'revoked-jti', expiresAtEpochSeconds: exp }]);
    tokens.valid = await issuer.token({ sub: 'alice', jti: 'valid-jti' });
    tokens.revoked = await issuer.token({ sub: 'bob', jti: 'revoked-jti' });
    const [header, , signature] = tokens.valid.split('.');
    tokens.garbage = `${header}.${Buffer.from(JSON.stringify(issuer.claims({ sub: 'admin' }))).toString('base64url')}.${signature}`;
    const env = { ...dynamo.env, REVOCATION_TABLE_NAME: 'revocations', POWERTOOLS_METRICS_DISABLED: 'true' };
    authorizer = new BundleProcess('authorizer', { ...env, ...issuer.env });
    ingest = new BundleProcess('ingest', env);
  });
  afterAll(async () => {
    await Promise.all([authorizer?.stop(), ingest?.stop()]);
    await Promise.all([dynamo?.stop(), issuer?.stop()]);
  });

  it('runs every sample SOURCES.txt lists, each from the repository, commit and path cited here', () => {
    expect(Object.fromEntries(sources)).toEqual(Object.fromEntries([...AUTHORIZER_SAMPLES, ...SNS_SAMPLES].map((s) => [s.file, s.source])));
  });

  for (const sample of AUTHORIZER_SAMPLES) describeAuthorizerSample(sample);
  for (const sample of SNS_SAMPLES) describeSnsSample(sample);
  describeWrongTypeCredentials();
});

/**
 * Sample events whose credential is a JSON value other than a string. API Gateway sends header and
 * identity-source values as strings, so only a direct invoke (a console test event, a caller
 * wired to the function by mistake) produces these; the answer should still be a refusal of the
 * credential (malformed_token), never a 500.
 */
function describeWrongTypeCredentials(): void {
  const sampleOf = (file: string) => AUTHORIZER_SAMPLES.find((sample) => sample.file === file)!;
  const cases: { id: string; sample: AuthorizerSample; change: (event: Record<string, unknown>, bearer: string) => void }[] = [
    {
      id: 'REST TOKEN authorizationToken 7',
      sample: sampleOf('ptts-apigw-rest-authorizer-token.json'),
      change: (event) => (event.authorizationToken = 7),
    },
    {
      id: 'REST REQUEST Authorization header 7',
      sample: sampleOf('ptts-apigw-rest-authorizer-request.json'),
      change: (event) => ((event.headers as Record<string, unknown>).Authorization = 7),
    },
    {
      id: 'HTTP API 1.0 identitySource as an array',
      sample: sampleOf('go-apigw-v2-custom-authorizer-v1-request.json'),
      change: (event, bearer) => (event.identitySource = [bearer]),
    },
    {
      id: 'HTTP API 2.0 authorization header as an array',
      sample: sampleOf('ptts-apigw-http-authorizer-request.json'),
      change: (event, bearer) => ((event.headers as Record<string, unknown>).authorization = [bearer]),
    },
  ];
  describe('sample events whose credential is not a string (only a direct invoke sends these)', () => {
    for (const { id, sample, change } of cases) {
      it(`refuses ${id} (${sample.file}) as a malformed token (${sample.flavour.startsWith('rest') ? '401 Unauthorized' : 'deny'})`, async () => {
        const event = loadSample(sample.file);
        change(event, `Bearer ${tokens.valid}`);
        const linesBefore = authorizer.logLines().length;

        const invocation = await authorizer.invoke(event);

        expect(invocation).toEqual(refusalFor(sample, 'malformed_token'));
        expect(await logLinesSince(authorizer, linesBefore, 'ERR_TOKEN_MALFORMED_TOKEN')).toContainEqual(
          expect.objectContaining({ message: 'deny', reason: 'malformed_token', code: 'ERR_TOKEN_MALFORMED_TOKEN' }),
        );
      });
    }
  });
}

function policyFor(sample: AuthorizerSample, effect: 'Allow' | 'Deny') {
  return { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: effect, Resource: sample.resource }] };
}

/** The expected answer to a refused token: a deny for HTTP APIs, a thrown Unauthorized (401) for REST. */
function refusalFor(sample: AuthorizerSample, reason: string): Invocation {
  if (sample.flavour.startsWith('rest')) return { ok: false, error: { name: 'Error', message: 'Unauthorized' } };
  const deny = { principalId: 'anonymous', policyDocument: policyFor(sample, 'Deny'), context: { reason } };
  return { ok: true, result: sample.flavour === 'http-v2' ? { isAuthorized: false, ...deny } : deny };
}

function describeAuthorizerSample(sample: AuthorizerSample): void {
  describe(`${FLAVOUR_NAMES[sample.flavour]} authorizer event ${sample.file} (${sample.source})`, () => {
    const policy = (effect: 'Allow' | 'Deny') => policyFor(sample, effect);
    const refusal = (reason: string) => refusalFor(sample, reason);
    const isRest = sample.flavour.startsWith('rest');

    it('allows a valid token with a policy covering the invoked ARN and the claims as context', async () => {
      const event = withAuthorization(sample, `Bearer ${tokens.valid}`);

      const invocation = await authorizer.invoke(event);

      const allow = {
        principalId: 'alice',
        policyDocument: policy('Allow'),
        context: { iss: issuer.issuer, jti: 'valid-jti', sub: 'alice', client_id: 'client-1', scope: 'read write' },
      };
      expect(invocation).toEqual({ ok: true, result: sample.flavour === 'http-v2' ? { isAuthorized: true, ...allow } : allow });
      expect(covers(sample.resource, arnOf(event))).toBe(true);
    });

    it('denies a revoked token with an explicit Deny policy (403), for REST too', async () => {
      const invocation = await authorizer.invoke(withAuthorization(sample, `Bearer ${tokens.revoked}`));

      const deny = { principalId: 'bob', policyDocument: policy('Deny'), context: { reason: 'revoked_jti' } };
      expect(invocation).toEqual({ ok: true, result: sample.flavour === 'http-v2' ? { isAuthorized: false, ...deny } : deny });
    });

    it(`refuses a token with a bad signature (${isRest ? '401 Unauthorized' : 'deny'})`, async () => {
      expect(await authorizer.invoke(withAuthorization(sample, `Bearer ${tokens.garbage}`))).toEqual(refusal('bad_signature'));
    });

    it(`refuses a request without a token (${isRest ? '401 Unauthorized' : 'deny'})`, async () => {
      expect(await authorizer.invoke(withAuthorization(sample, undefined))).toEqual(refusal('missing_token'));
    });

    it(`refuses the event as published, placeholder credential and all (${isRest ? '401 Unauthorized' : 'deny'})`, async () => {
      expect(await authorizer.invoke(loadSample(sample.file))).toEqual(refusal(sample.asPublished));
    });
  });
}

type SnsEvent = { Records: { Sns: { Message: string; MessageId: string; Timestamp: string } }[] };

function describeSnsSample({ file, source, timestamp }: SnsSample): void {
  describe(`SNS event ${file} (${source})`, () => {
    it('writes the revocation when its Message is one of ours', async () => {
      const event = loadSample(file) as SnsEvent;
      const jti = `sns-${file}`;
      const exp = Math.floor(Date.now() / 1000) + 3600;
      event.Records[0]!.Sns.Message = JSON.stringify({ version: 1, type: 'jti', jti, iss: issuer.issuer, exp });

      const invocation = await ingest.invoke(event);

      expect(invocation).toEqual({
        ok: true,
        result: {
          messages: 1,
          notApplicable: 0,
          revocations: 1,
          applied: { jti: 1, subject: 0, client: 0, session: 0 },
          unchanged: { jti: 0, subject: 0, client: 0, session: 0 },
        },
      });
      const stored: Revocation[] = [];
      await store.scanLive(1, Date.now() / 1000, (revocation) => stored.push(revocation));
      expect(stored).toContainEqual({ kind: 'jti', issuer: issuer.issuer, jti, expiresAtEpochSeconds: exp + 60 });
    });

    const publishedAtMs = Date.parse(timestamp);
    // Before March 1973 an epoch-ms value is taken for seconds sent by mistake (the store's MIN_EPOCH_MS).
    if (publishedAtMs >= 100_000_000_000) {
      it(`takes the cut-off of a subject message without revokedAt from its Timestamp, ${timestamp}`, async () => {
        const event = loadSample(file) as SnsEvent;
        const sub = `sns-subject-${file}`;
        event.Records[0]!.Sns.Message = JSON.stringify({ version: 1, type: 'subject', sub, iss: issuer.issuer });

        const invocation = await ingest.invoke(event);

        expect(invocation).toMatchObject({ ok: true, result: { applied: { jti: 0, subject: 1, client: 0 } } });
        const stored: Revocation[] = [];
        // Read as of the publish time: a cut-off that old has long passed its TTL, which dynalite does not enforce.
        await store.scanLive(1, publishedAtMs / 1000, (revocation) => stored.push(revocation));
        expect(stored).toContainEqual(expect.objectContaining({ kind: 'subject', id: sub, revokedAtEpochMs: publishedAtMs }));
      });
    } else {
      it(`refuses a subject message without revokedAt, whose cut-off would be its Timestamp ${timestamp}, as invalid_time`, async () => {
        const event = loadSample(file) as SnsEvent;
        event.Records[0]!.Sns.Message = JSON.stringify({ version: 1, type: 'subject', sub: 'sns-subject', iss: issuer.issuer });
        const linesBefore = ingest.logLines().length;

        const invocation = await ingest.invoke(event);

        expect(invocation).toMatchObject({ ok: false, error: { name: 'InvalidMessageError', code: 'ERR_INVALID_MESSAGE' } });
        expect(await logLinesSince(ingest, linesBefore, 'ERR_INVALID_MESSAGE')).toContainEqual(
          expect.objectContaining({ code: 'ERR_INVALID_MESSAGE', reason: 'invalid_time' }),
        );
      });
    }

    it('refuses its own Message, which is not a revocation, with InvalidMessageError (not a TypeError) and a log line', async () => {
      const event = loadSample(file) as SnsEvent;
      expect(event.Records[0]!.Sns.Timestamp).toBe(timestamp);
      const linesBefore = ingest.logLines().length;

      const invocation = await ingest.invoke(event);

      expect(invocation).toMatchObject({ ok: false, error: { name: 'InvalidMessageError', code: 'ERR_INVALID_MESSAGE' } });
      expect(await logLinesSince(ingest, linesBefore, 'ERR_INVALID_MESSAGE')).toContainEqual(
        expect.objectContaining({ code: 'ERR_INVALID_MESSAGE', reason: 'malformed_json', messageId: event.Records[0]!.Sns.MessageId }),
      );
    });
  });
}

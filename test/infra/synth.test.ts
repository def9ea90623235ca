import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStubBundles } from './support/stacks.js';

const run = promisify(execFile);
const repository = fileURLToPath(new URL('../../', import.meta.url));
const STACK = 'RevocationAuthorizerExample';
const ISSUER = {
  issuer: 'https://issuer.synth.test/',
  jwksUri: 'https://issuer.synth.test/.well-known/jwks.json',
  audience: 'synth-api',
};

/** The real bundles when `npm run build` has run (as `npm test` does), else stand-ins. */
const realBundles = ['authorizer.mjs', 'ingest.mjs'].every((file) => existsSync(join(repository, 'dist', file)));

let stubs: ReturnType<typeof createStubBundles>;
let output: string;

/** Runs without AWS credentials or network: nothing in the environment may point at an account. */
function offlineEnvironment(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const environment: NodeJS.ProcessEnv = { ...process.env, CI: 'true', CDK_DISABLE_CLI_TELEMETRY: 'true' };
  for (const name of Object.keys(environment)) {
    // Credentials and the CLI's account: nothing may point at an account. (infra/app.ts reads no
    // other variable: a test below sets the local stack's on purpose.)
    if (/^(AWS_|CDK_DEFAULT_)/.test(name)) delete environment[name];
  }
  const nowhere = join(tmpdir(), 'revocation-authorizer-no-aws-config');
  return {
    ...environment,
    // No profile from ~/.aws and no instance metadata probe: nothing to wait for without a network.
    AWS_CONFIG_FILE: nowhere,
    AWS_SHARED_CREDENTIALS_FILE: nowhere,
    AWS_EC2_METADATA_DISABLED: 'true',
    ...extra,
  };
}

beforeAll(() => {
  stubs = createStubBundles();
  output = mkdtempSync(join(tmpdir(), 'revocation-authorizer-cdk-out-'));
});
afterAll(() => {
  stubs.remove();
  rmSync(output, { recursive: true, force: true });
});

/** Runs the app alone (no CLI): CDK_OUTDIR and CDK_CONTEXT_JSON are how the CLI passes an output directory and context. */
async function runApp(name: string, context: Record<string, unknown>, extraEnvironment: Record<string, string> = {}) {
  const appOutput = join(output, name);
  const bundles = realBundles ? {} : { bundleDirectory: stubs.directory };
  try {
    const { stderr } = await run('npx', ['tsx', 'infra/app.ts'], {
      cwd: repository,
      env: offlineEnvironment({ CDK_OUTDIR: appOutput, CDK_CONTEXT_JSON: JSON.stringify({ ...bundles, ...context }), ...extraEnvironment }),
      timeout: 120_000,
    });
    return { code: 0, stderr, appOutput };
  } catch (error) {
    const failed = error as { code?: number; stderr?: string };
    return { code: failed.code ?? -1, stderr: failed.stderr ?? '', appOutput };
  }
}

describe.concurrent('example app', () => {
  it('synthesizes offline with the real cdk CLI, configured from a committed-style environment file', async () => {
    const config = join(output, 'production.json');
    writeFileSync(config, JSON.stringify({ ...ISSUER, reservedConcurrency: 100, alarmEmail: 'ops@synth.test' }));
    const args = [
      'cdk',
      'synth',
      '--quiet',
      '--no-notices',
      '--output',
      output,
      '-c',
      `config=${config}`,
      ...(realBundles ? [] : ['-c', `bundleDirectory=${stubs.directory}`]),
    ];
    await run('npx', args, { cwd: repository, env: offlineEnvironment(), timeout: 120_000 });

    const template = JSON.parse(readFileSync(join(output, `${STACK}.template.json`), 'utf8'));
    const resources = Object.values(template.Resources) as {
      Type: string;
      Properties: Record<string, any>;
      Metadata?: Record<string, string>;
    }[];
    expect(Object.keys(template.Outputs)).toEqual(
      expect.arrayContaining(['ApiUrl', 'TopicArn', 'TableName', 'KeyArn', 'DeliveryDeadLetterQueueUrl', 'IngestFailureQueueUrl']),
    );
    const authorizerFunction = resources.find((r) => r.Type === 'AWS::Lambda::Function' && r.Properties.Handler === 'authorizer.handler');
    expect(JSON.parse(authorizerFunction?.Properties.Environment.Variables.JWT_ISSUERS)).toEqual([
      { ...ISSUER, audience: [ISSUER.audience] },
    ]);
    expect(authorizerFunction?.Properties.ReservedConcurrentExecutions).toBe(100);
    expect(resources.filter((r) => r.Type === 'AWS::ApiGatewayV2::Authorizer')).toHaveLength(1);
    expect(resources.some((r) => r.Type === 'AWS::ApiGatewayV2::Route' && r.Properties.AuthorizationType === 'CUSTOM')).toBe(true);
    // alarmEmail: a subscription, and CloudWatch allowed to publish for this account's alarms only.
    expect(resources.some((r) => r.Type === 'AWS::SNS::Subscription' && r.Properties.Endpoint === 'ops@synth.test')).toBe(true);
    const alarmTopicPolicy = resources.find(
      (r) => r.Type === 'AWS::SNS::TopicPolicy' && JSON.stringify(r.Properties).includes('cloudwatch.amazonaws.com'),
    );
    expect(alarmTopicPolicy?.Properties.PolicyDocument.Statement).toContainEqual(
      expect.objectContaining({
        Effect: 'Allow',
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Condition: expect.objectContaining({ StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } }),
      }),
    );

    // The function's asset is exactly the bundle, renamed nowhere: handler `authorizer.handler`.
    const assetDirectory = join(output, authorizerFunction?.Metadata?.['aws:asset:path'] ?? 'missing');
    expect(readdirSync(assetDirectory).filter((file) => file.endsWith('.mjs'))).toEqual(['authorizer.mjs']);
  }, 120_000);

  it('stops without an issuer, exit code 1, naming what to set, without a stack trace', async () => {
    // The local stack's variables, left in the shell, must not configure a deploy.
    const { code, stderr, appOutput } = await runApp(
      'no-issuer',
      {},
      { JWT_ISSUER: 'http://localhost:3000/demo', JWKS_URI: 'http://localhost:3000/jwks', JWT_AUDIENCE: 'demo' },
    );
    expect(code).toBe(1);
    expect(stderr).toContain('no issuer configured');
    expect(stderr).not.toMatch(/^\s+at /m);
    expect(existsSync(join(appOutput, `${STACK}.template.json`))).toBe(false);
  }, 120_000);

  it('synthesizes with the placeholder issuer only when allowPlaceholderIssuer is set, and warns', async () => {
    const { code, appOutput } = await runApp('placeholder', { allowPlaceholderIssuer: 'true' });
    expect(code).toBe(0);
    const metadata = readFileSync(join(appOutput, `${STACK}.metadata.json`), 'utf8');
    expect(metadata).toContain('revocation-authorizer-example:placeholder-issuer');
  }, 120_000);

  it('stops on an issuer without audience with a clean message naming the field, through the cdk CLI', async () => {
    const issuers = JSON.stringify([{ issuer: ISSUER.issuer, jwksUri: ISSUER.jwksUri }]);
    const args = ['cdk', 'synth', '--quiet', '--no-notices', '--output', join(output, 'bad'), '-c', `issuers=${issuers}`];
    const failure = await run('npx', args, { cwd: repository, env: offlineEnvironment(), timeout: 120_000 }).then(
      () => undefined,
      (error: { code?: number; stderr?: string }) => error,
    );
    expect(failure?.code).not.toBe(0);
    expect(failure?.stderr).toContain('issuers[0].audience: must be a non-empty string or list of them, got nothing');
    expect(failure?.stderr).not.toMatch(/TypeError|^\s+at /m);
  }, 120_000);
});

import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
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
  issuer: 'https://issuer.synth.example/',
  jwksUri: 'https://issuer.synth.example/.well-known/jwks.json',
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
    // Credentials, and every variable infra/app.ts reads: only the arguments below configure it.
    if (
      /^(AWS_|CDK_DEFAULT_|JWT_|JWKS_|REVOCATION_|AUTHORIZER_)|^(BUNDLE_DIRECTORY|STACK_NAME|ALARM_EMAIL|METRICS_NAMESPACE)$/.test(name)
    ) {
      delete environment[name];
    }
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

describe.concurrent('example app', () => {
  it('synthesizes offline with the real cdk CLI, configured from context', async () => {
    const args = [
      'cdk',
      'synth',
      '--quiet',
      '--no-notices',
      '--output',
      output,
      '-c',
      `issuer=${ISSUER.issuer}`,
      '-c',
      `jwksUri=${ISSUER.jwksUri}`,
      '-c',
      `audience=${ISSUER.audience}`,
      ...(realBundles ? [] : ['-c', `bundleDirectory=${stubs.directory}`]),
    ];
    await run('npx', args, { cwd: repository, env: offlineEnvironment(), timeout: 120_000 });

    const template = JSON.parse(readFileSync(join(output, `${STACK}.template.json`), 'utf8'));
    const resources = Object.values(template.Resources) as {
      Type: string;
      Properties: Record<string, any>;
      Metadata?: Record<string, string>;
    }[];
    expect(Object.keys(template.Outputs)).toEqual(expect.arrayContaining(['ApiUrl', 'TopicArn', 'TableName']));
    const authorizerFunction = resources.find((r) => r.Type === 'AWS::Lambda::Function' && r.Properties.Handler === 'authorizer.handler');
    expect(JSON.parse(authorizerFunction?.Properties.Environment.Variables.JWT_ISSUERS)).toEqual([
      { ...ISSUER, audience: [ISSUER.audience] },
    ]);
    expect(resources.filter((r) => r.Type === 'AWS::ApiGatewayV2::Authorizer')).toHaveLength(1);
    expect(resources.some((r) => r.Type === 'AWS::ApiGatewayV2::Route' && r.Properties.AuthorizationType === 'CUSTOM')).toBe(true);

    // The function's asset is exactly the bundle, renamed nowhere: handler `authorizer.handler`.
    const assetDirectory = join(output, authorizerFunction?.Metadata?.['aws:asset:path'] ?? 'missing');
    expect(readdirSync(assetDirectory).filter((file) => file.endsWith('.mjs'))).toEqual(['authorizer.mjs']);
  }, 120_000);

  it('synthesizes without any issuer configured, warning that it trusts only a placeholder', async () => {
    const appOutput = join(output, 'placeholder');
    // The app alone (no CLI): CDK_OUTDIR is how the CLI tells an app where to write.
    await run('npx', ['tsx', 'infra/app.ts'], {
      cwd: repository,
      env: offlineEnvironment({ CDK_OUTDIR: appOutput, BUNDLE_DIRECTORY: stubs.directory }),
      timeout: 120_000,
    });
    const metadata = readFileSync(join(appOutput, `${STACK}.metadata.json`), 'utf8');
    expect(metadata).toContain('revocation-authorizer-example:no-issuer');
    expect(existsSync(join(appOutput, `${STACK}.template.json`))).toBe(true);
  }, 120_000);
});

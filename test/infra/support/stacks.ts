import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack, type CfnElement } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { afterAll, expect } from 'vitest';
import type { RevocationAuthorizerProps } from '../../../infra/props.js';
import { RevocationAuthorizer } from '../../../infra/revocation-authorizer.js';

/** A trusted issuer for tests; nothing is fetched at synth time. */
export const TEST_ISSUER = {
  issuer: 'https://issuer.test.example/',
  jwksUri: 'https://issuer.test.example/.well-known/jwks.json',
  audience: 'test-api',
} as const;

export const TEST_ACCOUNT = '111111111111';

/**
 * Stand-ins for dist/: the construct only packages the files, so the infra tests neither depend on
 * the handlers being written yet nor race `npm run build` (which deletes dist/) in a parallel run.
 */
export function createStubBundles(): { readonly directory: string; remove(): void } {
  const directory = mkdtempSync(join(tmpdir(), 'revocation-authorizer-bundles-'));
  for (const name of ['authorizer', 'feed', 'ingest', 'receiver', 'snapshot']) {
    writeFileSync(join(directory, `${name}.mjs`), `export const handler = async () => { throw new Error('stub ${name}'); };\n`);
    writeFileSync(join(directory, `${name}.mjs.map`), '{"version":3,"sources":[],"mappings":""}\n');
  }
  // Must stay out of both zips.
  writeFileSync(join(directory, 'unrelated.txt'), 'not part of any function\n');
  mkdirSync(join(directory, 'nested'));
  writeFileSync(join(directory, 'nested', 'file.mjs'), '');
  return { directory, remove: () => rmSync(directory, { recursive: true, force: true }) };
}

/** The feature flags of cdk.json, so the tests see the templates `cdk deploy` makes. */
export const CDK_JSON_CONTEXT: Record<string, unknown> = JSON.parse(
  readFileSync(new URL('../../../cdk.json', import.meta.url), 'utf8'),
).context;

/**
 * One cloud assembly directory per test file, removed after it: an App given no outdir makes a
 * new temporary directory of its own, and nothing removes those.
 */
const outdir = mkdtempSync(join(tmpdir(), 'revocation-authorizer-cdk-out-'));
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

/** A stack in a fixed account and region holding one RevocationAuthorizer. */
export function authorizerStack(
  bundleDirectory: string,
  props: Partial<RevocationAuthorizerProps> | ((stack: Stack) => Partial<RevocationAuthorizerProps>) = {},
): { app: App; stack: Stack; authorizer: RevocationAuthorizer } {
  // Asset metadata lets a test find each function's staged asset directory.
  const app = new App({ outdir, context: { ...CDK_JSON_CONTEXT, 'aws:cdk:enable-asset-metadata': true } });
  const stack = new Stack(app, 'TestStack', { env: { account: TEST_ACCOUNT, region: 'eu-west-1' } });
  const overrides = typeof props === 'function' ? props(stack) : props;
  const authorizer = new RevocationAuthorizer(stack, 'Revocation', { issuers: [TEST_ISSUER], bundleDirectory, ...overrides });
  return { app, stack, authorizer };
}

/** The files of a function's staged asset directory in a synthesized `assembly`, as `cdk deploy` would zip them. */
export function assetFiles(of: Stack, assembly: string, fn: IConstruct): string[] {
  const resource = Template.fromStack(of).toJSON().Resources[of.getLogicalId(fn.node.defaultChild as CfnElement)];
  const directory = join(assembly, (resource.Metadata as Record<string, string>)['aws:asset:path']!);
  expect(existsSync(directory)).toBe(true);
  return readdirSync(directory).sort();
}

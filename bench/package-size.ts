/**
 * What a deployment ships: each bundle's size (and gzip), its source map, and the zip CDK deploys
 * for each function, built as `cdk deploy` builds it: the construct synthesized into a cloud
 * assembly, each function's staged asset directory zipped (deflate, one entry per file).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { deflateRawSync, gzipSync } from 'node:zlib';
import { App, Stack, type CfnElement } from 'aws-cdk-lib';
import { RevocationAuthorizer } from '../infra/index.js';

export type BundleName = 'authorizer' | 'ingest';

export interface BundleSize {
  readonly bytes: number;
  readonly gzipBytes: number;
  readonly sourceMapBytes: number;
}

export interface DeployedZip {
  readonly files: readonly string[];
  readonly zipBytes: number;
}

export interface PackageSizes {
  readonly bundles: Record<BundleName, BundleSize>;
  /** The zips as deployed by default, and with `includeSourceMaps: true`. */
  readonly zips: Record<BundleName, DeployedZip>;
  readonly zipsWithSourceMaps: Record<BundleName, DeployedZip>;
}

export function packageSizes(bundleDirectory = resolve('dist')): PackageSizes {
  const bundle = (name: BundleName): BundleSize => {
    const path = join(bundleDirectory, `${name}.mjs`);
    return {
      bytes: statSync(path).size,
      gzipBytes: gzipSync(readFileSync(path), { level: 9 }).length,
      sourceMapBytes: statSync(`${path}.map`).size,
    };
  };
  return {
    bundles: { authorizer: bundle('authorizer'), ingest: bundle('ingest') },
    zips: deployedZips(bundleDirectory, false),
    zipsWithSourceMaps: deployedZips(bundleDirectory, true),
  };
}

function deployedZips(bundleDirectory: string, includeSourceMaps: boolean): Record<BundleName, DeployedZip> {
  const outdir = mkdtempSync(join(tmpdir(), 'revocation-authorizer-bench-cdk-'));
  try {
    const app = new App({ outdir, context: { 'aws:cdk:enable-asset-metadata': true } });
    const stack = new Stack(app, 'BenchStack', { env: { account: '111111111111', region: 'eu-west-1' } });
    const authorizer = new RevocationAuthorizer(stack, 'Revocation', {
      issuers: [{ issuer: 'https://issuer.example.com/', jwksUri: 'https://issuer.example.com/jwks.json', audience: 'api' }],
      bundleDirectory,
      includeSourceMaps,
    });
    const assembly = app.synth();
    const template = assembly.getStackByName(stack.stackName).template as {
      Resources: Record<string, { Metadata?: Record<string, string> }>;
    };
    const zipOf = (fn: typeof authorizer.authorizerFunction): DeployedZip => {
      const logicalId = stack.getLogicalId(fn.node.defaultChild as CfnElement);
      const directory = join(assembly.directory, template.Resources[logicalId]!.Metadata!['aws:asset:path']!);
      const files = readdirSync(directory).sort();
      return { files, zipBytes: zipBytes(directory, files) };
    };
    return { authorizer: zipOf(authorizer.authorizerFunction), ingest: zipOf(authorizer.ingestFunction) };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/**
 * The size of a zip of `files` (APPNOTE 6.3: a local header and the deflated data per entry, a
 * central directory entry per file, the end record), each entry deflated at zlib's default level.
 */
function zipBytes(directory: string, files: readonly string[]): number {
  const LOCAL_HEADER = 30;
  const CENTRAL_HEADER = 46;
  const END_RECORD = 22;
  let total = END_RECORD;
  for (const file of files) {
    const name = Buffer.byteLength(file);
    total += LOCAL_HEADER + name + deflateRawSync(readFileSync(join(directory, file))).length + CENTRAL_HEADER + name;
  }
  return total;
}

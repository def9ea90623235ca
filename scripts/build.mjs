// Bundles each Lambda handler into one self-contained ESM file under dist/.
// The AWS SDK is bundled on purpose: the version is pinned by package-lock.json, not by whatever
// the Lambda runtime happens to ship, and tree-shaking keeps cold-start imports small.
import { build } from 'esbuild';
import { rm } from 'node:fs/promises';

const entryPoints = {
  authorizer: 'lambda/authorizer.ts',
  ingest: 'lambda/ingest.ts',
};

await rm('dist', { recursive: true, force: true });
const result = await build({
  entryPoints,
  outdir: 'dist',
  outExtension: { '.js': '.mjs' },
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node22',
  minify: true,
  // Error classes name themselves with new.target.name; Lambda reports and logs show those names.
  keepNames: true,
  sourcemap: 'linked',
  sourcesContent: false,
  metafile: true,
  legalComments: 'none',
  logLevel: 'warning',
  // Some bundled CommonJS dependencies call require() for Node built-ins; ESM has no require.
  banner: {
    js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
  },
});

for (const [file, { bytes }] of Object.entries(result.metafile.outputs)) {
  if (file.endsWith('.mjs')) console.log(`${file}  ${(bytes / 1024).toFixed(1)} KiB`);
}

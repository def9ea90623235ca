// Bundles each Lambda handler into one self-contained ESM file under dist/.
// The AWS SDK is bundled on purpose: the version is pinned by package-lock.json, not by whatever
// the Lambda runtime happens to ship, and tree-shaking keeps cold-start imports small.
import { build } from 'esbuild';
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';

const OUT_DIR = 'dist';
const entryPoints = {
  authorizer: 'lambda/authorizer.ts',
  ingest: 'lambda/ingest.ts',
  snapshot: 'lambda/snapshot.ts',
  receiver: 'lambda/receiver.ts',
  feed: 'lambda/feed.ts',
};

const result = await build({
  entryPoints,
  outdir: OUT_DIR,
  outExtension: { '.js': '.mjs' },
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node22',
  minify: true,
  // A throw at module scope (a bad configuration) makes Node print its source line; without a
  // limit, minified code is one line of hundreds of kilobytes.
  lineLimit: 200,
  // Error classes name themselves with new.target.name; Lambda reports and logs show those names.
  keepNames: true,
  sourcemap: 'linked',
  sourcesContent: false,
  metafile: true,
  legalComments: 'none',
  logLevel: 'warning',
  write: false,
  // Some bundled CommonJS dependencies call require() for Node built-ins; ESM has no require.
  banner: {
    js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
  },
});

// Replace each file atomically (write aside, then rename over): a process loading dist/ while a
// build runs (the local stack, a test) sees the old bundle or the new one, never a missing file.
await mkdir(OUT_DIR, { recursive: true });
const written = new Set();
for (const file of result.outputFiles) {
  const temporary = `${file.path}.${process.pid}.tmp`;
  await writeFile(temporary, file.contents);
  await rename(temporary, file.path);
  written.add(basename(file.path));
}
for (const stale of await readdir(OUT_DIR)) {
  if (!written.has(stale) && !stale.endsWith('.tmp')) await rm(join(OUT_DIR, stale), { recursive: true, force: true });
}

for (const [file, { bytes }] of Object.entries(result.metafile.outputs)) {
  if (file.endsWith('.mjs')) console.log(`${file}  ${(bytes / 1024).toFixed(1)} KiB`);
}

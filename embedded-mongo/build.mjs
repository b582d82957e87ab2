// Bundles the CLI into dist/cli.js (the package's `bin`); bson stays external, mingo is bundled
// from its ESM build (see mingo-esm-plugin.mjs).
import { readFileSync } from 'node:fs';
import { build } from 'esbuild';
import { mingoEsm } from './mingo-esm-plugin.mjs';

const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8'));

await build({
  entryPoints: { cli: 'src/cli.ts' },
  absWorkingDir: new URL('.', import.meta.url).pathname,
  outdir: 'dist',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  external: Object.keys(pkg.dependencies).filter((d) => d !== 'mingo'),
  plugins: [mingoEsm],
  logLevel: 'warning',
  banner: { js: '#!/usr/bin/env node' },
});
console.log('embedded-mongo: built dist/cli.js');

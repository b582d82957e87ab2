// Bundles the hub into server/dist for `npm start` and the Docker image. Dependencies stay
// external (installed by npm); the workspace protocol package is TypeScript, so it is bundled.
import { readFileSync } from 'node:fs';
import { build } from 'esbuild';
import { mingoEsm } from '../embedded-mongo/mingo-esm-plugin.mjs';

const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8'));
const external = Object.keys(pkg.dependencies).filter((d) => !d.startsWith('@activity-hub/'));

await build({
  entryPoints: {
    main: 'src/main.ts',
    seed: 'src/cli/seed.ts',
    // The embedded database's thread, beside the bundles that start it (embedded-mongo's
    // WORKER_BUNDLE_NAME, which in-worker.ts loads relative to the bundle).
    'embedded-mongo-worker': '../embedded-mongo/src/worker-entry.ts',
  },
  absWorkingDir: new URL('.', import.meta.url).pathname,
  outdir: 'dist',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  external,
  // The embedded database's mingo, from its ESM build (see the plugin).
  plugins: [mingoEsm],
  logLevel: 'warning',
  // Some dependencies are CommonJS and call require(); give the ESM bundle one.
  banner: {
    js: "import { createRequire as __ahCreateRequire } from 'node:module'; const require = __ahCreateRequire(import.meta.url);",
  },
});
console.log('server: built dist/main.js');

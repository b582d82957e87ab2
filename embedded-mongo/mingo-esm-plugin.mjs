// mingo publishes CommonJS under the `node` export condition and ESM under `default`. In its
// CommonJS build every internal function is reached through a re-export getter, and under a
// hub's load those getters alone took 6% of the CPU. So our bundles take mingo's ESM build.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);

/** An esbuild plugin: resolves `mingo` and `mingo/<subpath>` to mingo's ESM files. */
export const mingoEsm = {
  name: 'mingo-esm',
  setup(build) {
    build.onResolve({ filter: /^mingo(\/.*)?$/ }, (args) => {
      const pkgPath = require.resolve('mingo/package.json', { paths: [args.resolveDir] });
      const exported = JSON.parse(readFileSync(pkgPath, 'utf8')).exports[`.${args.path.slice('mingo'.length)}`];
      const target = typeof exported === 'string' ? exported : exported?.default;
      return target ? { path: path.join(path.dirname(pkgPath), target) } : undefined;
    });
  },
};

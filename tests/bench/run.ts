/**
 * `npm run bench`: every benchmark, one after another (they must not share the two cores).
 * Each prints its figures as ratios against a baseline measured in the same run, plus
 * absolute numbers. Pass names to run a subset: `npm run bench -- track-throughput`, then options
 * for them: `npm run bench -- capacity --quick`.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const dir = path.dirname(fileURLToPath(import.meta.url));
// Names pick benchmarks; everything from the first `--option` on is passed to each one's run().
const argv = process.argv.slice(2);
const firstOption = argv.findIndex((a) => a.startsWith('--'));
const wanted = firstOption < 0 ? argv : argv.slice(0, firstOption);
const options = firstOption < 0 ? [] : argv.slice(firstOption);
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => wanted.length === 0 || wanted.some((w) => f.startsWith(w)))
  .sort();

for (const file of files) {
  console.log(`\n=== ${file} ===`);
  const started = performance.now();
  const mod = (await import(pathToFileURL(path.join(dir, file)).href)) as {
    run?: (argv: string[]) => Promise<unknown>;
  };
  if (typeof mod.run !== 'function') throw new Error(`${file} exports no run()`);
  await mod.run(options);
  console.log(`(${file}: ${((performance.now() - started) / 1000).toFixed(1)} s)`);
}

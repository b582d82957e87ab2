import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));

it('tracker.js stays within 16 KB gzip', () => {
  const out = execFileSync('node', ['tracker/build.mjs'], { cwd: root, encoding: 'utf8' });
  process.stdout.write(out); // the size figure, e.g. "tracker.js: 45.9 KB, 15.3 KB gzip (budget 16.0 KB)"
  const meta = JSON.parse(readFileSync(`${root}tracker/dist/tracker.meta.json`, 'utf8')) as {
    bytes: number;
    gzipBytes: number;
  };
  expect(meta.gzipBytes).toBeGreaterThan(0);
  expect(meta.gzipBytes).toBeLessThanOrEqual(16_384);
  // No other global than window.activityHub, no console output outside debug mode.
  const js = readFileSync(`${root}tracker/dist/tracker.js`, 'utf8');
  expect(js.match(/console\.\w+/g)).toEqual(['console.log']);
}, 60_000);

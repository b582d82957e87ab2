// Runs vitest, then prints the database the run used ("Database: embedded|mongod|env URL") and
// one plain closing line ("N passed, N failed, N skipped") that any CI can read, and exits
// with vitest's own status.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';

mkdirSync('test-artifacts', { recursive: true });
const out = 'test-artifacts/vitest.json';
const args = [
  'vitest',
  'run',
  '--reporter=default',
  '--reporter=json',
  `--outputFile.json=${out}`,
  ...process.argv.slice(2),
];
rmSync('test-artifacts/database.txt', { force: true });
const run = spawnSync('npx', args, { stdio: 'inherit' });
let summary = 'Tests: 0 passed, 1 failed (no report)';
try {
  const r = JSON.parse(readFileSync(out, 'utf8'));
  const skipped = r.numPendingTests + r.numTodoTests;
  summary = `Tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${skipped} skipped`;
  if (process.env.CI === 'true' && skipped > 0) {
    console.error('CI=true: tests were skipped; nothing may be skipped in CI');
    summary = `Tests: ${r.numPassedTests} passed, ${r.numFailedTests + skipped} failed`;
    process.exitCode = 1;
  }
} catch {
  process.exitCode = 1;
}
let database = 'unknown (the harness did not start)';
try {
  database = readFileSync('test-artifacts/database.txt', 'utf8').trim();
} catch {
  /* keep "unknown" */
}
console.log(`Database: ${database}`);
console.log(summary);
process.exitCode = run.status || process.exitCode || 0;

/**
 * HEAP_GROWING_PERCENT (heap-tuning.ts): set at start, it bounds how far the heap grows past its
 * live size. Two real processes run the same allocation pattern, one as V8 chooses (0) and one
 * tuned; the tuned one commits far less heap at its peak. Without the setting taking effect the
 * two peaks are alike. Both get the same 4 GB heap limit, since V8's own growth factor depends on
 * it (on a small host it is already low, and the comparison would say nothing).
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../server/src/config.ts';

const CHURN = path.resolve(import.meta.dirname, '../../helpers/heap-churn.ts');
async function peakMB(percent: number): Promise<number> {
  const args = ['--max-old-space-size=4096', '--import', 'tsx', CHURN, String(percent)];
  const { stdout } = await promisify(execFile)(process.execPath, args, { encoding: 'utf8', timeout: 100_000 });
  return (JSON.parse(stdout) as { peakMB: number }).peakMB;
}

describe('heap tuning', () => {
  it('keeps the committed heap near the live heap', { timeout: 240_000 }, async () => {
    const own = await peakMB(0);
    const tuned = await peakMB(20);
    expect(tuned).toBeLessThan(own * 0.6);
  });

  it('is configured with HEAP_GROWING_PERCENT, 100 by default, 0 to 300', () => {
    expect(loadConfig({}).HEAP_GROWING_PERCENT).toBe(100);
    expect(loadConfig({ HEAP_GROWING_PERCENT: '0' }).HEAP_GROWING_PERCENT).toBe(0);
    expect(() => loadConfig({ HEAP_GROWING_PERCENT: '301' })).toThrow(/HEAP_GROWING_PERCENT/);
  });
});

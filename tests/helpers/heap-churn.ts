/**
 * A child process for heap-tuning.test.ts: applies `tuneHeap(percent)` as the hub does at start,
 * keeps a live set of about 100 MB, then churns objects that live long enough to be promoted,
 * and prints the largest committed heap it saw (MB) as JSON.
 */
import v8 from 'node:v8';
import { tuneHeap } from '../../server/src/heap-tuning.ts';

tuneHeap(Number(process.argv[2] ?? 0));
const live: { a: number; b: string }[] = [];
for (let i = 0; i < 1_000_000; i++) live.push({ a: i, b: `live-${i}` });
let peak = 0;
let held: { a: number; b: string }[] = [];
for (let round = 0; round < 60; round++) {
  for (let i = 0; i < 200_000; i++) held.push({ a: i, b: `churn-${i}` });
  if (held.length >= 1_000_000) held = [];
  peak = Math.max(peak, v8.getHeapStatistics().total_heap_size);
}
process.stdout.write(`${JSON.stringify({ peakMB: Math.round(peak / 2 ** 20), live: live.length })}\n`);

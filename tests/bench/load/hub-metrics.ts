/**
 * The hub's own metrics, read from its `/metrics` (loopback callers need no token) before and
 * after a phase: how long its database flushes took and how many events each carried, so a
 * slow ack can be told apart as waiting for a flush or waiting for the event loop; and what its
 * rollup job did meanwhile.
 */
import { metricValue } from '../../helpers/hub-process.ts';

/** One histogram's buckets (cumulative counts by upper bound), sum and count. */
interface Histogram {
  buckets: [number, number][];
  sum: number;
  count: number;
}

function histogram(text: string, name: string): Histogram {
  const buckets: [number, number][] = [];
  let sum = 0;
  let count = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    const le = /le="([^"]+)"/.exec(line)?.[1];
    if (line.startsWith(`${name}_bucket`) && le) buckets.push([le === '+Inf' ? Infinity : Number(le), value]);
    else if (line.startsWith(`${name}_sum`)) sum = value;
    else if (line.startsWith(`${name}_count`)) count = value;
  }
  return { buckets, sum, count };
}

export interface FlushWindow {
  flushes: number;
  meanMs: number;
  /** The bucket bound under which 99% of the phase's flushes finished. */
  p99UnderMs: number;
  eventsPerFlush: number;
}

/** The rollup job's periodic runs in a phase (catch-ups only come with History reads). */
export interface RollupWindow {
  runs: number;
  workS: number;
  pageviews: number;
  keys: number;
}

export type HubMetrics = { flush: Histogram; events: Histogram; rollups: RollupWindow };

export async function readHubMetrics(url: string): Promise<HubMetrics> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return {
    flush: histogram(text, 'hub_flush_latency_ms'),
    events: histogram(text, 'hub_flush_batch_events'),
    rollups: {
      runs: metricValue(text, 'hub_rollup_runs_total', { kind: 'periodic' }) ?? 0,
      workS: metricValue(text, 'hub_rollup_work_seconds_total', { kind: 'periodic' }) ?? 0,
      pageviews: metricValue(text, 'hub_rollup_pageviews_total') ?? 0,
      keys: metricValue(text, 'hub_rollup_keys_total') ?? 0,
    },
  };
}

/** What the rollup job did between two readings. */
export function rollupsBetween(a: HubMetrics, b: HubMetrics): RollupWindow {
  return {
    runs: b.rollups.runs - a.rollups.runs,
    workS: b.rollups.workS - a.rollups.workS,
    pageviews: b.rollups.pageviews - a.rollups.pageviews,
    keys: b.rollups.keys - a.rollups.keys,
  };
}

/** The flushes between two readings. */
export function flushesBetween(a: HubMetrics, b: HubMetrics): FlushWindow {
  const flushes = b.flush.count - a.flush.count;
  const counts = b.flush.buckets.map(([le, n], i) => [le, n - (a.flush.buckets[i]?.[1] ?? 0)] as const);
  const p99 = counts.find(([, n]) => n >= flushes * 0.99)?.[0] ?? Infinity;
  return {
    flushes,
    meanMs: flushes ? (b.flush.sum - a.flush.sum) / flushes : 0,
    p99UnderMs: p99,
    eventsPerFlush: flushes ? (b.events.sum - a.events.sum) / flushes : 0,
  };
}

/**
 * CI smoke for the capacity benchmark: `capacity.bench.ts --quick --json` runs end to end
 * (bare socket.io, the hub with its embedded database, the hub with the database in its own
 * process; real processes, real sockets) and prints every figure. No thresholds: the machine
 * running the suite is busy with other tests. About 60–90 s.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import type { ServerFigures } from './capacity.bench.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

it('runs --quick end to end and prints every figure for every server', () => {
  const run = spawnSync(
    process.execPath,
    ['--import', 'tsx', path.join(ROOT, 'tests/bench/capacity.bench.ts'), '--quick', '--json'],
    {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 240_000,
      env: { ...process.env, MONGO_URL: '' },
    },
  );
  expect(run.status, run.stderr).toBe(0);
  const out = run.stdout;
  for (const label of [
    'RSS per tracker (hold median)',
    'RSS per tracker (hold max)',
    'server CPU (hold)',
    'generator CPU (hold)',
    'event-loop delay p99',
    'ack p50 / p99',
    'navigation → dashboard p50 / p99',
    'GC, share of hold',
    'database flushes: count, mean ms',
    'storm: first page views acked',
    'sustained heartbeats/s',
    'page views sent / acked / stored',
    'heartbeats sent / acked / stored',
    'seconds of the hold with an ack > 1 s',
    'database commands > 100 ms in the hold',
    'rollup runs in the hold',
    'History /summary right after the hold',
  ])
    expect(out).toContain(label);
  const json = JSON.parse(out.slice(out.indexOf('\n{') + 1)) as { results: ServerFigures[] };
  expect(json.results.map((r) => r.server)).toEqual(['bare', 'hub', 'hub-db-process']);
  for (const r of json.results) {
    expect(r.connected, r.server).toBe(r.trackers);
    expect(r.stormAcked, r.server).toBe(r.trackers);
    expect(r.holdSent, r.server).toBeGreaterThan(0);
    for (const v of [
      r.rssPerTrackerKB,
      r.rssMaxPerTrackerKB,
      r.heapTotalPerTrackerKB,
      r.externalPerTrackerKB,
      r.cpu,
      r.genCpu,
      r.eldP99,
      r.gcMinorShare,
      r.gcMajorShare,
      r.gcMaxMs,
      r.ackP50,
      r.ackP99,
      r.navP50,
      r.navP99,
      r.stormMs,
    ])
      expect(Number.isFinite(v), `${r.server}: ${JSON.stringify(r)}`).toBe(true);
    expect(r.throughput.length, r.server).toBeGreaterThan(0);
    // Every server allocates under load: a hold without one scavenge means the probe saw nothing.
    expect(r.gcMinorShare, r.server).toBeGreaterThan(0);
    if (r.server === 'bare') expect(r.stored).toBeNull();
    else expect(r.stored?.pageviews, r.server).toBeGreaterThan(0);
    // The hub's own flush histogram, read from its /metrics around the hold.
    if (r.server === 'bare') expect(r.flushes).toBeNull();
    else expect(r.flushes?.flushes, r.server).toBeGreaterThan(0);
    expect(Array.isArray(r.stalls) && Array.isArray(r.dbSlow), r.server).toBe(true);
    // The rollup counters and a History read, from the hub itself.
    if (r.server === 'bare') expect([r.rollups, r.historyMs]).toEqual([null, null]);
    else {
      expect(r.rollups, r.server).toMatchObject({ runs: expect.any(Number), pageviews: expect.any(Number) });
      expect(r.historyMs, r.server).toHaveLength(3);
      for (const v of r.historyMs!) expect(v, r.server).toBeGreaterThan(0);
    }
  }
  expect(out).toMatch(/\(\d+(\.\d)?×\)/); // hub/bare ratios
}, 300_000);

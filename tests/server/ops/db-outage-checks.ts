import fs from 'node:fs';
import { expect } from 'vitest';
import type { OutageReport, OutageTiming } from './db-outage-scenario.ts';

/** The hub's promises through an outage, checked on a report of runOutage. */
export function checkOutage(name: string, r: OutageReport, timing: OutageTiming): void {
  const inFault = (at: number) => at >= r.faultStart + timing.detectMs && at < r.faultEnd;
  const tracked = r.attempts.filter((a) => inFault(a.at));
  const rest = r.rest.filter((p) => inFault(p.at));
  const ready = r.readyz.filter((p) => inFault(p.at));
  const max = (xs: number[]) => (xs.length ? Math.max(...xs) : 0);
  const median = (xs: number[]) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]! : 0);
  const figures = {
    shape: name,
    faultMs: r.faultEnd - r.faultStart,
    trackAcksDuringFault: tracked.length,
    trackAckMsMedianMax: [median(tracked.map((a) => a.ms)), max(tracked.map((a) => a.ms))],
    trackOutcomes: countBy(r.attempts.map((a) => a.outcome)),
    restDuringFault: rest.length,
    restMsMedianMax: [median(rest.map((p) => p.ms)), max(rest.map((p) => p.ms))],
    restStatuses: countBy(rest.map((p) => `${p.status} ${p.code ?? ''}`.trim())),
    slowestRestInDetectWindow: max(r.rest.filter((p) => p.at < r.faultStart + timing.detectMs).map((p) => p.ms)),
    liveDuringFault: r.liveDuringFault,
    liveAfterRecoveryMs: r.liveAfterRecoveryMs,
    eventsMade: r.eventsMade,
    pageviewsMade: r.pageviews.length,
    pageviewDocs: r.pageviews.reduce((a, p) => a + p.docs, 0) + r.strayDocs,
    engagedMsWanted: r.pageviews.reduce((a, p) => a + p.wantEngagedMs, 0),
    engagedMsStored: r.storedEngagedMs,
    summary: r.summary,
  };
  process.stdout.write(`[outage ${name}] ${JSON.stringify(figures)}\n`);
  fs.mkdirSync('test-artifacts', { recursive: true });
  fs.writeFileSync(`test-artifacts/outage-${name}.json`, JSON.stringify({ figures, report: r }, null, 1));

  // During the outage: /track acks `unavailable` with a retry-after hint within 1 s, never `internal`.
  expect(r.attempts.filter((a) => a.outcome === 'internal')).toEqual([]);
  expect(tracked.length).toBeGreaterThan(0);
  for (const a of tracked) {
    expect(a.outcome).toBe('unavailable');
    expect(a.retryAfterMs).toBeGreaterThan(0);
    expect(a.ms).toBeLessThan(1_000);
  }
  // REST answers 503 `unavailable` within 1 s, with Retry-After; /readyz says 503.
  expect(rest.length).toBeGreaterThan(0);
  for (const p of rest) expect(p).toMatchObject({ status: 503, code: 'unavailable', retryAfter: expect.any(String) });
  expect(max(rest.map((p) => p.ms))).toBeLessThan(1_000);
  for (const p of ready) expect(p.status).toBe(503);
  // Nothing waits forever, even before the hub noticed.
  expect(max(r.rest.map((p) => p.ms))).toBeLessThan(15_000);
  // Presence and the live view keep working.
  expect(r.dashboardStayedConnected).toBe(true);
  expect(r.liveDuringFault?.entries).toBe(4);
  expect(r.liveDuringFault!.snapshotMs).toBeLessThan(1_000);
  expect(r.liveAfterRecovery).toBe(true);

  // After recovery: every event made is stored exactly once, and nothing else.
  expect(r.refused).toBe(0);
  expect(r.strayDocs).toBe(0);
  for (const p of r.pageviews) {
    expect(p.docs, p.id).toBe(1);
    expect(p.duplicateIds, p.id).toBe(0);
    expect(p.engagedMs, p.id).toBe(p.wantEngagedMs);
    // Page views end at their true last evidence (the next page view, or the leave).
    expect(p.endedAt, p.id).not.toBeNull();
    expect(Math.abs(p.endedAt! - p.wantEndedAt), p.id).toBeLessThanOrEqual(1_500);
  }
  // The rollups catch up.
  expect(r.summary).toEqual({ pageviews: r.pageviews.length, engagedMs: r.storedEngagedMs });
}

function countBy(xs: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const x of xs) out[x] = (out[x] ?? 0) + 1;
  return out;
}

/**
 * Scenario 2 of "Tracker → hub → MongoDB": no input for longer than the idle threshold stops
 * the engaged clock (and the live state goes idle); input starts it again.
 */
import { describe, expect, it } from 'vitest';
import { eventually } from '../helpers/hub.ts';
import { keepActive, measured, near, presence, sleep } from './tracker-harness.ts';
import { closeTab, endedPageviews, startVisit, useTrackerRig } from './tracker-rig.ts';

const IDLE_MS = 5_000;

describe('tracker → hub: idle', () => {
  const rig = useTrackerRig({
    HEARTBEAT_INTERVAL_MS: '5000',
    IDLE_TIMEOUT_MS: String(IDLE_MS),
    FLUSH_INTERVAL_MS: '100',
  });

  it('no input past the threshold stops the clock and shows idle; input starts it again', async () => {
    const { hub } = rig;
    // The page load counts as input; the tracker's clock runs from the page's start.
    const { ids, page, problems, t0 } = await startVisit(rig, 'idle');
    // Three moves over a second apart, so each one registers as the latest input.
    let lastMove = t0;
    for (let i = 0; i < 3; i++) {
      await sleep(1_100);
      await page.mouse.move(20 + i * 50, 20);
      lastMove = await page.evaluate(() => Date.now());
    }
    const idleSeen = await eventually(
      async () => (await presence(hub, ids)).find((e) => e.state === 'idle'),
      IDLE_MS + 5_000,
      200,
    );
    // Idle starts one threshold after the last input (the tracker ticks once a second).
    expect(Date.now() - lastMove).toBeGreaterThanOrEqual(IDLE_MS - 200);
    expect(idleSeen.path).toBe('/app');
    // Stay idle a while: none of it counts.
    await sleep(3_000);
    const resumed = Date.now();
    const stopInput = keepActive(page);
    await eventually(async () => (await presence(hub, ids)).find((e) => e.state === 'active'), 3_000, 100);
    await sleep(3_000);
    const closed = await closeTab(page, stopInput);

    const [pv] = await endedPageviews(hub, ids, 1);
    const expected = lastMove - t0 + IDLE_MS + (closed - resumed);
    measured('idle', { engagedMs: pv!.engagedMs, expectedMs: expected, wallMs: closed - t0 });
    expect(near(pv!.engagedMs, expected), `engaged ${pv!.engagedMs} ms, expected ≈${expected}`).toBe(true);
    // The wall time was much longer: the idle stretch did not count.
    expect(closed - t0 - pv!.engagedMs).toBeGreaterThan(3_000);
    expect(pv!.endReason).toBe('leave');
    expect(problems).toEqual([]);
  });
});

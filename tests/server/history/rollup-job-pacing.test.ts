import { describe, expect, it } from 'vitest';
import type { RollupKey } from '../../../server/src/domain/rollup-keys.ts';
import type { RollupJob, RollupJobOptions, RollupRunReport } from '../../../server/src/domain/rollup-job.ts';
import type { JobStateStore, RollupStore } from '../../../server/src/domain/stats-ports.ts';
import { rollupJob } from './fixtures.ts';

/**
 * A periodic run keeps to its share of the wall clock by resting between steps; a catch-up
 * (a History read waiting for fresh rollups) runs flat out and wakes a resting run. Pure: a
 * store whose every step takes STEP_MS of wall time, and an in-memory lease.
 */
const STEP_MS = 40;
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

function fakes(changed: number, log: string[] = []) {
  const steps: number[] = [];
  const timed = async () => {
    const t = performance.now();
    await wait(STEP_MS);
    steps.push(performance.now() - t);
  };
  const key = (i: number): RollupKey => ({
    agencyId: 'a',
    userId: `u${i}`,
    locationId: null,
    path: '/',
    bucketStart: 0,
  });
  let runs = 0;
  /** The agency each read of changes asked for (undefined: every agency). */
  const reads: (string | undefined)[] = [];
  /** Whether each read asked for open page views too. */
  const opens: boolean[] = [];
  const watermarks: number[] = [];
  const store: RollupStore = {
    // Every run finds the same page views changed again.
    async *changedSince(_since, scope = {}) {
      reads.push(scope.agencyId);
      opens.push(scope.open ?? false);
      log.push(`read ${scope.agencyId ?? 'all'}`);
      runs++;
      for (let i = 0; i < changed; i++) yield { id: `pv${i}`, key: key(i), updatedAt: runs * 1_000 + i, open: false };
    },
    async recomputeRollups(keys) {
      await timed();
      return { written: keys.length, deleted: 0 };
    },
    // Two chunks of levels per refresh, each through the job's step.
    async refreshLevels(_keys, step = (chunk) => chunk()) {
      await step(timed);
      await step(timed);
    },
  };
  const state: JobStateStore = {
    tryLease: () => Promise.resolve(true),
    releaseLease: () => Promise.resolve(),
    watermark: () => Promise.resolve(null),
    advanceWatermark: (_job, at) => (watermarks.push(at), Promise.resolve()),
  };
  return { store, state, steps, reads, opens, watermarks };
}

const job = (f: ReturnType<typeof fakes>, busyShare: number, more: Pick<RollupJobOptions, 'onRun'> = {}): RollupJob =>
  rollupJob({ rollups: f.store, jobState: f.state }, 'me', 1, { busyShare, ...more });

/** A job paced at 1% whose periodic run has done its first step and rests (about 4 s); from when. */
async function resting(f: ReturnType<typeof fakes>) {
  const j = job(f, 0.01);
  const periodic = j.tick();
  await wait(STEP_MS * 2);
  return { j, periodic, started: performance.now() };
}

describe('rollup job pacing', () => {
  it('a periodic run rests so that its steps take at most their share of the wall clock', async () => {
    const f = fakes(3);
    const started = performance.now();
    const stats = await job(f, 0.5).tick();
    const took = performance.now() - started;
    expect(stats).toMatchObject({ changed: 3, keys: 3 });
    // Three rollup batches and two chunks of levels: five steps, each followed by as long a rest.
    expect(f.steps).toHaveLength(5);
    const worked = f.steps.reduce((a, b) => a + b, 0);
    expect(took).toBeGreaterThanOrEqual(worked / 0.5 - 5);
  });

  it('reports each run: its kind, its wall time, and the time it worked (rests left out)', async () => {
    const f = fakes(3);
    const reports: RollupRunReport[] = [];
    const j = job(f, 0.5, { onRun: (r) => reports.push(r) });
    await j.tick();
    await j.catchUp();
    expect(reports.map((r) => [r.kind, r.changed, r.keys])).toEqual([
      ['periodic', 3, 3],
      ['catch-up', 3, 3],
    ]);
    const [periodic, catchUp] = reports as [RollupRunReport, RollupRunReport];
    // Five steps of 40 ms each; the periodic run rested as long again.
    expect(periodic.workMs).toBeGreaterThanOrEqual(5 * STEP_MS - 5);
    expect(periodic.wallMs).toBeGreaterThanOrEqual(periodic.workMs * 2 - 10);
    expect(catchUp.wallMs - catchUp.workMs).toBeLessThan(1);
  });

  it('a catch-up runs flat out', async () => {
    const f = fakes(3);
    const started = performance.now();
    await job(f, 0.01).catchUp();
    // Paced at 1%, the same run would rest 99 × 40 ms after each of its five steps (about 20 s).
    expect(performance.now() - started).toBeLessThan(3_000);
  });

  it('a catch-up asked for during a resting run wakes it, and is answered by one more run at full speed', async () => {
    const f = fakes(3);
    const { j, periodic, started } = await resting(f);
    const caughtUp = await j.catchUp();
    expect(caughtUp).toMatchObject({ changed: 3 });
    expect(await periodic).toMatchObject({ changed: 3 });
    // Both runs: ten steps of 40 ms and no rest of ~4 s after any of them.
    expect(performance.now() - started).toBeLessThan(3_000);
    expect(f.steps).toHaveLength(10);
  });

  it('a tick while a run is in progress leaves it alone (no second run, no hurry)', async () => {
    const f = fakes(1);
    const j = job(f, 0.2);
    const first = j.tick();
    expect(await j.tick()).toBeNull();
    const started = performance.now();
    await first;
    const worked = f.steps.reduce((a, b) => a + b, 0);
    expect(f.steps).toHaveLength(3);
    // Still paced: each step's rest is four times the step.
    expect(performance.now() - started).toBeGreaterThanOrEqual(worked * 4 - STEP_MS - 5);
  });

  it("an agency's catch-up does not wait for a resting periodic run, reads that agency only and leaves the watermark", async () => {
    const f = fakes(3);
    const { j, periodic, started } = await resting(f);
    expect(await j.catchUpAgency('a')).toMatchObject({ changed: 3, keys: 3 });
    // Five steps of 40 ms, no rests; the periodic run is still resting (about 4 s per step).
    expect(performance.now() - started).toBeLessThan(1_500);
    expect(f.reads).toEqual([undefined, 'a']);
    // The periodic run leaves open page views to their close; a catch-up before a read takes them.
    expect(f.opens).toEqual([false, true]);
    expect(f.watermarks).toEqual([]);
    await j.stop();
    await periodic;
    // The periodic run, woken by stop(), moved the watermark; the agency's catch-up never did.
    expect(f.watermarks).toHaveLength(1);
  });

  it("callers during an agency's catch-up share exactly one more, and a full catch-up waits for it", async () => {
    const log: string[] = [];
    const f = fakes(2, log);
    const j = job(f, 1);
    const first = j.catchUpAgency('a').then(() => log.push('a done'));
    const second = j.catchUpAgency('a');
    const third = j.catchUpAgency('a');
    const other = j.catchUpAgency('b').then(() => log.push('b done'));
    const all = j.catchUp();
    const reads = f.reads;
    await Promise.all([first, second, third, other, all]);
    expect(second).toBe(third);
    // a and b, then one more for a's later callers; the full catch-up read only after a and b were done.
    expect(reads.filter((r) => r === 'a')).toHaveLength(2);
    expect(reads.filter((r) => r === 'b')).toHaveLength(1);
    expect(log.indexOf('read all')).toBeGreaterThan(log.indexOf('a done'));
    expect(log.indexOf('read all')).toBeGreaterThan(log.indexOf('b done'));
  });

  it("settle() wakes a resting run and waits for it and for the agency's catch-up, and starts no run", async () => {
    const log: string[] = [];
    const f = fakes(3, log);
    const { j, periodic, started } = await resting(f);
    const agency = j.catchUpAgency('a').then(() => log.push('a done'));
    void periodic.then(() => log.push('periodic done'));
    await j.settle('a');
    log.push('settled');
    await agency;
    // Both runs were done before settle() answered, and no read came after theirs.
    expect(log.indexOf('settled')).toBeGreaterThan(log.indexOf('periodic done'));
    expect(log.indexOf('settled')).toBeGreaterThan(log.indexOf('a done'));
    expect(f.reads).toEqual([undefined, 'a']);
    // Hurried: the periodic run did not rest out its ~4 s per step.
    expect(performance.now() - started).toBeLessThan(3_000);
    // With nothing in progress, it answers at once and reads nothing.
    await j.settle('a');
    expect(f.reads).toHaveLength(2);
  });

  it("settle() does not wait for another agency's catch-up", async () => {
    const log: string[] = [];
    const f = fakes(3, log);
    const j = job(f, 1);
    // Five steps of 40 ms for b.
    const other = j.catchUpAgency('b').then(() => log.push('b done'));
    await j.settle('a');
    log.push('settled a');
    await j.settle('b');
    log.push('settled b');
    await other;
    expect(log.filter((l) => !l.startsWith('read'))).toEqual(['settled a', 'b done', 'settled b']);
  });

  it('stop() wakes a resting run instead of waiting out its rest', async () => {
    const f = fakes(3);
    const { j, periodic, started } = await resting(f);
    await j.stop();
    await periodic;
    expect(performance.now() - started).toBeLessThan(3_000);
  });
});

import { rollupPass, ROLLUP_JOB, type RolledUp, type RollupRunStats } from './rollup-pass.ts';
import type { JobStateStore, RollupStore } from './stats-ports.ts';

export interface RollupJobOptions {
  /** This instance, for the lease. */
  owner: string;
  /** Period of the background run. */
  intervalMs: number;
  /** Lease lifetime; renewed on every run, so it only lapses when the holder stops or dies. */
  leaseMs: number;
  /**
   * Page views are re-scanned this far behind the watermark: a write stamped just before the
   * watermark may land after a run read past it (flush latency, clocks of other instances).
   */
  marginMs: number;
  /** Keys recomputed per storage round trip. */
  batchKeys: number;
  /**
   * Keys whose levels above the rollups (user-days, months, path-days) are refreshed together
   * (default 200,000): normally once per run, not once per batch. Batches follow the order page
   * views changed in, so most of them touch every active location-day; refreshed per batch,
   * each read that location-day's touched buckets again (403k rollups read in a 75-second
   * hold). The store refreshes them in chunks of whole location-days.
   */
  levelKeys?: number;
  /**
   * Share of the wall clock a periodic run may take (default 1: no pauses). After each step
   * (a batch of rollups, a chunk of levels) it rests in proportion to how long the step took,
   * so that a run of 15,000 tabs' rollups is a steady trickle beside the tracking work rather
   * than a burst that queues it. A catch-up (a History read) runs flat out, and wakes a run
   * that is resting.
   */
  busyShare?: number;
  clock: () => number;
  onError: (err: unknown) => void;
  /** After each run that finished: what it did, its wall time and the time its steps worked. */
  onRun?: (run: RollupRunReport) => void;
}

export interface RollupRunReport extends RollupRunStats {
  /** A periodic run (paced) or a catch-up before a read. */
  kind: 'periodic' | 'catch-up';
  wallMs: number;
  /** Wall time less the rests a paced run took. */
  workMs: number;
}

/** One run: periodic (paced) or a catch-up, of every agency or of one; the time it rested. */
interface Run {
  paced: boolean;
  agencyId?: string;
  restedMs: number;
}

/**
 * Keeps the 15-minute rollups in step with the page views, incrementally: page views changed
 * since the watermark (minus a margin) name the rollups to recompute, which are rebuilt from
 * the page views themselves and `$set`. Nothing is ever added up incrementally, so a run that
 * repeats work, overlaps another instance's run or dies half way leaves correct rollups.
 *
 * The periodic run takes a lease so that normally one instance does the work. A catch-up needs
 * no lease, because it is idempotent anyway: `catchUpAgency()` before every statistics read (so
 * answers are exact right after writes) runs beside the periodic run; `catchUp()` waits for the
 * runs in progress and then runs once more for everyone waiting; `settle()` only waits. The
 * periodic run leaves open page views to their close; catch-ups take them too. A pass is one
 * function (rollup-pass.ts); this class decides when passes run, how they rest, and who waits.
 */
export class RollupJob {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<RollupRunStats> | null = null;
  private queued: Promise<RollupRunStats> | null = null;
  private stopped = false;
  /** Set when someone waits for the run in progress: it stops resting. */
  private hurry = false;
  private wake: (() => void) | null = null;
  /** Per agency: its catch-up in progress, and the one queued to run after it. */
  private readonly agencies = new Map<string, { done: Promise<void>; next: Promise<RollupRunStats> | null }>();
  /** Page view states this process has rolled up (rollup-pass.ts). */
  private readonly recent: RolledUp = new Map();

  constructor(
    private readonly store: RollupStore,
    private readonly state: JobStateStore,
    private readonly opts: RollupJobOptions,
  ) {}

  /** Starts the periodic run (first one right away). */
  start(): void {
    this.stopped = false;
    if (this.timer) return;
    const tick = () => void this.tick().catch((err: unknown) => this.stopped || this.opts.onError(err));
    this.timer = setInterval(tick, this.opts.intervalMs);
    this.timer.unref();
    tick();
  }

  /** Stops the periodic run and gives the lease back so another instance takes over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.hasten();
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running?.catch(() => undefined);
    await this.state.releaseLease(ROLLUP_JOB, this.opts.owner).catch(() => undefined);
  }

  /**
   * One periodic run, paced, only when this instance holds (or renews) the lease and no run is
   * in progress (a paced run may outlast the interval; the next tick picks up after it).
   */
  async tick(): Promise<RollupRunStats | null> {
    if (this.running) return null;
    if (!(await this.state.tryLease(ROLLUP_JOB, this.opts.owner, this.opts.leaseMs))) return null;
    if (this.running) return null;
    return this.begin(true);
  }

  /**
   * Brings the rollups up to date with every page view written before the call, after every
   * run that was in progress: everything, at once (tests, and a caller that must see all).
   */
  catchUp(): Promise<RollupRunStats> {
    const agencies = [...this.agencies.values()].map((a) => a.done);
    return agencies.length > 0 ? Promise.all(agencies).then(() => this.catchUpAll()) : this.catchUpAll();
  }

  /**
   * Waits for the runs in progress that may read `agencyId`'s page views: the periodic one
   * (hurried) and that agency's catch-up. Starts none: erasure needs only that no run which read
   * page views before its delete writes rollups after its erasure of them (a run that starts
   * later cannot read them). It waits for no other agency's catch-up: those read only their own
   * agency, and an erasure's latency must not tell one agency when another reads its History.
   */
  async settle(agencyId: string): Promise<void> {
    if (this.running) this.hasten();
    await Promise.all([this.running?.catch(noop), this.agencies.get(agencyId)?.done]);
  }

  private catchUpAll(): Promise<RollupRunStats> {
    if (!this.running) return this.begin(false);
    // A run in progress may have read before our caller's writes: queue exactly one more, and
    // hurry this one.
    this.hasten();
    this.queued ??= this.running
      .catch(() => undefined)
      .then(() => {
        this.queued = null;
        return this.catchUpAll();
      });
    return this.queued;
  }

  /**
   * Brings one agency's rollups up to date with every page view of it written before the call:
   * a History read's catch-up. It does not wait for a periodic run in progress: it reads that
   * agency's changes since the stored watermark itself, flat out, and leaves the watermark to
   * the periodic run. Beside that run this is safe, as two instances' runs are: recomputations
   * are versioned and the levels compare-and-set. (At 15,000 open tabs, a History read right
   * after the capacity hold waited 11.4 s for the whole periodic run, hurried, and one more.)
   */
  catchUpAgency(agencyId: string): Promise<RollupRunStats> {
    const cur = this.agencies.get(agencyId);
    // One in progress may have read before our caller's writes: queue exactly one more.
    if (cur) return (cur.next ??= cur.done.then(() => this.catchUpAgency(agencyId)));
    const run = this.report({ paced: false, agencyId, restedMs: 0 }).finally(() => this.agencies.delete(agencyId));
    this.agencies.set(agencyId, { done: run.then(noop, noop), next: null });
    return run;
  }

  private begin(paced: boolean): Promise<RollupRunStats> {
    this.hurry = !paced;
    this.running = this.report({ paced, restedMs: 0 }).finally(() => {
      this.running = null;
    });
    return this.running;
  }

  /** Does a run and tells `onRun` about it. */
  private async report(run: Run): Promise<RollupRunStats> {
    const started = performance.now();
    const stats = await this.runOnce(run);
    const wallMs = performance.now() - started;
    const kind = run.paced ? 'periodic' : 'catch-up';
    this.opts.onRun?.({ ...stats, kind, wallMs, workMs: wallMs - run.restedMs });
    return stats;
  }

  private hasten(): void {
    this.hurry = true;
    this.wake?.();
  }

  /** Runs one step of a run; a paced run then rests so that it keeps to its share. */
  private async step<T>(run: Run, work: () => Promise<T>): Promise<T> {
    const share = this.opts.busyShare ?? 1;
    const started = performance.now();
    const result = await work();
    if (!run.paced || this.hurry || share >= 1) return result;
    const restMs = ((performance.now() - started) * (1 - share)) / share;
    const restFrom = performance.now();
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake = null;
        resolve();
      };
      const timer = setTimeout(done, restMs);
      this.wake = done;
    });
    run.restedMs += performance.now() - restFrom;
    return result;
  }

  private runOnce(run: Run): Promise<RollupRunStats> {
    // A periodic run leaves open page views to their close; a catch-up, before a read, takes them.
    const scope = { open: !run.paced, ...(run.agencyId === undefined ? {} : { agencyId: run.agencyId }) };
    return rollupPass(this.store, this.state, this.opts, this.recent, (work) => this.step(run, work), scope);
  }
}

const noop = () => undefined;

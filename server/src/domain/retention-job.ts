import { floorToBucket } from './rollup-keys.ts';
import type { JobStateStore } from './stats-ports.ts';

export interface RetentionOptions {
  owner: string;
  retentionDays: number;
  intervalMs: number;
  leaseMs: number;
  clock: () => number;
  /** Deletes raw page views and sessions that started before `cutoff`. */
  purge(cutoff: Date): Promise<{ pageviews: number; sessions: number }>;
  onRun: (r: { cutoff: Date; pageviews: number; sessions: number }) => void;
  onError: (err: unknown) => void;
}

const JOB = 'retention';
const DAY_MS = 86_400_000;

/** The retention horizon at `now`: a 15-minute edge, so each rollup keeps all or none of its raw page views. */
export const retentionCutoff = (now: number, days: number): number => floorToBucket(now - days * DAY_MS);

/**
 * Deletes raw activity older than RETENTION_DAYS. A lease makes one instance do the work at a
 * time; the delete is idempotent anyway, so two instances overlapping after a lapsed lease only
 * repeat work. The rollups stay: History keeps answering for older ranges.
 */
export class RetentionJob {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> | null = null;

  constructor(
    private readonly state: JobStateStore,
    private readonly opts: RetentionOptions,
  ) {}

  start(): void {
    if (this.timer) return;
    const tick = () => void this.tick().catch(this.opts.onError);
    this.timer = setInterval(tick, this.opts.intervalMs);
    this.timer.unref();
    tick();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running?.catch(() => undefined);
    await this.state.releaseLease(JOB, this.opts.owner).catch(() => undefined);
  }

  /** One run when this instance holds (or renews) the lease; null otherwise. Runs never overlap in a process. */
  tick(): Promise<{ cutoff: Date; pageviews: number; sessions: number } | null> {
    const run = (this.running ?? Promise.resolve()).catch(() => undefined).then(() => this.runOnce());
    this.running = run;
    return run;
  }

  private async runOnce(): Promise<{ cutoff: Date; pageviews: number; sessions: number } | null> {
    if (!(await this.state.tryLease(JOB, this.opts.owner, this.opts.leaseMs))) return null;
    const cutoff = new Date(retentionCutoff(this.opts.clock(), this.opts.retentionDays));
    const r = { cutoff, ...(await this.opts.purge(cutoff)) };
    this.opts.onRun(r);
    return r;
  }
}

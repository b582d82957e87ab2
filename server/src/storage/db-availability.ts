import type { MongoClient } from 'mongodb';
import type { AppError } from '../domain/app-error.ts';
import { classifyDbError, dbUnavailable } from './db-errors.ts';
import { HELLO_SUSPECT_MS } from './db-options.ts';

const WRITABLE = new Set(['Standalone', 'RSPrimary', 'Mongos', 'LoadBalancer']);

/**
 * Knows whether the database can take work, from the driver's monitoring events, and fails
 * storage calls at once while it cannot, instead of letting each wait for a driver timeout.
 *
 * - Down: no writable server is known (the monitor's hello failed, or an operation's network
 *   error marked it unknown). Calls in flight are abandoned with `unavailable` right away.
 * - Suspect: every writable server's monitor hello has gone unanswered for `HELLO_SUSPECT_MS`
 *   (a hung process: its port still accepts). New calls fail at once; calls in flight wait for
 *   the driver, which gives up on them after `connectTimeoutMS`.
 *
 * An abandoned write may still be applied later; the tracking writes are conditional
 * (`$setOnInsert`, `$nin` event ids, `endedAt: null`), so the tracker's retry stores it once.
 */
export class DbAvailability {
  private writable = new Set<string>();
  private readonly suspect = new Set<string>();
  /** Monitor hellos in flight, by server address. */
  private readonly hellos = new Map<string, NodeJS.Timeout>();
  private readonly inFlight = new Set<(err: AppError) => void>();
  private downSince: number | null = null;
  /** The last outage this instance saw, once over; null if it never saw one. */
  lastOutage: { from: number; to: number } | null = null;

  constructor(
    private readonly onChange: (up: boolean) => void = () => {},
    /** How long an unanswered monitor hello takes to make its server suspect. */
    private readonly suspectMs: number = HELLO_SUSPECT_MS,
  ) {}

  /** Follows the client's monitoring events; call once the first connection succeeded. */
  attach(client: MonitoredClient): void {
    const { servers } = client.topology?.description ?? {};
    if (servers) this.writable = writableOf(servers);
    client.on('topologyDescriptionChanged', (e) => {
      this.writable = writableOf(e.newDescription.servers);
      this.update();
    });
    client.on('serverHeartbeatStarted', (e) => {
      const addr = e.connectionId;
      clearTimeout(this.hellos.get(addr));
      // An awaited (streaming) hello is held by the server for up to heartbeatFrequencyMS.
      const after = this.suspectMs + (e.awaited ? 10_000 : 0);
      const t = setTimeout(() => {
        // Let the I/O a stalled event loop owes be read first: a late timer is not a late reply.
        setImmediate(() => {
          if (this.hellos.get(addr) !== t) return;
          this.suspect.add(addr);
          this.update();
        });
      }, after);
      t.unref();
      this.hellos.set(addr, t);
    });
    const done = (e: { connectionId: string }) => {
      clearTimeout(this.hellos.get(e.connectionId));
      this.hellos.delete(e.connectionId);
      if (this.suspect.delete(e.connectionId)) this.update();
    };
    client.on('serverHeartbeatSucceeded', done);
    client.on('serverHeartbeatFailed', done);
  }

  /** True while storage calls are refused. */
  get down(): boolean {
    return this.writable.size === 0 || [...this.writable].every((a) => this.suspect.has(a));
  }

  /** Milliseconds since the database went out, or null. */
  get outageMs(): number | null {
    return this.downSince === null ? null : Date.now() - this.downSince;
  }

  private update(): void {
    const down = this.down;
    if (down === (this.downSince !== null)) return;
    if (!down && this.downSince !== null) this.lastOutage = { from: this.downSince, to: Date.now() };
    this.downSince = down ? Date.now() : null;
    if (down && this.writable.size === 0) for (const abort of [...this.inFlight]) abort(dbUnavailable());
    this.onChange(!down);
  }

  /** Runs one storage call: refused while down, abandoned if the server is lost, errors classified. */
  run<T>(call: () => PromiseLike<T>): Promise<T> {
    if (this.down) return Promise.reject(dbUnavailable());
    return new Promise<T>((resolve, reject) => {
      const abort = (err: AppError) => {
        this.inFlight.delete(abort);
        reject(err);
      };
      this.inFlight.add(abort);
      let p: PromiseLike<T>;
      try {
        p = call();
      } catch (err) {
        abort(classifyDbError(err) as AppError);
        return;
      }
      p.then(
        (v) => {
          this.inFlight.delete(abort);
          resolve(v);
        },
        (err: unknown) => {
          this.inFlight.delete(abort);
          reject(classifyDbError(err));
        },
      );
    });
  }

  /** Stops the suspicion timers (on close). */
  close(): void {
    for (const t of this.hellos.values()) clearTimeout(t);
    this.hellos.clear();
  }
}

interface TopologyLike {
  servers: Map<string, { type: string }>;
}

/**
 * The driver client as watched here: its monitoring events, typed by the driver, and its
 * current topology, which the driver keeps out of its public types (read once, at attach).
 */
type MonitoredClient = Pick<MongoClient, 'on'> & { readonly topology?: { readonly description?: TopologyLike } };

function writableOf(servers: Map<string, { type: string }>): Set<string> {
  const out = new Set<string>();
  for (const [addr, s] of servers) if (WRITABLE.has(s.type)) out.add(addr);
  return out;
}

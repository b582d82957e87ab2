import type { TrackEventInput } from '@activity-hub/protocol';
import { FakeTracker } from './track-client.ts';

/** One delivery attempt: when it was sent, how long the answer took, and what it was. */
export interface Attempt {
  at: number;
  ms: number;
  /** 'ok', an error code, or 'timeout' (no ack within the send timeout). */
  outcome: string;
  retryAfterMs?: number;
}

interface Queued {
  event: TrackEventInput;
  madeAt: number;
}

const RETRYABLE = new Set(['unavailable', 'internal', 'over_capacity', 'rate_limited', 'timeout']);

/**
 * A scripted tab that delivers like the real tracker: every event waits in an outbox, in order,
 * until the hub acks it; `unavailable` (and any other transient answer, or no answer) is retried
 * after the hub's retry-after hint or a capped, jittered backoff, never dropped. Each event
 * carries its age on send, so a late delivery keeps its place in time.
 */
export class OutboxTracker {
  private readonly outbox: Queued[] = [];
  readonly made: Queued[] = [];
  readonly attempts: Attempt[] = [];
  /** Events the hub refused for good (a validation error): must stay empty in these tests. */
  readonly refused: { event: TrackEventInput; code: string }[] = [];
  private running = true;
  private wake: (() => void) | null = null;
  private readonly loop: Promise<void>;

  private constructor(readonly tr: FakeTracker) {
    this.loop = this.deliver();
  }

  static async connect(url: string, token: string): Promise<OutboxTracker> {
    return new OutboxTracker(await FakeTracker.connect(url, token));
  }

  /** Records an event made now and queues it. */
  make(event: TrackEventInput): TrackEventInput {
    const q = { event, madeAt: Date.now() };
    this.made.push(q);
    this.outbox.push(q);
    this.wake?.();
    return event;
  }

  get pending(): number {
    return this.outbox.length;
  }

  private async deliver(): Promise<void> {
    let backoff = 250;
    while (this.running) {
      const next = this.outbox[0];
      if (!next) {
        await new Promise<void>((r) => (this.wake = r));
        this.wake = null;
        continue;
      }
      const at = Date.now();
      const event = { ...next.event, ageMs: Math.max(0, at - next.madeAt) } as TrackEventInput;
      const ack = await this.tr.send(event, 5_000).catch(() => null);
      const ms = Date.now() - at;
      if (ack?.ok) {
        this.attempts.push({ at, ms, outcome: 'ok' });
        this.outbox.shift();
        backoff = 250;
        continue;
      }
      const code = ack ? ack.error.code : 'timeout';
      const retryAfterMs = ack && !ack.ok ? ack.error.retryAfterMs : undefined;
      this.attempts.push({ at, ms, outcome: code, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) });
      if (!RETRYABLE.has(code)) {
        this.refused.push({ event: next.event, code });
        this.outbox.shift();
        continue;
      }
      const wait = Math.min(5_000, retryAfterMs ?? backoff) * (0.75 + Math.random() * 0.5);
      backoff = Math.min(5_000, backoff * 2);
      await new Promise((r) => setTimeout(r, wait));
    }
  }

  /** Resolves once every event made so far is acked. */
  async drained(timeoutMs: number): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (this.outbox.length > 0) {
      if (Date.now() > until) throw new Error(`${this.outbox.length} events still unacked after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async close(): Promise<void> {
    this.running = false;
    this.wake?.();
    this.tr.close();
    await this.loop;
  }
}

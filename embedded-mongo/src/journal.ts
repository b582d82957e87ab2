/**
 * Append-only journal with group commit.
 *
 * Commands append records synchronously while they mutate memory; a flush
 * scheduled with setImmediate writes everything appended in the current
 * event-loop turn and fsyncs once, so concurrent writers share one fsync.
 * Replies wait for {@link Journal.waitFor} – an acknowledged write is on disk.
 * When the journal outgrows the threshold it is compacted into a snapshot.
 */
import type { Document } from 'bson';
import { open, unlink, type FileHandle } from 'node:fs/promises';
import type { JournalSink } from './catalog.ts';
import { encodeRecord } from './journal-format.ts';
import { fsyncDir, journalPath, writeSnapshot } from './data-files.ts';
import type { LogFn } from './types.ts';

interface Waiter {
  seq: number;
  resolve: () => void;
  reject: (err: Error) => void;
}

/** Produces the records that recreate the whole current state. */
export type StateSource = () => Iterable<Document>;

export class Journal implements JournalSink {
  private pending: Buffer[] = [];
  private seq = 0;
  private durable = 0;
  private waiters: Waiter[] = [];
  private scheduled = false;
  private flushing = false;
  private failure: Error | null = null;
  private idle: Promise<void> = Promise.resolve();

  private constructor(
    private readonly dir: string,
    private gen: number,
    private fh: FileHandle,
    private size: number,
    private readonly opts: { log: LogFn; compactThresholdBytes: number; state: StateSource },
  ) {}

  /** Opens (appending to) the journal of generation `gen`. */
  static async open(
    dir: string,
    gen: number,
    opts: { log: LogFn; compactThresholdBytes: number; state: StateSource },
  ): Promise<Journal> {
    const fh = await open(journalPath(dir, gen), 'a');
    await fsyncDir(dir);
    const { size } = await fh.stat();
    return new Journal(dir, gen, fh, size, opts);
  }

  /** Sequence number of the last appended record. */
  get appendedSeq(): number {
    return this.seq;
  }

  append(record: Document): void {
    this.pending.push(encodeRecord(record));
    this.seq++;
    if (!this.scheduled && !this.flushing) {
      this.scheduled = true;
      setImmediate(() => {
        this.idle = this.flushLoop();
      });
    }
  }

  /** Resolves once every record up to `seq` is fsynced. */
  waitFor(seq: number): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (seq <= this.durable) return Promise.resolve();
    return new Promise((resolve, reject) => this.waiters.push({ seq, resolve, reject }));
  }

  private async flushLoop(): Promise<void> {
    this.scheduled = false;
    this.flushing = true;
    try {
      while (this.pending.length > 0) {
        const batch = Buffer.concat(this.pending);
        const upto = this.seq;
        this.pending = [];
        let written = 0;
        while (written < batch.length) written += (await this.fh.write(batch, written)).bytesWritten;
        await this.fh.datasync();
        this.size += batch.length;
        this.durable = upto;
        while (this.waiters.length > 0 && (this.waiters[0] as Waiter).seq <= upto)
          (this.waiters.shift() as Waiter).resolve();
        if (this.size >= this.opts.compactThresholdBytes && this.pending.length === 0) await this.compact();
      }
    } catch (err) {
      this.failure = err instanceof Error ? err : new Error(String(err));
      this.opts.log('error', 'journal write failed; further writes will be rejected', { error: this.failure.message });
      for (const w of this.waiters.splice(0)) w.reject(this.failure);
    } finally {
      this.flushing = false;
    }
  }

  /**
   * Writes a snapshot of the current state and starts journal gen+1. New
   * appends during the snapshot write queue up for the new journal; recovery
   * replays snapshot + every journal ≥ its generation, so a crash at any
   * step loses nothing.
   */
  private async compact(): Promise<void> {
    const started = Date.now();
    const nextGen = this.gen + 1;
    const chunks = [encodeRecord({ op: 'snapshot', gen: nextGen })];
    for (const rec of this.opts.state()) chunks.push(encodeRecord(rec));
    const oldGen = this.gen;
    const oldFh = this.fh;
    this.fh = await open(journalPath(this.dir, nextGen), 'a');
    this.gen = nextGen;
    this.size = 0;
    await writeSnapshot(this.dir, chunks);
    await oldFh.close();
    await unlink(journalPath(this.dir, oldGen)).catch(() => undefined);
    this.opts.log('info', 'journal compacted into snapshot', {
      gen: nextGen,
      records: chunks.length - 1,
      ms: Date.now() - started,
    });
  }

  /** Flushes everything appended so far and closes the file. */
  async close(): Promise<void> {
    if (this.scheduled || this.pending.length > 0) await this.waitFor(this.seq).catch(() => undefined);
    await this.idle;
    await this.fh.close();
  }
}

/**
 * Server-side cursors. Results are materialised when the cursor is opened
 * (a consistent snapshot, since stored documents are never mutated) and
 * handed out in batches bounded by count and by BSON size, like mongod.
 */
import { calculateObjectSize, Long, type Document } from 'bson';
import { randomInt } from 'node:crypto';
import { ErrorCode, fail } from './errors.ts';

/** Leave headroom under the 16 MiB reply limit for the envelope. */
const MAX_BATCH_BYTES = 16 * 1024 * 1024 - 64 * 1024;
/** mongod's default size of a first batch. */
export const DEFAULT_FIRST_BATCH = 101;

interface OpenCursor {
  ns: string;
  docs: Document[];
  pos: number;
  lastUsed: number;
  noTimeout: boolean;
  /** Applied to each batch as it is handed out (a find's projection), or null. */
  project: ((docs: Document[]) => Document[]) | null;
}

/** Documents projected at a time: enough for few calls, few enough to waste little past a size limit. */
const PROJECT_CHUNK = 1_000;

/** A batch plus the cursor id to return (0 when exhausted). */
export interface Batch {
  id: Long;
  batch: Document[];
}

export class CursorManager {
  private readonly cursors = new Map<string, OpenCursor>();
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly timeoutMs: number) {
    // Sweep often enough that a short test timeout is honoured promptly.
    this.timer = setInterval(() => this.sweep(Date.now()), Math.max(10, Math.min(timeoutMs / 2, 60_000)));
    this.timer.unref();
  }

  /** Returns the first batch (default 101 documents) and registers a cursor if documents remain. */
  open(
    ns: string,
    docs: Document[],
    batchSize: number | undefined,
    opts: { singleBatch?: boolean; noTimeout?: boolean; project?: ((docs: Document[]) => Document[]) | null } = {},
  ): Batch {
    const cursor: OpenCursor = {
      ns,
      docs,
      pos: 0,
      lastUsed: Date.now(),
      noTimeout: !!opts.noTimeout,
      project: opts.project ?? null,
    };
    // batchSize 0 asks for an empty first batch (the cursor is still opened).
    const batch = batchSize === 0 ? [] : takeBatch(cursor, batchSize ?? DEFAULT_FIRST_BATCH);
    if (cursor.pos >= docs.length || opts.singleBatch) return { id: Long.ZERO, batch };
    // Like mongod, use ids above 2^53 so clients always see a Long, never a promoted number.
    const id = Long.fromBits(randomInt(0, 2 ** 32), randomInt(2 ** 21, 2 ** 31), false);
    this.cursors.set(id.toString(), cursor);
    return { id, batch };
  }

  /** Next batch; code 43 if the cursor is unknown, 13 if `ns` does not match. */
  getMore(id: Long, ns: string, batchSize: number | undefined): Batch {
    const key = id.toString();
    const cursor = this.cursors.get(key);
    if (!cursor) fail(ErrorCode.CursorNotFound, `cursor id ${key} not found`);
    if (cursor.ns !== ns) {
      fail(
        ErrorCode.Unauthorized,
        `Requested getMore on namespace '${ns}', but cursor belongs to a different namespace ${cursor.ns}`,
      );
    }
    cursor.lastUsed = Date.now();
    const batch = takeBatch(cursor, batchSize ?? 0);
    if (cursor.pos >= cursor.docs.length) {
      this.cursors.delete(key);
      return { id: Long.ZERO, batch };
    }
    return { id, batch };
  }

  /** Kills cursors; reports which existed. */
  kill(ids: Long[]): { killed: Long[]; notFound: Long[] } {
    const killed: Long[] = [];
    const notFound: Long[] = [];
    for (const id of ids) (this.cursors.delete(id.toString()) ? killed : notFound).push(id);
    return { killed, notFound };
  }

  get openCount(): number {
    return this.cursors.size;
  }

  /** Drops cursors idle for longer than the timeout. */
  sweep(now: number): void {
    for (const [key, cursor] of this.cursors) {
      if (!cursor.noTimeout && now - cursor.lastUsed >= this.timeoutMs) this.cursors.delete(key);
    }
  }

  close(): void {
    clearInterval(this.timer);
    this.cursors.clear();
  }
}

function takeBatch(cursor: OpenCursor, batchSize: number): Document[] {
  const max = batchSize > 0 ? batchSize : Infinity;
  const batch: Document[] = [];
  let bytes = 0;
  while (cursor.pos < cursor.docs.length && batch.length < max) {
    const end = Math.min(cursor.docs.length, cursor.pos + Math.min(max - batch.length, PROJECT_CHUNK));
    const raw = cursor.docs.slice(cursor.pos, end);
    for (const doc of cursor.project ? cursor.project(raw) : raw) {
      bytes += calculateObjectSize(doc, { ignoreUndefined: true });
      // Always return at least one document so a cursor can make progress.
      if (bytes > MAX_BATCH_BYTES && batch.length > 0) return batch;
      batch.push(doc);
      cursor.pos++;
    }
  }
  return batch;
}

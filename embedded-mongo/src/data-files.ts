/**
 * Files of a data directory and the crash-safe primitives on them:
 *
 *   snapshot.bson          records recreating the state as of generation G
 *   journal-<gen>.bson     operations after that snapshot (gen ≥ G)
 *   embedded-mongo.lock    pid of the owning process
 *
 * Snapshots are written to a temp file, fsynced and renamed into place, so
 * a reader sees either the old or the new snapshot, never a partial one.
 */
import { closeSync, openSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import { join } from 'node:path';

export const SNAPSHOT_FILE = 'snapshot.bson';
const LOCK_FILE = 'embedded-mongo.lock';

/** Path of the journal of generation `gen`. */
export function journalPath(dir: string, gen: number): string {
  return join(dir, `journal-${String(gen).padStart(8, '0')}.bson`);
}

/** Parses a journal file name; null for other files. */
export function journalGen(fileName: string): number | null {
  const m = /^journal-(\d{8,})\.bson$/.exec(fileName);
  return m ? Number(m[1]) : null;
}

/** fsync on a directory makes a create/rename durable (no-op where unsupported). */
export async function fsyncDir(dir: string): Promise<void> {
  try {
    const fh = await open(dir, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch {
    // Some platforms/filesystems refuse fsync on directories; nothing to do.
  }
}

/** Atomically replaces snapshot.bson with the given record chunks. */
export async function writeSnapshot(dir: string, chunks: Buffer[]): Promise<void> {
  const tmp = join(dir, `${SNAPSHOT_FILE}.tmp`);
  const fh = await open(tmp, 'w');
  try {
    for (const chunk of chunks) {
      let written = 0;
      while (written < chunk.length) written += (await fh.write(chunk, written)).bytesWritten;
    }
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, join(dir, SNAPSHOT_FILE));
  await fsyncDir(dir);
}

const heldLocks = new Set<string>();

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes the directory lock so two servers never append to one journal.
 * A lock left by a dead process (e.g. after kill -9) is taken over.
 */
export function acquireLock(dir: string): () => void {
  const path = join(dir, LOCK_FILE);
  if (heldLocks.has(path)) throw new Error(`data directory ${dir} is already used by this process`);
  try {
    closeSync(openSync(path, 'wx'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    const pid = Number(readFileSync(path, 'utf8').trim());
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && processAlive(pid)) {
      throw new Error(`data directory ${dir} is locked by running process ${pid}`);
    }
  }
  writeFileSync(path, String(process.pid));
  heldLocks.add(path);
  return () => {
    heldLocks.delete(path);
    try {
      if (readFileSync(path, 'utf8').trim() === String(process.pid)) unlinkSync(path);
    } catch {
      // Directory removed underneath us: nothing left to release.
    }
  };
}

/**
 * Startup recovery: load the snapshot, replay every journal generation at or
 * after it, and repair a torn tail (the expected result of a crash during an
 * append) by truncating it after keeping a copy of the discarded bytes.
 */
import type { Document } from 'bson';
import { mkdir, readdir, readFile, truncate, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Catalog } from './catalog.ts';
import { acquireLock, journalGen, journalPath, SNAPSHOT_FILE } from './data-files.ts';
import { Journal } from './journal.ts';
import { scanRecords } from './journal-format.ts';
import type { LogFn } from './types.ts';

/** A recovered, journaled catalog and how to shut it down. */
export interface DurableStore {
  catalog: Catalog;
  journal: Journal;
  /** Flushes and closes the journal, then releases the directory lock. */
  close(): Promise<void>;
}

/**
 * The whole catalog as replayable records (the snapshot body): for every
 * collection its creation, its secondary indexes, then its documents.
 */
export function* snapshotRecords(catalog: Catalog): Generator<Document> {
  for (const [db, colls] of catalog.databases) {
    for (const coll of colls.values()) {
      yield { op: 'create', db, coll: coll.name, options: coll.options, uuid: coll.uuid };
      for (const index of coll.secondaryIndexes()) yield { op: 'idx', db, coll: coll.name, spec: index.spec };
      for (const doc of coll.docs.values()) yield { op: 'ins', db, coll: coll.name, doc };
    }
  }
}

function applyAll(catalog: Catalog, records: Document[], source: string, log: LogFn): void {
  for (const rec of records) {
    try {
      catalog.apply(rec);
    } catch (err) {
      log('warn', 'skipping journal record that cannot be applied', {
        source,
        op: String(rec.op),
        error: (err as Error).message,
      });
    }
  }
}

/** Opens (creating if needed) a data directory and recovers its state. */
export async function openDurableStore(
  dir: string,
  opts: { log: LogFn; compactThresholdBytes: number },
): Promise<DurableStore> {
  const { log } = opts;
  await mkdir(dir, { recursive: true });
  const release = acquireLock(dir);
  try {
    const catalog = new Catalog();
    let snapshotGen = 0;
    const snapshot = await readFile(join(dir, SNAPSHOT_FILE)).catch(() => null);
    if (snapshot) {
      const scan = scanRecords(snapshot);
      // Snapshots are renamed into place only when complete: damage here is
      // not a crash artefact, so refuse to start rather than lose data.
      if (scan.problem)
        throw new Error(`snapshot ${join(dir, SNAPSHOT_FILE)} is corrupt (${scan.problem}); refusing to start`);
      const [header, ...rest] = scan.records;
      snapshotGen = Number(header?.gen ?? 0);
      applyAll(catalog, rest, SNAPSHOT_FILE, log);
    }
    const gens = (await readdir(dir))
      .map(journalGen)
      .filter((g): g is number => g !== null)
      .sort((a, b) => a - b);
    let replayed = 0;
    for (const gen of gens) {
      const path = journalPath(dir, gen);
      if (gen < snapshotGen) {
        await unlink(path).catch(() => undefined);
        continue;
      }
      const buf = await readFile(path);
      const scan = scanRecords(buf);
      if (scan.problem) {
        const lost = buf.length - scan.validBytes;
        const saved = `${path}.discarded-${Date.now()}`;
        await writeFile(saved, buf.subarray(scan.validBytes));
        await truncate(path, scan.validBytes);
        log('warn', 'journal has a torn or corrupt record; truncated it', {
          file: path,
          problem: scan.problem,
          discardedBytes: lost,
          keptRecords: scan.records.length,
          savedTo: saved,
        });
      }
      applyAll(catalog, scan.records, path, log);
      replayed += scan.records.length;
    }
    const gen = Math.max(snapshotGen, gens[gens.length - 1] ?? 0, 1);
    const journal = await Journal.open(dir, gen, {
      log,
      compactThresholdBytes: opts.compactThresholdBytes,
      state: () => snapshotRecords(catalog),
    });
    catalog.sink = journal;
    log('info', 'data directory recovered', { dir, snapshotGen, journalRecords: replayed, gen });
    return {
      catalog,
      journal,
      close: async () => {
        await journal.close();
        release();
      },
    };
  } catch (err) {
    release();
    throw err;
  }
}

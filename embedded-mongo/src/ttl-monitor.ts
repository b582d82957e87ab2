/**
 * TTL indexes: a periodic sweep deletes documents whose indexed date (the
 * earliest one, for arrays) is older than `expireAfterSeconds`, like mongod's
 * TTL monitor (which runs every 60 s). Deletions are journaled as usual.
 */
import type { Document } from 'bson';
import type { Catalog } from './catalog.ts';
import { indexedValues } from './bson-values.ts';
import type { LogFn } from './types.ts';

/**
 * When `doc` expires under a TTL index on `field`: the earliest date among
 * the field's values plus the TTL. Documents without a date never expire.
 */
export function expiresAt(doc: Document, field: string, ttlSeconds: number): number {
  let earliest = Infinity;
  for (const v of indexedValues(doc, field)) if (v instanceof Date && v.getTime() < earliest) earliest = v.getTime();
  return earliest + ttlSeconds * 1000;
}

/** Deletes expired documents now; returns how many were removed. */
export function sweepExpired(catalog: Catalog, now = Date.now()): number {
  let removed = 0;
  for (const colls of catalog.databases.values()) {
    for (const coll of colls.values()) {
      for (const index of coll.secondaryIndexes()) {
        const ttl = index.spec.expireAfterSeconds;
        if (typeof ttl !== 'number') continue;
        const field = index.fields[0] as string;
        const expired = [];
        for (const doc of coll.docs.values()) if (expiresAt(doc, field, ttl) <= now) expired.push(doc);
        for (const doc of expired) catalog.remove(coll, doc);
        removed += expired.length;
      }
    }
  }
  return removed;
}

/** Starts the periodic sweep; returns a stop function. */
export function startTtlMonitor(catalog: Catalog, intervalMs: number, log: LogFn): () => void {
  const timer = setInterval(() => {
    try {
      const removed = sweepExpired(catalog);
      if (removed > 0) log('debug', 'TTL monitor removed expired documents', { removed });
    } catch (err) {
      log('error', 'TTL sweep failed', { error: (err as Error).message });
    }
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

import type { StorageLike } from './outbox.ts';

/** A random v4 UUID; `crypto.randomUUID` exists only in secure contexts, hence the fallback. */
export function uuid(): string {
  if (crypto.randomUUID) return crypto.randomUUID();
  // Each 0/1/8 digit of the template becomes random bits; the 4 (version) stays.
  return '10000000-1000-4000-8000-100000000000'.replace(/[018]/g, (c) =>
    (+c ^ (crypto.getRandomValues(new Uint8Array(1))[0]! & (15 >> (+c / 4)))).toString(16),
  );
}

/** The tab visit: its id and event counter live in sessionStorage, so both survive reloads. */
export function tabIdentity(storage: StorageLike): { id: string; next(): number } {
  let id = storage.getItem('activityHub:tab');
  if (!id) storage.setItem('activityHub:tab', (id = uuid()));
  return {
    id,
    next() {
      const n = Number(storage.getItem('activityHub:seq')) || 0;
      storage.setItem('activityHub:seq', String(n + 1));
      return n;
    },
  };
}

/**
 * sessionStorage that never throws: it can be missing (sandboxed frames) or full. An in-memory
 * copy wins once written, so a failed write cannot make a counter go back.
 */
export function safeStorage(get: () => StorageLike): StorageLike {
  const mem: Record<string, string> = {};
  return {
    getItem(k) {
      try {
        return k in mem ? mem[k]! : get().getItem(k);
      } catch {
        return null;
      }
    },
    setItem(k, v) {
      mem[k] = v;
      try {
        get().setItem(k, v);
      } catch {
        // Memory copy only.
      }
    },
  };
}

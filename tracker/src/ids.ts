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
export interface TabIdentity {
  id: string;
  /** True when this page's sessionStorage was copied from a live tab (a duplicated tab). */
  copy: boolean;
  next(): number;
  /** Marks the tab's page as open (at load, back from the bfcache) or gone (at pagehide). */
  live(open: boolean): void;
}

/**
 * A duplicated tab (or a window opened by this one) starts with a copy of sessionStorage, so
 * it would share the tab id and counter. `activityHub:live` is set while a page of the tab is
 * open and cleared at its pagehide: a reload or a navigation finds it cleared, a copy made from
 * a live tab finds it set, and takes a new id and counter. (A tab that crashed without pagehide
 * also starts a new visit: harmless.)
 */
export function tabIdentity(storage: StorageLike): TabIdentity {
  let id = storage.getItem('activityHub:tab');
  const copy = !!id && !!storage.getItem('activityHub:live');
  if (!id || copy) {
    storage.setItem('activityHub:tab', (id = uuid()));
    storage.setItem('activityHub:seq', '0');
  }
  const tab: TabIdentity = {
    id,
    copy,
    next() {
      const n = Number(storage.getItem('activityHub:seq')) || 0;
      storage.setItem('activityHub:seq', String(n + 1));
      return n;
    },
    live: (open) => storage.setItem('activityHub:live', open ? '1' : ''),
  };
  tab.live(true);
  return tab;
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

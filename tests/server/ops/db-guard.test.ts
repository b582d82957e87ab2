import { describe, expect, it } from 'vitest';
import type { DbAvailability } from '../../../server/src/storage/db-availability.ts';
import { guardStorage } from '../../../server/src/storage/db-guard.ts';

/** A gate that is down: every call is refused without reaching the store. */
const downGate = {
  down: true,
  run: <T>(fn: () => PromiseLike<T>) => Promise.resolve(fn()).catch(() => Promise.reject(new Error('unavailable'))),
} as unknown as DbAvailability;

describe('a storage call refused while the database is out', () => {
  const store = guardStorage(downGate, {
    releaseLease: () => Promise.resolve('reached'),
    async *changed() {
      yield 'reached';
    },
  });

  it('is a real promise: callers may .catch it (RollupJob.stop does)', async () => {
    const p = store.releaseLease();
    expect(typeof p.catch).toBe('function');
    await expect(p).rejects.toThrow('unavailable');
    expect(await p.catch(() => 'caught')).toBe('caught');
  });

  it('fails when iterated, and leaves no unhandled rejection behind', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (r: unknown) => unhandled.push(r);
    process.on('unhandledRejection', onUnhandled);
    try {
      const it = store.changed()[Symbol.asyncIterator]();
      await expect(it.next()).rejects.toThrow('unavailable');
      await new Promise((r) => setTimeout(r, 20));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});

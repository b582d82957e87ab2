import { describe, expect, it } from 'vitest';
import { TabRegistry } from '../../../server/src/domain/tab-registry.ts';

/** A deferred task: its promise settles when the test says so. */
function deferred() {
  let resolve!: () => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

/** The per-tab queue that applies a tab's events in arrival order. */
describe('TabRegistry.serialize', () => {
  it('runs a task at once when nothing of its key is queued', () => {
    const tabs = new TabRegistry();
    let ran = false;
    void tabs.serialize('t', async () => void (ran = true));
    expect(ran).toBe(true); // synchronously: no turn of the event loop is spent waiting for nobody
  });

  it('runs the tasks of one key in order, each after the one before settles, past a failure', async () => {
    const tabs = new TabRegistry();
    const log: string[] = [];
    const first = deferred();
    const second = deferred();
    const a = tabs.serialize('t', async () => {
      log.push('a start');
      await first.promise;
      log.push('a end');
    });
    const b = tabs.serialize('t', async () => {
      log.push('b start');
      await second.promise;
    });
    const c = tabs.serialize('t', async () => void log.push('c'));
    // Another key does not wait.
    await tabs.serialize('u', async () => void log.push('other key'));
    expect(log).toEqual(['a start', 'other key']);
    first.resolve();
    await a;
    await Promise.resolve();
    expect(log).toEqual(['a start', 'other key', 'a end', 'b start']);
    second.reject(new Error('refused'));
    await expect(b).rejects.toThrow('refused');
    await c;
    expect(log.at(-1)).toBe('c');
  });

  it('turns a task that throws before returning its promise into a rejection', async () => {
    const tabs = new TabRegistry();
    const throws = (): Promise<void> => {
      throw new Error('sync');
    };
    await expect(tabs.serialize('t', throws)).rejects.toThrow('sync');
    // The queue is usable afterwards, and idle again once drained.
    let ran = false;
    await tabs.serialize('t', async () => void (ran = true));
    expect(ran).toBe(true);
    let again = false;
    void tabs.serialize('t', async () => void (again = true));
    expect(again).toBe(true);
  });
});

import type { DbAvailability } from './db-availability.ts';

const isThenable = (v: unknown): v is PromiseLike<unknown> =>
  !!v && (typeof v === 'object' || typeof v === 'function') && typeof (v as PromiseLike<unknown>).then === 'function';

const isAsyncIterable = (v: unknown): v is AsyncIterable<unknown> =>
  !!v && typeof v === 'object' && typeof (v as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function';

/** An async iterable whose every step goes through the gate. */
function guardIterable<T>(gate: DbAvailability, source: AsyncIterable<T>): AsyncIterable<T> {
  return {
    [Symbol.asyncIterator]() {
      const it = source[Symbol.asyncIterator]();
      return {
        next: () => gate.run(() => it.next()),
        return: (v?: unknown) =>
          it.return ? it.return(v as T) : Promise.resolve({ done: true as const, value: v as T }),
      };
    },
  };
}

/**
 * A value that fails when awaited or iterated, for a call refused while the database is out: a
 * real promise (callers may `.catch` it), marked handled so a caller that iterates it instead
 * leaves no unhandled rejection behind.
 */
function refused(gate: DbAvailability): Promise<never> & AsyncIterable<never> {
  const fail = () => Promise.resolve(gate.run<never>(() => Promise.reject(new Error('unreachable'))));
  const promise = fail();
  promise.catch(() => undefined);
  return Object.assign(promise, { [Symbol.asyncIterator]: () => ({ next: fail }) });
}

/**
 * Wraps a storage object (a repository, a store) so that each of its methods runs through the
 * availability gate: refused at once while the database is out, and with database network
 * errors turned into `unavailable` with a retry-after hint instead of `internal`. Methods that
 * return an async iterable are guarded step by step. The domain sees the same interface.
 */
export function guardStorage<T extends object>(gate: DbAvailability, target: T): T {
  return new Proxy(target, {
    get(t, prop) {
      const value: unknown = Reflect.get(t, prop, t);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        // Refused without touching the driver. Storage ports return promises or async
        // iterables; this answer fails as either.
        if (gate.down) return refused(gate);
        let out: unknown;
        try {
          out = (value as (...a: unknown[]) => unknown).apply(t, args);
        } catch (err) {
          return gate.run(() => Promise.reject(err));
        }
        if (isThenable(out)) return gate.run(() => out as PromiseLike<unknown>);
        if (isAsyncIterable(out)) return guardIterable(gate, out);
        return out;
      };
    },
  });
}

/**
 * The embedded server on a thread of its own, in the caller's process.
 *
 * On the caller's thread, one long command (a 200-branch `$or`, the first build of an index's
 * sorted view, a large insert) holds every socket and timer of the host for as long as it runs.
 * On its own thread it holds only the database: the host's event loop keeps serving while the
 * operating system shares the core between the two. The server is the same; the driver reaches
 * it over loopback TCP as before.
 *
 * The thread's entry is `worker-entry.ts` when this module runs from source (tsx, vitest), and
 * `embedded-mongo-worker.js` beside the bundle when it is bundled (server/build.mjs emits it).
 */
import { Worker, type ResourceLimits } from 'node:worker_threads';
import { defaultLog, type EmbeddedMongo, type EmbeddedMongoOptions } from './types.ts';
import type { HostMessage, WorkerMessage, WorkerOptions } from './worker-messages.ts';

/** The file name a bundler must give worker-entry.ts, beside the bundle that imports this module. */
export const WORKER_BUNDLE_NAME = 'embedded-mongo-worker.js';

/** A thread that has not closed (journal flushed, sockets closed) after this long is stopped. */
const CLOSE_TIMEOUT_MS = 30_000;

export interface InWorkerOptions extends EmbeddedMongoOptions {
  /** Called once if the thread stops without being closed (a crash, or out of memory). */
  onExit?: (err: Error) => void;
  /** The thread's heap bounds; by default those of the process. */
  resourceLimits?: ResourceLimits;
}

function newWorker(workerData: WorkerOptions, resourceLimits: ResourceLimits | undefined): Worker {
  const options = { workerData, ...(resourceLimits ? { resourceLimits } : {}) };
  const here = import.meta.url;
  if (!here.endsWith('.ts')) return new Worker(new URL(`./${WORKER_BUNDLE_NAME}`, here), options);
  // From source: the thread registers tsx's loader for itself, then loads the TypeScript entry.
  const entry = new URL('./worker-entry.ts', here).href;
  // Resolved here, not from the thread's working directory (an eval'd thread has no file).
  const tsxApi = typeof import.meta.resolve === 'function' ? import.meta.resolve('tsx/esm/api') : 'tsx/esm/api';
  const boot = `import(${JSON.stringify(tsxApi)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); })`;
  return new Worker(boot, { ...options, eval: true });
}

/** Starts the server on its own thread; resolves once it listens, as {@link startEmbeddedMongo} does. */
export async function startEmbeddedMongoInWorker(opts: InWorkerOptions): Promise<EmbeddedMongo> {
  const { log = defaultLog, onExit, resourceLimits, ...rest } = opts;
  const workerOptions: WorkerOptions = rest;
  const worker = newWorker(workerOptions, resourceLimits);
  let closing: Promise<void> | null = null;
  let closed: ((error?: string) => void) | null = null;

  worker.on('message', (m: WorkerMessage) => {
    if (m.type === 'log') log(m.level, m.msg, m.extra);
    else if (m.type === 'closed') closed?.(m.error);
  });

  const ready = await new Promise<{ url: string; port: number }>((resolve, reject) => {
    const onMessage = (m: WorkerMessage) => {
      if (m.type === 'ready') done(() => resolve(m));
      else if (m.type === 'failed')
        done(() => reject(Object.assign(new Error(m.message), m.code ? { code: m.code } : {})));
    };
    const onError = (err: Error) => done(() => reject(err));
    const onEarlyExit = (code: number) =>
      done(() => reject(new Error(`embedded mongo thread exited with code ${code} before it listened`)));
    const done = (settle: () => void) => {
      worker.off('message', onMessage).off('error', onError).off('exit', onEarlyExit);
      settle();
    };
    worker.on('message', onMessage).on('error', onError).on('exit', onEarlyExit);
  }).catch(async (err: unknown) => {
    await worker.terminate();
    throw err;
  });

  let lastError: Error | null = null;
  let exited = false;
  worker.on('error', (err) => {
    lastError = err;
    log('error', 'embedded mongo thread failed', { error: err.stack ?? err.message });
  });
  worker.on('exit', (code) => {
    exited = true;
    closed?.(`the thread exited with code ${code} before it closed`);
    if (!closing) onExit?.(lastError ?? new Error(`embedded mongo thread exited with code ${code}`));
  });

  return {
    url: ready.url,
    port: ready.port,
    close: () => {
      closing ??= (async () => {
        if (exited) return;
        let timer: NodeJS.Timeout | undefined;
        const error = await new Promise<string | undefined>((resolve) => {
          closed = resolve;
          timer = setTimeout(
            () => resolve(`not closed after ${CLOSE_TIMEOUT_MS} ms; thread stopped`),
            CLOSE_TIMEOUT_MS,
          );
          worker.postMessage({ type: 'close' } satisfies HostMessage);
        });
        clearTimeout(timer);
        await worker.terminate();
        if (error) throw new Error(`embedded mongo: ${error}`);
      })();
      return closing;
    },
  };
}

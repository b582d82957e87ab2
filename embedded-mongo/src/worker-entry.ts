/**
 * The embedded server's own thread (see in-worker.ts): starts the server with the options it was
 * given, reports its URL, forwards its log lines, and closes it when asked.
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { startEmbeddedMongo } from './index.ts';
import type { HostMessage, WorkerMessage, WorkerOptions } from './worker-messages.ts';

if (!parentPort) throw new Error('worker-entry.ts runs only as a worker thread');
const host: MessagePort = parentPort;
function send(m: WorkerMessage): void {
  try {
    host.postMessage(m);
  } catch (err) {
    // A log line whose context cannot be copied to the host still arrives, without it.
    if (m.type !== 'log') throw err;
    host.postMessage({ type: 'log', level: m.level, msg: m.msg, extra: { extra: '[not cloneable]' } });
  }
}
const opts = workerData as WorkerOptions;

try {
  const server = await startEmbeddedMongo({
    ...opts,
    log: (level, msg, extra) => send({ type: 'log', level, msg, ...(extra ? { extra } : {}) }),
  });
  host.on('message', (m: HostMessage) => {
    if (m.type !== 'close') return;
    server.close().then(
      () => send({ type: 'closed' }),
      (err: unknown) => send({ type: 'closed', error: err instanceof Error ? err.message : String(err) }),
    );
  });
  send({ type: 'ready', url: server.url, port: server.port });
} catch (err) {
  const e = err as NodeJS.ErrnoException;
  send({ type: 'failed', message: e.message ?? String(err), ...(e.code ? { code: e.code } : {}) });
}

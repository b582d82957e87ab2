/**
 * Preloaded into every server under test (`node --import ./probe.mjs`): answers the benchmark's
 * IPC `probe` with memory and event-loop delay (perf_hooks), and `reset` clears the delay
 * histogram. It adds nothing to the server's own code path.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';

if (process.send) {
  const eld = monitorEventLoopDelay({ resolution: 10 });
  eld.enable();
  process.on('message', (m) => {
    if (m === 'reset') return eld.reset();
    if (m !== 'probe') return;
    const mem = process.memoryUsage();
    process.send({
      probe: {
        rss: mem.rss,
        heapUsed: mem.heapUsed,
        heapTotal: mem.heapTotal,
        external: mem.external,
        arrayBuffers: mem.arrayBuffers,
        eldP50: eld.percentile(50) / 1e6,
        eldP99: eld.percentile(99) / 1e6,
        eldMax: eld.max / 1e6,
      },
    });
  });
  // The IPC channel must not keep a server alive that wants to exit.
  process.channel?.unref();
}

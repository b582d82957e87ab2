/**
 * Preloaded into every server under test (`node --import ./probe.mjs`): answers the benchmark's
 * IPC `probe` with memory and event-loop delay (perf_hooks), `reset` clears the delay
 * histogram, `{snapshot: file}` writes a heap snapshot, and `{profileStart: true}` then
 * `{profileStop: file}` record a CPU profile of one phase (the inspector's sampling profiler)
 * and, beside it (`file` with `.heapprofile`), a sampling profile of every allocation of that
 * phase, collected or not: what the garbage collector has to deal with, by stack. It adds
 * nothing to the server's own code path.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { writeHeapSnapshot } from 'node:v8';

if (process.send) {
  const eld = monitorEventLoopDelay({ resolution: 10 });
  eld.enable();
  process.on('message', (m) => {
    if (m === 'reset') return eld.reset();
    if (typeof m === 'object' && m.snapshot) return process.send({ snapshot: writeHeapSnapshot(m.snapshot) });
    if (typeof m === 'object' && m.profileStart) return startProfile();
    if (typeof m === 'object' && m.profileStop) return stopProfile(m.profileStop);
    if (m !== 'probe' && m !== 'probe-gc') return;
    const delay = { eldP50: eld.percentile(50) / 1e6, eldP99: eld.percentile(99) / 1e6, eldMax: eld.max / 1e6 };
    if (m === 'probe-gc') globalThis.gc?.();
    const mem = process.memoryUsage();
    process.send({
      probe: {
        rss: mem.rss,
        heapUsed: mem.heapUsed,
        heapTotal: mem.heapTotal,
        external: mem.external,
        arrayBuffers: mem.arrayBuffers,
        ...delay,
      },
    });
  });
  // The IPC channel must not keep a server alive that wants to exit.
  process.channel?.unref();
}

let session = null;
function startProfile() {
  session = new Session();
  session.connect();
  session.post('Profiler.enable', () => session.post('Profiler.start'));
  session.post('HeapProfiler.enable', () =>
    session.post('HeapProfiler.startSampling', {
      samplingInterval: 64 * 1024,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    }),
  );
}
function stopProfile(file) {
  session?.post('Profiler.stop', (err, res) => {
    if (!err) writeFileSync(file, JSON.stringify(res.profile));
    session.post('HeapProfiler.stopSampling', (herr, heap) => {
      if (!herr) writeFileSync(file.replace(/\.cpuprofile$/, '') + '.heapprofile', JSON.stringify(heap.profile));
      session.disconnect();
      session = null;
      process.send({ profile: err ? String(err) : file });
    });
  });
}

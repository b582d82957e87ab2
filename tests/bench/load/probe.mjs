/**
 * Preloaded into every server under test (`node --import ./probe.mjs`): answers the benchmark's
 * IPC `probe` with memory, event-loop delay and garbage collection time (perf_hooks), `reset`
 * clears the delay histogram and the collection totals, `{snapshot: file}` writes a heap
 * snapshot, and `{profileStart: true}` then `{profileStop: file}` record a CPU profile of one
 * phase (the inspector's sampling profiler) and, beside it (`file` with `.heapprofile`), a
 * sampling profile of every allocation of that phase, collected or not: what the garbage
 * collector has to deal with, by stack. It adds nothing to the server's own code path.
 */
import { constants, monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { writeHeapSnapshot } from 'node:v8';

if (process.send) {
  const eld = monitorEventLoopDelay({ resolution: 10 });
  eld.enable();
  // Time in garbage collection since the last reset: young generation (scavenges) and full
  // (mark-compact) collections, and the longest single pause.
  const zero = () => ({ since: performance.now(), minorMs: 0, majorMs: 0, otherMs: 0, maxMs: 0 });
  const gc = zero();
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const kind = e.detail?.kind;
      if (kind === constants.NODE_PERFORMANCE_GC_MINOR) gc.minorMs += e.duration;
      else if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) gc.majorMs += e.duration;
      else gc.otherMs += e.duration;
      gc.maxMs = Math.max(gc.maxMs, e.duration);
    }
  }).observe({ entryTypes: ['gc'] });
  process.on('message', (m) => {
    if (m === 'reset') {
      Object.assign(gc, zero());
      return eld.reset();
    }
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
        gcMinorMs: gc.minorMs,
        gcMajorMs: gc.majorMs,
        gcOtherMs: gc.otherMs,
        gcMaxMs: gc.maxMs,
        sinceResetMs: performance.now() - gc.since,
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

/** Small statistics and /proc readings shared by the load benchmarks. */
import { readdirSync, readFileSync } from 'node:fs';

/** The q-quantile (0..1) of `xs`; NaN when empty. Sorts a copy. */
export function quantile(xs: number[], q: number): number {
  if (xs.length === 0) return NaN;
  const s = Float64Array.from(xs).sort();
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}

/**
 * A `/proc/…/stat` line's name and user and system CPU seconds. The name, in parentheses, may
 * hold spaces and parentheses itself, so the fields are counted from its last `) `.
 */
function parseStat(stat: string): { name: string; user: number; system: number } {
  const f = stat.slice(stat.lastIndexOf(') ') + 2).split(' ');
  return {
    name: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')).trim(),
    user: Number(f[11]) / 100,
    system: Number(f[12]) / 100,
  };
}

/** CPU seconds a process has used (user + system), from /proc. */
export function cpuSeconds(pid: number): number {
  const { user, system } = parseStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  return user + system;
}

/** Resident set size of a process in bytes, from /proc. */
export function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

/** Measures a process's CPU over a window, as a fraction of one core. */
export function cpuMeter(pid: number): () => number {
  const c0 = cpuSeconds(pid);
  const t0 = performance.now();
  return () => (cpuSeconds(pid) - c0) / ((performance.now() - t0) / 1000);
}

/** Least-squares slope of y over x. */
export function slope(points: { x: number; y: number }[]): number {
  const n = points.length;
  if (n < 2) return NaN;
  const mx = points.reduce((a, p) => a + p.x, 0) / n;
  const my = points.reduce((a, p) => a + p.y, 0) / n;
  const num = points.reduce((a, p) => a + (p.x - mx) * (p.y - my), 0);
  const den = points.reduce((a, p) => a + (p.x - mx) ** 2, 0);
  return den === 0 ? NaN : num / den;
}

export const ms = (x: number) => (Number.isFinite(x) ? (x >= 100 ? x.toFixed(0) : x.toFixed(1)) : '–');

/** Each thread's user and system CPU seconds, keyed by thread name (`main` for the process's own). */
function threadSeconds(pid: number): Map<string, { user: number; system: number }> {
  const out = new Map<string, { user: number; system: number }>();
  let tids: string[] = [];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    } catch {
      continue; // the thread ended
    }
    const thread = parseStat(stat);
    // Node leaves V8's helper threads (collector, compilers) and worker threads named `node`.
    const name = Number(tid) === pid ? 'main' : thread.name === 'node' ? 'helpers' : thread.name;
    const t = out.get(name) ?? { user: 0, system: 0 };
    t.user += thread.user;
    t.system += thread.system;
    out.set(name, t);
  }
  return out;
}

/** A process's CPU over a window by thread name, user and system apart, as fractions of one core. */
export type ThreadCpu = Record<string, { user: number; system: number }>;

/**
 * Measures a process's CPU over a window thread by thread: the main thread (JavaScript, the
 * collector's pauses, the syscalls it makes) apart from V8's helper threads (concurrent and
 * parallel garbage collection, compilers), libuv's pool and any worker thread. A thread that
 * ended during the window is missed.
 */
export function threadCpuMeter(pid: number): () => ThreadCpu {
  const a = threadSeconds(pid);
  const t0 = performance.now();
  return () => {
    const s = (performance.now() - t0) / 1000;
    const out: ThreadCpu = {};
    for (const [name, b] of threadSeconds(pid)) {
      const before = a.get(name) ?? { user: 0, system: 0 };
      const user = (b.user - before.user) / s;
      const system = (b.system - before.system) / s;
      if (user + system >= 0.0005) out[name] = { user, system };
    }
    return out;
  };
}

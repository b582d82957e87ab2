import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface FloodOptions {
  url: string;
  namespace: '/track' | '/live';
  token: string;
  /** The event name, and its arguments before the ack. */
  event: string;
  args: unknown[];
  perSecond: number;
  seconds: number;
}

export interface FloodResult {
  sent: number;
  /** Acks received, by error code ('ok' for success). */
  acks: Record<string, number>;
  /** Times the hub disconnected the socket (it connects again at once). */
  byes: number;
}

/**
 * The flooding client, in plain JavaScript so that a bare `node` runs it: one socket that emits
 * `perSecond` events (in slices every 10 ms) for `seconds`, reconnecting whenever the hub
 * disconnects it, then waits a moment for the acks.
 */
const SCRIPT = `
import { io } from 'socket.io-client';
const o = JSON.parse(process.env.FLOOD);
const s = io(o.url + o.namespace, { auth: { token: o.token }, transports: ['websocket'], reconnection: false });
const acks = {};
let sent = 0;
let byes = 0;
let started = 0;
s.on('bye', () => byes++);
// An attacker who does not give up: disconnected by the hub, it connects again at once.
s.on('disconnect', (reason) => { if (reason === 'io server disconnect') setTimeout(() => s.connect(), 10); });
s.on('connect', () => {
  if (started) return;
  started = Date.now();
  const timer = setInterval(() => {
    const elapsed = Date.now() - started;
    if (elapsed >= o.seconds * 1000) {
      clearInterval(timer);
      setTimeout(() => { console.log(JSON.stringify({ sent, acks, byes })); s.close(); process.exit(0); }, 1500);
      return;
    }
    // Emits only while connected (socket.io-client would buffer them otherwise), and catches up
    // on late timer ticks, so the rate holds on average.
    if (!s.connected) return;
    const due = Math.floor((elapsed * o.perSecond) / 1000) - sent;
    for (let i = 0; i < Math.min(due, o.perSecond / 10); i++) {
      sent++;
      s.emit(o.event, ...o.args, (r) => {
        const k = r && r.ok ? 'ok' : (r && r.error && r.error.code) || 'none';
        acks[k] = (acks[k] || 0) + 1;
      });
    }
  }, 10);
});
s.on('connect_error', (e) => { console.error(String(e)); process.exit(1); });
`;

/** Runs a bounded flood from a child process (its CPU is not the test's), resolving with what it saw. */
export function flood(o: FloodOptions): Promise<FloodResult> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--input-type=module', '-e', SCRIPT], {
      cwd: ROOT,
      env: { ...process.env, FLOOD: JSON.stringify(o) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const kill = setTimeout(() => p.kill('SIGKILL'), (o.seconds + 30) * 1000);
    p.once('exit', (code) => {
      clearTimeout(kill);
      if (code === 0) resolve(JSON.parse(out.trim().split('\n').pop()!) as FloodResult);
      else reject(new Error(`flood exited with ${code}: ${err}`));
    });
  });
}

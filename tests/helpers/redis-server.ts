import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';

/**
 * A free TCP port on 127.0.0.1, below the kernel's ephemeral range. Tests kill servers and
 * restart them on the same port (a database, Redis, a hub); a port in that range can be handed
 * to any `listen(0)` of the run while its server is down (seen: a killed database's port
 * answered by another test's embedded database, so the hub saw its database come back, found
 * nothing and answered `not_found`). Below the range, only an explicit bind can take it.
 */
export async function freePort(): Promise<number> {
  let low = 32_768;
  try {
    low = Number(fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || low;
  } catch {
    // not Linux: assume the IANA range (49152 up), so anything below 32768 is outside it
  }
  const top = Math.min(low, 49_152) - 1;
  for (let i = 0; i < 100; i++) {
    const port = top - Math.floor(Math.random() * Math.min(15_000, top - 10_000));
    const free = await new Promise<boolean>((resolve) => {
      const srv = net.createServer();
      srv.once('error', () => resolve(false));
      srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
    });
    if (free) return port;
  }
  throw new Error('no free port below the ephemeral range');
}

export function hasCommand(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

/** Resolves once something accepts TCP connections on the port. */
export async function waitForPort(port: number, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((r) => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.destroy();
        r(true);
      });
      s.once('error', () => r(false));
    });
    if (ok) return;
    if (Date.now() > until) throw new Error(`nothing listens on port ${port} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A redis-server (Debian's package) owned by a test, so it can be stopped and restarted. */
export class RedisServer {
  private proc: ChildProcess | null = null;

  private constructor(readonly port: number) {}

  static async start(port?: number): Promise<RedisServer> {
    if (!hasCommand('redis-server')) throw new Error('redis-server is not installed (apt-get install redis-server)');
    const r = new RedisServer(port ?? (await freePort()));
    await r.startProcess();
    return r;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  private async startProcess(): Promise<void> {
    this.proc = spawn(
      'redis-server',
      [
        '--port',
        String(this.port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--protected-mode',
        'no',
      ],
      { stdio: 'ignore' },
    );
    await waitForPort(this.port);
  }

  /** Stops the server abruptly (SIGKILL): clients see the connection drop. */
  async stop(): Promise<void> {
    const p = this.proc;
    this.proc = null;
    if (!p || p.exitCode !== null) return;
    await new Promise<void>((r) => {
      p.once('exit', () => r());
      p.kill('SIGKILL');
    });
  }

  /** Starts again on the same port. */
  async restart(): Promise<void> {
    await this.stop();
    await this.startProcess();
  }
}

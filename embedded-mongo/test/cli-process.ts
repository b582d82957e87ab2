/**
 * Runs the embedded-mongo CLI as a real child process (node --import tsx),
 * so durability tests can kill -9 it exactly like a crashed server.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CLI_PATH = fileURLToPath(new URL('../src/cli.ts', import.meta.url));

/** A started CLI process. */
export interface CliServer {
  proc: ChildProcess;
  url: string;
  /** Everything written to stderr so far. */
  stderr(): string;
  /** Resolves with the exit code / signal. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Spawns the CLI with `args` and returns the process without waiting for readiness. */
export function spawnCli(args: string[]): {
  proc: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: CliServer['exited'];
} {
  const proc = spawn(process.execPath, ['--import', 'tsx', CLI_PATH, ...args], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  proc.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  proc.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { proc, stdout: () => out, stderr: () => err, exited };
}

/** Spawns the CLI and waits for its `{"event":"listening"}` line. */
export async function startCli(dataDir: string, extra: string[] = []): Promise<CliServer> {
  const child = spawnCli(['--data-dir', dataDir, '--port', '0', ...extra]);
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`CLI did not start: ${child.stderr()}`)), 20_000);
    const onData = (): void => {
      for (const line of child.stdout().split('\n')) {
        if (!line.trim()) continue;
        const msg = JSON.parse(line) as { event: string; url: string };
        if (msg.event === 'listening') {
          clearTimeout(timer);
          child.proc.stdout!.off('data', onData);
          resolve(msg.url);
        }
      }
    };
    child.proc.stdout!.on('data', onData);
    void child.exited.then(({ code }) => {
      clearTimeout(timer);
      reject(new Error(`CLI exited with ${String(code)} before listening: ${child.stderr()}`));
    });
  });
  return { proc: child.proc, url, stderr: child.stderr, exited: child.exited };
}

/** kill -9 and wait until the process is gone. */
export async function crash(server: CliServer): Promise<void> {
  server.proc.kill('SIGKILL');
  await server.exited;
}

/**
 * Standalone embedded MongoDB server:
 *
 *   npm run embedded-mongo -- --port 27017 --data-dir ./data/mongo
 *
 * Prints one JSON line `{"event":"listening","url":…}` on stdout when ready
 * (harnesses wait for it), logs JSON lines on stderr, and on SIGINT/SIGTERM
 * flushes the journal and exits 0. Bad arguments exit with status 2.
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startEmbeddedMongo, type LogFn } from './index.ts';

const USAGE = `Usage: embedded-mongo --data-dir <dir|:memory:> [--port <0-65535>] [--host <addr>]
                      [--cursor-timeout-ms <ms>] [--ttl-interval-ms <ms>] [--compact-threshold-bytes <n>]
                      [--slow-ms <ms>] [--verbose]`;

interface CliOptions {
  dataDir: string;
  port: number;
  host: string;
  cursorTimeoutMs?: number;
  ttlIntervalMs?: number;
  compactThresholdBytes?: number;
  slowMs?: number;
  verbose: boolean;
}

/** Invalid command-line input (exit status 2). */
export class UsageError extends Error {}

function positiveInt(flag: string, raw: string, min: number, max: number): number {
  if (!/^\d+$/.test(raw)) throw new UsageError(`${flag} expects an integer, got '${raw}'`);
  const n = Number(raw);
  if (n < min || n > max) throw new UsageError(`${flag} must be between ${min} and ${max}, got ${n}`);
  return n;
}

/** Parses argv (without node and script); throws UsageError on bad input. */
export function parseArgs(argv: string[]): CliOptions | 'help' {
  const out: Partial<CliOptions> = { port: 0, host: '127.0.0.1', verbose: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--help' || arg === '-h') return 'help';
    if (arg === '--verbose') {
      out.verbose = true;
      continue;
    }
    const eq = arg.indexOf('=');
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    const value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined || value === '') throw new UsageError(`${flag} requires a value`);
    switch (flag) {
      case '--data-dir':
        out.dataDir = value;
        break;
      case '--port':
        out.port = positiveInt(flag, value, 0, 65535);
        break;
      case '--host':
        out.host = value;
        break;
      case '--cursor-timeout-ms':
        out.cursorTimeoutMs = positiveInt(flag, value, 1, 2 ** 31);
        break;
      case '--ttl-interval-ms':
        out.ttlIntervalMs = positiveInt(flag, value, 1, 2 ** 31);
        break;
      case '--compact-threshold-bytes':
        out.compactThresholdBytes = positiveInt(flag, value, 1024, Number.MAX_SAFE_INTEGER);
        break;
      case '--slow-ms':
        out.slowMs = positiveInt(flag, value, 1, 2 ** 31);
        break;
      default:
        throw new UsageError(`unknown option '${arg}'`);
    }
  }
  if (!out.dataDir) throw new UsageError("--data-dir is required (use ':memory:' to keep nothing)");
  return out as CliOptions;
}

/** Parses argv, starts the server and wires signals. */
async function main(): Promise<void> {
  let opts: CliOptions | 'help';
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`embedded-mongo: ${(err as Error).message}\n${USAGE}\n`);
    process.exit(2);
  }
  if (opts === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const verbose = opts.verbose;
  const log: LogFn = (level, msg, extra) => {
    if (level === 'debug' && !verbose) return;
    process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), level, msg, ...extra })}\n`);
  };
  const server = await startEmbeddedMongo({ ...opts, log }).catch((err: Error) => {
    process.stderr.write(`embedded-mongo: failed to start: ${err.message}\n`);
    process.exit(1);
  });
  process.stdout.write(
    `${JSON.stringify({ event: 'listening', url: server.url, port: server.port, pid: process.pid })}\n`,
  );
  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) process.exit(1); // second signal: give up waiting
    stopping = true;
    server.close().then(
      () => {
        process.stdout.write(`${JSON.stringify({ event: 'closed', signal })}\n`);
        process.exit(0);
      },
      (err: Error) => {
        process.stderr.write(`embedded-mongo: error while closing: ${err.message}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

// Run only when executed as a script, so tests can import parseArgs.
const entry = process.argv[1] ? realpathSync(process.argv[1]) : '';
if (entry === realpathSync(fileURLToPath(import.meta.url))) void main();

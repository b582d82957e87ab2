import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config.ts';

/** The file, inside DATA_DIR, that keeps the generated dev secret across restarts. */
export const HUB_SECRET_FILE = 'hub-jwt-secret';
const SECRET_BYTES = 32;

/** The few logger methods this module needs; pino's Logger fits. */
export interface SecretLog {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

/**
 * The key hub tokens are signed with:
 * - `HUB_JWT_SECRET` when set (required in production, which loadConfig enforces);
 * - `DATA_DIR=':memory:'`: a random secret for this process only (tests, throwaway runs);
 * - otherwise (dev): a random secret generated once and kept in `DATA_DIR/hub-jwt-secret`,
 *   mode 0600, so dashboard tokens survive a restart of `npm run dev`.
 */
export function resolveHubSecret(
  config: Pick<Config, 'HUB_JWT_SECRET' | 'DATA_DIR' | 'NODE_ENV'>,
  log: SecretLog,
): Uint8Array {
  if (config.HUB_JWT_SECRET) return new TextEncoder().encode(config.HUB_JWT_SECRET);
  // Defence in depth: loadConfig already refuses this, but a generated key in production
  // would silently differ between instances and sign everyone out on each deploy.
  if (config.NODE_ENV === 'production') throw new Error('HUB_JWT_SECRET is required when NODE_ENV=production');
  if (config.DATA_DIR === ':memory:') {
    log.info({}, 'Using a random in-memory hub token secret; tokens end with this process');
    return new Uint8Array(randomBytes(SECRET_BYTES));
  }
  return loadOrCreate(join(config.DATA_DIR, HUB_SECRET_FILE), config.DATA_DIR, log);
}

function loadOrCreate(file: string, dir: string, log: SecretLog): Uint8Array {
  const stored = readSecret(file, log);
  if (stored instanceof Uint8Array) return stored;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const secret = randomBytes(SECRET_BYTES);
  try {
    // 'wx' fails if another process created the file meanwhile; then we use theirs.
    writeFileSync(file, `${secret.toString('base64url')}\n`, { flag: stored === 'missing' ? 'wx' : 'w', mode: 0o600 });
    chmodSync(file, 0o600); // an overwritten file keeps its old mode otherwise
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    const theirs = readSecret(file, log);
    if (theirs instanceof Uint8Array) return theirs;
    throw new Error(`Could not read the hub token secret in ${file}`);
  }
  log.info({ file }, 'Generated a dev hub token secret; set HUB_JWT_SECRET in production');
  return new Uint8Array(secret);
}

/** Reads a stored secret, or says why there is none usable. */
function readSecret(file: string, log: SecretLog): Uint8Array | 'missing' | 'unusable' {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
    throw err;
  }
  const bytes = Buffer.from(text.trim(), 'base64url');
  if (bytes.length < SECRET_BYTES) {
    log.warn({ file }, 'Stored hub token secret is unusable; replacing it (existing tokens end)');
    return 'unusable';
  }
  if ((statSync(file).mode & 0o077) !== 0) {
    // Anyone who can read this file can mint tokens for any agency.
    chmodSync(file, 0o600);
    log.warn({ file }, 'Tightened permissions of the hub token secret file to 0600');
  }
  return new Uint8Array(bytes);
}

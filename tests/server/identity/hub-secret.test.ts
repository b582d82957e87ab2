import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../server/src/config.ts';
import { HUB_SECRET_FILE, resolveHubSecret } from '../../../server/src/identity/hub-secret.ts';

const log = { info: () => {}, warn: () => {} };
const dirs: string[] = [];
const tempDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'hub-secret-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('resolveHubSecret', () => {
  it('uses HUB_JWT_SECRET when set', () => {
    const secret = 'x'.repeat(40);
    const out = resolveHubSecret(loadConfig({ DATA_DIR: ':memory:', HUB_JWT_SECRET: secret }), log);
    expect(Buffer.from(out).toString()).toBe(secret);
  });

  it('makes a fresh random secret for DATA_DIR=:memory:', () => {
    const config = loadConfig({ DATA_DIR: ':memory:' });
    const a = resolveHubSecret(config, log);
    const b = resolveHubSecret(config, log);
    expect(a.byteLength).toBe(32);
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(false);
  });

  it('creates DATA_DIR and a 0600 secret file once, then reuses it', () => {
    const dir = join(tempDir(), 'nested', 'data');
    const config = loadConfig({ DATA_DIR: dir });
    const first = resolveHubSecret(config, log);
    const file = join(dir, HUB_SECRET_FILE);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(first.byteLength).toBe(32);
    const again = resolveHubSecret(config, log);
    expect(Buffer.from(again).equals(Buffer.from(first))).toBe(true);
  });

  it('replaces an unusable file and tightens loose permissions', () => {
    const dir = tempDir();
    const file = join(dir, HUB_SECRET_FILE);
    writeFileSync(file, 'short\n', { mode: 0o644 });
    const warnings: string[] = [];
    const spy = { info: () => {}, warn: (_o: object, msg?: string) => void warnings.push(msg ?? '') };
    const fresh = resolveHubSecret(loadConfig({ DATA_DIR: dir }), spy);
    expect(fresh.byteLength).toBe(32);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8')).not.toContain('short');
    chmodSync(file, 0o644);
    const same = resolveHubSecret(loadConfig({ DATA_DIR: dir }), spy);
    expect(Buffer.from(same).equals(Buffer.from(fresh))).toBe(true);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(warnings).toHaveLength(2);
  });
});

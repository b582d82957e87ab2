import { z } from 'zod';
import { RATE_BUDGETS, TIMING, type BudgetName, type RateBudget } from '@activity-hub/protocol';

const csv = z.string().transform((s) =>
  s
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean),
);
const origins = csv.pipe(z.array(z.url({ protocol: /^https?$/ }).transform((u) => new URL(u).origin)));
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const optionalString = z.string().min(1).optional();
/** A variable holding JSON: parsed here, then checked by the schema it is piped into. */
const json = z.string().transform((s, ctx) => {
  try {
    return JSON.parse(s) as unknown;
  } catch {
    ctx.addIssue({ code: 'custom', message: 'a JSON object' });
    return z.NEVER;
  }
});

/** Every environment variable the hub reads, with its rules and defaults. README's table mirrors this. */
const schema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: int(0, 65_535).default(3000),
  HOST: z.string().min(1).default('0.0.0.0'),
  MONGO_URL: z
    .string()
    .regex(/^mongodb(\+srv)?:\/\//, 'a mongodb:// or mongodb+srv:// URL')
    .optional(),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'a redis:// or rediss:// URL')
    .optional(),
  DATA_DIR: z.string().min(1).default('./data'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  PUBLIC_ORIGINS: origins.default([]),
  TRACKER_ORIGINS: z.union([z.literal('*'), origins]).default([]),
  HUB_JWT_SECRET: z.string().min(32, 'at least 32 characters').optional(),
  TOKEN_TTL_SEC: int(60, 86_400).default(TIMING.tokenLifetimeSec),
  HIGHLEVEL_SSO_KEY: optionalString,
  SSO_JWKS_URL: z.url({ protocol: /^https?$/ }).optional(),
  SSO_JWT_SECRET: z.string().min(32, 'at least 32 characters').optional(),
  SSO_ISSUER: optionalString,
  SSO_AUDIENCE: optionalString,
  SSO_CLAIMS: json
    // partialRecord: zod 4's record over an enum requires every key; a mapping names only some.
    .pipe(z.partialRecord(z.enum(['sub', 'agencyId', 'locationId', 'role', 'name', 'email']), z.string().min(1)))
    .optional(),
  HEARTBEAT_INTERVAL_MS: int(TIMING.heartbeatIntervalMinMs, TIMING.heartbeatIntervalMaxMs).default(
    TIMING.heartbeatIntervalMs,
  ),
  IDLE_TIMEOUT_MS: int(TIMING.idleTimeoutMinMs, TIMING.idleTimeoutMaxMs).default(TIMING.idleTimeoutMs),
  STALE_AFTER_MS: int(10_000, 86_400_000).default(TIMING.staleAfterMs),
  DISCONNECT_GRACE_MS: int(0, 3_600_000).default(10_000),
  SWEEP_INTERVAL_MS: int(1_000, 3_600_000).default(30_000),
  FLUSH_INTERVAL_MS: int(10, 60_000).default(TIMING.flushIntervalMs),
  URGENT_FLUSH_MS: int(0, 1_000).default(50),
  SHUTDOWN_TIMEOUT_MS: int(100, 120_000).default(10_000),
  /** Unset: derived from the open-file limit at start (realtime/connection-ceiling.ts). */
  MAX_CONNECTIONS: int(1, 1_000_000).optional(),
  /** Raw page views and sessions older than this many days are deleted; rollups are kept. */
  RETENTION_DAYS: int(1, 36_500).default(400),
  RETENTION_INTERVAL_MS: int(1_000, 86_400_000).default(3_600_000),
  /** How often the leased rollup job runs; History reads catch up first, so this is not their freshness. */
  ROLLUP_INTERVAL_MS: int(1_000, 3_600_000).default(60_000),
  /** The heap's growth past its live size before a full collection (heap-tuning.ts); 0: V8's own. */
  HEAP_GROWING_PERCENT: int(0, 300).default(100),
  TRUST_PROXY: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true'),
  INSTANCE_ID: optionalString,
  RATE_LIMITS: json
    .pipe(
      z.partialRecord(
        z.enum(Object.keys(RATE_BUDGETS) as [BudgetName, ...BudgetName[]]),
        z.strictObject({ perSecond: z.number().positive().max(1e6), burst: z.number().min(1).max(1e7) }).partial(),
      ),
    )
    .optional(),
  RATE_LIMIT_SYNC_MS: int(50, 10_000).default(500),
  /** Bearer token Prometheus sends to `/metrics`; unset: only direct loopback callers may scrape. */
  METRICS_TOKEN: z.string().min(16, 'at least 16 characters').optional(),
  /** Origins allowed to frame the dashboard (HighLevel's app), besides PUBLIC_ORIGINS and TRACKER_ORIGINS. */
  FRAME_ANCESTORS: origins.default(['https://app.gohighlevel.com', 'https://app.leadconnectorhq.com']),
});

export type Env = z.input<typeof schema>;

/** The hub's validated configuration. */
export interface Config extends Omit<z.output<typeof schema>, 'TRUST_PROXY' | 'RATE_LIMITS'> {
  TRUST_PROXY: boolean;
  /** RATE_BUDGETS with the overrides of `RATE_LIMITS` applied. */
  RATE_LIMITS: Record<BudgetName, RateBudget>;
  /** True when no SSO method is configured and NODE_ENV is not production. */
  devLoginEnabled: boolean;
}

/** A configuration error; its message names each bad variable and what it expects. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * Reads and validates configuration. This is the only reader of `process.env`; tests pass
 * their own env object.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const relevant = Object.fromEntries(Object.keys(schema.shape).map((k) => [k, env[k] === '' ? undefined : env[k]]));
  const parsed = schema.safeParse(relevant);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${String(i.path[0])}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const c = parsed.data;
  if (c.NODE_ENV === 'production' && !c.HUB_JWT_SECRET) {
    throw new ConfigError('Invalid configuration:\n  HUB_JWT_SECRET: required when NODE_ENV=production');
  }
  const ssoConfigured = !!(c.HIGHLEVEL_SSO_KEY || c.SSO_JWKS_URL || c.SSO_JWT_SECRET);
  const budgets = Object.fromEntries(
    (Object.keys(RATE_BUDGETS) as BudgetName[]).map((k) => [k, { ...RATE_BUDGETS[k], ...c.RATE_LIMITS?.[k] }]),
  ) as Record<BudgetName, RateBudget>;
  return { ...c, RATE_LIMITS: budgets, devLoginEnabled: !ssoConfigured && c.NODE_ENV !== 'production' };
}

/** The names of every variable, for docs and the compose-file check. */
export const CONFIG_VARIABLES = Object.keys(schema.shape);

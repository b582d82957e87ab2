import { parseArgs } from 'node:util';
import { z } from 'zod';
import type { SeedOptions } from './seed-run.ts';

export const SEED_USAGE = `Usage: npm run seed -- [--agencies N] [--users N] [--days N] [--pageviews-per-day N] [--max-pageviews N] [--seed N] [--reset]

Fills the configured database (MONGO_URL, or the embedded server on DATA_DIR) with demo activity.
  --agencies N           agencies to create; the first ones are the dev-login demo agencies (default 2)
  --users N              users per agency, demo users first (default 8)
  --days N               days of history up to now (default 30)
  --pageviews-per-day N  mean page views of an average user on a weekday (default 60)
  --max-pageviews N      stop after exactly N page views
  --seed N               random seed: the same arguments give the same data (default 1)
  --reset                delete existing page views, sessions and rollups first
Running it again without --reset adds more activity.`;

const count = (name: string, max: number) =>
  z.coerce
    .number({ error: `--${name} must be a number` })
    .int(`--${name} must be a whole number`)
    .min(1, `--${name} must be at least 1`)
    .max(max, `--${name} must be at most ${max}`);

const schema = z.object({
  agencies: count('agencies', 1_000).default(2),
  users: count('users', 10_000).default(8),
  days: count('days', 3_650).default(30),
  'pageviews-per-day': count('pageviews-per-day', 5_000).default(60),
  'max-pageviews': count('max-pageviews', 100_000_000).optional(),
  seed: z.coerce.number().int('--seed must be a whole number').default(1),
  reset: z.boolean().default(false),
});

/** A bad command line: the message says what is wrong; the CLI exits with code 2. */
export class SeedArgsError extends Error {
  override name = 'SeedArgsError';
}

/** Parses and validates the seed's command line. */
export function parseSeedArgs(argv: string[]): SeedOptions | 'help' {
  let values: Record<string, unknown>;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        agencies: { type: 'string' },
        users: { type: 'string' },
        days: { type: 'string' },
        'pageviews-per-day': { type: 'string' },
        'max-pageviews': { type: 'string' },
        seed: { type: 'string' },
        reset: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    throw new SeedArgsError((err as Error).message);
  }
  if (values.help) return 'help';
  const r = schema.safeParse(values);
  if (!r.success) throw new SeedArgsError(r.error.issues.map((i) => i.message).join('; '));
  const v = r.data;
  return {
    agencies: v.agencies,
    users: v.users,
    days: v.days,
    pageviewsPerDay: v['pageviews-per-day'],
    seed: v.seed,
    reset: v.reset,
    ...(v['max-pageviews'] !== undefined ? { maxPageviews: v['max-pageviews'] } : {}),
  };
}

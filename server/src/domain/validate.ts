import type { z } from 'zod';
import { AppError } from './app-error.ts';

/** Parses input at an edge, throwing `validation_failed` with field-level issues. */
export function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown, what = 'input'): z.output<S> {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  const issues = r.error.issues.slice(0, 10).map((i) => ({ path: i.path.join('.'), message: i.message }));
  const first = issues[0];
  throw new AppError(
    'validation_failed',
    `Invalid ${what}${first ? `: ${first.path || '(root)'} ${first.message}` : ''}`,
    issues,
  );
}

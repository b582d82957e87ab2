import { z } from 'zod';
import { ERROR_CODES } from './errors.ts';

/**
 * The `{error}` reply of every failed request. Apart from errors.ts so that the tracker, which
 * imports that file's values, does not bundle zod (it only takes `ErrorBody` as a type).
 */
export const errorBodySchema = z.object({
  code: z.enum(ERROR_CODES),
  message: z.string(),
  /** Field-level details for validation failures. */
  issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  /** With `unavailable`, `rate_limited` and `over_capacity`: when to try again, in milliseconds. */
  retryAfterMs: z.number().int().min(0).optional(),
});
export type ErrorBody = z.infer<typeof errorBodySchema>;

export const errorReplySchema = z.object({ error: errorBodySchema });

import { z } from 'zod';
import { errorBodySchema } from './error-reply.ts';

/** `GET /healthz`. */
export const healthSchema = z.object({ status: z.literal('ok') });

/** `GET /readyz`: every dependency's check; a 503 also carries the `unavailable` error. */
export const readinessSchema = z.object({
  status: z.enum(['ready', 'unavailable']),
  checks: z.record(z.string(), z.enum(['up', 'down'])),
  error: errorBodySchema.optional(),
});
export type Readiness = z.infer<typeof readinessSchema>;

import type { BudgetName, RateBudget } from '@activity-hub/protocol';
import { AppError } from './app-error.ts';

export type { BudgetName, RateBudget };
export type Budgets = Record<BudgetName, RateBudget>;

/**
 * Rate budgets by key: in memory for one instance (storage/memory-rate-limiter.ts), or reconciled through
 * Redis so a budget holds across instances (storage/redis-rate-limiter.ts).
 *
 * `take` is synchronous and never waits for storage: it runs on every inbound event, so it must
 * cost a Map lookup and some arithmetic, and allocate nothing once the key has been seen.
 */
export interface RateLimiter {
  /** Takes `cost` from `key`'s `budget`: 0 when granted, otherwise the milliseconds to wait. */
  take(budget: BudgetName, key: string, cost?: number): number;
  /** Keys currently held in memory (all budgets). */
  readonly size: number;
  /** Refusals so far, per budget. */
  readonly refused: Readonly<Record<BudgetName, number>>;
  /** Stops the timers and pushes what is pending. */
  close(): Promise<void>;
}

/**
 * The key of one user's budgets. Both parts are escaped like room names, so agency `a` + user
 * `b:c` and agency `a:b` + user `c` never share a budget.
 */
export const userKey = (agencyId: string, userId: string): string =>
  `${encodeURIComponent(agencyId)}:${encodeURIComponent(userId)}`;

/**
 * The key of one token's budgets: its signature, which is unique per token (it covers the `jti`)
 * and costs no hashing. Only ever used for a token that verified.
 */
export const tokenKey = (token: string): string => token.slice(token.lastIndexOf('.') + 1);

/** The `rate_limited` error for a refusal `take` answered with `waitMs`. */
export function rateLimited(waitMs: number, what: string): AppError {
  return new AppError('rate_limited', `Too many ${what}; slow down`, undefined, Math.max(1, Math.ceil(waitMs)));
}

/** Throws `rate_limited` unless `key` may spend `cost` of `budget`. */
export function spendOrThrow(limiter: RateLimiter, budget: BudgetName, key: string, what: string, cost = 1): void {
  const wait = limiter.take(budget, key, cost);
  if (wait > 0) throw rateLimited(wait, what);
}

import type { ErrorBody, ErrorCode } from '@activity-hub/protocol';

/** The HTTP status for each error code: one catalogue for the whole hub. */
export const ERROR_STATUS: Record<ErrorCode, number> = {
  bad_request: 400,
  validation_failed: 400,
  unauthorized: 401,
  token_missing: 401,
  token_invalid: 401,
  token_expired: 401,
  token_in_query: 400,
  token_scope: 403,
  forbidden: 403,
  origin_forbidden: 403,
  not_found: 404,
  rate_limited: 429,
  payload_too_large: 413,
  unsupported_media_type: 415,
  body_invalid: 400,
  sso_not_configured: 404,
  sso_payload_invalid: 400,
  dev_login_disabled: 404,
  upstream_token_invalid: 401,
  unavailable: 503,
  over_capacity: 503,
  internal: 500,
};

/** An error meant for the caller: it becomes `{error:{code,message}}` or an `{ok:false,error}` ack. */
export class AppError extends Error {
  override name = 'AppError';
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly issues?: ErrorBody['issues'],
    /** When the caller may try again (unavailable, rate_limited, over_capacity). */
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.status = ERROR_STATUS[code];
  }
}

/** Turns anything thrown into a safe error body; 5xx never shows internals. */
export function toErrorBody(err: unknown): ErrorBody {
  if (!(err instanceof AppError)) return { code: 'internal', message: 'Internal error' };
  const body: ErrorBody =
    err.status < 500 || err.code === 'over_capacity'
      ? { code: err.code, message: err.message }
      : {
          code: err.code,
          message: err.code === 'unavailable' ? 'A dependency is unavailable; try again shortly' : 'Internal error',
        };
  if (err.issues && err.status < 500) body.issues = err.issues;
  if (err.retryAfterMs !== undefined) body.retryAfterMs = err.retryAfterMs;
  return body;
}

/** HTTP status for anything thrown. */
export function statusOf(err: unknown): number {
  return err instanceof AppError ? err.status : 500;
}

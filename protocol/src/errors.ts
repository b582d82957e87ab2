/** Every error code the hub answers with, over HTTP and in socket acks. */
export const ERROR_CODES = [
  'bad_request',
  'validation_failed',
  'unauthorized',
  'token_missing',
  'token_invalid',
  'token_expired',
  'token_in_query',
  /** The token is valid but its scope does not cover this namespace or route (a tracker token on the API). */
  'token_scope',
  'forbidden',
  'origin_forbidden',
  'not_found',
  'rate_limited',
  'payload_too_large',
  'unsupported_media_type',
  /** The body could not be decoded (bad gzip, bad JSON). */
  'body_invalid',
  'sso_not_configured',
  'sso_payload_invalid',
  'dev_login_disabled',
  'upstream_token_invalid',
  'unavailable',
  /** This instance holds all the connections it can; reconnect later or elsewhere. */
  'over_capacity',
  'internal',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** The error object inside `{error}` replies and `{ok:false,error}` acks (schema: error-reply.ts). */
export type { ErrorBody } from './error-reply.ts';
import type { ErrorBody } from './error-reply.ts';

/** A socket acknowledgement. */
export type Ack<T = undefined> = T extends undefined
  ? { ok: true } | { ok: false; error: ErrorBody }
  : { ok: true; data: T } | { ok: false; error: ErrorBody };

/**
 * The codes that mean the credential itself failed (missing, invalid or expired): only a new
 * token helps, never a retry. The dashboard asks to sign in again; the tracker renews once.
 */
export const AUTH_FAILED_CODES = [
  'unauthorized',
  'token_missing',
  'token_invalid',
  'token_expired',
] as const satisfies readonly ErrorCode[];

/** True when `code` is one of `AUTH_FAILED_CODES`. */
export const isAuthFailed = (code: unknown): boolean => AUTH_FAILED_CODES.some((c) => c === code);

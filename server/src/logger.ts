import { pino, type Logger } from 'pino';

/** Paths redacted from every log line: tokens and SSO payloads never reach the logs. */
const REDACT = [
  'token',
  'payload',
  '*.token',
  '*.payload',
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'auth.token',
  'handshake.auth',
];

/** Creates the hub's structured JSON logger. */
export function createLogger(
  level: string,
  base: Record<string, unknown> = {},
  destination?: NodeJS.WritableStream,
): Logger {
  const opts = { level, base: { ...base }, redact: { paths: REDACT, censor: '[redacted]' } };
  return destination ? pino(opts, destination as pino.DestinationStream) : pino(opts);
}

export type { Logger };

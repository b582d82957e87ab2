import type { ErrorRequestHandler, RequestHandler } from 'express';
import { AppError, statusOf, toErrorBody } from '../domain/app-error.ts';
import type { Logger } from '../logger.ts';

/** Errors body-parser raises, mapped to our catalogue. */
function fromParser(err: unknown): AppError | null {
  const type = (err as { type?: unknown } | null)?.type;
  if (type === 'entity.too.large') return new AppError('payload_too_large', 'The request body is too large');
  if (type === 'entity.parse.failed') return new AppError('bad_request', 'The request body is not valid JSON');
  if (type === 'charset.unsupported' || type === 'encoding.unsupported')
    return new AppError('unsupported_media_type', 'Unsupported body encoding');
  // A body whose Content-Encoding (gzip, deflate, br) does not match its bytes: zlib fails while
  // body-parser reads it, and body-parser passes that on as a 400 with zlib's own code.
  const code = (err as { code?: unknown } | null)?.code;
  if (statusOfParser(err) === 400 && typeof code === 'string' && /^(Z_|ERR_)/.test(code))
    return new AppError('body_invalid', 'The request body could not be decoded (check Content-Encoding)');
  return null;
}

function statusOfParser(err: unknown): unknown {
  return (err as { status?: unknown } | null)?.status;
}

/** The central error handler: `{error:{code,message}}`, and a 5xx never shows internals. */
export function errorHandler(log: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    const e = fromParser(err) ?? err;
    const status = statusOf(e);
    const body = toErrorBody(e);
    // A dependency being out is logged once by whoever watches it, not once per request.
    if (body.code === 'unavailable') log.debug({ reqId: req.id, path: req.path }, 'request refused: unavailable');
    else if (status >= 500) log.error({ err: e, reqId: req.id, path: req.path }, 'request failed');
    if (res.headersSent) {
      res.destroy();
      return;
    }
    if (body.retryAfterMs !== undefined) res.setHeader('Retry-After', String(Math.ceil(body.retryAfterMs / 1000)));
    res.status(status).json({ error: body });
  };
}

/** 404 for unknown API routes, in the same shape. */
export const apiNotFound: RequestHandler = (req, _res, next) => {
  next(new AppError('not_found', `No route ${req.method} ${req.path}`));
};

// A small fetch wrapper for the hub's REST API. Every failure becomes an ApiError with a code,
// so views can tell "sign in again" apart from "try again" without parsing messages.
import { isAuthFailed, type ErrorBody, type ErrorCode } from '@activity-hub/protocol';

export const API_BASE = '/api/v1';

/** Codes of our own for failures that never reached (or were not understood from) the hub. */
export type ClientErrorCode = ErrorCode | 'network_error' | 'bad_response';

export class ApiError extends Error {
  readonly status: number;
  readonly code: ClientErrorCode;

  constructor(status: number, code: ClientErrorCode, message: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }

  /** The token is missing, invalid or expired: only signing in again helps. */
  get isAuthFailure(): boolean {
    return this.status === 401 || isAuthFailed(this.code);
  }
}

export const isAbort = (err: unknown): boolean => err instanceof DOMException && err.name === 'AbortError';

/** A readable message for any error, for status lines and alerts. */
export function errorMessage(err: unknown): string {
  if (err instanceof ApiError) return err.message;
  if (err instanceof Error && err.message) return err.message;
  return 'Something went wrong.';
}

export type Query = Record<string, string | number | undefined | null>;

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'DELETE';
  query?: Query;
  body?: unknown;
  signal?: AbortSignal;
  /** False for the sign-in endpoints: no bearer header, and a 401 is not a lost session. */
  auth?: boolean;
}

function isErrorBody(value: unknown): value is { error: ErrorBody } {
  if (typeof value !== 'object' || value === null || !('error' in value)) return false;
  const error = (value as { error: unknown }).error;
  return typeof error === 'object' && error !== null && 'code' in error && 'message' in error;
}

export class Api {
  readonly #getToken: () => string | null;
  readonly #onAuthFailure: (err: ApiError) => void;

  constructor(getToken: () => string | null, onAuthFailure: (err: ApiError) => void) {
    this.#getToken = getToken;
    this.#onAuthFailure = onAuthFailure;
  }

  async json<T>(path: string, options: RequestOptions = {}): Promise<T> {
    const res = await this.#send(path, options, 'application/json');
    try {
      return (await res.json()) as T;
    } catch {
      throw new ApiError(res.status, 'bad_response', 'The hub sent a reply the dashboard could not read.');
    }
  }

  async blob(path: string, options: RequestOptions = {}): Promise<Blob> {
    const res = await this.#send(path, options, 'text/csv, */*');
    return res.blob();
  }

  async #send(path: string, options: RequestOptions, accept: string): Promise<Response> {
    const url = API_BASE + path + toQueryString(options.query);
    const headers: Record<string, string> = { Accept: accept };
    const token = options.auth === false ? null : this.#getToken();
    // Tokens travel only in this header; never in a URL, where logs and referrers would keep them.
    if (token) headers.Authorization = `Bearer ${token}`;
    if (options.body !== undefined) headers['Content-Type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(url, {
        method: options.method ?? 'GET',
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        signal: options.signal,
        credentials: 'same-origin',
        cache: 'no-store',
      });
    } catch (err) {
      if (isAbort(err)) throw err;
      throw new ApiError(0, 'network_error', 'Could not reach the hub. Check your connection and try again.');
    }
    if (res.ok) return res;
    const error = await readError(res);
    if (options.auth !== false && error.isAuthFailure) this.#onAuthFailure(error);
    throw error;
  }
}

async function readError(res: Response): Promise<ApiError> {
  try {
    const body: unknown = await res.json();
    if (isErrorBody(body)) return new ApiError(res.status, body.error.code, body.error.message);
  } catch {
    // Not JSON (a proxy's error page, say): fall through to a generic message.
  }
  const code: ClientErrorCode =
    res.status === 401 ? 'unauthorized' : res.status >= 500 ? 'unavailable' : 'bad_response';
  return new ApiError(res.status, code, `The hub answered ${res.status} ${res.statusText}`.trim() + '.');
}

export function toQueryString(query: Query | undefined): string {
  if (!query) return '';
  const q = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== '') q.set(key, String(value));
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}

/** Saves a Blob under `filename` through a temporary object URL and a download link. */
export function saveBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  a.rel = 'noopener';
  document.body.append(a);
  a.click();
  a.remove();
  // Revoke later: some browsers start the download asynchronously after click().
  setTimeout(() => URL.revokeObjectURL(url), 30_000);
}

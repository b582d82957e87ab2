// HighLevel's Custom Page handshake: ask the parent frame for the (encrypted) user context.
// HighLevel's own template trusts any message forever; we accept only the parent's answer,
// stop listening as soon as it comes, and give up after a timeout with a clear error.

export const SSO_TIMEOUT_MS = 8_000;

export class SsoTimeoutError extends Error {
  constructor() {
    super(
      'HighLevel did not send the user context. Open this page from inside HighLevel (as a Custom Page), then try again.',
    );
    this.name = 'SsoTimeoutError';
  }
}

/** True when the dashboard runs inside a frame, as a HighLevel Custom Page does. */
export function isEmbedded(win: Window = window): boolean {
  try {
    return win.parent !== win;
  } catch {
    // Some browsers throw on cross-origin access; throwing itself means we are framed.
    return true;
  }
}

interface UserDataResponse {
  message: 'REQUEST_USER_DATA_RESPONSE';
  payload: string;
}

function isUserDataResponse(data: unknown): data is UserDataResponse {
  if (typeof data !== 'object' || data === null) return false;
  const record = data as Record<string, unknown>;
  return (
    record.message === 'REQUEST_USER_DATA_RESPONSE' && typeof record.payload === 'string' && record.payload.length > 0
  );
}

/**
 * Resolves with the encrypted payload. The caller must exchange it at once and never keep or
 * log it: it has no expiry, so anyone holding it could replay it.
 */
export function requestUserContext(
  options: { timeoutMs?: number; signal?: AbortSignal; win?: Window } = {},
): Promise<string> {
  const win = options.win ?? window;
  const parent = win.parent;
  return new Promise<string>((resolve, reject) => {
    const finish = (): void => {
      clearTimeout(timer);
      win.removeEventListener('message', onMessage);
      options.signal?.removeEventListener('abort', onAbort);
    };
    const onMessage = (event: MessageEvent): void => {
      // The payload is only trusted from the frame that embeds us, not from any other window
      // (a popup or a nested frame could post a look-alike message).
      if (event.source !== parent || !isUserDataResponse(event.data)) return;
      finish();
      resolve(event.data.payload);
    };
    const onAbort = (): void => {
      finish();
      reject(new DOMException('The handshake was cancelled.', 'AbortError'));
    };
    const timer = setTimeout(() => {
      finish();
      reject(new SsoTimeoutError());
    }, options.timeoutMs ?? SSO_TIMEOUT_MS);
    win.addEventListener('message', onMessage);
    options.signal?.addEventListener('abort', onAbort, { once: true });
    // HighLevel's parent origin varies (white-label domains), and the reply is encrypted,
    // so '*' is what HighLevel expects here; the request itself carries no data.
    parent.postMessage({ message: 'REQUEST_USER_DATA' }, '*');
  });
}

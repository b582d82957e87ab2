// The signed-in session kept in sessionStorage, so a reload in the same tab stays signed in.
// Never used inside HighLevel, where the identity always comes from the parent frame.
import type { AuthReply } from '@activity-hub/protocol';

const STORAGE_KEY = 'activity-hub.session';
/** A stored token with less time than this left is dropped rather than raced against expiry. */
const MIN_REMAINING_MS = 30_000;

export function readStored(): AuthReply | null {
  try {
    const raw = sessionStorage.getItem(STORAGE_KEY);
    if (!raw) return null;
    const value = JSON.parse(raw) as Partial<AuthReply>;
    const valid =
      typeof value.token === 'string' &&
      typeof value.expiresAt === 'number' &&
      typeof value.user?.userId === 'string' &&
      value.expiresAt - Date.now() > MIN_REMAINING_MS;
    if (valid) return value as AuthReply;
    sessionStorage.removeItem(STORAGE_KEY);
  } catch {
    // Storage disabled or corrupt: behave as a fresh visit.
  }
  return null;
}

export function writeStored(reply: AuthReply): void {
  try {
    sessionStorage.setItem(STORAGE_KEY, JSON.stringify(reply));
  } catch {
    // Private modes may refuse storage; the session then lasts until reload, which is fine.
  }
}

export function removeStored(): void {
  try {
    sessionStorage.removeItem(STORAGE_KEY);
  } catch {
    // See writeStored.
  }
}

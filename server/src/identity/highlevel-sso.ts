import { createDecipheriv, createHash } from 'node:crypto';
import { z } from 'zod';
import { LIMITS, type HubUser } from '@activity-hub/protocol';
import { AppError } from '../domain/app-error.ts';

/**
 * HighLevel's user context arrives as `CryptoJS.AES.encrypt(json, sharedSecret).toString()`:
 * CryptoJS "passphrase" mode, i.e. OpenSSL's `enc -aes-256-cbc -md md5` format. We decrypt it
 * with node:crypto so the server needs no crypto-js at runtime. The payload has no expiry,
 * so callers exchange it at once for a short-lived hub token, and nobody logs it.
 */

const MAGIC = Buffer.from('Salted__', 'latin1');
const SALT_BYTES = 8;
const KEY_BYTES = 32;
const IV_BYTES = 16;
const BLOCK = 16;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

const invalid = (why: string): AppError => new AppError('sso_payload_invalid', `Invalid SSO payload: ${why}`);

/** OpenSSL EVP_BytesToKey with MD5 and one iteration, as CryptoJS does for passphrases. */
function evpBytesToKey(pass: Buffer, salt: Buffer): { key: Buffer; iv: Buffer } {
  const parts: Buffer[] = [];
  let prev = Buffer.alloc(0);
  let total = 0;
  while (total < KEY_BYTES + IV_BYTES) {
    prev = createHash('md5').update(prev).update(pass).update(salt).digest();
    parts.push(prev);
    total += prev.length;
  }
  const all = Buffer.concat(parts);
  return { key: all.subarray(0, KEY_BYTES), iv: all.subarray(KEY_BYTES, KEY_BYTES + IV_BYTES) };
}

/**
 * Decrypts a HighLevel SSO payload and parses its JSON. Every failure, including a wrong
 * shared secret, becomes `sso_payload_invalid` with a short reason and no internals.
 */
export function decryptSsoPayload(payload: string, sharedSecret: string): unknown {
  if (typeof payload !== 'string' || payload.trim() === '') throw invalid('empty');
  const text = payload.replace(/\s+/g, '');
  // Buffer.from(…, 'base64') silently skips junk; check the alphabet ourselves.
  if (text.length % 4 !== 0 || !BASE64.test(text)) throw invalid('not base64');
  const raw = Buffer.from(text, 'base64');
  if (raw.length < MAGIC.length + SALT_BYTES + BLOCK) throw invalid('too short');
  if (!raw.subarray(0, MAGIC.length).equals(MAGIC)) throw invalid('not a salted AES payload');
  const salt = raw.subarray(MAGIC.length, MAGIC.length + SALT_BYTES);
  const body = raw.subarray(MAGIC.length + SALT_BYTES);
  if (body.length % BLOCK !== 0) throw invalid('truncated');

  const { key, iv } = evpBytesToKey(Buffer.from(sharedSecret, 'utf8'), salt);
  let plain: Buffer;
  try {
    const decipher = createDecipheriv('aes-256-cbc', key, iv);
    plain = Buffer.concat([decipher.update(body), decipher.final()]);
  } catch {
    // Bad PKCS#7 padding: almost always a wrong shared secret or a damaged payload.
    throw invalid('cannot decrypt (wrong shared secret or damaged payload)');
  }
  let json: string;
  try {
    // fatal: a wrong key that happens to yield valid padding still produces garbage bytes.
    json = new TextDecoder('utf-8', { fatal: true }).decode(plain);
  } catch {
    throw invalid('cannot decrypt (wrong shared secret or damaged payload)');
  }
  try {
    return JSON.parse(json) as unknown;
  } catch {
    throw invalid('decrypted content is not JSON');
  }
}

const id = z.string().trim().min(1).max(LIMITS.idLength);

/** The decrypted fields we rely on; extra fields are ignored. */
const ssoFieldsSchema = z.object({
  userId: id,
  companyId: id,
  role: z.string().max(64),
  type: z.enum(['agency', 'location']),
  // Empty or null means "not inside a sub-account".
  activeLocation: z
    .string()
    .trim()
    .max(LIMITS.idLength)
    .nullish()
    .transform((v) => v || null),
  userName: z.string().trim().min(1).max(LIMITS.nameLength),
  email: z.string().trim().max(320),
  isAgencyOwner: z.boolean().optional(),
});

/**
 * Maps decrypted HighLevel fields to a hub user. An agency user stays an agency user even
 * inside a sub-account (`activeLocation` set); a location user must name their location.
 */
export function mapSsoUser(fields: unknown): HubUser {
  const r = ssoFieldsSchema.safeParse(fields);
  if (!r.success) {
    // Field names only: values may be personal data.
    const names = [...new Set(r.error.issues.map((i) => i.path.join('.') || '(root)'))].slice(0, 8);
    throw invalid(`missing or invalid fields: ${names.join(', ')}`);
  }
  const f = r.data;
  if (f.type === 'location' && !f.activeLocation) throw invalid('a location user needs activeLocation');
  return {
    userId: f.userId,
    name: f.userName,
    email: f.email,
    role: f.type,
    agencyId: f.companyId,
    locationId: f.activeLocation,
  };
}

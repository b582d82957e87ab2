import { randomUUID } from 'node:crypto';
import { errors, jwtVerify, SignJWT } from 'jose';
import { z } from 'zod';
import {
  HUB_TOKEN,
  LIMITS,
  ROLES,
  TOKEN_SCOPES,
  type AuthReply,
  type HubUser,
  type TokenScope,
} from '@activity-hub/protocol';
import { AppError } from '../domain/app-error.ts';
import type { Claims } from '../domain/identity.ts';

/** Issues and verifies the hub's own short-lived tokens. */
export interface TokenService {
  /** A token for `user` with `scope`, decided by the caller's origin (see access.ts). */
  issue(user: HubUser, scope: TokenScope): Promise<AuthReply>;
  verify(token: string): Promise<Claims>;
}

export interface TokenServiceOptions {
  /** HMAC key, at least 32 bytes (see hub-secret.ts). */
  secret: Uint8Array;
  ttlSec: number;
  /** Epoch milliseconds; injectable so tests can move time. */
  now?: () => number;
}

/** Only one algorithm is ever accepted: no alg:none, no RS/HS key confusion. */
const ALGORITHMS = ['HS256'];
/** Allowed clock skew between hub instances, in seconds. */
const CLOCK_TOLERANCE_SEC = 5;
/** A real hub token is well under 1 KB; refuse absurd input before parsing it. */
const MAX_TOKEN_CHARS = 8_192;

const id = z.string().min(1).max(LIMITS.idLength);

/**
 * The claims a hub token must carry after the signature checks out. A token signed with our
 * key but missing a claim (an older format, a bug) is refused rather than half-trusted.
 */
const claimsSchema = z
  .object({
    sub: id,
    agencyId: id,
    locationId: id.nullable(),
    role: z.enum(ROLES),
    name: z.string().min(1).max(LIMITS.nameLength),
    email: z.string().max(320),
    scope: z.enum(TOKEN_SCOPES),
    exp: z.int().positive(),
    iat: z.int().positive(),
    jti: z.string().min(1).max(128),
  })
  .refine((c) => c.role === 'agency' || c.locationId !== null, 'a location user needs a locationId');

/** Creates the hub token service: HS256 JWTs with a fixed issuer, audience and `typ`. */
export function createTokenService(opts: TokenServiceOptions): TokenService {
  if (opts.secret.byteLength < 32) throw new Error('Hub token secret must be at least 32 bytes');
  const { secret, ttlSec } = opts;
  const now = opts.now ?? Date.now;

  async function issue(user: HubUser, scope: TokenScope): Promise<AuthReply> {
    const iat = Math.floor(now() / 1000);
    const exp = iat + ttlSec;
    const token = await new SignJWT({
      agencyId: user.agencyId,
      locationId: user.locationId,
      role: user.role,
      name: user.name,
      email: user.email,
      scope,
    })
      .setProtectedHeader({ alg: 'HS256', typ: HUB_TOKEN.type })
      .setSubject(user.userId)
      .setIssuer(HUB_TOKEN.issuer)
      .setAudience(HUB_TOKEN.audience)
      .setIssuedAt(iat)
      .setExpirationTime(exp)
      .setJti(randomUUID())
      .sign(secret);
    return { token, user: { ...user }, scope, expiresAt: exp * 1000 };
  }

  async function verify(token: string): Promise<Claims> {
    if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_CHARS) {
      throw new AppError('token_invalid', 'Invalid token: malformed');
    }
    let payload: unknown;
    try {
      ({ payload } = await jwtVerify(token, secret, {
        algorithms: ALGORITHMS,
        issuer: HUB_TOKEN.issuer,
        audience: HUB_TOKEN.audience,
        typ: HUB_TOKEN.type,
        clockTolerance: CLOCK_TOLERANCE_SEC,
        // exp already bounds the age; this also caps a token whose exp was set far out.
        maxTokenAge: ttlSec + CLOCK_TOLERANCE_SEC,
        currentDate: new Date(now()),
      }));
    } catch (err) {
      throw toAppError(err);
    }
    const parsed = claimsSchema.safeParse(payload);
    if (!parsed.success) throw new AppError('token_invalid', 'Invalid token: missing or ill-typed claims');
    const c = parsed.data;
    return {
      sub: c.sub,
      agencyId: c.agencyId,
      locationId: c.locationId,
      role: c.role,
      name: c.name,
      email: c.email,
      scope: c.scope,
      exp: c.exp,
    };
  }

  return { issue, verify };
}

/** Maps jose failures to a short reason; jose's own messages stay internal. */
function toAppError(err: unknown): AppError {
  if (err instanceof errors.JWTExpired)
    return new AppError('token_expired', 'Token expired; sign in again or refresh earlier');
  if (err instanceof errors.JWTClaimValidationFailed) {
    return new AppError('token_invalid', `Invalid token: ${err.claim} claim check failed`);
  }
  if (err instanceof errors.JWSSignatureVerificationFailed)
    return new AppError('token_invalid', 'Invalid token: bad signature');
  if (err instanceof errors.JOSEAlgNotAllowed)
    return new AppError('token_invalid', 'Invalid token: algorithm not allowed');
  return new AppError('token_invalid', 'Invalid token: malformed');
}

import { createRemoteJWKSet, decodeProtectedHeader, errors, jwtVerify, type JWTPayload } from 'jose';
import { z } from 'zod';
import { HUB_TOKEN, LIMITS, ROLES, type HubUser } from '@activity-hub/protocol';
import type { Config } from '../config.ts';
import { AppError } from '../domain/app-error.ts';

/** Verifies a JWT from the platform's own identity provider and maps it to a hub user. */
export interface UpstreamVerifier {
  verify(token: string): Promise<HubUser>;
}

type HubClaim = 'sub' | 'agencyId' | 'locationId' | 'role' | 'name' | 'email';

/** Asymmetric algorithms only for JWKS keys, HS256 only for the shared secret: no key confusion. */
const JWKS_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
];
const SECRET_ALGORITHMS = ['HS256'];
const CLOCK_TOLERANCE_SEC = 5;
const MAX_TOKEN_CHARS = 16_384;

const invalid = (why: string): AppError => new AppError('upstream_token_invalid', `Invalid upstream token: ${why}`);

/** Upstream ids are sometimes numbers; the hub stores strings. */
const id = z
  .union([z.string(), z.number().finite()])
  .transform(String)
  .pipe(z.string().trim().min(1).max(LIMITS.idLength));
const optionalText = (max: number) => z.string().trim().max(max).nullish();

const mappedSchema = z
  .object({
    sub: id,
    agencyId: id,
    locationId: id.nullish(),
    role: z.enum(ROLES).nullish(),
    name: optionalText(LIMITS.nameLength),
    email: optionalText(320),
  })
  // Least privilege: a token naming neither a role nor a location is refused, never taken for
  // an agency user (who would see the whole agency).
  .refine((c) => !!c.role || !!c.locationId, {
    message: 'needs a role or a locationId; refusing rather than assuming an agency user',
    path: ['role'],
  })
  .transform((c): HubUser => {
    const locationId = c.locationId ?? null;
    return {
      userId: c.sub,
      agencyId: c.agencyId,
      locationId,
      // Missing role: only a token scoped to a location gets here (see above): a location user.
      role: c.role ?? 'location',
      name: c.name || c.email || c.sub,
      email: c.email ?? '',
    };
  })
  .refine((u) => u.role === 'agency' || u.locationId !== null, {
    message: 'a location user needs a locationId',
    path: ['locationId'],
  });

/**
 * Builds the verifier for `POST /api/v1/auth/token`, or null when neither `SSO_JWKS_URL` nor
 * `SSO_JWT_SECRET` is set (the route then answers `sso_not_configured`). The remote key set is
 * created here, once per process, so its cache and cooldown apply across requests.
 */
export function createUpstreamVerifier(
  config: Pick<Config, 'SSO_JWKS_URL' | 'SSO_JWT_SECRET' | 'SSO_ISSUER' | 'SSO_AUDIENCE' | 'SSO_CLAIMS'>,
): UpstreamVerifier | null {
  const jwks = config.SSO_JWKS_URL
    ? createRemoteJWKSet(new URL(config.SSO_JWKS_URL), {
        timeoutDuration: 5_000,
        cooldownDuration: 30_000,
        cacheMaxAge: 10 * 60_000,
      })
    : null;
  const secret = config.SSO_JWT_SECRET ? new TextEncoder().encode(config.SSO_JWT_SECRET) : null;
  if (!jwks && !secret) return null;
  const names: Record<HubClaim, string> = {
    sub: 'sub',
    agencyId: 'agencyId',
    locationId: 'locationId',
    role: 'role',
    name: 'name',
    email: 'email',
    ...config.SSO_CLAIMS,
  };
  const common = {
    clockTolerance: CLOCK_TOLERANCE_SEC,
    // A token without exp would be valid forever.
    requiredClaims: ['exp'],
    ...(config.SSO_ISSUER ? { issuer: config.SSO_ISSUER } : {}),
    ...(config.SSO_AUDIENCE ? { audience: config.SSO_AUDIENCE } : {}),
  };

  async function verifySignature(token: string): Promise<JWTPayload> {
    let header: { alg?: string | undefined; typ?: string | undefined };
    try {
      header = decodeProtectedHeader(token);
    } catch {
      throw invalid('malformed');
    }
    // A hub token is never an upstream token, even if an operator reused the same secret.
    if (header.typ === HUB_TOKEN.type) throw invalid('a hub token, not an upstream token');
    const { alg } = header;
    // Each key source is paired with its own algorithms, so an HS256 token can never be
    // checked against a public key and an RS256 token never against the shared secret.
    if (secret && alg === 'HS256') {
      return (await jwtVerify(token, secret, { ...common, algorithms: SECRET_ALGORITHMS })).payload;
    }
    if (jwks) return (await jwtVerify(token, jwks, { ...common, algorithms: JWKS_ALGORITHMS })).payload;
    throw invalid('algorithm not allowed');
  }

  return {
    async verify(token) {
      if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_CHARS) throw invalid('malformed');
      let payload: JWTPayload;
      try {
        payload = await verifySignature(token);
      } catch (err) {
        throw toAppError(err);
      }
      const picked = Object.fromEntries((Object.keys(names) as HubClaim[]).map((k) => [k, payload[names[k]]]));
      const r = mappedSchema.safeParse(picked);
      if (!r.success) {
        const fields = [...new Set(r.error.issues.map((i) => String(i.path[0] ?? '(root)')))];
        throw invalid(`missing or invalid claims: ${fields.map((f) => names[f as HubClaim] ?? f).join(', ')}`);
      }
      return r.data;
    },
  };
}

/** Short reasons only; a JWKS that cannot be reached is a dependency failure, not a bad token. */
function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  if (err instanceof errors.JWTExpired) return invalid('expired');
  if (err instanceof errors.JWTClaimValidationFailed) return invalid(`${err.claim} claim check failed`);
  if (err instanceof errors.JWSSignatureVerificationFailed) return invalid('bad signature');
  if (err instanceof errors.JOSEAlgNotAllowed) return invalid('algorithm not allowed');
  if (err instanceof errors.JWKSNoMatchingKey || err instanceof errors.JWKSMultipleMatchingKeys)
    return invalid('no matching key');
  // Timeouts, non-200 answers (a plain JOSEError) and network errors (not JOSE errors at all).
  if (
    err instanceof errors.JWKSTimeout ||
    err instanceof errors.JWKSInvalid ||
    !(err instanceof errors.JOSEError) ||
    err.code === 'ERR_JOSE_GENERIC'
  ) {
    return new AppError('unavailable', 'The identity provider key set is unavailable');
  }
  return invalid('malformed');
}

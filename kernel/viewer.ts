import { webcrypto } from 'node:crypto';
import { SignJWT, jwtVerify, errors as joseErrors } from 'jose';
import { formatDuration } from './config.ts';
import { RegisterError } from './errors.ts';
import { parseBoardCode, parseMunicipalityCode, parseOin, parseSchool } from './ids/index.ts';

/**
 * Who is asking (docs/architecture.md, "Identity and access"): a software vendor acting for one school,
 * a municipality (leerplichtambtenaar), a school board, or the register operator (DUO). A vendor's
 * `school` is one vestiging (BRIN6) or a whole school with all its vestigingen (BRIN4; kernel/ids,
 * `parseSchool`).
 */
export type Viewer =
  | { role: 'VENDOR'; vendorOin: string; school: string }
  | { role: 'MUNICIPALITY'; municipality: string }
  | { role: 'BOARD'; board: string }
  | { role: 'OPERATOR' };

export type Role = Viewer['role'];
export const roles: readonly Role[] = ['VENDOR', 'MUNICIPALITY', 'BOARD', 'OPERATOR'];

/** The header in which the gateway hands the viewer, signed, to a subgraph. */
export const viewerHeader = 'x-register-viewer';

/** The header in which a vendor with a certificate names the school it acts for. */
export const schoolHeader = 'x-register-school';

const issuer = 'register-graph';
const apiAudience = 'register-graph/api';

/**
 * The audience of the viewer assertions one subgraph accepts: one per subgraph, so that an assertion
 * captured on the way to one subgraph is refused by every other.
 */
const subgraphAudience = (subgraph: string) => `register-graph/subgraph/${subgraph}`;

/** Checks the parts a role needs and normalises them; throws BAD_USER_INPUT naming the missing part. */
export function parseViewer(claims: Record<string, unknown>): Viewer {
  const text = (key: string) => {
    const value = claims[key];
    if (typeof value !== 'string' || value === '') throw new RegisterError('BAD_USER_INPUT', `role ${String(claims.role)} needs ${key}`, key);
    return value;
  };
  switch (claims.role) {
    case 'VENDOR':
      return { role: 'VENDOR', vendorOin: parseOin(text('vendorOin'), 'vendorOin'), school: parseSchool(text('school'), 'school') };
    case 'MUNICIPALITY':
      return { role: 'MUNICIPALITY', municipality: parseMunicipalityCode(text('municipality'), 'municipality') };
    case 'BOARD':
      return { role: 'BOARD', board: parseBoardCode(text('board'), 'board') };
    case 'OPERATOR':
      return { role: 'OPERATOR' };
    default:
      throw new RegisterError('BAD_USER_INPUT', `role must be one of ${roles.join(', ')}`, 'role');
  }
}

/** A bearer token for the API, as `npm run token` prints it. */
export async function issueToken(viewer: Viewer, secret: string, expiresIn = '12h'): Promise<string> {
  return sign(viewer, secret, apiAudience, expiresIn);
}

/**
 * Verifies a bearer token; any flaw (signature, expiry, claims) is UNAUTHENTICATED. A token must say
 * when it expires, and may live at most `maxLifetime` seconds from its issue (TOKEN_MAX_LIFETIME): a
 * token that never expires would stay good however far it travels.
 */
export async function verifyToken(token: string, secret: string, maxLifetime: number): Promise<Viewer> {
  const { viewer, claims } = await verify(token, secret, apiAudience, 'The bearer token');
  const { exp, iat } = claims;
  if (typeof exp !== 'number' || typeof iat !== 'number')
    throw new RegisterError('UNAUTHENTICATED', 'The bearer token must carry its issue and expiry times (iat and exp)');
  // Issued in the future counts from now: the time it can still be used is what matters.
  if (exp - Math.min(iat, Date.now() / 1000) > maxLifetime) {
    throw new RegisterError('UNAUTHENTICATED', `The bearer token lives longer than the register allows: at most ${formatDuration(maxLifetime)} from its issue`);
  }
  return viewer;
}

/**
 * What the gateway puts in `x-register-viewer` for one subgraph: the viewer, and the client's
 * address (`origin`), which only the gateway sees and the audit log records. It expires at
 * `expiresAt` (seconds since the epoch; a minute from now unless given).
 */
export async function signViewerAssertion(
  viewer: Viewer,
  secret: string,
  subgraph: string,
  options: { origin?: string | undefined; expiresAt?: number } = {},
): Promise<string> {
  const claims = options.origin ? { ...viewer, origin: options.origin } : viewer;
  return sign(claims, secret, subgraphAudience(subgraph), options.expiresAt ?? Math.floor(Date.now() / 1000) + 60);
}

/**
 * What a subgraph does with `x-register-viewer`: without a valid one signed for it, it serves nothing.
 * `expiresAt` (ms since the epoch) bounds what the assertion opens: a subscription ends there.
 */
export async function verifyViewerAssertion(
  header: string | undefined,
  secret: string,
  subgraph: string,
): Promise<{ viewer: Viewer; origin: string | undefined; expiresAt: number }> {
  if (!header)
    throw new RegisterError('UNAUTHENTICATED', "Subgraphs serve only requests that carry the gateway's signed viewer; send the request to the gateway");
  const { viewer, claims } = await verify(header, secret, subgraphAudience(subgraph), 'The viewer assertion');
  if (typeof claims.exp !== 'number') throw new RegisterError('UNAUTHENTICATED', 'The viewer assertion carries no expiry');
  return { viewer, origin: typeof claims.origin === 'string' ? claims.origin : undefined, expiresAt: claims.exp * 1000 };
}

/**
 * The HMAC key of a secret, made once: given the secret's bytes, jose imports a key for every token it
 * signs or verifies, and every request signs one and verifies two to four (bench --profile). A
 * WebCrypto key, which jose uses as it is: with a KeyObject, it signs and verifies at half the speed
 * (measured for issue 17, where the gateway came to sign per subgraph).
 */
const keys = new Map<string, Promise<webcrypto.CryptoKey>>();

function keyOf(secret: string): Promise<webcrypto.CryptoKey> {
  let key = keys.get(secret);
  if (!key)
    keys.set(secret, (key = webcrypto.subtle.importKey('raw', Buffer.from(secret, 'utf8'), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify'])));
  return key;
}

/** `expiresIn` as jose reads it: a duration (`12h`) from now, or a moment in seconds since the epoch. */
async function sign(claims: Viewer & { origin?: string }, secret: string, audience: string, expiresIn: string | number): Promise<string> {
  return new SignJWT({ ...claims })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer(issuer)
    .setAudience(audience)
    .setIssuedAt()
    .setExpirationTime(expiresIn)
    .sign(await keyOf(secret));
}

async function verify(token: string, secret: string, audience: string, what: string): Promise<{ viewer: Viewer; claims: Record<string, unknown> }> {
  try {
    const { payload } = await jwtVerify(token, await keyOf(secret), { issuer, audience, algorithms: ['HS256'] });
    return { viewer: parseViewer(payload), claims: payload };
  } catch (error) {
    const reason = error instanceof joseErrors.JWTExpired ? 'has expired' : error instanceof RegisterError ? `is incomplete: ${error.message}` : 'is not valid';
    throw new RegisterError('UNAUTHENTICATED', `${what} ${reason}`);
  }
}

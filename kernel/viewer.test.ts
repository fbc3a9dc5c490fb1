import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { RegisterError } from './errors.ts';
import { issueToken, parseViewer, signViewerAssertion, verifyToken, verifyViewerAssertion, type Viewer } from './viewer.ts';

const secret = 'a test secret that is long enough for HS256 signing';
const otherSecret = 'another test secret, also long enough for HS256!!';

// The issuer and audiences viewer.ts signs with.
const issuer = 'register-graph';
const apiAudience = 'register-graph/api';

/** Signs arbitrary claims the way viewer.ts does, so that a test can vary one part. */
function signClaims(
  claims: Record<string, unknown>,
  { audience = apiAudience, expires = '1h', key = secret }: { audience?: string; expires?: string | number; key?: string } = {},
) {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer(issuer)
    .setAudience(audience)
    .setIssuedAt()
    .setExpirationTime(expires)
    .sign(new TextEncoder().encode(key));
}

const unauthenticated = (message: string | RegExp) =>
  expect.objectContaining({ name: 'RegisterError', code: 'UNAUTHENTICATED', message: typeof message === 'string' ? message : expect.stringMatching(message) });

const vendor = { role: 'VENDOR', vendorOin: '00000001800866472000', school: '16AH00' } as const;

/** The longest a token may live in these tests: TOKEN_MAX_LIFETIME's default, a day. */
const maxLifetime = 86_400;
const verify = (token: string, key = secret) => verifyToken(token, key, maxLifetime);

describe('bearer tokens', () => {
  it.each<[string, Viewer, Viewer]>([
    ['VENDOR', { role: 'VENDOR', vendorOin: '00000001800866472000', school: '16ah00' }, vendor],
    ['VENDOR for a whole school', { role: 'VENDOR', vendorOin: '00000001800866472000', school: '16ah' }, { ...vendor, school: '16AH' }],
    ['MUNICIPALITY', { role: 'MUNICIPALITY', municipality: '114' }, { role: 'MUNICIPALITY', municipality: '0114' }],
    ['BOARD', { role: 'BOARD', board: '042B830' }, { role: 'BOARD', board: '042B830' }],
    ['OPERATOR', { role: 'OPERATOR' }, { role: 'OPERATOR' }],
  ])('carries a %s viewer, normalised, through a round trip', async (_, viewer, normalised) => {
    const token = await issueToken(viewer, secret);

    expect(await verify(token)).toEqual(normalised);
  });

  it('refuses a token signed with another secret', async () => {
    const token = await issueToken(vendor, otherSecret);

    await expect(verify(token)).rejects.toThrow(unauthenticated('The bearer token is not valid'));
  });

  it('refuses an expired token', async () => {
    const anHourAgo = Math.floor(Date.now() / 1000) - 3600;
    const token = await signClaims({ ...vendor }, { expires: anHourAgo });

    await expect(verify(token)).rejects.toThrow(unauthenticated('The bearer token has expired'));
  });

  it.each(['', 'not-a-token', 'a.b.c', 'eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoiT1BFUkFUT1IifQ.'])('refuses the malformed token %j', async (token) => {
    await expect(verify(token)).rejects.toThrow(unauthenticated('The bearer token is not valid'));
  });

  it('refuses a token from another issuer', async () => {
    const token = await new SignJWT({ role: 'OPERATOR' })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer('someone-else')
      .setAudience(apiAudience)
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode(secret));

    await expect(verify(token)).rejects.toThrow(unauthenticated('The bearer token is not valid'));
  });

  it.each([
    ['lack the school', { role: 'VENDOR', vendorOin: '00000001800866472000' }],
    ['hold an invalid school', { role: 'VENDOR', vendorOin: '00000001800866472000', school: '16AH0' }],
    ['lack the municipality', { role: 'MUNICIPALITY' }],
    ['name an unknown role', { role: 'ADMIN' }],
  ])('refuses a well-signed token whose claims %s', async (_, claims) => {
    const token = await signClaims(claims);

    const refusal = verify(token);
    await expect(refusal).rejects.toBeInstanceOf(RegisterError);
    await expect(refusal).rejects.toThrow(unauthenticated(/^The bearer token is incomplete: /));
  });

  it('refuses a token that never expires (no exp)', async () => {
    const token = await new SignJWT({ ...vendor })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(issuer)
      .setAudience(apiAudience)
      .setIssuedAt()
      .sign(new TextEncoder().encode(secret));

    await expect(verify(token)).rejects.toThrow(unauthenticated('The bearer token must carry its issue and expiry times (iat and exp)'));
  });

  it('refuses a token without its issue time (no iat)', async () => {
    const token = await new SignJWT({ ...vendor })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(issuer)
      .setAudience(apiAudience)
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode(secret));

    await expect(verify(token)).rejects.toThrow(unauthenticated('The bearer token must carry its issue and expiry times (iat and exp)'));
  });

  it('takes a token that lives the longest allowed, and refuses one that lives a second longer', async () => {
    await expect(verify(await issueToken(vendor, secret, `${maxLifetime}s`))).resolves.toEqual(vendor);

    await expect(verify(await issueToken(vendor, secret, `${maxLifetime + 1}s`))).rejects.toThrow(
      unauthenticated('The bearer token lives longer than the register allows: at most 1d from its issue'),
    );
  });

  it('counts the lifetime of a token issued in the future from now', async () => {
    const inAnHour = Math.floor(Date.now() / 1000) + 3600;
    const token = await new SignJWT({ ...vendor })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(issuer)
      .setAudience(apiAudience)
      .setIssuedAt(inAnHour)
      .setExpirationTime(inAnHour + maxLifetime)
      .sign(new TextEncoder().encode(secret));

    await expect(verify(token)).rejects.toThrow(unauthenticated(/^The bearer token lives longer than the register allows/));
  });
});

describe('viewer assertions, from the gateway to one subgraph', () => {
  it('carry a viewer, the origin and the expiry', async () => {
    const expiresAt = Math.floor(Date.now() / 1000) + 30;
    const assertion = await signViewerAssertion(vendor, secret, 'learners', { origin: '192.0.2.7', expiresAt });

    expect(await verifyViewerAssertion(assertion, secret, 'learners')).toEqual({ viewer: vendor, origin: '192.0.2.7', expiresAt: expiresAt * 1000 });
  });

  it('are refused by every other subgraph', async () => {
    const assertion = await signViewerAssertion(vendor, secret, 'learners');

    for (const subgraph of ['funding', 'absence', 'institutions']) {
      await expect(verifyViewerAssertion(assertion, secret, subgraph)).rejects.toThrow(unauthenticated('The viewer assertion is not valid'));
    }
  });

  it('are refused once expired', async () => {
    const assertion = await signViewerAssertion(vendor, secret, 'learners', { expiresAt: Math.floor(Date.now() / 1000) - 1 });

    await expect(verifyViewerAssertion(assertion, secret, 'learners')).rejects.toThrow(unauthenticated('The viewer assertion has expired'));
  });

  it('do not accept a bearer token as a viewer assertion', async () => {
    const token = await issueToken(vendor, secret);

    await expect(verifyViewerAssertion(token, secret, 'learners')).rejects.toThrow(unauthenticated('The viewer assertion is not valid'));
  });

  it('are not accepted as a bearer token', async () => {
    const assertion = await signViewerAssertion(vendor, secret, 'learners');

    await expect(verify(assertion)).rejects.toThrow(unauthenticated('The bearer token is not valid'));
  });

  it.each([undefined, ''])('tell a request to a subgraph without an assertion (%j) to use the gateway', async (header) => {
    const refusal = verifyViewerAssertion(header, secret, 'learners');

    await expect(refusal).rejects.toBeInstanceOf(RegisterError);
    await expect(refusal).rejects.toThrow(unauthenticated(/send the request to the gateway/));
  });
});

describe('parseViewer', () => {
  it('keeps only the parts of the role', () => {
    expect(parseViewer({ role: 'OPERATOR', school: '16AH00', iss: issuer })).toEqual({ role: 'OPERATOR' });
  });

  it.each([{ role: 'ADMIN' }, { role: 'vendor' }, {}, { role: 7 }])('refuses the role in %j, naming the field role', (claims) => {
    expect(() => parseViewer(claims)).toThrow(RegisterError);
    expect(() => parseViewer(claims)).toThrow(
      expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'role', message: 'role must be one of VENDOR, MUNICIPALITY, BOARD, OPERATOR' }),
    );
  });

  it.each([
    [{ role: 'VENDOR', school: '16AH00' }, 'vendorOin'],
    [{ role: 'VENDOR', vendorOin: '00000001800866472000', school: '' }, 'school'],
    [{ role: 'VENDOR', vendorOin: '00000001800866472000', school: '16AH0' }, 'school'],
    [{ role: 'VENDOR', vendorOin: '00000001800866472000', school: '16A' }, 'school'],
    [{ role: 'VENDOR', vendorOin: '1234', school: '16AH00' }, 'vendorOin'],
    [{ role: 'MUNICIPALITY', municipality: '0' }, 'municipality'],
    [{ role: 'BOARD', board: 42830 }, 'board'],
    [{ role: 'BOARD', board: '042A830' }, 'board'],
  ])('refuses %j, naming the field %s', (claims, field) => {
    expect(() => parseViewer(claims)).toThrow(expect.objectContaining({ code: 'BAD_USER_INPUT', field }));
  });
});

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

describe('bearer tokens', () => {
  it.each<[string, Viewer, Viewer]>([
    ['VENDOR', { role: 'VENDOR', vendorOin: '00000001800866472000', school: '16ah00' }, vendor],
    ['MUNICIPALITY', { role: 'MUNICIPALITY', municipality: '114' }, { role: 'MUNICIPALITY', municipality: '0114' }],
    ['BOARD', { role: 'BOARD', board: '042B830' }, { role: 'BOARD', board: '042B830' }],
    ['OPERATOR', { role: 'OPERATOR' }, { role: 'OPERATOR' }],
  ])('carries a %s viewer, normalised, through a round trip', async (_, viewer, normalised) => {
    const token = await issueToken(viewer, secret);

    expect(await verifyToken(token, secret)).toEqual(normalised);
  });

  it('carries a viewer through a gateway assertion too', async () => {
    expect(await verifyViewerAssertion(await signViewerAssertion(vendor, secret, '192.0.2.7'), secret)).toEqual({ viewer: vendor, origin: '192.0.2.7' });
  });

  it('refuses a token signed with another secret', async () => {
    const token = await issueToken(vendor, otherSecret);

    await expect(verifyToken(token, secret)).rejects.toThrow(unauthenticated('The bearer token is not valid'));
  });

  it('refuses an expired token', async () => {
    const anHourAgo = Math.floor(Date.now() / 1000) - 3600;
    const token = await signClaims({ ...vendor }, { expires: anHourAgo });

    await expect(verifyToken(token, secret)).rejects.toThrow(unauthenticated('The bearer token has expired'));
  });

  it.each(['', 'not-a-token', 'a.b.c', 'eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoiT1BFUkFUT1IifQ.'])('refuses the malformed token %j', async (token) => {
    await expect(verifyToken(token, secret)).rejects.toThrow(unauthenticated('The bearer token is not valid'));
  });

  it('refuses a token from another issuer', async () => {
    const token = await new SignJWT({ role: 'OPERATOR' })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer('someone-else')
      .setAudience(apiAudience)
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode(secret));

    await expect(verifyToken(token, secret)).rejects.toThrow(unauthenticated('The bearer token is not valid'));
  });

  it.each([
    ['lack the school', { role: 'VENDOR', vendorOin: '00000001800866472000' }],
    ['hold an invalid school', { role: 'VENDOR', vendorOin: '00000001800866472000', school: '16AH' }],
    ['lack the municipality', { role: 'MUNICIPALITY' }],
    ['name an unknown role', { role: 'ADMIN' }],
  ])('refuses a well-signed token whose claims %s', async (_, claims) => {
    const token = await signClaims(claims);

    const refusal = verifyToken(token, secret);
    await expect(refusal).rejects.toBeInstanceOf(RegisterError);
    await expect(refusal).rejects.toThrow(unauthenticated(/^The bearer token is incomplete: /));
  });

  it('does not accept a bearer token as a viewer assertion', async () => {
    const token = await issueToken(vendor, secret);

    await expect(verifyViewerAssertion(token, secret)).rejects.toThrow(unauthenticated('The viewer assertion is not valid'));
  });

  it('does not accept a viewer assertion as a bearer token', async () => {
    const assertion = await signViewerAssertion(vendor, secret);

    await expect(verifyToken(assertion, secret)).rejects.toThrow(unauthenticated('The bearer token is not valid'));
  });

  it.each([undefined, ''])('tells a request to a subgraph without an assertion (%j) to use the gateway', async (header) => {
    const refusal = verifyViewerAssertion(header, secret);

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
    [{ role: 'VENDOR', vendorOin: '00000001800866472000', school: '16AH' }, 'school'],
    [{ role: 'VENDOR', vendorOin: '1234', school: '16AH00' }, 'vendorOin'],
    [{ role: 'MUNICIPALITY', municipality: '0' }, 'municipality'],
    [{ role: 'BOARD', board: 42830 }, 'board'],
    [{ role: 'BOARD', board: '042A830' }, 'board'],
  ])('refuses %j, naming the field %s', (claims, field) => {
    expect(() => parseViewer(claims)).toThrow(expect.objectContaining({ code: 'BAD_USER_INPUT', field }));
  });
});

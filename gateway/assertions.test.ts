import { describe, expect, it } from 'vitest';
import { verifyViewerAssertion } from '../kernel/viewer.ts';
import { ViewerAssertions } from './assertions.ts';

const secret = 'a test secret that is long enough for HS256 signing';
const vendor = { role: 'VENDOR', vendorOin: '00000001800866472000', school: '16AH00' } as const;

describe('ViewerAssertions', () => {
  it('signs for a request once per viewer, client address and subgraph, each good at its subgraph only', async () => {
    const assertions = new ViewerAssertions(secret, 60);
    const learners = await assertions.forRequest(vendor, '192.0.2.7', 'learners');
    expect(await assertions.forRequest(vendor, '192.0.2.7', 'learners')).toBe(learners);
    const funding = await assertions.forRequest(vendor, '192.0.2.7', 'funding');
    expect(funding.text).not.toBe(learners.text);
    expect(await verifyViewerAssertion(learners.text, secret, 'learners')).toEqual({ viewer: vendor, origin: '192.0.2.7', expiresAt: learners.expiresAt });
    await expect(verifyViewerAssertion(learners.text, secret, 'funding')).rejects.toThrow('The viewer assertion is not valid');
    expect((await assertions.forRequest(vendor, '192.0.2.8', 'learners')).text).not.toBe(learners.text);
    expect((await assertions.forRequest({ ...vendor, school: '03WU00' }, '192.0.2.7', 'learners')).text).not.toBe(learners.text);
  });

  it('signs afresh for a subscription, to be renewed once two thirds of its life have passed', async () => {
    const before = Date.now();
    const signed = await new ViewerAssertions(secret, 60).sign(vendor, undefined, 'funding');
    const after = Date.now();
    // JWT times are whole seconds.
    expect(signed.expiresAt).toBeGreaterThan(before + 59_000);
    expect(signed.expiresAt).toBeLessThanOrEqual(after + 60_000);
    expect(signed.renewAt).toBe(signed.expiresAt - 20_000);
  });
});

import { describe, expect, it } from 'vitest';
import { RegisterError } from '../errors.ts';
import { isBsn, parseBsn } from './bsn.ts';

// Worked examples: docs/domain.md §3.
describe('BSN', () => {
  it.each(['111222333', '123456782'])('accepts %s, which passes the 11-proof', (bsn) => {
    expect(isBsn(bsn)).toBe(true);
    expect(parseBsn(bsn)).toBe(bsn);
  });

  it('trims surrounding whitespace', () => {
    expect(parseBsn(' 111222333 ')).toBe('111222333');
  });

  it.each([
    ['111222334', 'BSN 111222334 fails the 11-proof'],
    ['999998620', 'BSN 999998620 fails the 11-proof'],
  ])('rejects a BSN that fails the 11-proof: %s', (bsn, message) => {
    expect(isBsn(bsn)).toBe(false);
    expect(() => parseBsn(bsn)).toThrow(RegisterError);
    expect(() => parseBsn(bsn)).toThrow(expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'bsn', message }));
  });

  it('rejects 000000000, although it passes the 11-proof', () => {
    expect(isBsn('000000000')).toBe(false);
    expect(() => parseBsn('000000000')).toThrow(
      expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'bsn', message: 'BSN 000000000 is all zeros; a BSN must be greater than 0' }),
    );
  });

  it.each([
    ['1112223334', '10 digits'],
    ['11122233', '8 digits, no implied leading zero'],
    ['', 'empty'],
    ['11122233x', 'a letter'],
    ['111 222 333', 'inner spaces'],
    ['１１１２２２３３３', 'full-width digits'],
  ])('rejects %j (%s): a BSN is exactly 9 digits', (bsn) => {
    expect(isBsn(bsn)).toBe(false);
    expect(() => parseBsn(bsn)).toThrow(RegisterError);
    expect(() => parseBsn(bsn)).toThrow(
      expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'bsn', message: `BSN ${JSON.stringify(bsn)} must be exactly 9 digits` }),
    );
  });

  it('names the field it was given', () => {
    expect(() => parseBsn('111222334', 'learner.bsn')).toThrow(expect.objectContaining({ field: 'learner.bsn' }));
  });
});

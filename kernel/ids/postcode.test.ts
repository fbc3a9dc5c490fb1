import { describe, expect, it } from 'vitest';
import { RegisterError } from '../errors.ts';
import { formatPostcode, isPostcode, parsePostcode } from './postcode.ts';

describe('postcode', () => {
  it.each([
    ['7822HG', '7822HG'],
    ['7822 HG', '7822HG'],
    ['7822 hg', '7822HG'],
    ['7822hg', '7822HG'],
    [' 1011 AB ', '1011AB'],
    ['9999SS', '9999SS'],
  ])('accepts %j and stores %s', (value, postcode) => {
    expect(isPostcode(value)).toBe(true);
    expect(parsePostcode(value)).toBe(postcode);
  });

  it.each(['0123AB', '782HG', '78222HG', '7822H', '7822HGX', '7822  HG', '7822-HG', 'HG7822', '7822ßA', ''])('rejects %j', (value) => {
    expect(isPostcode(value)).toBe(false);
    expect(() => parsePostcode(value, 'address.postcode')).toThrow(RegisterError);
    expect(() => parsePostcode(value, 'address.postcode')).toThrow(
      expect.objectContaining({
        code: 'BAD_USER_INPUT',
        field: 'address.postcode',
        message: `Postcode ${JSON.stringify(value)} must be 4 digits not starting with 0 and 2 letters, e.g. 7822 HG`,
      }),
    );
  });

  it('formats a stored postcode with a space for display', () => {
    expect(formatPostcode('7822HG')).toBe('7822 HG');
  });

  it('refuses to format a postcode that was never normalised', () => {
    expect(() => formatPostcode('7822 hg')).toThrow('Not a normalised postcode');
  });
});

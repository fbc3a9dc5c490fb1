import { describe, expect, it } from 'vitest';
import { RegisterError } from '../errors.ts';
import { isUuid, parseUuid } from './uuid.ts';

describe('parseUuid', () => {
  it('accepts a UUID in any case and returns it lower-case', () => {
    expect(parseUuid(' 5CBFC5B3-130A-52B4-B91B-6764DBC69471 ', 'id')).toBe('5cbfc5b3-130a-52b4-b91b-6764dbc69471');
    expect(isUuid('5cbfc5b3-130a-52b4-b91b-6764dbc69471')).toBe(true);
  });

  it.each(['', '5cbfc5b3130a52b4b91b6764dbc69471', '5cbfc5b3-130a-52b4-b91b-6764dbc6947g', 'x'])('refuses %j, naming the field', (value) => {
    expect(isUuid(value)).toBe(false);
    expect(() => parseUuid(value, 'noticeId', 'a transfer notice id')).toThrow(RegisterError);
    expect(() => parseUuid(value, 'noticeId', 'a transfer notice id')).toThrow(/is not a transfer notice id this register gave out/);
  });
});

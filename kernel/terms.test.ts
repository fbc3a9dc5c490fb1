import { describe, expect, it } from 'vitest';
import { easterSunday, fourWeeksAfter, generalHolidays, isGeneralHoliday, termEnd } from './terms.ts';

describe('easterSunday', () => {
  it.each([
    [2024, '2024-03-31'],
    [2025, '2025-04-20'],
    [2026, '2026-04-05'],
    [2027, '2027-03-28'],
    [2038, '2038-04-25'],
    [2285, '2285-03-22'],
  ])('in %i is %s', (year, day) => expect(easterSunday(year)).toBe(day));
});

describe('generalHolidays (Algemene termijnenwet art 3.1-3.2)', () => {
  it('holds the days of art 3.1 and Good Friday of art 3.2, the Easter-based ones moving with Easter', () => {
    expect([...generalHolidays(2025).keys()].sort()).toEqual([
      '2025-01-01',
      '2025-04-18',
      '2025-04-21',
      '2025-04-26',
      '2025-05-05',
      '2025-05-29',
      '2025-06-09',
      '2025-12-25',
      '2025-12-26',
    ]);
  });

  it("keeps King's Day on 27 April unless that is a Sunday, then 26 April", () => {
    expect(isGeneralHoliday('2026-04-27')).toBe(true);
    expect(isGeneralHoliday('2025-04-27')).toBe(false);
    expect(isGeneralHoliday('2025-04-26')).toBe(true);
  });
});

describe('termEnd (Algemene termijnenwet art 1)', () => {
  it('leaves a term that ends on a working day where it is', () => expect(termEnd('2027-03-01')).toBe('2027-03-01'));
  it('runs a term that ends on a Saturday on to Monday', () => expect(termEnd('2025-03-01')).toBe('2025-03-03'));
  it('runs a term that ends on a Sunday on to Monday', () => expect(termEnd('2026-03-01')).toBe('2026-03-02'));
  it('runs past a holiday that follows the weekend: Saturday before Easter Monday to Tuesday', () => expect(termEnd('2025-04-19')).toBe('2025-04-22'));
  it('runs from Good Friday over Easter to Tuesday', () => expect(termEnd('2025-04-18')).toBe('2025-04-22'));
  it('runs from Christmas Day past Boxing Day and the weekend', () => expect(termEnd('2026-12-25')).toBe('2026-12-28'));
});

describe('fourWeeksAfter (Besluit bekostiging WPO 2022 art 7 and 10.2, Algemene termijnenwet art 1 and 5)', () => {
  it('ends on the 28th day after the day when that is a working day', () => expect(fourWeeksAfter('2027-02-01')).toBe('2027-03-01'));
  it('ends on the Monday when the 28th day is a Saturday', () => expect(fourWeeksAfter('2025-02-01')).toBe('2025-03-03'));
  it('ends on the day after Ascension when the 28th day is Ascension Day', () => expect(fourWeeksAfter('2025-05-01')).toBe('2025-05-30'));
});

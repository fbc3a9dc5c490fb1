import { describe, expect, it } from 'vitest';
import { compulsorySchoolAge, ofCompulsorySchoolAge } from './leerplicht.ts';

describe('compulsorySchoolAge (Leerplichtwet art 3.1, 4.1, 4a)', () => {
  it('starts on the first of the month after the fifth birthday', () => expect(compulsorySchoolAge('2020-09-02').from).toBe('2025-10-01'));
  it('starts on 1 January after a fifth birthday in December', () => expect(compulsorySchoolAge('2020-12-31').from).toBe('2026-01-01'));
  it('starts the next month also for a birthday on the first of a month', () => expect(compulsorySchoolAge('2020-03-01').from).toBe('2025-04-01'));
  it('starts in March for a child born on 29 February, who turns five on 1 March in a year without one', () =>
    expect(compulsorySchoolAge('2020-02-29').from).toBe('2025-04-01'));
  it('ends full compulsory education on 31 July of the school year of the sixteenth birthday', () => {
    expect(compulsorySchoolAge('2010-07-31').fullUntil).toBe('2026-07-31');
    expect(compulsorySchoolAge('2010-08-01').fullUntil).toBe('2027-07-31');
  });
  it('ends the qualification duty the day before the eighteenth birthday', () =>
    expect(compulsorySchoolAge('2010-05-15').qualificationUntil).toBe('2028-05-14'));
  it('tells whether a child is of compulsory school age on a day', () => {
    expect(ofCompulsorySchoolAge('2020-09-02', '2025-09-30')).toBe(false);
    expect(ofCompulsorySchoolAge('2020-09-02', '2025-10-01')).toBe(true);
    expect(ofCompulsorySchoolAge('2010-07-31', '2026-08-01')).toBe(false);
  });
});

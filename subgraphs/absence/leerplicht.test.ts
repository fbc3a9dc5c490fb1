import { describe, expect, it } from 'vitest';
import { refusal } from '../../test/refusal.ts';
import {
  checkExemptionKind,
  checkWithinCompulsorySchoolAge,
  dutyOn,
  exemptionPeriod,
  isSchoolDay,
  lateNotice,
  noticedKinds,
  resolutionOf,
  signalDue,
  type EnrollmentFacts,
  type ResidentFacts,
} from './leerplicht.ts';
import { exemptionKinds, type ExemptionKind } from './rules.ts';

describe('exemption kinds by their articles', () => {
  it('registers the kinds of LPW art 5 and 5a', () => {
    for (const kind of ['UNFIT', 'DENOMINATION', 'SCHOOL_ABROAD', 'TRAVELLING'] as const) expect(() => checkExemptionKind(kind)).not.toThrow();
  });
  it.each<[ExemptionKind, string]>([
    ['OTHER_EDUCATION', 'OTHER_EDUCATION (LPW art 15) cannot be registered: LPW art 15 exempts a young person of 16 or 17 from the qualification duty'],
    ['SUBSTITUTE', 'SUBSTITUTE (LPW art 3a and 3b) cannot be registered: LPW art 3a and 3b are vervangende leerplicht'],
  ])('refuses %s, which cannot apply at primary-school ages', (kind, says) => {
    refusal(() => checkExemptionKind(kind), 'BAD_USER_INPUT', 'kind', says);
  });
  it('sends LPW art 15a notices for exemptions under art 5, 5a and 15 only', () => {
    expect(noticedKinds).toEqual(['UNFIT', 'DENOMINATION', 'SCHOOL_ABROAD', 'TRAVELLING', 'OTHER_EDUCATION']);
    expect(exemptionKinds.filter((kind) => !noticedKinds.includes(kind))).toEqual(['SUBSTITUTE']);
  });
});

describe('exemptionPeriod (LPW art 6: a claim under art 5 under b or c holds for one school year)', () => {
  it.each<[ExemptionKind, string, string | null, string | null]>([
    ['DENOMINATION', '2026-08-01', null, '2027-07-31'],
    ['DENOMINATION', '2026-11-01', '2027-07-31', '2027-07-31'],
    ['SCHOOL_ABROAD', '2027-07-31', null, '2027-07-31'],
    ['SCHOOL_ABROAD', '2026-07-01', null, '2026-07-31'],
    ['UNFIT', '2026-11-01', null, null],
    ['TRAVELLING', '2026-11-01', '2029-01-01', '2029-01-01'],
  ])('gives %s from %s to %s the end %s', (kind, startDate, endDate, end) => {
    expect(exemptionPeriod(kind, startDate, endDate)).toEqual({ startDate, endDate: end });
  });
  it.each<[ExemptionKind, string, string, string]>([
    ['DENOMINATION', '2026-08-01', '2027-08-01', 'starting on 2026-08-01, it ends on 2027-07-31 at the latest, not 2027-08-01'],
    ['SCHOOL_ABROAD', '2026-07-01', '2026-08-01', 'LPW art 5 under c holds for one school year (LPW art 6): starting on 2026-07-01, it ends on 2026-07-31'],
  ])('refuses %s from %s to %s', (kind, startDate, endDate, says) => {
    refusal(() => exemptionPeriod(kind, startDate, endDate), 'BAD_USER_INPUT', 'endDate', says);
  });
  it('refuses an end before the start', () => {
    refusal(() => exemptionPeriod('UNFIT', '2026-11-01', '2026-10-31'), 'BAD_USER_INPUT', 'endDate', 'before the start date');
  });
});

describe('lateNotice (LPW art 6: before 1 July preceding the school year)', () => {
  it.each<[ExemptionKind, string, string, boolean]>([
    ['DENOMINATION', '2027-08-01', '2027-06-30', false],
    ['DENOMINATION', '2027-08-01', '2027-07-01', true],
    ['SCHOOL_ABROAD', '2027-10-01', '2027-09-15', true],
    ['SCHOOL_ABROAD', '2027-10-01', '2026-12-01', false],
    ['UNFIT', '2027-08-01', '2027-09-01', false],
  ])('says of %s from %s noticed on %s that it is late: %s', (kind, startDate, noticedOn, late) => {
    expect(lateNotice(kind, startDate, noticedOn)).toBe(late);
  });
});

describe('checkWithinCompulsorySchoolAge (LPW art 3 and 4.1)', () => {
  // Born 2019-07-12: of compulsory school age from 2024-08-01 to 2035-07-31.
  it.each<[string, string | null]>([
    ['2024-08-01', '2024-08-01'],
    ['2024-01-01', '2024-08-01'],
    ['2035-07-31', null],
    ['2020-01-01', null],
  ])('accepts a period from %s to %s that reaches into it', (startDate, endDate) => {
    expect(() => checkWithinCompulsorySchoolAge('2019-07-12', startDate, endDate)).not.toThrow();
  });
  it.each<[string, string | null]>([
    ['2024-01-01', '2024-07-31'],
    ['2035-08-01', null],
  ])('refuses a period from %s to %s wholly outside it', (startDate, endDate) => {
    refusal(() => checkWithinCompulsorySchoolAge('2019-07-12', startDate, endDate), 'BAD_USER_INPUT', 'startDate', 'from 2024-08-01 to 2035-07-31');
  });
});

describe('school days and the signal day', () => {
  it('counts weekdays that are no holiday of the Algemene termijnenwet', () => {
    expect(['2026-12-07', '2026-12-11', '2027-04-27'].map(isSchoolDay)).toEqual([true, true, false]);
    expect(['2026-12-12', '2026-12-13', '2026-12-25', '2027-03-29'].map(isSchoolDay)).toEqual([false, false, false, false]);
  });
  it.each<[string, number, string]>([
    ['2026-12-07', 0, '2026-12-07'],
    ['2026-12-05', 0, '2026-12-07'],
    ['2026-12-07', 4, '2026-12-11'],
    ['2026-12-07', 5, '2026-12-14'],
    ['2026-12-21', 5, '2026-12-29'],
    ['2026-12-07', 20, '2027-01-06'],
  ])('signals a child without school since %s after more than %d school days on %s', (since, days, due) => {
    expect(signalDue(since, days)).toBe(due);
  });
});

describe('dutyOn (LPW art 2, 3, 4: absolute absence)', () => {
  // Born 2019-07-12: of compulsory school age from 2024-08-01 to 2035-07-31.
  const resident: ResidentFacts = { birthDate: '2019-07-12', municipalityCode: '0114', deceasedOn: null, emigratedOn: null };
  const ended = (endDate: string, endReason: string | null, destination: string | null = null): EnrollmentFacts => ({
    id: `e-${endDate}`,
    startDate: '2023-08-01',
    endDate,
    endReason,
    destination,
  });
  const day = '2026-12-07';

  it('finds a child never enrolled without school since compulsory school age began', () => {
    expect(dutyOn(day, resident, [], [])).toEqual({ since: '2024-08-01', reason: 'NEVER_ENROLLED', lastEnrollmentId: null });
  });
  it.each<[string, string | null, string | null]>([
    ['UNKNOWN', 'OTHER', 'UNKNOWN'],
    ['no destination, for OTHER', 'OTHER', null],
    ['no destination, for EXPELLED', 'EXPELLED', null],
    ['UNKNOWN, for TRANSFER', 'TRANSFER', 'UNKNOWN'],
  ])('finds a child deregistered with %s without school since the day after', (_, reason, destination) => {
    expect(dutyOn(day, resident, [ended('2026-10-02', reason, destination)], [])).toEqual({
      since: '2026-10-03',
      reason: 'DEREGISTERED',
      lastEnrollmentId: 'e-2026-10-02',
    });
  });
  it.each<[string, string | null, string | null, string]>([
    ['ABROAD', 'OTHER', 'ABROAD', 'EMIGRATED'],
    ['MOVED_ABROAD', 'MOVED_ABROAD', null, 'EMIGRATED'],
    ['DECEASED', 'DECEASED', null, 'DECEASED'],
    ['OTHER_SCHOOL', 'OTHER', 'OTHER_SCHOOL', 'LEFT_FOR_A_SCHOOL'],
    ['SPECIAL_EDUCATION', 'EXPELLED', 'SPECIAL_EDUCATION', 'LEFT_FOR_A_SCHOOL'],
    ['TRANSFER', 'TRANSFER', null, 'LEFT_FOR_A_SCHOOL'],
    ['END_OF_PRIMARY_EDUCATION', 'END_OF_PRIMARY_EDUCATION', null, 'LEFT_FOR_A_SCHOOL'],
  ])('finds no absolute absence after a deregistration for %s', (_, reason, destination, met) => {
    expect(dutyOn(day, resident, [ended('2026-10-02', reason, destination)], [])).toBe(met);
  });
  it('finds it met while enrolled, also on the last day, and while exempt', () => {
    expect(dutyOn(day, resident, [ended(day, 'OTHER')], [])).toBe('ENROLLED');
    expect(dutyOn(day, resident, [{ ...ended(day, null), endDate: null }], [])).toBe('ENROLLED');
    expect(dutyOn(day, resident, [], [{ startDate: '2026-09-01', endDate: null }])).toBe('EXEMPTED');
  });
  it('finds a child without school again after an enrollment or an exemption ends, whichever ended last', () => {
    const exemption = { startDate: '2026-08-01', endDate: '2026-11-30' };
    expect(dutyOn(day, resident, [ended('2026-07-31', 'TRANSFER')], [exemption])).toEqual({
      since: '2026-12-01',
      reason: 'EXEMPTION_ENDED',
      lastEnrollmentId: null,
    });
    expect(dutyOn(day, resident, [ended('2026-12-01', 'OTHER', 'UNKNOWN')], [exemption])).toMatchObject({ since: '2026-12-02', reason: 'DEREGISTERED' });
  });
  it('counts from the start of compulsory school age for a child deregistered before it', () => {
    expect(dutyOn(day, resident, [ended('2024-03-01', 'OTHER')], [])).toMatchObject({ since: '2024-08-01', reason: 'DEREGISTERED' });
  });
  it('leaves a child before or after compulsory school age, deceased, emigrated or without residence', () => {
    expect(dutyOn('2024-07-31', resident, [], [])).toBe('NOT_OF_COMPULSORY_SCHOOL_AGE');
    expect(dutyOn('2035-08-01', resident, [], [])).toBe('NOT_OF_COMPULSORY_SCHOOL_AGE');
    expect(dutyOn(day, { ...resident, deceasedOn: '2026-12-01' }, [], [])).toBe('DECEASED');
    expect(dutyOn(day, { ...resident, emigratedOn: day }, [], [])).toBe('EMIGRATED');
    expect(dutyOn(day, { ...resident, emigratedOn: '2026-12-08' }, [], [])).toMatchObject({ reason: 'NEVER_ENROLLED' });
    expect(dutyOn(day, { ...resident, municipalityCode: null }, [], [])).toBe('NO_RESIDENCE');
  });
  it('does not count an enrollment that starts later as school today', () => {
    expect(dutyOn(day, resident, [{ ...ended('2027-07-31', null), startDate: '2027-01-04', endDate: null }], [])).toMatchObject({
      reason: 'NEVER_ENROLLED',
    });
  });
});

describe('resolutionOf (why an issued signal is resolved)', () => {
  const signal = { municipalityCode: '0114', since: '2026-10-03' };
  const unmet = (since: string, reason: 'NEVER_ENROLLED' | 'DEREGISTERED' | 'EXEMPTION_ENDED' = 'DEREGISTERED') => ({ since, reason, lastEnrollmentId: null });
  it('keeps it while the child is without school since the same day in the same municipality', () => {
    expect(resolutionOf(signal, unmet('2026-10-03'), '0114')).toBeNull();
  });
  it.each<[string, ReturnType<typeof dutyOn>, string | null, string]>([
    ['enrolled now', 'ENROLLED', '0114', 'ENROLLED'],
    ['exempt now', 'EXEMPTED', '0114', 'EXEMPTED'],
    ['emigrated', 'EMIGRATED', '0114', 'EMIGRATED'],
    ['without residence', 'NO_RESIDENCE', null, 'MOVED_AWAY'],
    ['moved to another municipality', unmet('2026-10-03'), '0363', 'MOVED_AWAY'],
    ['enrolled in between', unmet('2026-11-20'), '0114', 'ENROLLED'],
    ['exempt in between', unmet('2026-11-20', 'EXEMPTION_ENDED'), '0114', 'EXEMPTED'],
    ['without school since earlier', unmet('2026-09-01'), '0114', 'CORRECTED'],
  ])('resolves it for a child %s', (_, now, municipality, resolution) => {
    expect(resolutionOf(signal, now, municipality)).toBe(resolution);
  });
});

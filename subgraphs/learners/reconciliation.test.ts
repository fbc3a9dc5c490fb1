import { describe, expect, it } from 'vitest';
import type { Delivered } from './deliveries.ts';
import { actionFor, discrepancies, sameDiscrepancy, type Registered } from './reconciliation.ts';

const bsn = { value: '111222333', kind: 'BSN' as const };
const delivered: Delivered = {
  birthDate: '2019-03-01',
  gender: 'FEMALE',
  postcode: '7822HG',
  familyName: 'de Vries',
  givenNames: 'Sanne',
  municipalityOverride: null,
};
const person: Registered = {
  familyName: 'de Vries',
  givenNames: 'Sanne',
  birthDate: '2019-03-01',
  gender: 'FEMALE',
  postcode: '7822HG',
  municipalityCode: '0114',
  deceasedOn: null,
  emigratedOn: null,
};

describe('discrepancies (a delivery against the person source)', () => {
  it('finds none where the delivery is what the person source holds', () => {
    expect(discrepancies(bsn, delivered, null, person)).toEqual([]);
  });

  it('reconciles nothing for a learner without a BSN: the delivered data stand (Wro art 9.4)', () => {
    expect(discrepancies({ value: '101222331', kind: 'ONDERWIJSNUMMER' }, { ...delivered, birthDate: '2010-01-01' }, null, null)).toEqual([]);
  });

  it('tells a BSN the person source does not know', () => {
    expect(discrepancies(bsn, delivered, null, null)).toEqual([{ code: 'UNKNOWN_BSN', field: 'pgn', deliveredValue: '111222333', registeredValue: null }]);
  });

  it.each<[string, Partial<Delivered>, Partial<Registered>, string | null, string | null, string | null]>([
    ['a birth date', { birthDate: '2019-04-01' }, {}, 'birthDate', '2019-04-01', '2019-03-01'],
    ['a gender', { gender: 'MALE' }, {}, 'gender', 'MALE', 'FEMALE'],
    ['a family name', { familyName: 'de Jong' }, {}, 'familyName', 'de Jong', 'de Vries'],
    ['given names', { givenNames: 'Anna' }, {}, 'givenNames', 'Anna', 'Sanne'],
    ['given names the person source lacks', {}, { givenNames: null }, 'givenNames', 'Sanne', null],
    ['a postcode (the person moved)', {}, { postcode: '1011AB', municipalityCode: '0363' }, 'postcode', '7822HG', '1011AB'],
  ])('tells %s that differs, with the delivered and the registered value', (_, delivery, registered, field, deliveredValue, registeredValue) => {
    expect(discrepancies(bsn, { ...delivered, ...delivery }, null, { ...person, ...registered })).toEqual([
      { code: 'DIFFERS', field, deliveredValue, registeredValue },
    ]);
  });

  it.each<[string, Partial<Delivered>, Partial<Registered>]>([
    ['names in another case and spacing', { familyName: 'DE  VRIES', givenNames: ' sanne' }, {}],
    ['names the school left out', { familyName: null, givenNames: null }, {}],
    ['a postcode, for a person who has no address (emigrated)', { postcode: '1011AB' }, { postcode: null, municipalityCode: null, emigratedOn: '2018-01-01' }],
  ])('does not tell %s', (_, delivery, registered) => {
    expect(discrepancies(bsn, { ...delivered, ...delivery }, '2017-12-31', { ...person, ...registered })).toEqual([]);
  });

  it.each<[string, 'DECEASED' | 'EMIGRATED', 'deceasedOn' | 'emigratedOn', string | null, boolean]>([
    ['a death, to an enrollment still open', 'DECEASED', 'deceasedOn', null, true],
    ['a death, to an enrollment ending after the day', 'DECEASED', 'deceasedOn', '2026-11-03', true],
    ['no death, to an enrollment ended on the day', 'DECEASED', 'deceasedOn', '2026-11-02', false],
    ['an emigration, to an enrollment still open', 'EMIGRATED', 'emigratedOn', null, true],
    ['no emigration, to an enrollment ended before the day', 'EMIGRATED', 'emigratedOn', '2026-10-01', false],
  ])('tells %s', (_, code, key, endDate, told) => {
    const found = discrepancies(bsn, delivered, endDate, { ...person, [key]: '2026-11-02' });
    expect(found).toEqual(told ? [{ code, field: null, deliveredValue: null, registeredValue: '2026-11-02' }] : []);
  });

  it('tells every difference at once', () => {
    const found = discrepancies(bsn, { ...delivered, birthDate: '2019-04-01', gender: 'MALE' }, null, { ...person, deceasedOn: '2026-11-02' });
    expect(found.map((each) => each.code + (each.field ? `/${each.field}` : ''))).toEqual(['DECEASED', 'DIFFERS/birthDate', 'DIFFERS/gender']);
  });
});

describe('signals and what to do about them', () => {
  it('takes a difference with other values for another one', () => {
    const told = { code: 'DIFFERS' as const, field: 'birthDate', deliveredValue: '2019-04-01', registeredValue: '2019-03-01' };
    expect(sameDiscrepancy(told, { ...told })).toBe(true);
    expect(sameDiscrepancy(told, { ...told, deliveredValue: '2019-05-01' })).toBe(false);
  });

  it.each([
    [{ code: 'UNKNOWN_BSN' as const, field: 'pgn', deliveredValue: '111222333', registeredValue: null }, 'knows no person with BSN 111222333'],
    [{ code: 'DECEASED' as const, field: null, deliveredValue: null, registeredValue: '2026-11-02' }, 'deregisterLearner, reason DECEASED'],
    [{ code: 'EMIGRATED' as const, field: null, deliveredValue: null, registeredValue: '2026-11-02' }, 'reason MOVED_ABROAD'],
    [{ code: 'PGN_REPLACED' as const, field: 'pgn', deliveredValue: '101222331', registeredValue: '111222333' }, 'Use the BSN for this learner'],
    [
      { code: 'DIFFERS' as const, field: 'postcode', deliveredValue: '7822HG', registeredValue: '1011AB' },
      'absence reports go to the municipality of that address',
    ],
    [{ code: 'DIFFERS' as const, field: 'birthDate', deliveredValue: '2019-04-01', registeredValue: '2019-03-01' }, 'learner.birthDate'],
  ])('says what the school should do about %j', (signal, says) => {
    expect(actionFor(signal)).toContain(says);
  });
});

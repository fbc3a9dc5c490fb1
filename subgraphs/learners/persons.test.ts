import { describe, expect, it } from 'vitest';
import { refusal } from '../../test/refusal.ts';
import { changeOf, parsePersonLine, type PersonFacts } from './persons.ts';

const sanne = {
  bsn: '111222333',
  familyName: 'de Vries',
  givenNames: 'Sanne',
  birthDate: '2019-03-01',
  gender: 'FEMALE',
  postcode: '7822 hg',
  houseNumber: 12,
  municipalityCode: '0114',
};
const line = (fields: Record<string, unknown>) => JSON.stringify(fields);

describe('a line of a persons file', () => {
  it('reads a person whole, normalising the postcode, and leaves out what the line leaves out', () => {
    expect(parsePersonLine(line(sanne))).toEqual({
      bsn: '111222333',
      familyName: 'de Vries',
      givenNames: 'Sanne',
      birthDate: '2019-03-01',
      gender: 'FEMALE',
      postcode: '7822HG',
      houseNumber: 12,
      houseNumberAddition: null,
      municipalityCode: '0114',
      deceasedOn: null,
      emigratedOn: null,
    });
  });

  it('reads one who emigrated without an address', () => {
    const { postcode: _postcode, houseNumber: _number, municipalityCode: _code, ...away } = sanne;
    expect(parsePersonLine(line({ ...away, emigratedOn: '2026-09-01' }))).toMatchObject({ postcode: null, municipalityCode: null, emigratedOn: '2026-09-01' });
  });

  it.each<[string, string, string, string]>([
    ['not JSON', '{"bsn": ', 'line', 'is not a JSON object'],
    ['a JSON array', '[1, 2]', 'line', 'is not a JSON object'],
    ['a field persons do not have', line({ ...sanne, nickname: 'San' }), 'nickname', 'is not a field of a person'],
    ['no BSN', line({ ...sanne, bsn: undefined }), 'bsn', 'is required'],
    ['a BSN failing the 11-proof', line({ ...sanne, bsn: '111222334' }), 'bsn', '11'],
    ['an empty family name', line({ ...sanne, familyName: '  ' }), 'familyName', 'is required'],
    ['a birth date that is no day', line({ ...sanne, birthDate: '2019-02-30' }), 'birthDate', 'YYYY-MM-DD'],
    ['an unknown gender', line({ ...sanne, gender: 'F' }), 'gender', 'MALE, FEMALE, UNDETERMINED'],
    ['a house number of 0', line({ ...sanne, houseNumber: 0 }), 'houseNumber', 'from 1 to 99999'],
    ['a house number as text', line({ ...sanne, houseNumber: '12' }), 'houseNumber', 'from 1 to 99999'],
    ['half an address', line({ ...sanne, municipalityCode: undefined }), 'postcode', 'go together'],
    [
      'no address for one who did not emigrate',
      line({ ...sanne, postcode: undefined, houseNumber: undefined, municipalityCode: undefined }),
      'postcode',
      'has an address',
    ],
    ['a municipality code that is no CBS code', line({ ...sanne, municipalityCode: '11400' }), 'municipalityCode', 'CBS gemeentecode'],
  ])('refuses %s, naming the field', (_, text, field, says) => {
    refusal(() => parsePersonLine(text), 'BAD_USER_INPUT', field, says);
  });
});

describe('the kind of a change of a person', () => {
  const before = parsePersonLine(line(sanne));
  it.each<[string, Partial<PersonFacts> | null, string | null]>([
    ['a person new to the source', null, 'PersonRegistered'],
    ['the same person again', {}, null],
    ['a death', { deceasedOn: '2026-11-02' }, 'PersonDied'],
    ['a departure abroad', { emigratedOn: '2026-09-01', postcode: null, houseNumber: null, municipalityCode: null }, 'PersonEmigrated'],
    ['a move to another municipality', { postcode: '1011AB', municipalityCode: '0363' }, 'PersonMoved'],
    ['a move within the street', { houseNumber: 14 }, 'PersonMoved'],
    ['a corrected birth date', { birthDate: '2019-03-02' }, 'PersonCorrected'],
    ['a death and a move at once: the death', { deceasedOn: '2026-11-02', municipalityCode: '0363' }, 'PersonDied'],
  ])('names %s', (_, after, type) => {
    const change = after === null ? changeOf(undefined, before) : changeOf(before, { ...before, ...after });
    expect(change?.type ?? null).toBe(type);
  });

  it('lists the fields that changed', () => {
    expect(changeOf(before, { ...before, postcode: '1011AB', municipalityCode: '0363' })?.changed).toEqual(['postcode', 'municipalityCode']);
  });
});

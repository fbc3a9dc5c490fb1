import { describe, expect, it } from 'vitest';
import { isBoardCode, isLocationCode, isOfferedProgrammeId, isProviderCode } from '../../kernel/ids/index.ts';
import { addressKeyOf, boardCodeFor, locationCodeFor, offeredProgrammeIdFor, providerCodeFor } from './codes.ts';

const letters = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZ'];
const allBrin4s = Array.from({ length: 100 }, (_, n) => String(n).padStart(2, '0')).flatMap((digits) =>
  letters.flatMap((first) => letters.map((second) => `${digits}${first}${second}`)),
);
const allCompetentAuthorityNumbers = Array.from({ length: 100_000 }, (_, n) => String(n).padStart(5, '0'));

describe('boardCodeFor', () => {
  it.each([
    ['42830', '042B830'],
    ['20091', '020B091'],
    ['00000', '000B000'],
    ['99999', '099B999'],
  ])('derives the board code of bevoegd gezag %s: %s', (number, code) => {
    expect(boardCodeFor(number)).toBe(code);
  });

  it('gives every five-digit number its own valid onderwijsbestuurcode', () => {
    const codes = allCompetentAuthorityNumbers.map(boardCodeFor);

    expect(codes.filter((code) => !isBoardCode(code) || !/^\d{3}B\d{3}$/.test(code))).toEqual([]);
    expect(new Set(codes).size).toBe(allCompetentAuthorityNumbers.length);
  });
});

describe('providerCodeFor', () => {
  // digits × 676 + (first letter × 26 + second letter): 16AH = 16 × 676 + 7 = 10,823; 99ZZ = 66,924 + 675 = 67,599.
  it.each([
    ['16AH', '010A823'],
    ['00AA', '000A000'],
    ['00AB', '000A001'],
    ['00BA', '000A026'],
    ['01AA', '000A676'],
    ['25BE', '016A930'],
    ['99ZZ', '067A599'],
  ])('derives the provider code of BRIN4 %s: %s', (brin4, code) => {
    expect(providerCodeFor(brin4)).toBe(code);
  });

  it(`gives each of the ${allBrin4s.length} BRIN4s its own valid onderwijsaanbiedercode`, () => {
    const codes = allBrin4s.map(providerCodeFor);

    expect(allBrin4s).toHaveLength(26 * 26 * 100);
    expect(codes.filter((code) => !isProviderCode(code) || !/^\d{3}A\d{3}$/.test(code))).toEqual([]);
    expect(new Set(codes).size).toBe(allBrin4s.length);
  });
});

describe('addressKeyOf', () => {
  it.each([
    ['7822HG', '12', '7822HG 12'],
    ['7822HG', '12-a', '7822HG 12-A'],
    ['7822HG', '12 - a', '7822HG 12-A'],
    ['7822HG', ' 12\tA ', '7822HG 12A'],
  ])('keys %s %j as %j', (postcode, houseNumber, key) => {
    expect(addressKeyOf(postcode, houseNumber)).toBe(key);
  });

  it('gives the same key to the ways one house number is written', () => {
    expect(addressKeyOf('3831JT', '36-b')).toBe(addressKeyOf('3831JT', '36 - B'));
    expect(addressKeyOf('3831JT', '36-B')).not.toBe(addressKeyOf('3831JT', '36-C'));
  });
});

describe('locationCodeFor', () => {
  const key = addressKeyOf('3831JT', '36-B');
  const nothingTaken = () => false;

  it('gives a valid onderwijslocatiecode, the same on every call', () => {
    const code = locationCodeFor(key, nothingTaken);

    expect(isLocationCode(code)).toBe(true);
    expect(code).toMatch(/^\d{3}X\d{3}$/);
    expect(locationCodeFor(key, nothingTaken)).toBe(code);
  });

  it('gives different addresses different codes', () => {
    const codes = ['9306TC 13', '9571AZ 74', '3831JT 36-B', '6107AW 22', '8582KX 37'].map((address) => locationCodeFor(address, nothingTaken));

    expect(new Set(codes).size).toBe(codes.length);
  });

  it('gives another valid code, the same every time, when the first one is taken', () => {
    const first = locationCodeFor(key, nothingTaken);
    const asked: string[] = [];
    const second = locationCodeFor(key, (code) => (asked.push(code), code === first));

    expect(second).not.toBe(first);
    expect(isLocationCode(second)).toBe(true);
    expect(asked).toEqual([first, second]);
    expect(locationCodeFor(key, (code) => code === first)).toBe(second);
    const third = locationCodeFor(key, (code) => code === first || code === second);
    expect([first, second]).not.toContain(third);
    expect(isLocationCode(third)).toBe(true);
  });
});

describe('offeredProgrammeIdFor', () => {
  const id = offeredProgrammeIdFor('010A823', '512X067', 'BASISONDERWIJS');

  it('is the RFC 9562 version-5 UUID of provider, location and kind in the register’s namespace', () => {
    // Computed independently: Python's uuid.uuid5(UUID('5d0e4a52-8f4b-4c55-9a0e-3f1b6c2d7e19'), '010A823/512X067/BASISONDERWIJS').
    expect(id).toBe('e8b25a3f-b444-5df8-816c-041bd6ffaa29');
  });

  it.each([
    ['010A823', '512X067', 'BASISONDERWIJS'],
    ['067A599', '000X000', 'SPECIAAL_BASISONDERWIJS'],
    ['000A000', '999X999', ''],
  ])('gives a lower-case version-5, variant-10 UUID for %s/%s/%s', (providerCode, locationCode, kind) => {
    const uuid = offeredProgrammeIdFor(providerCode, locationCode, kind);

    expect(uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(isOfferedProgrammeId(uuid)).toBe(true);
  });

  it('gives the same id for the same parts', () => {
    expect(offeredProgrammeIdFor('010A823', '512X067', 'BASISONDERWIJS')).toBe(id);
  });

  it.each([
    ['provider', ['010A824', '512X067', 'BASISONDERWIJS']],
    ['location', ['010A823', '512X068', 'BASISONDERWIJS']],
    ['kind', ['010A823', '512X067', 'SPECIAAL_BASISONDERWIJS']],
  ] as const)('gives another id when the %s differs', (_, [providerCode, locationCode, kind]) => {
    expect(offeredProgrammeIdFor(providerCode, locationCode, kind)).not.toBe(id);
  });
});

import { describe, expect, it } from 'vitest';
import { RegisterError } from '../../kernel/errors.ts';
import { resolveBranch } from './copy.ts';
import type { RioObjectRow } from './tables.ts';

const row = (kind: RioObjectRow['kind'], code: string, extra: Partial<RioObjectRow> = {}): RioObjectRow => ({
  kind,
  code,
  providerCode: null,
  locationCode: null,
  brin6: null,
  postcode: null,
  municipalityCode: null,
  startDate: null,
  endDate: null,
  ...extra,
});

const programme = '5cbfc5b3-130a-52b4-b91b-6764dbc69471';
const rio = [
  row('PROVIDER', '010A823', { providerCode: '010A823' }),
  row('LOCATION', '646X831', { locationCode: '646X831', postcode: '7822HG', municipalityCode: '0114' }),
  row('OFFERED_PROGRAMME', programme, { providerCode: '010A823', locationCode: '646X831' }),
  row('BRANCH', '16AH00', { providerCode: '010A823', locationCode: '646X831', endDate: '2025-07-31' }),
  row('BRANCH', '16AH01', { providerCode: '010A823', locationCode: '646X831', startDate: '2025-08-01' }),
];
const reference = { providerCode: '010A823', locationCode: '646X831', offeredProgrammeId: programme };

function refusal(work: () => unknown): RegisterError {
  try {
    work();
  } catch (error) {
    if (error instanceof RegisterError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('resolveBranch', () => {
  it('finds the branch active on the start date at the provider and location', () => {
    expect(resolveBranch(rio, reference, '2024-08-01')).toBe('16AH00');
    expect(resolveBranch(rio, reference, '2025-08-01')).toBe('16AH01');
  });

  it('finds the vestiging by a use of the location a board registered, while both the use and the vestiging are active', () => {
    const elsewhere = { providerCode: '010A823', locationCode: '999X001', offeredProgrammeId: '6f1c0f2e-0000-4000-8000-000000000001' };
    const objects = [
      ...rio,
      row('LOCATION', '999X001', { locationCode: '999X001' }),
      row('OFFERED_PROGRAMME', elsewhere.offeredProgrammeId, { providerCode: '010A823', locationCode: '999X001' }),
      row('LOCATION_USE', 'use-1', { brin6: '16AH00', locationCode: '999X001', startDate: '2024-01-01', endDate: '2024-12-31' }),
    ];
    expect(resolveBranch(objects, elsewhere, '2024-08-01')).toBe('16AH00');
    expect(refusal(() => resolveBranch(objects, elsewhere, '2023-08-01')).message).toMatch(/No recognised branch/);
    // 16AH00 ends on 2025-07-31, its use at the end of 2024: neither holds in 2025.
    expect(refusal(() => resolveBranch(objects, elsewhere, '2025-01-06')).message).toMatch(/No recognised branch/);
    // Another provider's vestiging using the location is not this provider's.
    expect(refusal(() => resolveBranch(objects, { ...elsewhere, providerCode: '010A824' }, '2024-08-01')).message).toMatch(/RIO knows no provider/);
  });

  it.each([
    ['a provider RIO does not know', { ...reference, providerCode: '999A999' }, rio, 'providerCode', /RIO knows no provider 999A999/],
    ['a location RIO does not know', { ...reference, locationCode: '999X999' }, rio, 'locationCode', /RIO knows no location 999X999/],
    [
      'a programme RIO does not know',
      { ...reference, offeredProgrammeId: '00000000-0000-5000-8000-000000000000' },
      rio,
      'offeredProgrammeId',
      /no offered programme/,
    ],
    [
      'a programme that has ended by the start date',
      reference,
      rio.map((each) => (each.kind === 'OFFERED_PROGRAMME' ? { ...each, endDate: '2024-07-31' } : each)),
      'offeredProgrammeId',
      /is not active on 2024-08-01/,
    ],
    [
      'a provider that starts after the start date',
      reference,
      rio.map((each) => (each.kind === 'PROVIDER' ? { ...each, startDate: '2024-09-01' } : each)),
      'providerCode',
      /provider 010A823 is not active on 2024-08-01/,
    ],
    [
      'a programme offered at another location',
      reference,
      rio.map((each) => (each.kind === 'OFFERED_PROGRAMME' ? { ...each, locationCode: '111X111' } : each)),
      'offeredProgrammeId',
      /is not offered by provider 010A823 at location 646X831/,
    ],
    ['a place without a branch active that day', reference, rio.filter((each) => each.code !== '16AH00'), 'locationCode', /No recognised branch/],
  ])('refuses %s, naming the field', (_, ref, objects, field, message) => {
    const error = refusal(() => resolveBranch(objects, ref, '2024-08-01'));
    expect(error).toMatchObject({ code: 'BAD_USER_INPUT', field });
    expect(error.message).toMatch(message);
  });
});

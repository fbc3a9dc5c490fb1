import { describe, expect, it } from 'vitest';
import { refusal } from '../../test/refusal.ts';
import { deliveredMunicipality, parseCorrection, parseDelivered, parseName, type Delivered } from './deliveries.ts';
import { textKinds } from '../../kernel/text.ts';
import { postcodeAreas } from './rules.ts';

const sent: Delivered = {
  birthDate: '2019-03-01',
  gender: 'FEMALE',
  postcode: '7822HG',
  familyName: 'de Vries',
  givenNames: 'Sanne',
  municipalityOverride: null,
};

describe('a delivery', () => {
  it('reads the postcode normalised and names without their spare white space; an empty name is none', () => {
    expect(parseDelivered({ birthDate: '2019-03-01', gender: 'FEMALE', postcode: '7822 hg', familyName: '  de   Vries ', givenNames: ' ' })).toEqual({
      ...sent,
      givenNames: null,
    });
  });

  it('names the refused field where it sits in the input', () => {
    refusal(() => parseDelivered({ ...sent, postcode: '0123 AB' }, 'learner.'), 'BAD_USER_INPUT', 'learner.postcode', '');
    refusal(() => parseDelivered({ ...sent, municipalityOverride: '0' }, 'learner.'), 'BAD_USER_INPUT', 'learner.municipalityOverride', '');
  });

  it('corrects only the fields given, and removes a name given as null', () => {
    expect(parseCorrection({ birthDate: '2019-04-01', givenNames: null }, sent)).toEqual({ ...sent, birthDate: '2019-04-01', givenNames: null });
    expect(parseCorrection({}, sent)).toEqual(sent);
    expect(parseCorrection({ birthDate: null as unknown as string, postcode: null as unknown as string }, sent)).toEqual(sent);
  });

  it('gives the override as the municipality, else the postcode area', () => {
    const areas = postcodeAreas([
      { postcode: '7822 HG', municipalityCode: '0114' },
      { postcode: '1011 AB', municipalityCode: '0363' },
    ]);
    expect(deliveredMunicipality(sent, areas)).toBe('0114');
    expect(deliveredMunicipality({ ...sent, municipalityOverride: '1681' }, areas)).toBe('1681');
  });

  it('keeps a name as given otherwise', () => {
    expect(parseName("Van 't Hek", 'familyName')).toBe("Van 't Hek");
  });

  it('gives a name in NFC, trimmed, and a blank one as none', () => {
    expect(parseName(' Ne\u0301meth ', 'learner.familyName')).toBe('Németh');
    expect(parseName(' ', 'learner.givenNames', textKinds.givenNames)).toBeNull();
  });

  it('refuses a name longer than the BRP allows, or with a control character, naming the field', () => {
    refusal(() => parseName('x'.repeat(201), 'learner.familyName'), 'BAD_USER_INPUT', 'learner.familyName', 'at most 200');
    refusal(() => parseName('An\u0007na', 'learner.givenNames', textKinds.givenNames), 'BAD_USER_INPUT', 'learner.givenNames', 'U+0007');
  });

  it('refuses a delivered birth date in the future or more than 25 years ago (rules.ts, checkBirthDate)', () => {
    refusal(() => parseDelivered({ ...sent, birthDate: '2099-01-01' }, 'learner.'), 'BAD_USER_INPUT', 'learner.birthDate', 'after today');
    refusal(() => parseDelivered({ ...sent, birthDate: '1900-01-01' }, 'learner.'), 'BAD_USER_INPUT', 'learner.birthDate', 'more than 25 years ago');
  });
});

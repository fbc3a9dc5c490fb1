import { randomUUID } from 'node:crypto';
import { parseMunicipalityCode, parsePostcode } from '../../kernel/ids/index.ts';
import { parseDay, today } from '../../kernel/scalars.ts';
import { parseOptionalText, textKinds, type TextKind } from '../../kernel/text.ts';
import { checkBirthDate, municipalityForPostcode, type PostcodeAreas } from './rules.ts';
import type { DeliveryRow } from './tables.ts';

/*
 * A school's delivery: what it says about a learner with an enrollment or an identification
 * (Besluit ROD art 18.1.a: geslacht, postcode, geboortedatum; WPO art 40b.1-2: the names it records
 * at admission). The register keeps each school's delivery as the school sent it, and shows it to
 * that school alone; one school's delivery never changes another's (docs/domain.md §2.2,
 * "Personal data"). The parse functions below are the one place each delivered field is read.
 */

export type Gender = DeliveryRow['gender'];

/** A delivery as the API takes it. */
export interface DeliveredInput {
  birthDate: string;
  gender: Gender;
  postcode: string;
  familyName?: string | null;
  givenNames?: string | null;
  municipalityOverride?: string | null;
}

/** A delivery, parsed. */
export interface Delivered {
  birthDate: string;
  gender: Gender;
  postcode: string;
  familyName: string | null;
  givenNames: string | null;
  municipalityOverride: string | null;
}

/** Reads a delivery; `prefix` names where it sits in the input (`learner.`), for the field of a refusal. */
export function parseDelivered(input: DeliveredInput, prefix = ''): Delivered {
  return {
    birthDate: parseBirthDate(input.birthDate, `${prefix}birthDate`),
    gender: input.gender,
    postcode: parsePostcode(input.postcode, `${prefix}postcode`),
    familyName: parseName(input.familyName, `${prefix}familyName`, textKinds.familyName),
    givenNames: parseName(input.givenNames, `${prefix}givenNames`, textKinds.givenNames),
    municipalityOverride: parseOverride(input.municipalityOverride, `${prefix}municipalityOverride`),
  };
}

/**
 * A name as delivered: free text as kernel/text.ts bounds it (a name as long as the BRP allows, no
 * control characters), each run of white space one space; an empty name is none.
 */
export function parseName(value: string | null | undefined, field: string, kind: TextKind = textKinds.familyName): string | null {
  const name = parseOptionalText(value, field, kind);
  return name === null ? null : name.replace(/\s+/g, ' ');
}

/** A delivered birth date: a day, and a plausible one for a learner (rules.ts, checkBirthDate). */
function parseBirthDate(value: string, field: string): string {
  return checkBirthDate(parseDay(value, field), today(), field);
}

function parseOverride(value: string | null | undefined, field: string): string | null {
  return value == null ? null : parseMunicipalityCode(value, field);
}

/**
 * A corrected delivery (changeEnrollment's `learner`): each field given replaces the one delivered
 * before, a field left out (or a birth date, gender or postcode given as null) keeps it, and a name
 * or override given as null removes it.
 */
export function parseCorrection(input: Partial<DeliveredInput>, current: Delivered, prefix = 'learner.'): Delivered {
  const given = <K extends keyof DeliveredInput>(key: K) => input[key] !== undefined;
  return {
    birthDate: input.birthDate == null ? current.birthDate : parseBirthDate(input.birthDate, `${prefix}birthDate`),
    gender: input.gender ?? current.gender,
    postcode: input.postcode == null ? current.postcode : parsePostcode(input.postcode, `${prefix}postcode`),
    familyName: given('familyName') ? parseName(input.familyName, `${prefix}familyName`, textKinds.familyName) : current.familyName,
    givenNames: given('givenNames') ? parseName(input.givenNames, `${prefix}givenNames`, textKinds.givenNames) : current.givenNames,
    municipalityOverride: given('municipalityOverride')
      ? parseOverride(input.municipalityOverride, `${prefix}municipalityOverride`)
      : current.municipalityOverride,
  };
}

/**
 * The municipality of residence a delivery gives, for a learner the person source does not place
 * (no BSN, or one it lacks: the delivered data stand, Wro art 9.4): the school's override, else the
 * one derived from the delivered postcode (rules.ts, municipalityForPostcode). Derived, so a school
 * reads it as `POSTCODE` or `OVERRIDE`, never as registered.
 */
export function deliveredMunicipality(delivered: Pick<Delivered, 'postcode' | 'municipalityOverride'>, areas: PostcodeAreas): string | null {
  return delivered.municipalityOverride ?? municipalityForPostcode(delivered.postcode, areas);
}

/** A delivery row for `delivered`, by the school `brin6`, under the PGN it was delivered with. */
export function deliveryRow(
  owner: { learnerId: string; brin6: string; enrollmentId: string | null; pgn: string },
  delivered: Delivered,
  areas: PostcodeAreas,
  now: Date,
  id: string = randomUUID(),
): DeliveryRow {
  return { id, ...owner, ...delivered, municipalityCode: deliveredMunicipality(delivered, areas), deliveredAt: now, absorbedFrom: null };
}

/** What a delivery row says, as a `Delivered`. */
export function deliveredOf(row: DeliveryRow): Delivered {
  const { birthDate, gender, postcode, familyName, givenNames, municipalityOverride } = row;
  return { birthDate, gender, postcode, familyName, givenNames, municipalityOverride };
}

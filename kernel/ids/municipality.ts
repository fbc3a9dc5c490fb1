import { badInput } from '../errors.ts';

/**
 * CBS gemeentecode: four digits, zero-padded (`0114` Emmen). Source files write it unpadded (`114`) or,
 * like the 2016 files, padded with spaces (` 285`); all are stored as four digits. 0 is no municipality.
 * docs/domain.md has no source for this code; the format is the one CBS publishes.
 */
function normalise(value: string): string | null {
  const digits = value.trim();
  if (!/^\d{1,4}$/.test(digits) || Number(digits) === 0) return null;
  return digits.padStart(4, '0');
}

export const isMunicipalityCode = (value: string): boolean => normalise(value) !== null;

export function parseMunicipalityCode(value: string, field = 'municipalityCode'): string {
  const code = normalise(value);
  if (code === null) {
    throw badInput(field, `Municipality code ${JSON.stringify(value)} must be a CBS gemeentecode of 1 to 4 digits, not 0, e.g. 0114`);
  }
  return code;
}

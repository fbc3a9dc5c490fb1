import { badInput } from '../errors.ts';

/**
 * OIN (organisatie-identificatienummer), carried in the PKIoverheid certificate's Subject.serialNumber: 20 digits
 * (docs/domain.md §2.3 [S:28]). Schools are the exception the same section documents: `00000007000` + BRIN4 + 5 digits
 * (`0000000700025BE00000` [S:10], `0000000700000AV00000` [S:16, S:17], OSO `0000000700000YY00931` [S:29]); a digits-only
 * rule would refuse every school, so that form is accepted too. Other prefixes are not checked: the school prefix
 * already falls outside the four [S:28] lists, so that list is not closed.
 */
const pattern = /^(?:\d{20}|00000007000\d{2}[A-Z]{2}\d{5})$/;

export const isOin = (value: string): boolean => pattern.test(value.trim());

export function parseOin(value: string, field = 'oin'): string {
  const oin = value.trim();
  if (!pattern.test(oin)) {
    throw badInput(field, `OIN ${JSON.stringify(value)} must be 20 digits, or for a school 00000007000 + BRIN4 + 5 digits`);
  }
  return oin;
}

import { badInput } from '../errors.ts';

/**
 * Dutch postcode `[1-9][0-9]{3}[A-Z]{2}` (RIO onderwijslocatie, docs/domain.md §2.1 and §3 [S:9]): no leading zero;
 * the letter pairs are not restricted further: RIO takes addresses from BAG [S:11], which decides which exist.
 * People write `7822 HG` or `7822hg`; the register stores `7822HG`.
 */
const pattern = /^[1-9][0-9]{3} ?[A-Za-z]{2}$/;

function normalise(value: string): string | null {
  const postcode = value.trim();
  return pattern.test(postcode) ? postcode.replace(' ', '').toUpperCase() : null;
}

export const isPostcode = (value: string): boolean => normalise(value) !== null;

export function parsePostcode(value: string, field = 'postcode'): string {
  const postcode = normalise(value);
  if (postcode === null) {
    throw badInput(field, `Postcode ${JSON.stringify(value)} must be 4 digits not starting with 0 and 2 letters, e.g. 7822 HG`);
  }
  return postcode;
}

/** `7822HG` → `7822 HG`, for display. Expects a stored (normalised) postcode. */
export function formatPostcode(normalised: string): string {
  if (!/^[1-9][0-9]{3}[A-Z]{2}$/.test(normalised)) throw new Error(`Not a normalised postcode: ${JSON.stringify(normalised)}`);
  return `${normalised.slice(0, 4)} ${normalised.slice(4)}`;
}

import { badInput } from '../errors.ts';

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const isUuid = (value: string): boolean => uuidPattern.test(value.trim());

/** An id the register gave out (an enrollment, a notice): a UUID, stored lower-case so equal ids compare equal. */
export function parseUuid(value: string, field: string, what = 'an id'): string {
  const id = value.trim().toLowerCase();
  if (!uuidPattern.test(id)) throw badInput(field, `${JSON.stringify(value)} is not ${what} this register gave out`);
  return id;
}

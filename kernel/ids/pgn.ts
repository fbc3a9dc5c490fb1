import { badInput } from '../errors.ts';
import { isBsn } from './bsn.ts';
import { isOnderwijsnummer } from './onderwijsnummer.ts';

/** Persoonsgebonden nummer: the BSN, or when there is none the onderwijsnummer (Wro art 1; docs/domain.md §2.2 [S:5, S:4]). */
export type PgnKind = 'BSN' | 'ONDERWIJSNUMMER';
export type Pgn = { kind: PgnKind; value: string };

/**
 * The checksum tells the kind: a BSN needs (S8 − d9) mod 11 = 0, an onderwijsnummer 5, so no nine-digit
 * number passes both (docs/domain.md §3, [I]). The order of the tests below therefore does not matter.
 */
export function classifyPgn(value: string): PgnKind | null {
  if (isBsn(value)) return 'BSN';
  if (isOnderwijsnummer(value)) return 'ONDERWIJSNUMMER';
  return null;
}

/** The PGN `value` names, or null when it names none: what the audit log records of a request that may be refused. */
export function pgnOrNull(value: string): string | null {
  const pgn = value.trim();
  return classifyPgn(pgn) ? pgn : null;
}

export function parsePgn(value: string, field = 'pgn'): Pgn {
  const pgn = value.trim();
  const kind = classifyPgn(pgn);
  if (kind) return { kind, value: pgn };
  const shown = /^\d{9}$/.test(pgn) ? pgn : JSON.stringify(pgn);
  throw badInput(
    field,
    `PGN ${shown} is neither a valid BSN (9 digits passing the 11-proof) nor a valid onderwijsnummer (9 digits starting with 10, check remainder 5)`,
  );
}

import { createHash } from 'node:crypto';

/**
 * RIO codes for objects that DUO's school file knows only by their BRIN-era keys. RIO generates its
 * codes on registration (docs/domain.md §2.1, S:9, S:12) and the open school file does not carry them, so
 * the register derives them: the same input gives the same code on every machine, and the BRIN key
 * stays beside each code. Formats: board `\d{3}B\d{3}`, provider `\d{3}A\d{3}`, location
 * `\d{3}X\d{3}`, offered programme a UUID.
 *
 * The register issues codes for what a board's change makes (changes.ts): a new location the code its
 * address hashes to, passing over every code any location ever had (rows are never deleted), so no code
 * is given twice and a later file that lists the address takes this location by its address; an
 * offered programme or a location use a random (version 4) UUID, never one of the name-based (version
 * 5) ids below.
 */

const sixDigits = (value: number) => String(value).padStart(6, '0');
const withLetter = (digits: string, letter: string) => `${digits.slice(0, 3)}${letter}${digits.slice(3)}`;

/** Board from its five-digit bevoegd-gezagnummer: 42830 → 042B830; one-to-one and reversible. */
export function boardCodeFor(competentAuthorityNumber: string): string {
  return withLetter(sixDigits(Number(competentAuthorityNumber)), 'B');
}

/**
 * Provider from its BRIN4 (two digits, two capitals): digits × 676 + letters as base 26, which is at
 * most 67,599 and so fits the six digits: 16AH → 010A823; one-to-one and reversible.
 */
export function providerCodeFor(brin4: string): string {
  const letters = (brin4.charCodeAt(2) - 65) * 26 + (brin4.charCodeAt(3) - 65);
  return withLetter(sixDigits(Number(brin4.slice(0, 2)) * 676 + letters), 'A');
}

/** What makes a location one place: RIO keeps one code per physical address (docs/domain.md §2.1, S:11). */
export function addressKeyOf(postcode: string, houseNumber: string): string {
  return `${postcode} ${houseNumber.toUpperCase().replace(/\s+/g, '')}`;
}

/**
 * Location codes come from a hash of the address key. A million codes for some six thousand
 * addresses do collide, so a taken code is resolved by hashing again with a counter. Callers assign
 * new addresses in address-key order, so the same files applied in the same order give the same
 * codes everywhere; a code once given is kept for good.
 */
export function locationCodeFor(addressKey: string, taken: (code: string) => boolean): string {
  for (let attempt = 0; ; attempt++) {
    const digest = createHash('sha256')
      .update(attempt === 0 ? addressKey : `${addressKey}#${attempt}`)
      .digest();
    const code = withLetter(sixDigits(digest.readUInt32BE(0) % 1_000_000), 'X');
    if (!taken(code)) return code;
  }
}

// The name-space of the register's offered-programme ids (a random UUID, fixed once for good).
const programmeNamespace = '5d0e4a52-8f4b-4c55-9a0e-3f1b6c2d7e19';

/** Offered programme id: a name-based UUID (RFC 9562 version 5) of provider, location and kind. */
export function offeredProgrammeIdFor(providerCode: string, locationCode: string, kind: string): string {
  const namespace = Buffer.from(programmeNamespace.replaceAll('-', ''), 'hex');
  const bytes = createHash('sha1').update(namespace).update(`${providerCode}/${locationCode}/${kind}`).digest().subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x50;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

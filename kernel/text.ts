import { badInput } from './errors.ts';

/*
 * Free text as clients send it: names, phone numbers, e-mail addresses, remarks, document ids. One
 * set of rules for every subgraph, so that what one register stores, shows and passes on as an
 * event, every other can take in: a bounded length, and no character that is not text.
 *
 * Not text: the C0 and C1 control characters and DEL (a NUL cannot even be stored in PostgreSQL's
 * text, a BEL or ESC is a terminal's command, not a letter), the bidirectional embeddings, overrides
 * and isolates U+202A-U+202E and U+2066-U+2069 (they reorder what a reader sees, CVE-2021-42574,
 * "Trojan Source"), and a lone surrogate (UTF-16 that is no character and has no UTF-8 form). A
 * remark may hold line breaks: they are text there, and kept as line feeds.
 *
 * Text is stored in Unicode Normalization Form C: "é" sent precomposed or as "e" with a combining
 * accent is one and the same name, compared and counted alike (the W3C Character Model for the Web,
 * String Matching, asks for NFC). Identifiers (document ids) are checked but kept exactly as sent,
 * since a resend is recognised by its id.
 */

/** A kind of free text: its maximum length in characters (code points, after NFC), why, and whether it may hold line breaks. */
export interface TextKind {
  max: number;
  why: string;
  lines?: boolean;
}

export const textKinds = {
  familyName: { max: 200, why: "a geslachtsnaam in the BRP holds at most 200 characters (BRP API 'Haal Centraal BRP bevragen', Geslachtsnaam)" },
  givenNames: { max: 200, why: "voornamen in the BRP hold at most 200 characters (BRP API 'Haal Centraal BRP bevragen', Voornamen)" },
  contactName: { max: 200, why: "a person's name as the BRP bounds a geslachtsnaam, 200 characters" },
  phone: { max: 32, why: 'a telephone number has at most 15 digits (ITU-T E.164); 32 leaves room for a + and separators' },
  email: { max: 254, why: 'an e-mail address has at most 254 characters (RFC 5321 §4.5.3.1.3: a path of 256 with its angle brackets)' },
  label: { max: 100, why: "a job title or an educational concept is a few words; 100 characters is the register's own bound" },
  organisationName: { max: 200, why: "an organisation's name; 200 characters is the register's own bound, as for a person's name" },
  remark: { max: 2000, why: "a reason, an action or a note is a paragraph; 2,000 characters is the register's own bound", lines: true },
  placeName: { max: 80, why: 'a street (openbare ruimte) or a town (woonplaats) in the BAG has a name of at most 80 characters (BAG catalogus 2018)' },
  searchTerm: { max: 200, why: 'a name searched for is no longer than a name' },
  documentId: {
    max: 100,
    why: "DUO's identificatiecode of a business document is a UUID (VO) or 1 to 50 letters, digits, _ and - (RIO); 100 lets a sender add its own prefix",
  },
} as const satisfies Record<string, TextKind>;

/** Characters that are not text (see above): in a remark, all but the line feed; elsewhere, all. */
/* eslint-disable no-control-regex -- control characters are what these refuse */
const notTextInRemark = /[\u0000-\u0009\u000B-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]|\p{Surrogate}/u;
const notTextInLine = /[\u0000-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]|\p{Surrogate}/u;
/* eslint-enable no-control-regex */

/**
 * The text a client sent, checked and normalised: NFC, no leading or trailing white space, line
 * breaks as line feeds where the kind allows them. BAD_USER_INPUT naming `field` when it holds
 * anything that is not text or is longer than its kind allows; the message never repeats the text.
 */
export function parseText(value: string, field: string, kind: TextKind): string {
  // A code point takes at most two UTF-16 units: far too long is refused before any work on it.
  if (value.length > 2 * kind.max) throw tooLong(field, kind);
  const text = checkCharacters(kind.lines ? value.replace(/\r\n?/g, '\n') : value, field, kind)
    .normalize('NFC')
    .trim();
  if (codePoints(text) > kind.max) throw tooLong(field, kind);
  return text;
}

/** `parseText` for an optional field: null when absent or only white space. */
export function parseOptionalText(value: string | null | undefined, field: string, kind: TextKind): string | null {
  if (value == null) return null;
  return parseText(value, field, kind) || null;
}

/** An identifier sent as free text (a document id): checked as text is, kept exactly as sent, never empty. */
export function checkIdentifier(value: string, field: string, kind: TextKind): string {
  if (value.length > 2 * kind.max || codePoints(value) > kind.max) throw tooLong(field, kind);
  if (value.trim() === '') throw badInput(field, `${field} may not be empty`);
  return checkCharacters(value, field, kind);
}

function checkCharacters(value: string, field: string, kind: TextKind): string {
  const found = (kind.lines ? notTextInRemark : notTextInLine).exec(value);
  if (found) {
    const code = found[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
    throw badInput(
      field,
      `${field} holds U+${code} at position ${found.index + 1}, which is not text: no control characters (NUL, BEL, ESC and the like) or bidirectional overrides`,
    );
  }
  return value;
}

function codePoints(text: string): number {
  let count = 0;
  for (const _ of text) count++;
  return count;
}

const tooLong = (field: string, kind: TextKind) => badInput(field, `${field} may hold at most ${kind.max} characters: ${kind.why}`);

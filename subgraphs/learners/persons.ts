import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { writeCommandAudit, type AuditResult, type CommandActor } from '../../kernel/audit.ts';
import { insertRows } from '../../kernel/bulk.ts';
import { anyOf, rowsOf, type Db } from '../../kernel/db.ts';
import { badInput, RegisterError } from '../../kernel/errors.ts';
import { appendEvents } from '../../kernel/events.ts';
import { parseBsn, parseMunicipalityCode, parsePostcode } from '../../kernel/ids/index.ts';
import { parseDay } from '../../kernel/scalars.ts';
import { textKinds } from '../../kernel/text.ts';
import { parseName, type Gender } from './deliveries.ts';
import type { PersonEventType } from '../../contracts/learners.ts';
import { personEvent } from './events.ts';
import { reconcileLearners } from './signals.ts';
import { person, type PersonRow } from './tables.ts';

/*
 * The person source: the register's stand-in for the BRP, which it cannot reach (Besluit ROD art 4:
 * ROD takes a learner's identifying data from the BRP). A file in JSON lines names persons whole,
 * one a line (README, "The person source"); a person it does not name stays as it is, so a file of
 * one line is one change: a move, a death, a correction. Each person that changes is written with
 * its event on the learners stream, and the signals it gives the schools that enroll the person,
 * all in one transaction: the whole file applies, or none of it.
 */

/** A person as a line of the file gives it. */
export type PersonFacts = Omit<PersonRow, 'updatedAt'>;

const genders: readonly Gender[] = ['MALE', 'FEMALE', 'UNDETERMINED'];
const fields = [
  'bsn',
  'familyName',
  'givenNames',
  'birthDate',
  'gender',
  'postcode',
  'houseNumber',
  'houseNumberAddition',
  'municipalityCode',
  'deceasedOn',
  'emigratedOn',
];

/** The fields of a person that can change: all but the BSN. A PersonRegistered event names them all. */
export const personChangeFields = fields.slice(1);

/**
 * One line of a persons file. Each field is read by one small function, and a refusal names the
 * field: `line 12: birthDate: …`. The address (postcode, house number, municipality) is given whole,
 * and may be left out only for a person who emigrated.
 */
export function parsePersonLine(line: string): PersonFacts {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw badInput('line', 'is not a JSON object');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw badInput('line', 'is not a JSON object');
  const given = value as Record<string, unknown>;
  const unknown = Object.keys(given).filter((key) => !fields.includes(key));
  if (unknown.length) throw badInput(unknown[0]!, `is not a field of a person (the fields are ${fields.join(', ')})`);
  const facts: PersonFacts = {
    bsn: parseBsn(text(given, 'bsn'), 'bsn'),
    familyName: requiredName(given, 'familyName'),
    givenNames: parseName(optionalText(given, 'givenNames'), 'givenNames', textKinds.givenNames),
    birthDate: parseDay(text(given, 'birthDate'), 'birthDate'),
    gender: parseGender(text(given, 'gender')),
    postcode: optional(given, 'postcode', (value) => parsePostcode(value, 'postcode')),
    houseNumber: parseHouseNumber(given.houseNumber),
    houseNumberAddition: parseName(optionalText(given, 'houseNumberAddition'), 'houseNumberAddition', textKinds.label),
    municipalityCode: optional(given, 'municipalityCode', (value) => parseMunicipalityCode(value, 'municipalityCode')),
    deceasedOn: optional(given, 'deceasedOn', (value) => parseDay(value, 'deceasedOn')),
    emigratedOn: optional(given, 'emigratedOn', (value) => parseDay(value, 'emigratedOn')),
  };
  checkAddress(facts);
  return facts;
}

function text(given: Record<string, unknown>, field: string): string {
  const value = given[field];
  if (typeof value !== 'string') throw badInput(field, value === undefined || value === null ? 'is required' : 'must be a string');
  return value;
}

function optionalText(given: Record<string, unknown>, field: string): string | null {
  return given[field] === undefined || given[field] === null ? null : text(given, field);
}

function optional<T>(given: Record<string, unknown>, field: string, parse: (value: string) => T): T | null {
  const value = optionalText(given, field);
  return value === null ? null : parse(value);
}

function requiredName(given: Record<string, unknown>, field: string): string {
  const name = parseName(text(given, field), field);
  if (name === null) throw badInput(field, 'is required');
  return name;
}

function parseGender(value: string): Gender {
  if (!genders.includes(value as Gender)) throw badInput('gender', `must be one of ${genders.join(', ')}`);
  return value as Gender;
}

function parseHouseNumber(value: unknown): number | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 99_999)
    throw badInput('houseNumber', 'must be a whole number from 1 to 99999');
  return value;
}

/** A Dutch address is postcode, house number and municipality together; only one who emigrated has none. */
function checkAddress(facts: PersonFacts): void {
  const parts = [facts.postcode, facts.houseNumber, facts.municipalityCode].filter((part) => part !== null).length;
  if (parts !== 0 && parts !== 3) throw badInput('postcode', 'postcode, houseNumber and municipalityCode go together');
  if (parts === 0 && facts.emigratedOn === null)
    throw badInput('postcode', 'a person who did not emigrate has an address: postcode, houseNumber and municipalityCode');
}

/** Reads a persons file: blank lines are skipped, a bad line refuses the file naming its line, and a BSN may appear once. */
export async function readPersonsFile(file: string): Promise<PersonFacts[]> {
  return parsePersonsFile(await readFile(file, 'utf8'), path.basename(file));
}

/** The persons of a persons file's text; `name` is the file's, for the refusals. */
export function parsePersonsFile(text: string, name: string): PersonFacts[] {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const seen = new Map<string, number>();
  const persons: PersonFacts[] = [];
  for (const [index, line] of lines.entries()) {
    if (line.trim() === '') continue;
    const at = `${name} line ${index + 1}`;
    try {
      const facts = parsePersonLine(line);
      const earlier = seen.get(facts.bsn);
      if (earlier !== undefined) throw badInput('bsn', `${facts.bsn} is on line ${earlier} already`);
      seen.set(facts.bsn, index + 1);
      persons.push(facts);
    } catch (error) {
      if (error instanceof RegisterError)
        throw new RegisterError(error.code, `${at}: ${error.field === 'line' ? '' : `${error.field}: `}${error.message}`, error.field);
      throw error;
    }
  }
  return persons;
}

/**
 * Changes of the person source and enrollments wait for each other: an import holds the lock alone,
 * an enrollment shares it. So an enrollment reads the person source before or after an import, never
 * half-way, and an import sees every learner enrolled before it: the registered facts an event
 * carries are those the register held when it was written.
 */
export async function lockPersons(tx: Db, mode: 'shared' | 'exclusive'): Promise<void> {
  const key = sql`hashtext('learners.person')`;
  await tx.execute(mode === 'shared' ? sql`SELECT pg_advisory_xact_lock_shared(${key})` : sql`SELECT pg_advisory_xact_lock(${key})`);
}

export type PersonCounts = Record<PersonEventType | 'unchanged', number> & { signals: number };

/** The kind of a person's change (events.ts, personEventTypes), and the fields that changed. */
export function changeOf(before: PersonFacts | undefined, after: PersonFacts): { type: PersonEventType; changed: string[] } | null {
  if (!before) return { type: 'PersonRegistered', changed: personChangeFields };
  const changed = fields.filter((field) => before[field as keyof PersonFacts] !== after[field as keyof PersonFacts]);
  if (changed.length === 0) return null;
  const has = (...names: string[]) => names.some((name) => changed.includes(name));
  if (has('deceasedOn') && after.deceasedOn !== null) return { type: 'PersonDied', changed };
  if (has('emigratedOn') && after.emigratedOn !== null) return { type: 'PersonEmigrated', changed };
  if (has('postcode', 'houseNumber', 'houseNumberAddition', 'municipalityCode')) return { type: 'PersonMoved', changed };
  return { type: 'PersonCorrected', changed };
}

/** Persons per statement: a national file is read and written in parts of this many. */
const chunk = 20_000;

/**
 * Applies persons to the person source in the caller's transaction: each new or changed person is
 * written with its event, and the enrollments of the learner it is (by BSN) are reconciled against
 * it, which signals what the change means to their schools. Returns the counts per kind.
 */
export async function applyPersons(tx: Db, persons: readonly PersonFacts[], now = new Date()): Promise<PersonCounts> {
  await lockPersons(tx, 'exclusive');
  const counts: PersonCounts = { PersonRegistered: 0, PersonMoved: 0, PersonDied: 0, PersonEmigrated: 0, PersonCorrected: 0, unchanged: 0, signals: 0 };
  for (let start = 0; start < persons.length; start += chunk) {
    const part = persons.slice(start, start + chunk);
    const bsns = part.map((facts) => facts.bsn);
    const before = new Map((await tx.select().from(person).where(anyOf(person.bsn, bsns))).map((row) => [row.bsn, row]));
    const learners = new Map(
      rowsOf<{ id: string; pgn: string }>(await tx.execute(sql`SELECT id::text, pgn FROM learners.learner WHERE pgn = ANY(${sql.param(bsns)}::text[])`)).map(
        (row) => [row.pgn, row.id],
      ),
    );
    const changedRows: PersonRow[] = [];
    const events = [];
    for (const facts of part) {
      const change = changeOf(before.get(facts.bsn), facts);
      if (!change) {
        counts.unchanged++;
        continue;
      }
      const row = { ...facts, updatedAt: now };
      changedRows.push(row);
      events.push(personEvent(change.type, row, learners.get(facts.bsn) ?? null, change.changed));
      counts[change.type]++;
    }
    await insertRows(
      tx,
      person,
      changedRows,
      sql`ON CONFLICT (bsn) DO UPDATE SET family_name = excluded.family_name, given_names = excluded.given_names, birth_date = excluded.birth_date,
        gender = excluded.gender, postcode = excluded.postcode, house_number = excluded.house_number, house_number_addition = excluded.house_number_addition,
        municipality_code = excluded.municipality_code, deceased_on = excluded.deceased_on, emigrated_on = excluded.emigrated_on, updated_at = excluded.updated_at`,
    );
    await appendEvents(tx, 'learners', events);
    const touched = changedRows.flatMap((row) => learners.get(row.bsn) ?? []);
    counts.signals += (await reconcileLearners(tx, touched, now)).length;
  }
  return counts;
}

/**
 * `npm run persons:import`: a persons file (`parsePersonsFile`) applied in one transaction, with one
 * line in the audit log for the run (protocollering, BIO 8.15: a change of personal data is logged
 * as a request's is): who ran it, the file by name and SHA-256, and how many persons were added,
 * changed and left unchanged; no person. A refused file gets a REFUSED line, and changes nothing.
 */
export async function importPersons(db: Db, file: string, by: CommandActor): Promise<PersonCounts & { persons: number }> {
  const bytes = await readFile(file);
  const name = path.basename(file);
  const object = `${name} sha256:${createHash('sha256').update(bytes).digest('hex')}`;
  const log = (tx: Db, result: AuditResult, counts = '') =>
    writeCommandAudit(tx, 'learners', by, { action: 'IMPORT_PERSONS', object: `${object}${counts}`, result });
  try {
    const persons = parsePersonsFile(bytes.toString('utf8'), name);
    return await db.transaction(async (tx) => {
      const counts = await applyPersons(tx, persons);
      const changed = persons.length - counts.PersonRegistered - counts.unchanged;
      await log(tx, 'ALLOWED', `: added ${counts.PersonRegistered}, changed ${changed}, unchanged ${counts.unchanged}`);
      return { persons: persons.length, ...counts };
    });
  } catch (error) {
    if (error instanceof RegisterError) await log(db, 'REFUSED');
    throw error;
  }
}

import { eq, type InferSelectModel } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import type { Db } from '../../kernel/db.ts';
import { once } from '../../kernel/documents.ts';
import { badInput, RegisterError } from '../../kernel/errors.ts';
import {
  parseBoardCode,
  parseBrin6,
  parseUuid,
  parseLocationCode,
  parseMunicipalityCode,
  parseOfferedProgrammeId,
  parsePostcode,
  parseProviderCode,
} from '../../kernel/ids/index.ts';
import { parseDay } from '../../kernel/scalars.ts';
import { parseText, textKinds } from '../../kernel/text.ts';
import type { Viewer } from '../../kernel/viewer.ts';
import { commit, parseHouseNumber } from './changes.ts';
import { addressKeyOf } from './codes.ts';
import type { Writes } from './events.ts';
import type { HistoryEntity } from './history.ts';
import { lockRio } from './import.ts';
import { board, branch, document, location, locationUse, offeredProgramme, provider } from './tables.ts';

/*
 * The operator's corrections of RIO (README, "RIO changes by boards"): any field of a board, provider,
 * location, branch, offered programme or location use, with a reason, recorded in the history as
 * `corrected` by the operator and written to the outbox (boards have no event). A correction holds for every day (history.ts). It leaves who
 * maintains the object as it is, unless it hands the object back to the school file
 * (`returnToFile`), which then writes it again from the next file on (rules.ts).
 */

type Parsers = Record<string, (value: string, field: string) => string>;

const day = (value: string, field: string) => parseDay(value, field);
const name = (value: string, field: string) => {
  const text = parseText(value, field, textKinds.organisationName);
  if (!text) throw badInput(field, 'A name cannot be empty');
  return text;
};
const label = (value: string, field: string) => parseText(value, field, textKinds.label);
const place = (value: string, field: string) => {
  const text = parseText(value, field, textKinds.placeName);
  if (!text) throw badInput(field, 'Cannot be empty');
  return text;
};

interface Target {
  entity: HistoryEntity;
  table: PgTable;
  key: PgColumn;
  parseKey: (value: string, field: string) => string;
  keyField: string;
  /** The fields that may be corrected, each with its parser. */
  fields: Parsers;
  /** Those of them that may also be set to null. */
  nullable: readonly string[];
  writes: (row: never) => Writes;
}

const targets = {
  provider: {
    entity: 'providers',
    table: provider,
    key: provider.code,
    parseKey: parseProviderCode,
    keyField: 'code',
    fields: { name, nameInUse: name, boardCode: parseBoardCode, startDate: day, endDate: day },
    nullable: ['nameInUse', 'startDate', 'endDate'],
    writes: (row: InferSelectModel<typeof provider>) => ({ providers: [row] }),
  },
  location: {
    entity: 'locations',
    table: location,
    key: location.code,
    parseKey: parseLocationCode,
    keyField: 'code',
    fields: {
      street: place,
      houseNumber: parseHouseNumber,
      postcode: parsePostcode,
      city: place,
      municipalityCode: parseMunicipalityCode,
      startDate: day,
      endDate: day,
    },
    nullable: ['startDate', 'endDate'],
    writes: (row: InferSelectModel<typeof location>) => ({ locations: [row] }),
  },
  offeredProgramme: {
    entity: 'programmes',
    table: offeredProgramme,
    key: offeredProgramme.id,
    parseKey: parseOfferedProgrammeId,
    keyField: 'id',
    fields: { name, startDate: day, endDate: day },
    nullable: ['startDate', 'endDate'],
    writes: (row: InferSelectModel<typeof offeredProgramme>) => ({ programmes: [row] }),
  },
  // The file carries no board names (README, Institutions): a correction names a board, and the file keeps the name.
  board: {
    entity: 'boards',
    table: board,
    key: board.code,
    parseKey: parseBoardCode,
    keyField: 'code',
    fields: { name, startDate: day, endDate: day },
    nullable: ['name', 'startDate', 'endDate'],
    // Boards have no event: no reader copies them (events.ts).
    writes: () => ({}),
  },
  // A recognition is the file's: the next file that says otherwise writes it again (rules.ts).
  branch: {
    entity: 'branches',
    table: branch,
    key: branch.brin6,
    parseKey: parseBrin6,
    keyField: 'brin6',
    fields: {
      name,
      denomination: label,
      phone: (value: string, field: string) => parseText(value, field, textKinds.phone),
      website: name,
      startDate: day,
      endDate: day,
    },
    nullable: ['denomination', 'phone', 'website', 'startDate', 'endDate'],
    writes: (row: InferSelectModel<typeof branch>) => ({ branches: [row] }),
  },
  locationUse: {
    entity: 'locationUses',
    table: locationUse,
    key: locationUse.id,
    parseKey: (value: string, field: string) => parseUuid(value, field, 'a location use id'),
    keyField: 'id',
    fields: { startDate: day, endDate: day },
    nullable: ['endDate'],
    writes: (row: InferSelectModel<typeof locationUse>) => ({ locationUses: [row] }),
  },
} as const;

export type CorrectionTarget = keyof typeof targets;

export interface CorrectRioInput {
  documentId: string;
  reason: string;
  provider?: Record<string, unknown> | null;
  location?: Record<string, unknown> | null;
  offeredProgramme?: Record<string, unknown> | null;
  board?: Record<string, unknown> | null;
  branch?: Record<string, unknown> | null;
  locationUse?: Record<string, unknown> | null;
}

export async function correctRio(db: Db, viewer: Viewer, input: CorrectRioInput): Promise<{ target: CorrectionTarget; key: string; changeId: number }> {
  if (viewer.role !== 'OPERATOR') throw new RegisterError('FORBIDDEN', 'Only the register operator corrects RIO; a board changes its own objects');
  return once(db, document, 'operator', 'correctRio', input, async (tx) => {
    const given = (Object.keys(targets) as CorrectionTarget[]).filter((target) => input[target] != null);
    if (given.length !== 1) throw badInput('provider', `Give exactly one of ${Object.keys(targets).join(', ')}`);
    const targetName = given[0]!;
    const target = targets[targetName] as unknown as Target;
    const correction = input[targetName]!;
    const reason = parseText(input.reason, 'reason', textKinds.remark);
    if (!reason) throw badInput('reason', 'A correction needs its reason');
    await lockRio(tx);
    const key = target.parseKey(String(correction[target.keyField]), `${targetName}.${target.keyField}`);
    const [row] = (await tx.select().from(target.table).where(eq(target.key, key)).for('update')) as Record<string, unknown>[];
    if (!row) throw new RegisterError('NOT_FOUND', `RIO knows no ${targetName} ${key}`, `${targetName}.${target.keyField}`);
    const next = { ...row };
    for (const [field, parse] of Object.entries(target.fields)) {
      if (!(field in correction) || correction[field] === undefined) continue;
      const value = correction[field];
      if (value === null && !target.nullable.includes(field)) throw badInput(`${targetName}.${field}`, `${field} cannot be emptied`);
      next[field] = value === null ? null : parse(String(value), `${targetName}.${field}`);
    }
    await checkCorrected(tx, targetName, row, next);
    if (correction.returnToFile === true) next.maintainer = null;
    const fields = Object.keys(next).filter((field) => next[field] !== row[field]);
    if (fields.length === 0) throw badInput(targetName, 'The correction changes nothing');
    await tx.update(target.table).set(next).where(eq(target.key, key));
    const pick = (source: Record<string, unknown>) => Object.fromEntries(fields.map((field) => [field, source[field]]));
    const [changeId] = await commit(tx, { actor: 'operator', reason }, target.writes(next as never), [
      { entity: target.entity, key, change: 'corrected', before: pick(row), after: pick(next), effectiveOn: null },
    ]);
    return { target: targetName, key, changeId: changeId! };
  });
}

/** What must still hold after a correction: a period that runs forward, a board that exists, one location per address. */
async function checkCorrected(tx: Db, target: CorrectionTarget, row: Record<string, unknown>, next: Record<string, unknown>): Promise<void> {
  const { startDate, endDate } = next as { startDate: string | null; endDate: string | null };
  if (startDate !== null && endDate !== null && endDate < startDate)
    throw badInput(`${target}.endDate`, `The end date ${endDate} is before the start date ${startDate}`);
  if (target === 'provider' && next.boardCode !== row.boardCode) {
    const [known] = await tx
      .select({ code: board.code })
      .from(board)
      .where(eq(board.code, next.boardCode as string));
    if (!known) throw new RegisterError('NOT_FOUND', `RIO knows no board ${String(next.boardCode)}`, 'provider.boardCode');
  }
  if (target === 'location') {
    // Only the fields given were parsed: an address the file wrote in a form of its own (3-A/B) stays as it is.
    next.addressKey = addressKeyOf(next.postcode as string, next.houseNumber as string);
    if (next.addressKey !== row.addressKey) {
      const [other] = await tx
        .select({ code: location.code })
        .from(location)
        .where(eq(location.addressKey, next.addressKey as string));
      if (other)
        throw new RegisterError('CONFLICT', `Location ${other.code} has that address; one location per address (docs/domain.md §2.1)`, 'location.postcode');
    }
  }
}

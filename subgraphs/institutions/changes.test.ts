import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../kernel/migrations.ts';
import type { Viewer } from '../../kernel/viewer.ts';
import { testDatabase } from '../../test/harness.ts';
import { endOfferedProgramme, registerLocation, registerOfferedProgramme, renameProvider } from './changes.ts';
import { offeredProgrammeIdFor } from './codes.ts';
import { correctRio } from './corrections.ts';
import { bundledSchoolFile, importSchoolFile } from './import.ts';
import { branch, change, location, locationUse, offeredProgramme, provider } from './tables.ts';

/*
 * The rule between DUO's monthly school file and boards' changes (rules.ts, `planImport`; README, "RIO
 * changes by boards"), case by case: the file keeps writing what no board changed; what a board changed
 * it maintains, and the file's other view of it is recorded as a difference, not applied, until the
 * operator hands the object back to the file.
 */

const eenspan = { provider: '010A823', location: '646X831' }; // 16AH00, board 42830 (042B830)
const board: Viewer = { role: 'BOARD', board: '042B830' };
const operator: Viewer = { role: 'OPERATOR' };
const fileProgramme = offeredProgrammeIdFor(eenspan.provider, eenspan.location, 'BASISONDERWIJS');
// Written as the school file writes a town, so that the street is the one difference at number 60.
const address = (houseNumber: string) => ({ street: 'Nieuwe Schoolstraat', houseNumber, postcode: '7822 HH', city: 'EMMEN', municipalityCode: '0114' });

// The bundled file with its edits, as the next month's; latin1 keeps its Windows-1252 bytes one to one.
async function nextFile(edit: (fields: string[][]) => string[][]): Promise<string> {
  const lines = (await readFile(bundledSchoolFile)).toString('latin1').split('\r\n');
  const [header, ...rows] = lines.filter((line) => line !== '');
  const edited = edit(rows.map((line) => line.split(';'))).map((fields) => fields.join(';'));
  const file = path.join(await mkdtemp(path.join(tmpdir(), 'school-file-')), 'next-month.csv');
  await writeFile(file, Buffer.from([header, ...edited, ''].join('\r\n'), 'latin1'));
  return file;
}

/** A register loaded from the bundled file on 1 August, after the board's changes of September, and the next month's file. */
async function boardChangedRegister() {
  const database = await testDatabase();
  await migrate(database, 'institutions');
  await importSchoolFile(database.db, bundledSchoolFile, { referenceDate: '2026-08-01' });
  const { db } = database;
  // The board renames its provider, opens two locations with a programme at one, and ends the file's programme at its address.
  await renameProvider(db, board, { documentId: 'rename', providerCode: eenspan.provider, name: 'OBS Het Nieuwe Eenspan', startDate: '2026-09-01' });
  const at60 = await registerLocation(db, board, { documentId: 'at-60', brin6: '16AH00', address: address('60'), startDate: '2026-09-01' });
  const at61 = await registerLocation(db, board, { documentId: 'at-61', brin6: '16AH00', address: address('61'), startDate: '2026-09-01' });
  const uses = await db.select().from(locationUse);
  const codeAt60 = uses.find((use) => use.id === at60.locationUseId)!.locationCode;
  const codeAt61 = uses.find((use) => use.id === at61.locationUseId)!.locationCode;
  const offered = await registerOfferedProgramme(db, board, {
    documentId: 'offer',
    providerCode: eenspan.provider,
    locationCode: codeAt60,
    kind: 'BASISONDERWIJS',
    startDate: '2026-09-01',
  });
  await endOfferedProgramme(db, board, { documentId: 'end', offeredProgrammeId: fileProgramme, endDate: '2026-09-30' });
  // The next file: 16AH00 under another board and with another name, a new vestiging 16AH01 at the
  // board's location at number 60 (its street as the file writes it), and 03GR01 renamed.
  const file = await nextFile((rows) => {
    const otherBoard = rows.find((fields) => fields[3] === '03WU00')![1]!;
    const edit = (fields: string[], changes: Record<number, string>) => fields.map((value, i) => changes[i] ?? value);
    const next = rows.map((fields) =>
      fields[3] === '16AH00'
        ? edit(fields, { 1: otherBoard, 4: "OBS 't Eenspan (DUO)" })
        : fields[3] === '03GR01'
          ? edit(fields, { 4: 'Het Mozaiek Hollandscheveld' })
          : fields,
    );
    const main = next.find((fields) => fields[3] === '16AH00')!;
    return [...next, edit(main, { 3: '16AH01', 4: 'Eenspan dependance', 6: '60', 7: '7822 HH' })];
  });
  await importSchoolFile(db, file, { referenceDate: '2026-10-01' });
  return { database, file, ids: { codeAt60, codeAt61, programme: offered.offeredProgrammeId } };
}

type Register = Awaited<ReturnType<typeof boardChangedRegister>>;

const differences = (register: Register, entity: string, key: string) =>
  register.database.db
    .select({ before: change.before, after: change.after })
    .from(change)
    .where(and(eq(change.entity, entity), eq(change.key, key), eq(change.change, 'differs')));

const providerRow = async (register: Register) => (await register.database.db.select().from(provider).where(eq(provider.code, eenspan.provider)))[0]!;

describe('the monthly school file after boards changed RIO', () => {
  let register: Register;
  beforeAll(async () => {
    register = await boardChangedRegister();
  });
  afterAll(() => register?.database.drop());

  it("keeps the board's name and board for a provider it maintains, and records where the file differs", async () => {
    expect(await providerRow(register)).toMatchObject({ name: 'OBS Het Nieuwe Eenspan', boardCode: '042B830', maintainer: 'board/042B830' });
    const [difference] = await differences(register, 'providers', eenspan.provider);
    expect(difference!.before).toEqual({ boardCode: '042B830', name: 'OBS Het Nieuwe Eenspan' });
    expect(difference!.after).toMatchObject({ name: "OBS 't Eenspan (DUO)" });
    expect((difference!.after as { boardCode: string }).boardCode).not.toBe('042B830');
  });

  it('still applies the file to what no board changed', async () => {
    const [renamed] = await register.database.db.select().from(branch).where(eq(branch.brin6, '03GR01'));
    expect(renamed!.name).toBe('Het Mozaiek Hollandscheveld');
  });

  it("gives a new vestiging at a board's location that location's code, and keeps the board's address data", async () => {
    const [annex] = await register.database.db.select().from(branch).where(eq(branch.brin6, '16AH01'));
    expect(annex!.locationCode).toBe(register.ids.codeAt60);
    const [place] = await register.database.db.select().from(location).where(eq(location.code, register.ids.codeAt60));
    expect(place).toMatchObject({ street: 'Nieuwe Schoolstraat', maintainer: 'board/042B830', endDate: null });
    expect(await differences(register, 'locations', register.ids.codeAt60)).toEqual([
      { before: { street: 'Nieuwe Schoolstraat' }, after: { street: 'Oosterstraat' } },
    ]);
  });

  it("takes the board's programme at a place as the one the file means there, rather than adding one", async () => {
    const there = await register.database.db.select().from(offeredProgramme).where(eq(offeredProgramme.locationCode, register.ids.codeAt60));
    expect(there.map((row) => row.id)).toEqual([register.ids.programme]);
  });

  it('keeps a programme the board ended ended, and a location the file does not list open, recording both', async () => {
    const [ended] = await register.database.db.select().from(offeredProgramme).where(eq(offeredProgramme.id, fileProgramme));
    expect(ended!.endDate).toBe('2026-09-30');
    expect(await differences(register, 'programmes', fileProgramme)).toEqual([{ before: { endDate: '2026-09-30' }, after: { endDate: null } }]);
    const [unlisted] = await register.database.db.select().from(location).where(eq(location.code, register.ids.codeAt61));
    expect(unlisted!.endDate).toBeNull();
    expect(await differences(register, 'locations', register.ids.codeAt61)).toEqual([{ before: { endDate: null }, after: { endDate: '2026-09-30' } }]);
  });
});

describe('an object the operator hands back to the school file', () => {
  let register: Register;
  beforeAll(async () => {
    register = await boardChangedRegister();
  });
  afterAll(() => register?.database.drop());

  it('applies the file again to an object the operator handed back to it', async () => {
    await correctRio(register.database.db, operator, {
      documentId: 'back',
      reason: 'DUO confirms the school moved to the other board',
      provider: { code: eenspan.provider, returnToFile: true },
    });
    expect((await providerRow(register)).maintainer).toBeNull();
    await importSchoolFile(register.database.db, register.file, { referenceDate: '2026-11-01' });
    const after = await providerRow(register);
    expect(after).toMatchObject({ name: "OBS 't Eenspan (DUO)", maintainer: null });
    expect(after.boardCode).not.toBe('042B830');
    const moves = await register.database.db
      .select({ change: change.change, actor: change.actor, effectiveOn: change.effectiveOn })
      .from(change)
      .where(and(eq(change.entity, 'providers'), eq(change.key, eenspan.provider)));
    expect(moves.slice(-3)).toEqual([
      { change: 'corrected', actor: 'operator', effectiveOn: null },
      { change: 'moved', actor: 'file/next-month.csv', effectiveOn: '2026-11-01' },
      { change: 'renamed', actor: 'file/next-month.csv', effectiveOn: '2026-11-01' },
    ]);
  });
});

import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { and, count, eq, isNull } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RegisterError } from '../../kernel/errors.ts';
import { migrate } from '../../kernel/migrations.ts';
import { testDatabase } from '../../test/harness.ts';
import { bundledSchoolFile, importSchoolFile } from './import.ts';
import { board, branch, change, importRun, location, offeredProgramme, provider } from './tables.ts';

// Edits the real file line by line, keeping its Windows-1252 bytes (latin1 maps bytes one to one).
async function editedCopy(edit: (lines: string[]) => string[]): Promise<string> {
  const lines = (await readFile(bundledSchoolFile)).toString('latin1').split('\r\n');
  const file = path.join(await mkdtemp(path.join(tmpdir(), 'school-file-')), 'next-month.csv');
  await writeFile(file, Buffer.from(edit(lines).join('\r\n'), 'latin1'));
  return file;
}

const lineOf = (lines: string[], brin6: string) => lines.findIndex((line) => line.split(';')[3] === brin6);
const withField = (line: string, index: number, value: string) =>
  line
    .split(';')
    .map((field, i) => (i === index ? value : field))
    .join(';');

describe('importing the DUO school file', () => {
  let database: Awaited<ReturnType<typeof testDatabase>>;
  const snapshot = async () => {
    const { db } = database;
    return Promise.all([board, provider, location, branch, offeredProgramme].map((table) => db.select().from(table)));
  };
  const rowsOf = async (table: PgTable) => (await database.db.select({ n: count() }).from(table))[0]!.n;

  // Each case starts from a register of its own, and imports up to where it begins.
  beforeEach(async () => {
    database = await testDatabase();
    await migrate(database, 'institutions');
  });
  afterEach(() => database.drop());
  const loadBundledFile = () => importSchoolFile(database.db, bundledSchoolFile, { referenceDate: '2026-08-01' });
  /** A newer school file, applied on 1 October: one branch new, one closed, one moved board, one renamed. */
  const applyNewerFile = async () => {
    const file = await editedCopy((lines) => {
      const next = [...lines];
      const eenspan = lineOf(next, '16AH00');
      const annex = withField(withField(withField(withField(next[eenspan]!, 3, '16AH01'), 4, 'Eenspan dependance'), 6, '60'), 7, '7822 HH');
      next.splice(eenspan + 1, 0, annex);
      next[lineOf(next, '16AJ00')] = withField(next[lineOf(next, '16AJ00')]!, 1, '42830');
      next[lineOf(next, '03GR01')] = withField(next[lineOf(next, '03GR01')]!, 4, 'Het Mozaiek Hollandscheveld');
      next.splice(lineOf(next, '03WU00'), 1);
      return next;
    });
    return importSchoolFile(database.db, file, { referenceDate: '2026-10-01' });
  };

  it('loads all 6,122 branches of 749 boards', async () => {
    const result = await loadBundledFile();
    expect(result.counts.branches).toEqual({ created: 6122 });
    expect(await rowsOf(branch)).toBe(6122);
    expect(await rowsOf(board)).toBe(749);
    expect(await rowsOf(provider)).toBe(6011);
    const [first] = await database.db.select().from(branch).where(eq(branch.brin6, '16AH00'));
    expect(first).toMatchObject({ name: "Openbare Basisschool 't Eenspan", providerCode: '010A823', startDate: null, endDate: null });
  });

  it('changes nothing when the same file is imported again', async () => {
    await loadBundledFile();
    const before = await snapshot();
    const runs = await rowsOf(importRun);
    const result = await importSchoolFile(database.db, bundledSchoolFile, { referenceDate: '2026-09-01' });
    expect(result.runId).toBeNull();
    expect(await snapshot()).toEqual(before);
    expect(await rowsOf(importRun)).toBe(runs);
  });

  it('applies a newer file as exactly its changes: one new, one closed, one moved board, one renamed', async () => {
    await loadBundledFile();
    const result = await applyNewerFile();
    expect(result.counts).toEqual({
      boards: {},
      providers: { closed: 1, moved: 1 },
      locations: { created: 1, closed: 1 },
      branches: { created: 1, closed: 1, renamed: 1 },
      programmes: { created: 1, closed: 1 },
      branchesMovedToAnotherBoard: 1,
    });

    const byBrin6 = async (brin6: string) => (await database.db.select().from(branch).where(eq(branch.brin6, brin6)))[0];
    expect(await byBrin6('16AH01')).toMatchObject({ providerCode: '010A823', startDate: '2026-10-01', endDate: null });
    expect(await byBrin6('03WU00')).toMatchObject({ endDate: '2026-09-30' });
    expect(await byBrin6('03GR01')).toMatchObject({ name: 'Het Mozaiek Hollandscheveld' });
    const [moved] = await database.db.select().from(provider).where(eq(provider.brin4, '16AJ'));
    expect(moved!.boardCode).toBe('042B830');
    expect(await rowsOf(branch)).toBe(6123);
    expect((await database.db.select({ n: count() }).from(branch).where(isNull(branch.endDate)))[0]!.n).toBe(6122);

    const history = await database.db
      .select()
      .from(change)
      .where(and(eq(change.key, '03GR01'), eq(change.runId, result.runId!)));
    expect(history).toEqual([
      expect.objectContaining({
        change: 'renamed',
        before: { name: 'Het Mozaiek' },
        after: { name: 'Het Mozaiek Hollandscheveld' },
        actor: 'file/next-month.csv',
        effectiveOn: '2026-10-01',
      }),
    ]);
  });

  it('refuses a file for an earlier date than one already applied, changing nothing', async () => {
    await loadBundledFile();
    await applyNewerFile();
    const before = await snapshot();
    const error = await importSchoolFile(database.db, bundledSchoolFile, { referenceDate: '2026-09-15' }).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(RegisterError);
    expect(error).toMatchObject({ code: 'CONFLICT', field: 'referenceDate' });
    expect(await snapshot()).toEqual(before);
  });

  it('refuses a file that would close most branches, changing nothing', async () => {
    await loadBundledFile();
    const before = await snapshot();
    const truncated = await editedCopy((lines) => lines.slice(0, 1001));
    await expect(importSchoolFile(database.db, truncated, { referenceDate: '2026-11-01' })).rejects.toMatchObject({ code: 'CONFLICT', field: 'file' });
    expect(await snapshot()).toEqual(before);
  });

  it('reopens a closed branch that a later file lists again', async () => {
    await loadBundledFile();
    await applyNewerFile();
    const result = await importSchoolFile(database.db, bundledSchoolFile, { referenceDate: '2026-11-01' });
    expect(result.counts.branches).toEqual({ closed: 1, reopened: 1, renamed: 1 });
    const [reopened] = await database.db.select().from(branch).where(eq(branch.brin6, '03WU00'));
    expect(reopened).toMatchObject({ startDate: null, endDate: null });
  });
});

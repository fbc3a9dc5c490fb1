import { and, desc, eq, inArray, sql, type SQL } from 'drizzle-orm';
import { rowsOf, type Db } from '../../kernel/db.ts';
import type { FundingReach } from './access.ts';
import { registrationExtension, rioObject, type RegistrationExtensionRow } from './tables.ts';

/*
 * Extensions of the registration term (Besluit bekostiging WPO 2022 art 7.3: the minister can extend
 * the term of art 7.2 for a school), as the operator records them (grant.ts). For a school and count
 * date the last one granted is in force: the enrollments of that school registered by its `until`
 * count (rules.ts, `deadlineFor`).
 */

/** The last day of each school's extension in force for the count date, by BRIN4. */
export async function extensionsInForce(db: Db, countDate: string): Promise<Map<string, string>> {
  const rows = rowsOf<{ brin4: string; until: string }>(
    await db.execute(sql`SELECT DISTINCT ON (brin4) brin4, until::text AS until FROM funding.registration_extension
      WHERE count_date = ${countDate}::date ORDER BY brin4, granted_at DESC`),
  );
  return new Map(rows.map((row) => [row.brin4, row.until]));
}

/** A grant as the API shows it: whether it is the one in force for its school and count date. */
export interface ExtensionValue extends RegistrationExtensionRow {
  inForce: boolean;
}

/**
 * The grants the viewer may read, newest count date first, then by school, the latest grant first:
 * a school its own (its BRIN4 with all its vestigingen), a board its schools', the operator all.
 */
export async function extensionsFor(db: Db, reach: FundingReach, countDate?: string): Promise<ExtensionValue[]> {
  const where: SQL[] = [];
  if (countDate !== undefined) where.push(eq(registrationExtension.countDate, countDate));
  if (reach.kind === 'school') where.push(eq(registrationExtension.brin4, reach.school.slice(0, 4)));
  if (reach.kind === 'board') {
    const schools = db
      .select({ brin4: sql<string>`${rioObject.brin4}` })
      .from(rioObject)
      .where(and(eq(rioObject.kind, 'PROVIDER'), eq(rioObject.boardCode, reach.boardCode)));
    where.push(inArray(registrationExtension.brin4, schools));
  }
  const rows = await db
    .select()
    .from(registrationExtension)
    .where(and(...where))
    .orderBy(desc(registrationExtension.countDate), registrationExtension.brin4, desc(registrationExtension.grantedAt), registrationExtension.id);
  const seen = new Set<string>();
  return rows.map((row) => {
    const key = `${row.countDate}/${row.brin4}`;
    const inForce = !seen.has(key);
    seen.add(key);
    return { ...row, inForce };
  });
}

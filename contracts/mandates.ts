import { and, eq, gte, inArray, isNull, lte, or, sql } from 'drizzle-orm';
import { date, pgSchema, text, uuid } from 'drizzle-orm/pg-core';
import { insertRows } from '../kernel/bulk.ts';
import type { Db } from '../kernel/db.ts';
import { RegisterError } from '../kernel/errors.ts';
import { readYourWrites, type StoredEvent } from '../kernel/events.ts';
import { schoolsCovering } from '../kernel/ids/index.ts';
import { today } from '../kernel/scalars.ts';
import type { Viewer } from '../kernel/viewer.ts';
import { asInstitutionsEvent, mandateEventTypes, type MandateState, type Service } from './institutions.ts';

/*
 * Every subgraph that serves vendors keeps its own copy of the OSR mandates, kept from the institutions
 * stream (MandateGranted, MandateEnded), and refuses a vendor without a mandate for its service at that
 * school on that day (docs/domain.md §8; docs/architecture.md, "Identity and access": a vendor may act
 * for a school only with a valid OSR mandate). The check is the subgraph's own, so it holds however the
 * subgraph is reached. Each subgraph's migration 0002 creates `<schema>.mandate` as `mandateCopyDdl`
 * below says, and `mandateCopy` declares it (those migrations name this file's former place,
 * subgraphs/institutions/mandates.ts); test/mandateCopy.test.ts holds the three to this text.
 *
 * A mandate is for one vestiging (its `brin6` column holds a BRIN6) or for a whole school, its main
 * vestiging with all its other vestigingen, present and future (the column holds the school's BRIN4;
 * contracts/institutions.ts, MandateState). A vendor acting for a vestiging needs a mandate for it or
 * for its whole school; one acting for a whole school needs a mandate for the whole school.
 */

/** The mandate copy's table, as a subgraph's migration creates it (for tests and documentation: migrations stay as they ran). */
export function mandateCopyDdl(schema: string): string {
  return `CREATE TABLE ${schema}.mandate (
  id uuid PRIMARY KEY,
  brin6 text NOT NULL,
  service text NOT NULL,
  vendor_oin text NOT NULL,
  start_date date NOT NULL,
  end_date date
);
CREATE INDEX mandate_vendor_school ON ${schema}.mandate (vendor_oin, brin6, service);
`;
}

export function mandateCopy(schemaName: string) {
  const schema = pgSchema(schemaName);
  const table = schema.table('mandate', {
    id: uuid('id').primaryKey(),
    brin6: text('brin6').notNull(),
    service: text('service').notNull(),
    vendorOin: text('vendor_oin').notNull(),
    startDate: date('start_date').notNull(),
    endDate: date('end_date'),
  });

  /** The last state of each mandate wins: events carry a mandate's full state. */
  async function handle(tx: Db, events: StoredEvent[]): Promise<void> {
    const latest = new Map<string, MandateState>();
    for (const event of events.map(asInstitutionsEvent)) {
      if (event.type !== 'MandateGranted' && event.type !== 'MandateEnded') continue;
      const { id, brin6, service, vendorOin, startDate, endDate } = event.payload;
      latest.set(id, { id, brin6, service, vendorOin, startDate, endDate });
    }
    await insertRows(tx, table, [...latest.values()], sql`ON CONFLICT (id) DO UPDATE SET start_date = excluded.start_date, end_date = excluded.end_date`);
  }

  // Only these two event types reach `handle`.
  const consumer = { stream: 'institutions', consumer: `${schemaName}.mandates`, cursorSchema: schemaName, types: [...mandateEventTypes], handle };

  async function inForce(db: Db, viewer: Extract<Viewer, { role: 'VENDOR' }>, service: Service, day: string): Promise<boolean> {
    const [row] = await db
      .select({ id: table.id })
      .from(table)
      .where(
        and(
          eq(table.vendorOin, viewer.vendorOin),
          inArray(table.brin6, schoolsCovering(viewer.school)),
          eq(table.service, service),
          lte(table.startDate, day),
          or(isNull(table.endDate), gte(table.endDate, day)),
        ),
      )
      .limit(1);
    return row !== undefined;
  }

  /**
   * Refuses a vendor acting for a school without a mandate for `service` today; other viewers pass.
   * A mandate granted a moment ago may not be in the copy yet: before refusing, the copy takes in
   * what the stream holds.
   */
  async function requireMandate(db: Db, viewer: Viewer, service: Service, now = new Date()): Promise<void> {
    if (viewer.role !== 'VENDOR') return;
    const day = today(now);
    if (await inForce(db, viewer, service, day)) return;
    await readYourWrites(db, consumer, 2_000);
    if (await inForce(db, viewer, service, day)) return;
    throw new RegisterError(
      'FORBIDDEN',
      `Vendor ${viewer.vendorOin} has no ${service} mandate for school ${viewer.school} on ${day} (OSR): the school's board grants it`,
    );
  }

  return { table, consumer, requireMandate };
}

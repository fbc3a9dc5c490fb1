import { randomUUID } from 'node:crypto';
import { and, eq, isNull, sql } from 'drizzle-orm';
import { rowsOf, type Db } from '../../kernel/db.ts';
import { once } from '../../kernel/documents.ts';
import { badInput, RegisterError } from '../../kernel/errors.ts';
import { appendEvents } from '../../kernel/events.ts';
import { isOnderwijsnummer, parseBsn, parseOnderwijsnummer } from '../../kernel/ids/index.ts';
import { today } from '../../kernel/scalars.ts';
import { coveredBy, notFound, vestigingFor } from '../../kernel/reach.ts';
import type { School } from './access.ts';
import { deliveryRow, parseDelivered, type Delivered, type DeliveredInput } from './deliveries.ts';
import { lockPgns } from './enroll.ts';
import { learnerIdentified, pgnReplaced } from './events.ts';
import { lockEnrollments, mergeLearners } from './merge.ts';
import { lockPersons } from './persons.ts';
import { lastOnderwijsnummerSerial, onderwijsnummerFor, type PostcodeAreas } from './rules.ts';
import { reconcileLearners, signalPgnReplaced } from './signals.ts';
import { delivery, document, enrollment, learner, learnerPgn, person, rioObject, type LearnerRow } from './tables.ts';

export interface IdentifyInput extends Omit<DeliveredInput, 'municipalityOverride'> {
  documentId: string;
  familyName: string;
  /** The vestiging that identifies the child: needed when the vendor acts for a whole school (a BRIN4). */
  brin6?: string | null;
}

/**
 * The vestiging whose identification this is (a delivery is a vestiging's, docs/domain.md §2.2): the
 * one the vendor acts for, or, acting for a whole school, the one the input names, which must be one
 * of that school's vestigingen the register knows from RIO.
 */
async function identifyingVestiging(tx: Db, school: string, given: string | null | undefined): Promise<string> {
  const brin6 = vestigingFor(school, given);
  if (brin6 === school) return brin6;
  const [known] = await tx
    .select({ code: rioObject.code })
    .from(rioObject)
    .where(and(eq(rioObject.kind, 'BRANCH'), eq(rioObject.code, brin6)));
  if (!known) throw new RegisterError('NOT_FOUND', `RIO knows no vestiging ${brin6}`, 'brin6');
  return brin6;
}

/**
 * A child without a PGN (WPO art 40b.3-4: DUO returns the BSN, or a new onderwijsnummer). The
 * register first asks the person source, which stands in for the BRP: exactly one living person
 * with the delivered birth date, gender, family name and postcode (and given names where both have
 * them) is the child, and the answer is that BSN's learner, made when the register does not know it
 * yet. Else it looks among the learners it knows without a BSN, by what schools delivered about
 * them, and answers the onderwijsnummer it already gave on a unique match, so that a child
 * identified at two schools has one number and counts once (DUO re-uses an existing onderwijsnummer
 * to avoid double registration, docs/domain.md §4). Without a match it issues a new one, never given
 * before. Several matches, in either, are AMBIGUOUS: the school learns only that, never another
 * school's data or a person's. Either way the school's identification is its delivery, which it
 * alone reads.
 */
export function identifyLearner(db: Db, school: School, input: IdentifyInput, areas: PostcodeAreas) {
  return once(db, document, school.sender, 'identifyLearner', input, async (tx) => {
    const brin6 = await identifyingVestiging(tx, school.school, input.brin6);
    const delivered = parseDelivered(input);
    if (delivered.familyName === null) throw badInput('familyName', 'A child without a PGN is identified by its family name, among others');
    // Two identifications of one child at once must not both miss the other and issue two numbers.
    await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtext('identify ' || ${delivered.birthDate}))`);
    const now = new Date();
    const held = (await registeredChild(tx, delivered, now)) ?? (await knownChild(tx, delivered, now));
    const row = deliveryRow({ learnerId: held.id, brin6, enrollmentId: null, pgn: held.pgn }, delivered, areas, now);
    const { id: _new, absorbedFrom: _absorbed, ...update } = row;
    await tx
      .insert(delivery)
      .values(row)
      .onConflictDoUpdate({ target: [delivery.learnerId, delivery.brin6], targetWhere: isNull(delivery.enrollmentId), set: update });
    await appendEvents(tx, 'learners', [learnerIdentified({ learnerId: held.id, pgn: held.pgn }, brin6)]);
    return { learnerId: held.id };
  });
}

const ambiguous = () =>
  new RegisterError(
    'AMBIGUOUS',
    'More than one child matches these data; identify the child with its given names too, or enroll it with its BSN when it has one',
  );

/**
 * The learner of the one living person in the person source these data describe, made when the
 * register does not know the BSN yet; null when no person matches. The person source alone decides,
 * so the answer says nothing of what schools know. Locks the BSN as enrolling does (enroll.ts).
 */
async function registeredChild(tx: Db, delivered: Delivered, now: Date): Promise<LearnerRow | null> {
  const givenNames =
    delivered.givenNames === null ? sql`true` : sql`(p.given_names IS NULL OR ${folded(sql`p.given_names`)} = ${folded(sql`${delivered.givenNames}::text`)})`;
  const persons = rowsOf<{ bsn: string }>(
    await tx.execute(sql`SELECT p.bsn FROM learners.person p
      WHERE p.birth_date = ${delivered.birthDate}::date AND p.gender = ${delivered.gender} AND p.postcode = ${delivered.postcode}
        AND ${folded(sql`p.family_name`)} = ${folded(sql`${delivered.familyName}::text`)} AND ${givenNames} AND p.deceased_on IS NULL
      ORDER BY p.bsn LIMIT 2`),
  );
  if (persons.length > 1) throw ambiguous();
  if (persons.length === 0) return null;
  const bsn = persons[0]!.bsn;
  await lockPgns(tx, [bsn]);
  const [held] = await tx.select({ learner }).from(learnerPgn).innerJoin(learner, eq(learner.id, learnerPgn.learnerId)).where(eq(learnerPgn.pgn, bsn));
  if (held) return held.learner;
  const made: LearnerRow = { id: randomUUID(), pgn: bsn, pgnKind: 'BSN', createdAt: now, updatedAt: now };
  await tx.insert(learner).values(made);
  await tx.insert(learnerPgn).values({ pgn: bsn, learnerId: made.id, kind: 'BSN', assignedAt: now });
  return made;
}

/** The learner known without a BSN that these data describe, or a new one with a new onderwijsnummer. */
async function knownChild(tx: Db, delivered: Delivered, now: Date): Promise<LearnerRow> {
  const matches = await knownChildren(tx, delivered);
  if (matches.length > 1) throw ambiguous();
  if (matches[0]) return matches[0];
  const made: LearnerRow = { id: randomUUID(), pgn: await issueOnderwijsnummer(tx), pgnKind: 'ONDERWIJSNUMMER', createdAt: now, updatedAt: now };
  await tx.insert(learner).values(made);
  await tx.insert(learnerPgn).values({ pgn: made.pgn, learnerId: made.id, kind: 'ONDERWIJSNUMMER', assignedAt: now });
  return made;
}

/** How names compare when matching: case and runs of white space do not count. */
const folded = (column: unknown) => sql`lower(regexp_replace(trim(${column}), '\\s+', ' ', 'g'))`;

/**
 * The learners known by an onderwijsnummer (never given a BSN) of whom some school delivered this
 * birth date, gender, family name and postcode, and these given names where both sides have them.
 */
async function knownChildren(tx: Db, delivered: Delivered): Promise<LearnerRow[]> {
  const givenNames =
    delivered.givenNames === null ? sql`true` : sql`(d.given_names IS NULL OR ${folded(sql`d.given_names`)} = ${folded(sql`${delivered.givenNames}::text`)})`;
  return rowsOf<LearnerRow>(
    await tx.execute(sql`SELECT DISTINCT l.id, l.pgn, l.pgn_kind AS "pgnKind", l.created_at AS "createdAt", l.updated_at AS "updatedAt"
      FROM learners.delivery d JOIN learners.learner l ON l.id = d.learner_id
      WHERE d.birth_date = ${delivered.birthDate}::date AND d.gender = ${delivered.gender} AND d.postcode = ${delivered.postcode}
        AND ${folded(sql`d.family_name`)} = ${folded(sql`${delivered.familyName}::text`)} AND ${givenNames}
        AND l.pgn_kind = 'ONDERWIJSNUMMER'
      ORDER BY l.id`),
  );
}

/**
 * The next serial that gives a valid onderwijsnummer nobody holds or held (rules.ts, onderwijsnummerFor).
 * The sequence stops at the last serial; past it there is no number left to issue.
 */
async function issueOnderwijsnummer(tx: Db): Promise<string> {
  for (;;) {
    const [next] = rowsOf<{ serial: number | null }>(
      await tx.execute(
        sql`SELECT CASE WHEN last_value < ${lastOnderwijsnummerSerial} OR NOT is_called THEN nextval('learners.onderwijsnummer_serial')::int END AS serial FROM learners.onderwijsnummer_serial`,
      ),
    );
    if (next?.serial == null) throw new RegisterError('CONFLICT', 'No onderwijsnummer is left to issue: every serial has been used');
    const candidate = onderwijsnummerFor(next.serial);
    if (candidate === null) continue;
    const [held] = await tx.select({ pgn: learnerPgn.pgn }).from(learnerPgn).where(eq(learnerPgn.pgn, candidate));
    if (!held) return candidate;
  }
}

/**
 * A BSN that became known replaces the onderwijsnummer at once (WPO art 40b.5); the learner keeps
 * its enrollments, and the onderwijsnummer stays on record as a former PGN. Only a school where the
 * learner is enrolled (an enrollment not ended before today) may replace it: a school that knows the
 * number without enrolling the child, or whose enrollment has ended, may not change what every
 * other school knows the child by. Every other school with an enrollment under the old number gets
 * a PGN_REPLACED signal, and the learner's enrollments are reconciled with the person the BSN names.
 *
 * When another learner holds the BSN already, the two are one child and are merged (merge.ts): the
 * answer is the same as when nobody held it, so the school learns nothing of other schools.
 */
export function replacePgn(db: Db, school: School, input: { documentId: string; onderwijsnummer: string; bsn: string }) {
  return once(db, document, school.sender, 'replacePgn', input, async (tx) => {
    const from = parseOnderwijsnummer(input.onderwijsnummer, 'onderwijsnummer');
    const to = parseBsn(input.bsn, 'bsn');
    // As enroll.ts locks: the PGNs (which hold the learners' PGN rows still), then the person source.
    await lockPgns(tx, [from, to]);
    await lockPersons(tx, 'shared');
    const [held] = await tx.select({ learner }).from(learnerPgn).innerJoin(learner, eq(learner.id, learnerPgn.learnerId)).where(eq(learnerPgn.pgn, from));
    // The school's deliveries of the learner: its enrollments and its identification.
    const own = held
      ? await tx
          .select({ enrollmentId: delivery.enrollmentId, endDate: enrollment.endDate })
          .from(delivery)
          .leftJoin(enrollment, eq(enrollment.id, delivery.enrollmentId))
          .where(and(eq(delivery.learnerId, held.learner.id), coveredBy(delivery.brin6, school.school)))
      : [];
    if (!held || own.length === 0) throw notFound(`learner with onderwijsnummer ${from}`);
    if (!own.some((row) => row.enrollmentId !== null && (row.endDate === null || row.endDate >= today()))) {
      throw new RegisterError(
        'FORBIDDEN',
        'Only a school where the learner is enrolled now replaces the PGN: enroll the learner first, or ask the school where it is enrolled',
        'onderwijsnummer',
      );
    }
    const current = held.learner;
    if (current.pgn === to) return { learnerId: current.id };
    if (!isOnderwijsnummer(current.pgn)) throw new RegisterError('CONFLICT', `The learner's onderwijsnummer was already replaced by a BSN`, 'onderwijsnummer');
    // Before the first row lock or write, which takes a transaction id (merge.ts, lockEnrollments).
    await lockEnrollments(tx);
    const [holder] = await tx.select({ learnerId: learnerPgn.learnerId }).from(learnerPgn).where(eq(learnerPgn.pgn, to));
    const now = new Date();
    await tx
      .update(learnerPgn)
      .set({ replacedAt: now })
      .where(and(eq(learnerPgn.pgn, current.pgn), isNull(learnerPgn.replacedAt)));
    const merged = holder ? await mergeLearners(tx, { absorbed: holder.learnerId, kept: current.id, pgn: to }, now) : null;
    if (!holder) await tx.insert(learnerPgn).values({ pgn: to, learnerId: current.id, kind: 'BSN', assignedAt: now });
    await tx.update(learner).set({ pgn: to, pgnKind: 'BSN', updatedAt: now }).where(eq(learner.id, current.id));
    const [registered] = await tx.select({ birthDate: person.birthDate }).from(person).where(eq(person.bsn, to));
    const change = {
      learnerId: current.id,
      previousPgn: current.pgn,
      pgn: to,
      registeredBirthDate: registered?.birthDate ?? null,
      mergedLearnerId: holder?.learnerId ?? null,
      mergedEnrollmentIds: merged?.enrollmentIds ?? [],
    };
    await appendEvents(tx, 'learners', [pgnReplaced(change), ...(merged?.events ?? [])]);
    await signalPgnReplaced(tx, { learnerId: current.id, from: current.pgn, to, by: school.school }, now);
    await reconcileLearners(tx, [current.id], now);
    return { learnerId: current.id };
  });
}

import DataLoader from 'dataloader';
import { and, eq, isNotNull, or } from 'drizzle-orm';
import { anyOf, type Db } from '../../kernel/db.ts';
import { covers } from '../../kernel/ids/index.ts';
import { coveredBy } from '../../kernel/reach.ts';
import { delivery, enrollment, expulsion, learner, learnerPgn, mergedLearner, person, result, signal, transferNotice } from './tables.ts';

function groupBy<Row>(rows: Row[], key: (row: Row) => string): Map<string, Row[]> {
  const groups = new Map<string, Row[]>();
  for (const row of rows) {
    const group = groups.get(key(row));
    if (group) group.push(row);
    else groups.set(key(row), [row]);
  }
  return groups;
}

/**
 * For each `learnerId/school` (a vestiging's BRIN6 or a whole school's BRIN4): may that school see that
 * learner? Only if it delivered about them, at a vestiging it covers: it enrolls or enrolled them, or
 * asked their onderwijsnummer (docs/domain.md §10: a school gets only its own learners' data).
 */
export async function learnersVisibleTo(db: Db, keys: readonly string[]): Promise<boolean[]> {
  const pairs = keys.map((key) => key.split('/') as [string, string]);
  const ids = [...new Set(pairs.map(([id]) => id))];
  const schools = [...new Set(pairs.map(([, school]) => school))];
  const delivered = await db
    .selectDistinct({ learnerId: delivery.learnerId, brin6: delivery.brin6 })
    .from(delivery)
    .where(and(anyOf(delivery.learnerId, ids), or(...schools.map((school) => coveredBy(delivery.brin6, school)))));
  return pairs.map(([id, school]) => delivered.some((row) => row.learnerId === id && covers(school, row.brin6)));
}

/** A loader of the row whose `key` is each asked key, or null. */
function one<Row>(rowsOf: (keys: string[]) => Promise<Row[]>, key: (row: Row) => string) {
  return new DataLoader(async (keys: readonly string[]) => {
    const rows = new Map((await rowsOf([...keys])).map((row) => [key(row), row]));
    return keys.map((k) => rows.get(k) ?? null);
  });
}

/** A loader of the rows whose `key` is each asked key, in the order `rowsOf` gives them. */
function many<Row>(rowsOf: (keys: string[]) => Promise<Row[]>, key: (row: Row) => string) {
  return new DataLoader(async (keys: readonly string[]) => {
    const groups = groupBy(await rowsOf([...keys]), key);
    return keys.map((k) => groups.get(k) ?? []);
  });
}

/** Per-request loaders: every reference to a learner, enrollment or notice in one request is one batched query. */
export function learnerLoaders(db: Db) {
  return {
    /** A learner by id, also by the id of a learner folded into it (merge.ts): a reference by the old id still finds it. */
    learner: new DataLoader(async (ids: readonly string[]) => {
      const rows = new Map(
        (
          await db
            .select()
            .from(learner)
            .where(anyOf(learner.id, [...ids]))
        ).map((row) => [row.id, row]),
      );
      const folded = ids.filter((id) => !rows.has(id));
      if (folded.length) {
        const merged = await db
          .select({ id: mergedLearner.id, learner })
          .from(mergedLearner)
          .innerJoin(learner, eq(learner.id, mergedLearner.intoLearnerId))
          .where(anyOf(mergedLearner.id, folded));
        for (const row of merged) rows.set(row.id, row.learner);
      }
      return ids.map((id) => rows.get(id) ?? null);
    }),
    enrollment: one(
      (ids) => db.select().from(enrollment).where(anyOf(enrollment.id, ids)),
      (row) => row.id,
    ),
    transferNotice: one(
      (ids) => db.select().from(transferNotice).where(anyOf(transferNotice.id, ids)),
      (row) => row.id,
    ),
    enrollmentsOfLearner: many(
      (ids) => db.select().from(enrollment).where(anyOf(enrollment.learnerId, ids)).orderBy(enrollment.startDate, enrollment.id),
      (row) => row.learnerId,
    ),
    resultsOfEnrollment: many(
      (ids) => db.select().from(result).where(anyOf(result.enrollmentId, ids)).orderBy(result.schoolYear),
      (row) => row.enrollmentId,
    ),
    formerPgnsOfLearner: many(
      (ids) =>
        db
          .select()
          .from(learnerPgn)
          .where(and(anyOf(learnerPgn.learnerId, ids), isNotNull(learnerPgn.replacedAt)))
          .orderBy(learnerPgn.replacedAt),
      (row) => row.learnerId,
    ),
    deliveriesOfLearner: many(
      (ids) => db.select().from(delivery).where(anyOf(delivery.learnerId, ids)).orderBy(delivery.deliveredAt),
      (row) => row.learnerId,
    ),
    deliveryOfEnrollment: one(
      (ids) => db.select().from(delivery).where(anyOf(delivery.enrollmentId, ids)),
      (row) => row.enrollmentId!,
    ),
    /** The person source's person by BSN. */
    person: one(
      (bsns) => db.select().from(person).where(anyOf(person.bsn, bsns)),
      (row) => row.bsn,
    ),
    signal: one(
      (ids) => db.select().from(signal).where(anyOf(signal.id, ids)),
      (row) => row.id,
    ),
    expulsion: one(
      (ids) => db.select().from(expulsion).where(anyOf(expulsion.id, ids)),
      (row) => row.id,
    ),
    expulsionsOfEnrollment: many(
      (ids) => db.select().from(expulsion).where(anyOf(expulsion.enrollmentId, ids)).orderBy(expulsion.startedAt, expulsion.id),
      (row) => row.enrollmentId,
    ),
    /** Keyed `learnerId/brin6`: may that school see that learner? */
    learnerVisibleTo: new DataLoader((keys: readonly string[]) => learnersVisibleTo(db, keys)),
  };
}

export type LearnerLoaders = ReturnType<typeof learnerLoaders>;

import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { rowsOf, type Db } from '../../kernel/db.ts';
import { once } from '../../kernel/documents.ts';
import { badInput, RegisterError } from '../../kernel/errors.ts';
import { appendEvents, lockCursor } from '../../kernel/events.ts';
import { parseBrin4 } from '../../kernel/ids/brin.ts';
import { coveredBy } from '../../kernel/reach.ts';
import { parseDay } from '../../kernel/scalars.ts';
import { parseText, textKinds } from '../../kernel/text.ts';
import type { Viewer } from '../../kernel/viewer.ts';
import { mustOperate } from './access.ts';
import { reassess } from './assess.ts';
import { registrationExtensionGranted } from './events.ts';
import { learnersConsumer, rioConsumer } from './copy.ts';
import { parseCountDate, registrationDeadline } from './rules.ts';
import { document, registrationExtension } from './tables.ts';

export interface GrantExtensionInput {
  documentId: string;
  /** The school's BRIN4. */
  school: string;
  countDate: string;
  until: string;
  reason: string;
}

/**
 * Records an extension of the registration term for a school (Besluit bekostiging WPO 2022 art 7.3:
 * the minister's decision, which the operator enters with its reason): from then on the school's
 * enrollments registered by `until` count for the count date (rules.ts, `deadlineFor`), and the
 * statuses of a count date kept PROVISIONAL are assessed again at once. Once, per document id. Refused:
 * a day not after the term of art 7.2 (that is no extension), a school funding's copy of RIO does not
 * know, no reason, a count date already run (its statuses are final).
 */
export async function grantRegistrationExtension(db: Db, viewer: Viewer, input: GrantExtensionInput): Promise<{ id: string }> {
  mustOperate(viewer, 'grants an extension of the registration term');
  return once(db, document, 'operator', 'grantRegistrationExtension', input, async (tx) => {
    const countDate = parseCountDate(input.countDate);
    const brin4 = parseBrin4(input.school, 'school');
    const until = parseDay(input.until, 'until');
    const reason = parseText(input.reason, 'reason', textKinds.remark);
    if (reason === '') throw badInput('reason', "An extension is recorded with its reason: the minister's decision under art 7.3 and why");
    const deadline = registrationDeadline(countDate);
    if (until <= deadline) {
      throw badInput(
        'until',
        `The registration term of count date ${countDate} runs until ${deadline} (art 7.2): an extension ends after that day, not on ${until}`,
      );
    }
    const known = rowsOf(await tx.execute(sql`SELECT 1 FROM funding.rio_object WHERE kind = 'PROVIDER' AND brin4 = ${brin4} LIMIT 1`));
    if (known.length === 0) throw new RegisterError('NOT_FOUND', `No school ${brin4} in RIO`, 'school');
    // Holds both consumers still, as the count-date run does: no status is assessed without the
    // extension once it is recorded, and none with it before.
    await lockCursor(tx, learnersConsumer);
    await lockCursor(tx, rioConsumer);
    const [kept] = rowsOf<{ phase: string }>(await tx.execute(sql`SELECT phase FROM funding.count_date WHERE count_date = ${countDate} FOR UPDATE`));
    if (kept?.phase === 'FINAL') throw new RegisterError('CONFLICT', `Count date ${countDate} has been run already; its statuses are final`, 'countDate');
    const id = randomUUID();
    await tx.insert(registrationExtension).values({ id, countDate, brin4, until, reason, documentId: input.documentId, grantedAt: new Date() });
    await appendEvents(tx, 'funding', [registrationExtensionGranted(countDate, brin4, until)]);
    if (kept) {
      const learners = rowsOf<{ learner_id: string }>(
        await tx.execute(sql`SELECT DISTINCT learner_id FROM funding.enrollment WHERE ${coveredBy(sql`brin6`, brin4)}`),
      );
      await reassess(
        tx,
        learners.map((row) => row.learner_id),
        [countDate],
      );
    }
    return { id };
  });
}

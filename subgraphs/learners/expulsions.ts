import { randomUUID } from 'node:crypto';
import { and, eq, inArray } from 'drizzle-orm';
import type { Db } from '../../kernel/db.ts';
import { once } from '../../kernel/documents.ts';
import { badInput, RegisterError } from '../../kernel/errors.ts';
import { appendEvents } from '../../kernel/events.ts';
import { parseUuid } from '../../kernel/ids/index.ts';
import { lockOwn, type School } from './access.ts';
import { parseDay, today } from '../../kernel/scalars.ts';
import { parseText, textKinds } from '../../kernel/text.ts';
import { end, ownEnrollment, type Owned } from './changes.ts';
import { expulsionEvent, residenceCode } from './events.ts';
import { checkEndDate } from './rules.ts';
import { document, expulsion, type ExpulsionRow } from './tables.ts';

/*
 * Expulsion (verwijdering) as its legal steps, each a business document from the school:
 *
 *   intendExpulsion -> recordExpulsionHearing (the group teacher, the parents) -> decideExpulsion
 *     -> executeExpulsion (ends the enrollment, EXPELLED) | withdrawExpulsion (before it is executed)
 *
 * WPO art 40.11 (text of 2025-01-01, and 2026-08-01): "Voordat wordt besloten tot verwijdering hoort
 * het bevoegd gezag de betrokken groepsleraar en de ouders van de leerling. Definitieve verwijdering van
 * een leerling vindt niet plaats dan nadat het bevoegd gezag ervoor heeft zorg gedragen dat een andere
 * school bereid is de leerling toe te laten", where another school may be a school for special
 * education. The po text has no route to definitive expulsion after weeks of searching in vain, so the
 * register has none. LPW art 18.1: the head reports a decision to expel at once to the municipality;
 * the register does so by the decision itself, which the municipality of residence reads from then on
 * (the expulsions query, residentEnrollmentChanged). A step out of order is CONFLICT and changes nothing.
 */

const open: readonly ExpulsionRow['status'][] = ['INTENDED', 'DECIDED'];

const expulsionId = (value: string) => parseUuid(value, 'expulsionId', 'an expulsion id');

/** A day that has come: a hearing, a decision or a school's willingness is recorded after it happened. */
function pastDay(value: string, field: string): string {
  const day = parseDay(value, field);
  if (day > today()) throw badInput(field, `${day} is in the future: record a step once it has happened`);
  return day;
}

/** The school's own expulsion, locked; any other id does not exist for the school. */
const ownExpulsion = (tx: Db, school: School, id: string): Promise<ExpulsionRow> => lockOwn(tx, expulsion, school, id, 'expulsion');

function conflict(message: string, field = 'expulsionId'): RegisterError {
  return new RegisterError('CONFLICT', message, field);
}

/** Refuses a step on an expulsion that is not in `status`, saying where it stands. */
function expectStatus(row: ExpulsionRow, status: ExpulsionRow['status'], step: string): void {
  if (row.status === status) return;
  if (row.status === 'EXECUTED' || row.status === 'WITHDRAWN') throw conflict(`Expulsion ${row.id} was ${row.status.toLowerCase()} already`);
  const why = row.status === 'INTENDED' ? 'it is not decided yet (decideExpulsion)' : 'it is decided already';
  throw conflict(`Expulsion ${row.id} is ${row.status.toLowerCase()}: ${step}, but ${why}`);
}

async function save(tx: Db, row: ExpulsionRow, changes: Partial<ExpulsionRow>): Promise<ExpulsionRow> {
  const next = { ...row, ...changes, updatedAt: new Date() };
  await tx.update(expulsion).set(next).where(eq(expulsion.id, row.id));
  return next;
}

/** The residence the enrollment's decision is reported to (LPW art 18.1): the person source's, else its delivery's. */
const residenceOf = (owned: Owned) => residenceCode({ delivery: owned.delivery, registered: owned.person });

export interface IntendExpulsionInput {
  documentId: string;
  enrollmentId: string;
  grounds: string;
}

/** The school means to expel: the procedure starts, for the school's eyes only until it decides. */
export function intendExpulsion(db: Db, school: School, input: IntendExpulsionInput) {
  return once(db, document, school.sender, 'intendExpulsion', input, async (tx) => {
    const owned = await ownEnrollment(tx, school, parseUuid(input.enrollmentId, 'enrollmentId', 'an enrollment id'));
    const grounds = parseText(input.grounds, 'grounds', textKinds.remark);
    if (!grounds) throw badInput('grounds', 'Give the grounds for the intended expulsion');
    if (owned.row.endDate !== null && owned.row.endDate < today())
      throw conflict(`Enrollment ${owned.row.id} ended on ${owned.row.endDate}: there is no pupil to expel`, 'enrollmentId');
    const [standing] = await tx
      .select({ id: expulsion.id })
      .from(expulsion)
      .where(and(eq(expulsion.enrollmentId, owned.row.id), inArray(expulsion.status, [...open])));
    if (standing) throw conflict(`Enrollment ${owned.row.id} has an expulsion under way already: ${standing.id}`, 'enrollmentId');
    const now = new Date();
    const row: ExpulsionRow = {
      id: randomUUID(),
      enrollmentId: owned.row.id,
      learnerId: owned.row.learnerId,
      brin6: owned.row.brin6,
      status: 'INTENDED',
      grounds,
      groupTeacherHeardOn: null,
      parentsHeardOn: null,
      decidedOn: null,
      receivingSchool: null,
      receivingDestination: null,
      receivingSchoolWillingOn: null,
      endDate: null,
      startedAt: now,
      updatedAt: now,
    };
    await tx.insert(expulsion).values(row);
    await appendEvents(tx, 'learners', [expulsionEvent('ExpulsionIntended', row, null)]);
    return { expulsionId: row.id };
  });
}

export interface RecordHearingInput {
  documentId: string;
  expulsionId: string;
  heard: 'GROUP_TEACHER' | 'PARENTS';
  heardOn: string;
}

/** The group teacher or the parents were heard (WPO art 40.11): before the decision, so only while INTENDED. Recording one again corrects its day. */
export function recordExpulsionHearing(db: Db, school: School, input: RecordHearingInput) {
  return once(db, document, school.sender, 'recordExpulsionHearing', input, async (tx) => {
    const row = await ownExpulsion(tx, school, expulsionId(input.expulsionId));
    const heardOn = pastDay(input.heardOn, 'heardOn');
    expectStatus(row, 'INTENDED', 'hearings come before the decision (WPO art 40.11)');
    await save(tx, row, input.heard === 'GROUP_TEACHER' ? { groupTeacherHeardOn: heardOn } : { parentsHeardOn: heardOn });
    return { expulsionId: row.id };
  });
}

/**
 * The decision to expel (WPO art 40.11), once the group teacher and the parents were heard on or
 * before its day. It is reported to the municipality of residence at once (LPW art 18.1): from now
 * on the municipality reads the expulsion, and its followers are told.
 */
export function decideExpulsion(db: Db, school: School, input: { documentId: string; expulsionId: string; decidedOn: string }) {
  return once(db, document, school.sender, 'decideExpulsion', input, async (tx) => {
    const row = await ownExpulsion(tx, school, expulsionId(input.expulsionId));
    const decidedOn = pastDay(input.decidedOn, 'decidedOn');
    expectStatus(row, 'INTENDED', 'a decision is taken once');
    const unheard = [
      [row.groupTeacherHeardOn, 'the group teacher'],
      [row.parentsHeardOn, 'the parents'],
    ].flatMap(([day, who]) => (day === null || day! > decidedOn ? [who!] : []));
    if (unheard.length) {
      throw conflict(
        `The group teacher and the parents are heard before a decision to expel (WPO art 40.11); no hearing of ${unheard.join(' or ')} on or before ${decidedOn} is recorded (recordExpulsionHearing)`,
      );
    }
    const owned = await ownEnrollment(tx, school, row.enrollmentId);
    const next = await save(tx, row, { status: 'DECIDED', decidedOn });
    await appendEvents(tx, 'learners', [expulsionEvent('ExpulsionDecided', next, residenceOf(owned))]);
    return { expulsionId: row.id };
  });
}

export interface ExecuteExpulsionInput {
  documentId: string;
  expulsionId: string;
  endDate: string;
  receivingSchool?: { destination: 'OTHER_SCHOOL' | 'SPECIAL_EDUCATION' | 'ABROAD' | 'UNKNOWN'; school: string; willingOn: string } | null;
}

/**
 * Definitive expulsion (WPO art 40.11): only after the decision, and once another school (or a school
 * for special education) is willing to admit the learner. It ends the enrollment on `endDate`, not
 * before that school was willing, with endReason EXPELLED and that school's kind as its destination.
 */
export function executeExpulsion(db: Db, school: School, input: ExecuteExpulsionInput) {
  return once(db, document, school.sender, 'executeExpulsion', input, async (tx) => {
    const row = await ownExpulsion(tx, school, expulsionId(input.expulsionId));
    expectStatus(row, 'DECIDED', 'an expulsion is executed after the decision (WPO art 40.11)');
    const receiving = input.receivingSchool;
    if (!receiving) {
      throw conflict(
        'Definitive expulsion only once another school is willing to admit the learner (WPO art 40.11): name it in receivingSchool',
        'receivingSchool',
      );
    }
    if (receiving.destination !== 'OTHER_SCHOOL' && receiving.destination !== 'SPECIAL_EDUCATION')
      throw badInput('receivingSchool.destination', 'The receiving school is another school or a school for special education (WPO art 40.11)');
    const receivingSchool = parseText(receiving.school, 'receivingSchool.school', textKinds.organisationName);
    if (!receivingSchool) throw badInput('receivingSchool.school', "Give the receiving school's BRIN or name");
    const willingOn = pastDay(receiving.willingOn, 'receivingSchool.willingOn');
    const endDate = parseDay(input.endDate, 'endDate');
    if (endDate < row.decidedOn! || endDate < willingOn)
      throw badInput('endDate', `The enrollment ends on or after the decision (${row.decidedOn}) and the receiving school's willingness (${willingOn})`);
    const owned = await ownEnrollment(tx, school, row.enrollmentId);
    if (owned.row.endDate !== null && owned.row.endDate < endDate)
      throw conflict(`Enrollment ${owned.row.id} ended on ${owned.row.endDate} already: withdraw the expulsion instead`);
    checkEndDate(owned.row.startDate, endDate, owned.delivery.birthDate);
    const next = await save(tx, row, {
      status: 'EXECUTED',
      receivingSchool,
      receivingDestination: receiving.destination,
      receivingSchoolWillingOn: willingOn,
      endDate,
    });
    await end(tx, owned, { endDate, endReason: 'EXPELLED', destination: receiving.destination });
    await appendEvents(tx, 'learners', [expulsionEvent('ExpulsionExecuted', next, null)]);
    return { expulsionId: row.id, enrollmentId: owned.row.id };
  });
}

/** The school drops an expulsion that is not executed; a withdrawn decision is told to the municipality as the decision was. */
export function withdrawExpulsion(db: Db, school: School, input: { documentId: string; expulsionId: string }) {
  return once(db, document, school.sender, 'withdrawExpulsion', input, async (tx) => {
    const row = await ownExpulsion(tx, school, expulsionId(input.expulsionId));
    if (!open.includes(row.status)) throw conflict(`Expulsion ${row.id} was ${row.status.toLowerCase()} already`);
    const told = row.status === 'DECIDED' ? residenceOf(await ownEnrollment(tx, school, row.enrollmentId)) : null;
    const next = await save(tx, row, { status: 'WITHDRAWN' });
    await appendEvents(tx, 'learners', [expulsionEvent('ExpulsionWithdrawn', next, told)]);
    return { expulsionId: row.id };
  });
}

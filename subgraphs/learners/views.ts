import { covers } from '../../kernel/ids/index.ts';
import type { SubgraphContext } from '../../kernel/subgraph.ts';
import { canSee, readReach, type LearnersReach } from './access.ts';
import type { LearnerLoaders } from './loaders.ts';
import type { DeliveryRow, EnrollmentRow, LearnerRow, PersonRow } from './tables.ts';

/*
 * What each viewer reads of a learner (docs/domain.md §2.2, "Personal data"; Wro art 9.4, 14.1).
 * A school reads what it delivered itself, and the register's residence, which routes its absence
 * reports: never what another school delivered. A municipality and the operator read the register's
 * facts: the person source (standing in for the BRP) where it knows the learner, else a delivery.
 */

type Context = SubgraphContext<LearnerLoaders>;

export type ResidenceSource = 'REGISTERED' | 'POSTCODE' | 'OVERRIDE';

export interface Residence {
  municipalityCode: string;
  source: ResidenceSource;
}

/** The person with the learner's BSN, when the person source has one. */
export async function personOf(context: Context, row: LearnerRow): Promise<PersonRow | null> {
  return row.pgnKind === 'BSN' ? context.loaders.person.load(row.pgn) : null;
}

/**
 * A residence: the person source's where it places the learner (for a BSN it knows), else the one
 * the delivery gives, derived from its postcode or the school's override (Wro art 9.4: a person not
 * in the BRP is registered as delivered).
 */
export function residenceOf(registered: PersonRow | null, delivery: DeliveryRow | null): Residence | null {
  if (registered?.municipalityCode) return { municipalityCode: registered.municipalityCode, source: 'REGISTERED' };
  if (delivery?.municipalityCode) return { municipalityCode: delivery.municipalityCode, source: delivery.municipalityOverride ? 'OVERRIDE' : 'POSTCODE' };
  return null;
}

/** Where an enrollment's absence reports go: the registered residence, else its own delivery's. */
export async function residenceOfEnrollment(context: Context, row: EnrollmentRow): Promise<Residence | null> {
  const [held, delivery] = await Promise.all([context.loaders.learner.load(row.learnerId), context.loaders.deliveryOfEnrollment.load(row.id)]);
  return residenceOf(held ? await personOf(context, held) : null, delivery);
}

/**
 * Whether the reach may see the learner: a school that delivered about it (an enrollment or an
 * identification); a municipality where it lives, by the person source, or, for a learner the
 * source does not place, by some school's delivery; the operator always.
 */
export async function visibleLearner(context: Context, reach: LearnersReach, row: LearnerRow | null): Promise<LearnerRow | null> {
  if (!row) return null;
  if (reach.kind === 'all') return row;
  if (reach.kind === 'school') return (await context.loaders.learnerVisibleTo.load(`${row.id}/${reach.school}`)) ? row : null;
  const registered = await personOf(context, row);
  if (registered?.municipalityCode) return registered.municipalityCode === reach.code ? row : null;
  return (await context.loaders.deliveriesOfLearner.load(row.id)).some((each) => each.municipalityCode === reach.code) ? row : null;
}

/** Whether the viewer may see the enrollment: its school, the municipality its reports go to, the operator. */
export async function visibleEnrollment(context: Context, row: EnrollmentRow | null): Promise<EnrollmentRow | null> {
  if (!row) return null;
  const reach = readReach(context.viewer);
  if (reach.kind === 'municipality') return (await residenceOfEnrollment(context, row))?.municipalityCode === reach.code ? row : null;
  return canSee(reach, row.brin6) ? row : null;
}

/** What the viewer reads of a learner: a delivery and, unless it is the school's own, the person. */
export interface LearnerView {
  /** The school's own latest delivery; for other viewers the latest that places the learner where they may see it. */
  delivery: DeliveryRow | null;
  /** The person source's facts, which a school does not read as the learner's data (only their residence). */
  person: PersonRow | null;
  own: boolean;
}

export async function learnerView(context: Context, row: LearnerRow): Promise<LearnerView> {
  const reach = readReach(context.viewer);
  const deliveries = await context.loaders.deliveriesOfLearner.load(row.id);
  const latest = (rows: readonly DeliveryRow[]) =>
    rows.reduce<DeliveryRow | null>((last, each) => (!last || each.deliveredAt >= last.deliveredAt ? each : last), null);
  const registered = await personOf(context, row);
  if (reach.kind === 'school') return { delivery: latest(deliveries.filter((each) => covers(reach.school, each.brin6))), person: registered, own: true };
  if (reach.kind === 'municipality' && !registered?.municipalityCode) {
    return { delivery: latest(deliveries.filter((each) => each.municipalityCode === reach.code)), person: registered, own: false };
  }
  return { delivery: latest(deliveries), person: registered, own: false };
}

/** A fact of the learner as the view gives it: the school's own delivery, else the person source's, else the delivery's. */
export function factOf<K extends keyof DeliveryRow & keyof PersonRow>(view: LearnerView, key: K): DeliveryRow[K] | PersonRow[K] | null {
  if (view.own || !view.person) return view.delivery?.[key] ?? null;
  return view.person[key] ?? view.delivery?.[key] ?? null;
}

/** Whether a school sees the learner's enrollment list entry (its own) or a municipality (those routed to it). */
export async function seesEnrollment(context: Context, reach: LearnersReach, row: EnrollmentRow): Promise<boolean> {
  if (reach.kind === 'municipality') return (await residenceOfEnrollment(context, row))?.municipalityCode === reach.code;
  return canSee(reach, row.brin6);
}

import type { Subgraph } from '../../kernel/subgraph.ts';
import { mandateCopy } from '../../contracts/mandates.ts';
import { leerplichtChannel, settlePending, sweep } from './absoluteAbsence.ts';
import { absenceLoaders, type AbsenceLoaders } from './loaders.ts';
import { learnersConsumer, rioConsumer } from './copy.ts';
import { resolvers } from './resolvers.ts';

// A vendor acts here for a school with a VERZUIM mandate only (OSR, docs/domain.md §8).
const mandates = mandateCopy('absence');

/** Absence (verzuim) and exemptions (vrijstellingen) for po (docs/domain.md §2.2, §6). */
export const absence: Subgraph<AbsenceLoaders> = {
  name: 'absence',
  resolvers,
  loaders: absenceLoaders,
  authorize: (db, viewer) => mandates.requireMandate(db, viewer, 'VERZUIM'),
  audited: true,
  // Where each school is, for its calendar (calendars.ts).
  consumers: [mandates.consumer, learnersConsumer, rioConsumer],
  // Absolute absence (absoluteAbsence.ts): the residents a change noted, at once when it commits (and
  // every 10 s, for a notification missed); and every hour all that may be due, since a day passing
  // is enough to make a signal due and no event says so.
  tasks: [
    {
      name: 'absence.leerplicht.settle',
      everyMs: 10_000,
      wakeOn: [leerplichtChannel],
      run: (db, config) => settlePending(db, { schoolDays: config.leerplicht.signalSchoolDays }),
    },
    { name: 'absence.leerplicht.sweep', everyMs: 3_600_000, run: (db, config) => sweep(db, { schoolDays: config.leerplicht.signalSchoolDays }) },
  ],
};

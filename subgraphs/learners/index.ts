import type { Subgraph } from '../../kernel/subgraph.ts';
import { mandateCopy } from '../../contracts/mandates.ts';
import { learnerLoaders, type LearnerLoaders } from './loaders.ts';
import { resolvers } from './resolvers.ts';
import { rioConsumer } from './copy.ts';

// A vendor acts here for a school with a ROD_PO mandate only (OSR, docs/domain.md §8).
const mandates = mandateCopy('learners');

/**
 * The Register onderwijsdeelnemers for po (docs/domain.md §2.2): learners, enrollments with each school's
 * delivery, results, transfer notices, the person source standing in for the BRP, and the signals
 * to schools where a delivery differs from it.
 */
export const learners: Subgraph<LearnerLoaders> = {
  name: 'learners',
  resolvers,
  loaders: learnerLoaders,
  authorize: (db, viewer) => mandates.requireMandate(db, viewer, 'ROD_PO'),
  audited: true,
  consumers: [mandates.consumer, rioConsumer],
};

import type { Subgraph } from '../../kernel/subgraph.ts';
import { learnerLoaders, type LearnerLoaders } from './loaders.ts';
import { resolvers } from './resolvers.ts';
import { applyRioEvents } from './rio.ts';

/** The Register onderwijsdeelnemers for po: learners, enrollments, results, transfer notices (domain.md §2.2). */
export const learners: Subgraph<LearnerLoaders> = {
  name: 'learners',
  resolvers,
  loaders: learnerLoaders,
  consumers: [{ stream: 'institutions', consumer: 'learners.rio', handle: applyRioEvents }],
};

import type { Subgraph } from '../../kernel/subgraph.ts';
import { absenceLoaders, type AbsenceLoaders } from './loaders.ts';
import { learnersConsumer } from './projection.ts';
import { resolvers } from './resolvers.ts';

/** Absence (verzuim) and exemptions (vrijstellingen) for po (domain.md §2.2, §6). */
export const absence: Subgraph<AbsenceLoaders> = {
  name: 'absence',
  resolvers,
  loaders: absenceLoaders,
  consumers: [learnersConsumer],
};

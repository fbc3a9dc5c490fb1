import type { Subgraph } from '../../kernel/subgraph.ts';
import { fundingLoaders, type FundingLoaders } from './loaders.ts';
import { learnersConsumer, rioConsumer } from './projection.ts';
import { resolvers } from './resolvers.ts';

/** Funding for po (po-bekostigen, domain.md §5): each enrollment's status per count date, and the counts. */
export const funding: Subgraph<FundingLoaders> = {
  name: 'funding',
  resolvers,
  loaders: fundingLoaders,
  consumers: [rioConsumer, learnersConsumer],
};

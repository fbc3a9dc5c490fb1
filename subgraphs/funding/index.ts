import type { Subgraph } from '../../kernel/subgraph.ts';
import { mandateCopy } from '../../contracts/mandates.ts';
import { fundingLoaders, type FundingLoaders } from './loaders.ts';
import { learnersConsumer, rioConsumer } from './copy.ts';
import { resolvers } from './resolvers.ts';

// A vendor acts here for a school with a ROD_PO mandate only (OSR, docs/domain.md §8).
const mandates = mandateCopy('funding');

/** Funding for po (po-bekostigen, docs/domain.md §5): each enrollment's status per count date, and the counts. */
export const funding: Subgraph<FundingLoaders> = {
  name: 'funding',
  resolvers,
  loaders: fundingLoaders,
  authorize: (db, viewer) => mandates.requireMandate(db, viewer, 'ROD_PO'),
  consumers: [mandates.consumer, rioConsumer, learnersConsumer],
};

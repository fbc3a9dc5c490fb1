import type { Subgraph } from '../kernel/subgraph.ts';
import { absence } from './absence/index.ts';
import { funding } from './funding/index.ts';
import { institutions } from './institutions/index.ts';
import { learners } from './learners/index.ts';

/** Every subgraph of the register, in the order their migrations and seeds run. */
// Each subgraph has its own loader type; the list only hands each its own back, so `any` loses nothing.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const subgraphs: readonly Subgraph<any>[] = [institutions, learners, funding, absence];

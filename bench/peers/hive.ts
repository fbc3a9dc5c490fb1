/**
 * Hive Gateway (@graphql-hive/gateway) for `npm run bench`, with its default settings, or with
 * the Rust query planner of Hive Router (`--rust`, @graphql-hive/router-runtime; "Rust query planner"
 * in the Hive Gateway docs). The one change to its defaults: it passes on to each subgraph the viewer
 * the bench signed for it (`x-register-viewer-<subgraph>`, bench/mix.ts), as the register's subgraphs
 * serve nothing without one (kernel/viewer.ts).
 *
 *   node --import tsx bench/peers/hive.ts <supergraph file> <port> [--rust]
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createGatewayRuntime } from '@graphql-hive/gateway';
import { unifiedGraphHandler } from '@graphql-hive/router-runtime';

const [supergraphFile, port, ...flags] = process.argv.slice(2);
const rust = flags.includes('--rust');
const viewerHeader = 'x-register-viewer';

const gateway = createGatewayRuntime({
  supergraph: readFileSync(supergraphFile!, 'utf8'),
  propagateHeaders: { fromClientToSubgraphs: ({ request, subgraphName }) => ({ [viewerHeader]: request.headers.get(`${viewerHeader}-${subgraphName}`) ?? '' }) },
  logging: process.env.HIVE_DEBUG ? 'debug' : 'error',
  ...(rust ? { unifiedGraphHandler } : {}),
});

const server = createServer(gateway);
server.listen(Number(port), '127.0.0.1', () => console.log(`GraphQL: http://127.0.0.1:${port}/graphql`));
process.once('SIGTERM', () => server.close(() => process.exit(0)));

/**
 * Plain @apollo/gateway on @apollo/server's standalone server for `npm run bench`, with their default
 * settings (the default fetcher, no query plan tuning). The one change: it passes on to each subgraph
 * the viewer the bench signed for it (`x-register-viewer-<subgraph>`, bench/mix.ts), as the register's
 * subgraphs serve nothing without one (kernel/viewer.ts). The same package versions the register's own
 * gateway builds on.
 *
 *   node --import tsx bench/peers/apollo.ts <supergraph file> <port>
 */
import { readFileSync } from 'node:fs';
import { ApolloGateway, RemoteGraphQLDataSource } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';

const [supergraphFile, port] = process.argv.slice(2);
const viewerHeader = 'x-register-viewer';

interface Context {
  /** The request's headers, among them the signed viewer for each subgraph. */
  headers: Record<string, string | string[] | undefined>;
}

const gateway = new ApolloGateway({
  supergraphSdl: readFileSync(supergraphFile!, 'utf8'),
  buildService: ({ name, url }) =>
    new RemoteGraphQLDataSource<Context>({
      url,
      willSendRequest: ({ request, context }) => {
        const viewer = context.headers?.[`${viewerHeader}-${name}`];
        if (typeof viewer === 'string') request.http?.headers.set(viewerHeader, viewer);
      },
    }),
});
const server = new ApolloServer<Context>({ gateway });
const { url } = await startStandaloneServer(server, {
  listen: { port: Number(port), host: '127.0.0.1' },
  context: async ({ req }) => ({ headers: req.headers }),
});
console.log(`GraphQL: ${url}`);
process.once('SIGTERM', () => void server.stop().then(() => process.exit(0)));

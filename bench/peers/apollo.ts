/**
 * Plain @apollo/gateway on @apollo/server's standalone server for `npm run bench`, with their default
 * settings (the default fetcher, no query plan tuning). The one change: it passes the signed viewer
 * the bench sends on to every subgraph, as the register's subgraphs serve nothing without one
 * (kernel/viewer.ts). The same package versions the register's own gateway builds on.
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
  viewer: string | undefined;
}

const gateway = new ApolloGateway({
  supergraphSdl: readFileSync(supergraphFile!, 'utf8'),
  buildService: ({ url }) =>
    new RemoteGraphQLDataSource<Context>({
      url,
      willSendRequest: ({ request, context }) => {
        if (context.viewer) request.http?.headers.set(viewerHeader, context.viewer);
      },
    }),
});
const server = new ApolloServer<Context>({ gateway });
const { url } = await startStandaloneServer(server, {
  listen: { port: Number(port), host: '127.0.0.1' },
  context: async ({ req }) => ({ viewer: req.headers[viewerHeader] as string | undefined }),
});
console.log(`GraphQL: ${url}`);
process.once('SIGTERM', () => void server.stop().then(() => process.exit(0)));

/*
 * GraphiQL, bundled from npm and served by the gateway at its GraphQL URL (no CDN: it works
 * offline). Queries and mutations go over HTTP, subscriptions over the gateway's graphql-ws socket,
 * both with the token from the header editor.
 */
import { GraphiQL } from 'graphiql';
import 'graphiql/style.css';
import { createElement } from 'react';
import { createRoot } from 'react-dom/client';
import { explorerFetcher } from './fetcher.ts';

const defaultHeaders = JSON.stringify({ authorization: 'Bearer <a token: npm run -s token -- --role OPERATOR>' }, null, 2);

const defaultQuery = `# Put a token in the headers below (npm run -s token -- --role OPERATOR, or a school's
# vendor token), then run this with Ctrl-Enter. Subscriptions run over the same URL's WebSocket.
query Branch {
  branch(brin6: "16AH00") { name address { city } provider { code board { code } } }
}
`;

createRoot(document.getElementById('explorer')!).render(
  createElement(GraphiQL, {
    fetcher: explorerFetcher(new URL('/graphql', location.href)),
    defaultHeaders,
    defaultQuery,
    defaultEditorToolsVisibility: 'headers',
  }),
);

/**
 * One load run for `npm run bench`, in a process of its own: autocannon keeps `connections` requests
 * in flight for `seconds` against `url`, each request the next of `requests` (bodies and headers
 * varied by the bench, so that no gateway can answer one from another in flight). A response is an
 * error when its status is not 200 or its body holds GraphQL errors. Prints one JSON line.
 *
 *   node --import tsx bench/peers/load.ts <run file (JSON)>
 */
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';
import type { LoadResult, LoadRun } from './loadRun.ts';

const run = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as LoadRun;
let next = 0;
let errors = 0;
let firstError: string | undefined;
const target = new URL(run.url);

const result = await autocannon({
  url: target.origin,
  connections: run.connections,
  duration: run.seconds,
  requests: [
    {
      setupRequest: (request) => {
        const { body, headers } = run.requests[next++ % run.requests.length]!;
        return { ...request, method: 'POST', path: target.pathname, headers: { ...headers, 'content-type': 'application/json' }, body };
      },
      onResponse: (status, body) => {
        if (status === 200 && !body.includes('"errors"')) return;
        errors++;
        firstError ??= `${status} ${body.slice(0, 300)}`;
      },
    },
  ],
});

const summary: LoadResult = {
  requests: result.requests.total,
  perSecond: result.requests.total / run.seconds,
  p50: result.latency.p50,
  p90: result.latency.p90,
  p99: result.latency.p99,
  max: result.latency.max,
  errors: errors + result.errors + result.timeouts,
  firstError,
};
console.log(JSON.stringify(summary));

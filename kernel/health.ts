/*
 * Probes for whatever runs the processes (a process manager, Kubernetes, a load balancer): /healthz
 * answers while the process is up, /readyz whether it can serve: each of its checks (database
 * reachable, migrations applied, supergraph loaded, as far as the process has them), with 503 and
 * the failing ones named when it cannot.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sql } from 'drizzle-orm';
import type { Database } from './db.ts';
import { withinDeadline } from './http.ts';

/** Resolves when all is well, rejects saying why not. */
export type Check = () => Promise<void>;

/** A probe that hangs (a database that does not answer) fails after this long instead. */
const checkTimeoutMs = 2000;

export class NotReady extends Error {}

/** The readiness checks of one process, by name. */
export class Readiness {
  constructor(private readonly checks: Record<string, Check>) {}

  /** Every check, run at once: `ok` or why not. */
  async report(): Promise<{ ready: boolean; checks: Record<string, string>; failing: string[] }> {
    const names = Object.keys(this.checks);
    const results = await Promise.all(
      names.map((name) =>
        withTimeout(this.checks[name]!()).then(
          () => 'ok',
          (error: unknown) => (error as Error).message || 'failed',
        ),
      ),
    );
    const checks = Object.fromEntries(names.map((name, i) => [name, results[i]!]));
    const failing = names.filter((name) => checks[name] !== 'ok');
    return { ready: failing.length === 0, checks, failing };
  }
}

async function withTimeout(check: Promise<void>): Promise<void> {
  const answered = await withinDeadline(
    check.then(() => true),
    checkTimeoutMs,
  );
  if (!answered) throw new NotReady(`no answer within ${checkTimeoutMs} ms`);
}

/**
 * A subgraph in another process answers its own /readyz with 200, asked at the URL the gateway
 * reaches it by: `unreachable` when nothing answers, `not ready` naming its failing checks.
 */
export async function pingSubgraph(graphqlUrl: string): Promise<void> {
  let response: Response;
  try {
    response = await fetch(new URL('/readyz', graphqlUrl), { signal: AbortSignal.timeout(checkTimeoutMs) });
  } catch (error) {
    throw new NotReady(`unreachable: ${causeOf(error)}`);
  }
  if (response.status === 200) return void (await response.body?.cancel());
  const body = (await response.json().catch(() => undefined)) as { failing?: string[] } | undefined;
  throw new NotReady(`not ready: ${body?.failing?.join(', ') ?? `HTTP ${response.status}`}`);
}

/** What went wrong, in the words nearest to it: fetch says only "fetch failed", its cause says why. */
export function causeOf(error: unknown): string {
  let found = error as { message?: string; code?: string; cause?: unknown; errors?: unknown[] } | undefined;
  while (found?.cause || (!found?.message && found?.errors?.length)) found = (found.cause ?? found.errors![0]) as typeof found;
  return found?.message || found?.code || String(error);
}

/** The database answers a query. */
export async function pingDatabase(database: Database | undefined): Promise<void> {
  if (!database) throw new NotReady('not open yet');
  try {
    await database.db.execute(sql`SELECT 1`);
  } catch (error) {
    throw new NotReady(`unreachable: ${(error as Error).message}`);
  }
}

type Handler = (request: IncomingMessage, response: ServerResponse) => Promise<void>;

/** /healthz: the process is up and its event loop answers; nothing else is asked. */
export const healthHandler: Handler = async (_request, response) => sendJson(response, 200, { status: 'up' });

/**
 * /readyz: 200 when every check passes, else 503 naming the failing checks; both list every check,
 * and what `about` adds (which consumers this replica runs).
 */
export function readinessHandler(readiness: Readiness, about: () => Record<string, unknown> = () => ({})): Handler {
  return async (_request, response) => {
    const { ready, checks, failing } = await readiness.report();
    sendJson(response, ready ? 200 : 503, ready ? { status: 'ready', checks, ...about() } : { status: 'not ready', failing, checks, ...about() });
  };
}

/** What /graphql answers before the process is ready to serve it. */
export const startingHandler: Handler = async (_request, response) => {
  response.setHeader('retry-after', '1');
  sendJson(response, 503, {
    errors: [{ message: 'The register is starting; try again in a moment (/readyz says what it waits for)', extensions: { code: 'UNAVAILABLE' } }],
  });
};

function sendJson(response: ServerResponse, status: number, payload: unknown): void {
  // Probes are asked every few seconds: a cached answer would hide a change.
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' }).end(JSON.stringify(payload));
}

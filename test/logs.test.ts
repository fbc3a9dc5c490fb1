import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, requestIdHeader } from '../kernel/logging.ts';
import { enrollmentInput, schoolAt, startTestSystem, type School, type TestSystem } from './harness.ts';

/** The log as a list of parsed lines: a real pino logger writing into memory instead of standard output. */
function capturedLog() {
  const lines: Record<string, unknown>[] = [];
  return { lines, logger: createLogger('debug', { write: (line: string) => void lines.push(JSON.parse(line)) }) };
}

/** A learners, institutions and funding operation in one: the enrollment with its branch and funding status. */
const enrollAcrossSubgraphs = 'mutation($input: EnrollLearnerInput!) { enrollLearner(input: $input) { enrollment { branch { name } fundingStatus { outcome } } } }';

describe('request ids and the log', () => {
  let system: TestSystem;
  let school: School;
  let log: ReturnType<typeof capturedLog>;
  let learners = 0;

  beforeAll(async () => {
    log = capturedLog();
    system = await startTestSystem({}, { logger: log.logger });
    school = await schoolAt(system, '16AH00');
  });
  afterAll(() => system?.close());

  const send = (query: string, variables: Record<string, unknown>, headers: Record<string, string>, token: string | null = school.token) =>
    fetch(system.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
      body: JSON.stringify({ query, variables }),
    });
  const linesOf = (requestId: string) => log.lines.filter((line) => line.requestId === requestId);

  it("returns a client's well-formed x-request-id and carries it into the gateway's line and every subgraph's it asked", async () => {
    const response = await send(enrollAcrossSubgraphs, { input: enrollmentInput(school, ++learners) }, { [requestIdHeader]: 'client-7f3a.42' });
    expect(((await response.json()) as { errors?: unknown }).errors).toBeUndefined();
    expect(response.headers.get(requestIdHeader)).toBe('client-7f3a.42');

    const lines = linesOf('client-7f3a.42');
    const gateway = lines.filter((line) => line.service === 'gateway');
    expect(gateway).toEqual([expect.objectContaining({ level: 30, msg: 'request', type: 'mutation', status: 200 })]);
    const subgraphs = new Set(lines.map((line) => line.subgraph).filter(Boolean));
    expect(subgraphs).toEqual(new Set(['learners', 'institutions', 'funding']));
    // The subgraphs' operations are at debug: at the default level only the gateway's line remains.
    expect(lines.filter((line) => line.subgraph).every((line) => line.level === 20)).toBe(true);
  });

  it('answers a request without an id, or with a malformed one, with an id of its own that its lines carry', async () => {
    for (const headers of [{} as Record<string, string>, { [requestIdHeader]: 'two words; "quoted"' }, { [requestIdHeader]: 'x'.repeat(129) }]) {
      const response = await send('{ branch(brin6: "16AH00") { name } }', {}, headers);
      const id = response.headers.get(requestIdHeader)!;
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      expect(linesOf(id).map((line) => line.service ?? line.subgraph)).toEqual(['institutions', 'gateway']);
    }
  });

  it('logs a request refused before it runs, with its id and code, and returns the id', async () => {
    const response = await send('{ branch(brin6: "16AH00") { name } }', {}, { [requestIdHeader]: 'refused-1' }, null);
    expect(response.status).toBe(401);
    expect(response.headers.get(requestIdHeader)).toBe('refused-1');
    expect(linesOf('refused-1')).toEqual([expect.objectContaining({ level: 30, msg: 'request refused', service: 'gateway', status: 401, errors: ['UNAUTHENTICATED'] })]);
  });

  it('writes one line per request at info, each a JSON object with time and level', async () => {
    const before = log.lines.length;
    await send('{ branch(brin6: "16AH00") { name } }', {}, { [requestIdHeader]: 'volume-1' });
    const info = log.lines.slice(before).filter((line) => (line.level as number) >= 30);
    expect(info).toEqual([expect.objectContaining({ requestId: 'volume-1', time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) })]);
  });
});

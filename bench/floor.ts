/**
 * `npm run bench:floor`: the floor the whole-school figures are measured against (issue 20). The
 * answer of the registered SchoolEnrollments operation for a whole school (about 220 enrollments,
 * each with its learner, location and funding status), built by PostgreSQL in ONE statement with
 * json_build_object/json_agg across the subgraphs' schemas, read as the school's vendor is authorised
 * (its mandate, only that school's rows), at 20 concurrent clients. No gateway, no subgraph, no
 * GraphQL: what remains is the data and its JSON, so no layering can be cheaper than this.
 *
 * It measures latency per request at the client (p50, p99), and CPU ms per request of this process
 * (the pg driver receiving the JSON as text, unparsed) and of the PostgreSQL backends serving its
 * connections (from /proc, by their pids: not the server's other processes). It does not do what the
 * register does besides the data: the viewer's token and signature, the audit trail of PGNs read,
 * read-your-writes waits, GraphQL parsing and validation, HTTP. It reads the funding statuses the
 * current count date keeps (the seed keeps them), where funding applies its rules afresh for a count
 * date not kept: run it on a seeded population.
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/<seeded> npm run bench:floor -- --requests 2000
 *
 * Prints the figures and writes them to bench/results/floor.json; `npm run bench` runs it on its own
 * population and gives the whole-school figures also as multiples of it. `--check <gateway URL>`
 * (with `--token-secret`) compares the number of enrollments with the gateway's answer once.
 */
import { parseArgs } from 'node:util';
import pg from 'pg';
import { readConfig } from '../kernel/config.ts';
import { openDatabase } from '../kernel/db.ts';
import { today } from '../kernel/scalars.ts';
import { issueToken } from '../kernel/viewer.ts';
import { demoVendor } from '../subgraphs/institutions/osr.ts';
import { currentCountDate } from '../subgraphs/funding/rules.ts';
import { schoolsOf, wholeSchoolFor, type School } from './mix.ts';
import { cpuSecondsOf } from './processes.ts';
import { writeResults } from './results.ts';

const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '2000' },
    connections: { type: 'string', default: '20' },
    schools: { type: 'string', default: '100' },
    enrollments: { type: 'string', default: '220' },
    check: { type: 'string' },
    'token-secret': { type: 'string' },
  },
});
const requests = Number(values.requests);
const connections = Number(values.connections);

/** The operation's page size in bench/mix.ts (`first: 500`): a whole school on one page. */
const first = 500;

/**
 * The SchoolEnrollments answer (`data`), as the gateway gives it to the school's vendor, in one
 * statement. Each field is read where its subgraph reads it: the enrollment and the learner's PGN,
 * id and birth date from learners (the school's own deliveries: subgraphs/learners/views.ts), the
 * location from institutions, the funding status from funding (the kept count date's). $1 the
 * school (a BRIN6), $2 the day, $3 the vendor's OIN, $4 the count date.
 */
const wholeSchoolSql = `
WITH allowed AS (
  -- The vendor's ROD_PO mandate for the school, in both subgraphs that require it (learners, funding).
  SELECT 1 WHERE EXISTS (SELECT 1 FROM learners.mandate m WHERE m.vendor_oin = $3 AND m.service = 'ROD_PO' AND m.brin6 IN ($1, left($1, 4))
      AND m.start_date <= $2::date AND (m.end_date IS NULL OR m.end_date >= $2::date))
    AND EXISTS (SELECT 1 FROM funding.mandate m WHERE m.vendor_oin = $3 AND m.service = 'ROD_PO' AND m.brin6 IN ($1, left($1, 4))
      AND m.start_date <= $2::date AND (m.end_date IS NULL OR m.end_date >= $2::date))
),
running AS (
  SELECT e.* FROM learners.enrollment e, allowed
  WHERE e.brin6 = $1 AND e.start_date <= $2::date AND (e.end_date IS NULL OR e.end_date >= $2::date)
),
page AS (SELECT * FROM running ORDER BY start_date, id LIMIT ${first + 1}),
shown AS (SELECT * FROM page ORDER BY start_date, id LIMIT ${first}),
-- The school's one or few locations, each read once (a join with all of RIO's would hash them all).
locations AS (
  SELECT loc.code, json_build_object('id', loc.code, 'code', loc.code, 'address', json_build_object('id', loc.code, 'street', loc.street, 'houseNumber', loc.house_number, 'city', loc.city)) AS location
  FROM institutions.location loc WHERE loc.code IN (SELECT DISTINCT location_code FROM shown)
),
edges AS (
  SELECT s.start_date, s.id, json_build_object('node', json_build_object(
    'id', s.id, 'startDate', s.start_date, 'endDate', s.end_date, 'group', s.school_group,
    'learner', json_build_object('id', own.id, 'pgn', l.pgn, 'birthDate', own.birth_date),
    'location', loc.location,
    'fundingStatus', CASE WHEN st.enrollment_id IS NULL THEN NULL ELSE json_build_object(
      'id', s.id::text || '/' || to_char($4::date, 'YYYY-MM-DD'), 'countDate', st.count_date, 'phase', cd.phase, 'outcome', CASE WHEN cardinality(st.reasons) = 0 THEN 'FUNDABLE' ELSE 'NOT_FUNDABLE' END, 'reasons', st.reasons) END
  )) AS edge
  FROM shown s
  JOIN learners.learner l ON l.id = s.learner_id
  -- The school knows the learner by the id it delivered under (merge.ts), and by its latest delivery's birth date.
  LEFT JOIN LATERAL (
    SELECT coalesce((SELECT d.absorbed_from FROM learners.delivery d WHERE d.learner_id = l.id AND d.brin6 = $1 AND d.absorbed_from IS NOT NULL
        AND (d.enrollment_id IS NOT NULL OR NOT EXISTS (SELECT 1 FROM learners.delivery x WHERE x.learner_id = l.id AND x.brin6 = $1 AND x.enrollment_id IS NOT NULL))
        LIMIT 1), l.id) AS id,
      (SELECT d.birth_date FROM learners.delivery d WHERE d.learner_id = l.id AND d.brin6 = $1 ORDER BY d.delivered_at DESC LIMIT 1) AS birth_date
  ) own ON true
  LEFT JOIN locations loc ON loc.code = s.location_code
  -- Funding's status of an enrollment it places at this school (its own copy: subgraphs/funding/access.ts).
  LEFT JOIN funding.enrollment fe ON fe.id = s.id AND fe.brin6 = $1
  LEFT JOIN funding.status st ON st.count_date = $4::date AND st.enrollment_id = fe.id
  LEFT JOIN funding.count_date cd ON cd.count_date = $4::date
)
SELECT json_build_object('enrollments', json_build_object(
  'totalCount', (SELECT count(*) FROM running),
  'pageInfo', json_build_object(
    'hasNextPage', (SELECT count(*) FROM page) > ${first},
    'endCursor', (SELECT rtrim(translate(encode(convert_to(start_date || '|' || id, 'UTF8'), 'base64'), E'+/\\n', '-_'), '=') FROM shown ORDER BY start_date DESC, id DESC LIMIT 1)),
  'edges', coalesce((SELECT json_agg(edge ORDER BY start_date, id) FROM edges), '[]'::json)
))::text AS answer`;

/** CPU seconds of these processes together; undefined when one cannot be read (a server on another machine). */
function sumOf(pids: number[]): number | undefined {
  const each = pids.map((pid) => cpuSecondsOf(pid));
  return each.includes(undefined) ? undefined : each.reduce((sum, seconds) => sum! + seconds!, 0);
}

export interface FloorResult {
  schools: number;
  enrollments: number;
  requests: number;
  connections: number;
  perSecond: number;
  p50: number;
  p99: number;
  cpuMsPerRequest: { client: number; postgres: number | null; total: number | null };
}

/** `requests` whole schools, `connections` at a time, each client on a connection of its own. */
async function measure(pool: pg.Pool, schools: School[], day: string, countDate: string): Promise<FloorResult> {
  const clients = await Promise.all(Array.from({ length: connections }, () => pool.connect()));
  const pids = await Promise.all(clients.map(async (client) => (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid));
  const ask = (client: pg.PoolClient, school: School) =>
    client.query({ name: 'whole-school', text: wholeSchoolSql, values: [school.brin6, day, demoVendor.oin, countDate] });
  // Warm-up: every school once, which also prepares the statement on each connection.
  for (const [i, school] of schools.entries()) await ask(clients[i % connections]!, school);
  await Promise.all(clients.map((client) => ask(client, schools[0]!)));
  const latencies: number[] = [];
  let next = 0;
  const postgresBefore = sumOf(pids);
  const clientBefore = process.cpuUsage();
  const started = performance.now();
  await Promise.all(
    clients.map(async (client) => {
      for (let i = next++; i < requests; i = next++) {
        const begun = performance.now();
        await ask(client, schools[i % schools.length]!);
        latencies.push(performance.now() - begun);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const clientUsage = process.cpuUsage(clientBefore);
  const postgresAfter = sumOf(pids);
  for (const client of clients) client.release();
  latencies.sort((x, y) => x - y);
  const percentile = (p: number) => Math.round(10 * latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))]!) / 10;
  const perRequest = (ms: number) => Math.round((100 * ms) / requests) / 100;
  const client = perRequest((clientUsage.user + clientUsage.system) / 1000);
  const postgres = postgresBefore === undefined || postgresAfter === undefined ? null : perRequest(1000 * (postgresAfter - postgresBefore));
  const enrollments = schools.reduce((sum, school) => sum + school.enrollments, 0) / schools.length;
  return {
    schools: schools.length,
    enrollments,
    requests,
    connections,
    perSecond: requests / seconds,
    p50: percentile(50),
    p99: percentile(99),
    cpuMsPerRequest: { client, postgres, total: postgres === null ? null : Math.round(100 * (client + postgres)) / 100 },
  };
}

/** Once: the gateway's answer for the first school has as many enrollments as the floor's. */
async function checkAgainstGateway(pool: pg.Pool, school: School, day: string, countDate: string): Promise<void> {
  if (!values.check) return;
  if (!values['token-secret']) throw new Error('--check needs --token-secret, the gateway TOKEN_SECRET');
  const [operation] = await wholeSchoolFor([school]);
  const token = await issueToken({ role: 'VENDOR', vendorOin: demoVendor.oin, school: school.brin6 }, values['token-secret'], '1h');
  const response = await fetch(values.check, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: operation!.body,
  });
  const gateway = (await response.json()) as { data?: { enrollments: { edges: unknown[] } } };
  const { rows } = await pool.query<{ answer: string }>(wholeSchoolSql, [school.brin6, day, demoVendor.oin, countDate]);
  const floor = JSON.parse(rows[0]!.answer) as { enrollments: { edges: unknown[] } };
  const [ours, theirs] = [floor.enrollments.edges.length, gateway.data?.enrollments.edges.length];
  const same = JSON.stringify(floor) === JSON.stringify(gateway.data);
  console.log(
    `check ${school.brin6}: floor ${ours} enrollments, gateway ${theirs ?? JSON.stringify(gateway).slice(0, 300)}: ${ours === theirs ? 'same number' : 'DIFFERENT numbers'}, ` +
      `${same ? 'the same answer' : 'answers that differ'}`,
  );
  if (ours !== theirs) process.exitCode = 1;
  if (!same) console.log(`floor:   ${JSON.stringify(floor).slice(0, 600)}\ngateway: ${JSON.stringify(gateway.data).slice(0, 600)}`);
}

async function main(url: string): Promise<void> {
  const database = await openDatabase({ databaseUrl: url, dataDir: 'memory://' });
  const pool = new pg.Pool({ connectionString: url, max: connections });
  try {
    const schools = await schoolsOf(database.db, Number(values.schools), Number(values.enrollments));
    if (!schools.length) throw new Error('No school of about that many enrollments: seed a population first (npm run seed -- --national)');
    const day = today();
    const countDate = currentCountDate(day);
    const kept = await pool.query('SELECT 1 FROM funding.count_date WHERE count_date = $1', [countDate]);
    if (!kept.rowCount) console.log(`count date ${countDate} is not kept: the floor's funding statuses are null where funding would apply its rules afresh`);
    const { rows } = await pool.query<{ answer: string }>(wholeSchoolSql, [schools[0]!.brin6, day, demoVendor.oin, countDate]);
    const sample = JSON.parse(rows[0]!.answer) as { enrollments: { totalCount: number; edges: unknown[] } };
    if (sample.enrollments.edges.length !== schools[0]!.enrollments)
      throw new Error(`${schools[0]!.brin6}: the floor read ${sample.enrollments.edges.length} enrollments, not ${schools[0]!.enrollments}`);
    await checkAgainstGateway(pool, schools[0]!, day, countDate);
    const result = await measure(pool, schools, day, countDate);
    const { client, postgres, total } = result.cpuMsPerRequest;
    console.log(
      `floor, whole school straight from PostgreSQL (${result.schools} schools of ${Math.round(result.enrollments)} enrollments on average, ${connections} clients, ${requests} requests): ` +
        `${result.perSecond.toFixed(0)} req/s, p50 ${result.p50} ms, p99 ${result.p99} ms; CPU ms per request: client ${client}, PostgreSQL backends ${postgres ?? 'not measured (no /proc of the server)'}` +
        (total === null ? '' : `, together ${total}`),
    );
    console.log(`figures: ${await writeResults('floor', { ...result })}`);
  } finally {
    await pool.end();
    await database.close();
  }
}

const url = readConfig().databaseUrl;
if (!url) {
  console.error('Set DATABASE_URL to a PostgreSQL database holding a seeded population (npm run seed -- --national --scale 0.01).');
  process.exit(1);
}
await main(url);

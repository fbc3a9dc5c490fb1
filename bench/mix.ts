/*
 * The requests `npm run bench` sends: a realistic mix from schools' administration systems on the
 * national population, each request of its own school, learner or search term, so that no gateway
 * can answer one request from another that is in flight.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { rowsOf, type Db } from '../kernel/db.ts';
import { schemaFolder } from '../kernel/subgraph.ts';
import { today } from '../kernel/scalars.ts';
import { issueToken, signViewerAssertion, viewerHeader, type Viewer } from '../kernel/viewer.ts';
import { subgraphs } from '../subgraphs/index.ts';
import { demoVendor } from '../subgraphs/institutions/osr.ts';

/** A school the bench acts for, with one of its learners and a word to search branches by. */
export interface School {
  brin6: string;
  pgn: string;
  searchTerm: string;
  enrollments: number;
}

/** An operation and its variables, as a client sends it. */
export interface Operation {
  kind: string;
  school: School;
  body: string;
}

/** The learner a school looks up, with where it is enrolled and its funding status. */
const learnerQuery = `query Learner($pgn: ID!) {
  learner(pgn: $pgn) { id pgn birthDate residence { municipalityCode } enrollments { id startDate endDate group branch { brin6 name } fundingStatus { outcome reasons } } }
}`;

/**
 * `count` schools with at least 50 enrollments running today (or, with `around`, schools with about
 * that many), in an order that mixes the country, each with a learner and a search term taken from
 * another school's name.
 */
export async function schoolsOf(db: Db, count: number, around?: number): Promise<School[]> {
  const size = around === undefined ? sql`count(*) >= 50` : sql`count(*) BETWEEN ${around - 5} AND ${around + 5}`;
  const rows = rowsOf<{ brin6: string; pgn: string; name: string; enrollments: number }>(
    await db.execute(sql`WITH running AS (
        SELECT e.brin6, count(*)::int AS enrollments, min(l.pgn) AS pgn FROM learners.enrollment e JOIN learners.learner l ON l.id = e.learner_id
        WHERE e.start_date <= ${today()}::date AND (e.end_date IS NULL OR e.end_date >= ${today()}::date) GROUP BY e.brin6 HAVING ${size}
      )
      SELECT r.brin6, r.pgn, r.enrollments, b.name FROM running r JOIN institutions.branch b ON b.brin6 = r.brin6 ORDER BY md5(r.brin6) LIMIT ${count}`),
  );
  // A branch search as a user types it: a word of another school's name.
  const words = rows.map((row) => row.name.split(/\s+/).find((word) => /^[A-Za-z]{4,}$/.test(word)) ?? 'school');
  return rows.map((row, i) => ({ brin6: row.brin6, pgn: row.pgn, enrollments: row.enrollments, searchTerm: words[(i + 1) % words.length]! }));
}

/** The mix: per school, a page of its enrollments from three subgraphs, one learner, a branch search. */
export async function mixFor(schools: School[]): Promise<Operation[]> {
  const schoolEnrollments = await registered('SchoolEnrollments');
  const branches = await registered('Branches');
  // School by school, so that each moment of a run sends all three kinds.
  return schools.flatMap((school) => [
    { kind: 'school enrollments', school, body: JSON.stringify({ query: schoolEnrollments, variables: { activeOn: today(), first: 50 } }) },
    { kind: 'learner', school, body: JSON.stringify({ query: learnerQuery, variables: { pgn: school.pgn } }) },
    { kind: 'branch search', school, body: JSON.stringify({ query: branches, variables: { filter: { name: school.searchTerm }, first: 20 } }) },
  ]);
}

/** A school's enrollments running today, all on one page, each with its learner, location and funding status. */
export async function wholeSchoolFor(schools: School[]): Promise<Operation[]> {
  const query = await registered('SchoolEnrollments');
  return schools.map((school) => ({ kind: 'whole school', school, body: JSON.stringify({ query, variables: { activeOn: today(), first: 500 } }) }));
}

async function registered(name: string): Promise<string> {
  return (await readFile(path.join(schemaFolder, 'operations', `${name}.graphql`), 'utf8')).replace(/^#.*\n/gm, '');
}

/**
 * How a client proves who it is to one gateway: a bearer token to the register's, to the others the
 * viewer signed for each subgraph, in `x-register-viewer-<subgraph>`, which they pass on to that
 * subgraph as `x-register-viewer` (bench/peers).
 */
export type Identity = { kind: 'token'; secret: string } | { kind: 'assertion'; secret: string };

const vendorFor = (school: School): Viewer => ({ role: 'VENDOR', vendorOin: demoVendor.oin, school: school.brin6 });

/** The viewer signed for each subgraph, each in a header of its own. */
async function signedPerSubgraph(viewer: Viewer, secret: string): Promise<Record<string, string>> {
  const signed = await Promise.all(
    subgraphs.map(async ({ name }) => [`${viewerHeader}-${name}`, await signViewerAssertion(viewer, secret, name, { origin: '127.0.0.1' })]),
  );
  return Object.fromEntries(signed);
}

/**
 * The requests of one run: headers per school, made fresh (a signed viewer lives 60 s), and bodies
 * as they are. The register's gateway verifies the token and signs the viewer itself; the others
 * pass on the viewer the bench signed, as they have no way to check a token of the register's.
 */
export async function requestsFor(operations: Operation[], identity: Identity): Promise<{ body: string; headers: Record<string, string> }[]> {
  const headers = new Map<string, Record<string, string>>();
  for (const { school } of operations) {
    if (headers.has(school.brin6)) continue;
    const viewer = vendorFor(school);
    headers.set(
      school.brin6,
      identity.kind === 'token'
        ? { authorization: `Bearer ${await issueToken(viewer, identity.secret, '1h')}` }
        : await signedPerSubgraph(viewer, identity.secret),
    );
  }
  return operations.map((operation) => ({ body: operation.body, headers: headers.get(operation.school.brin6)! }));
}

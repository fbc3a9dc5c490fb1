/*
 * Follows what the register tells a school or a municipality, live, and loses nothing: it keeps the
 * cursor of the last event it handled in a file, and every time it subscribes it passes that cursor
 * as `after`, so the register first sends every event it missed, in order, then live ones (README,
 * Real-time subscriptions). That holds across a dropped connection, a gateway restart, the close
 * codes 4008 (it fell behind) and 4503 (an event could not be completed in time: it resumes from the
 * cursor the close names), and restarts of this process. A token the register refuses (4403: not
 * valid, or expired) is fatal unless TOKEN_FILE holds a new one by then: it resumes with that, and
 * otherwise stops with exit code 3 rather than knock again with the same token. It never passes over
 * a result: one without an event is a break, resumed from.
 *
 *   TOKEN=$(npm run -s token -- --role VENDOR --vendor 00000001800866472000 --school 16AH00) \
 *     node --import tsx docs/clients/follow.ts
 *
 *   URL          the gateway's GraphQL URL (default http://127.0.0.1:4000/graphql; ws: follows from it)
 *   FOLLOW       transferNoticeIssued (default), fundingStatusChanged, absenceReportUpdated or signalIssued
 *   TOKEN        a bearer token; or TOKEN_FILE, a file holding one, read again at every connection
 *   CURSOR_FILE  where the last cursor is kept (default <FOLLOW>.cursor)
 *
 * It prints each event as one line of JSON on stdout, and what happens to the connection on stderr.
 * Exit codes: 1 a refusal (FORBIDDEN, BAD_USER_INPUT), 2 a wrong FOLLOW, 3 a token refused and not renewed.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { createClient } from 'graphql-ws';
import { WebSocket } from 'ws'; // Node 20 has no global WebSocket
// The types of the register's registered operations, generated from them (README, "Typed operations"):
// copy schema/operations.ts along with this file.
import type {
  AbsenceReportUpdatedSubscription,
  AbsoluteAbsenceSignalUpdatedSubscription,
  FundingStatusChangedSubscription,
  ResidentEnrollmentChangedSubscription,
  SignalIssuedSubscription,
  TransferNoticeIssuedSubscription,
} from '../../schema/operations.ts';

// The register's registered operations (schema/operations), to the letter: a gateway with
// TRUSTED_DOCUMENTS=strict runs only registered ones. Register your own with operations:register.
const subscriptions: Record<keyof Results, string> = {
  transferNoticeIssued: `# The old school hears at once that its learner enrolled elsewhere, resuming from its last cursor.
subscription TransferNoticeIssued($after: String) {
  transferNoticeIssued(after: $after) {
    cursor
    occurredAt
    notice { id status learnerPgn newStartDate proposedEndDate newLocation { id code branches { id name } } enrollment { id fundingStatus { id outcome } } }
  }
}
`,
  fundingStatusChanged: `# A school follows its enrollments' funding statuses as they change, resuming from its last cursor.
subscription FundingStatusChanged($after: String) {
  fundingStatusChanged(after: $after) {
    cursor
    occurredAt
    countDate
    previous { outcome reasons }
    current { outcome reasons }
    enrollment { id learner { id pgn } branch { id brin6 name } }
  }
}
`,
  absenceReportUpdated: `# A school or a municipality follows its absence reports, resuming from its last cursor.
subscription AbsenceReportUpdated($after: String) {
  absenceReportUpdated(after: $after) {
    cursor
    occurredAt
    change
    report { id status kind startDate endDate totalHours municipalityCode branch { id name } learner { id pgn } }
  }
}
`,
  signalIssued: `# A school follows the signals about its deliveries and enrollments (terugmelding), resuming from its last cursor.
subscription SignalIssued($after: String) {
  signalIssued(after: $after) {
    cursor
    occurredAt
    signal { id code field deliveredValue registeredValue action status enrollment { id learner { id pgn } } }
  }
}
`,
  residentEnrollmentChanged: `# A municipality follows its residents' enrollments, deregistrations and decisions to expel, resuming
# from its last cursor.
subscription ResidentEnrollmentChanged($after: String) {
  residentEnrollmentChanged(after: $after) {
    cursor
    occurredAt
    change
    learner { id pgn residence { id municipalityCode source } enrollments { id } }
    enrollment { id startDate endDate endReason destination branch { id brin6 } }
    expulsion { id status decidedOn receivingSchool { id school destination willingOn } }
  }
}
`,
  absoluteAbsenceSignalUpdated: `# A municipality follows the absolute-absence signals of its residents, resuming from its last cursor.
subscription AbsoluteAbsenceSignalUpdated($after: String) {
  absoluteAbsenceSignalUpdated(after: $after) {
    cursor
    occurredAt
    change
    signal { id bsn birthDate reason since dueOn status resolution lastEnrollment { id } }
  }
}
`,
};

/** What each subscription's result holds: one event under its field. */
type Results = TransferNoticeIssuedSubscription &
  FundingStatusChangedSubscription &
  AbsenceReportUpdatedSubscription &
  SignalIssuedSubscription &
  ResidentEnrollmentChangedSubscription &
  AbsoluteAbsenceSignalUpdatedSubscription;
type Field = keyof Results;
type Event = Results[Field];

const field = (process.env.FOLLOW ?? 'transferNoticeIssued') as Field;
if (!(field in subscriptions)) {
  console.error(`FOLLOW must be one of ${Object.keys(subscriptions).join(', ')}`);
  process.exit(2);
}
const url = (process.env.URL ?? 'http://127.0.0.1:4000/graphql').replace(/^http/, 'ws');
const cursorFile = process.env.CURSOR_FILE ?? `${field}.cursor`;

/** Read at every connection, so that a token renewed in TOKEN_FILE is used after a 4403. */
function token(): string {
  return (process.env.TOKEN_FILE ? readFileSync(process.env.TOKEN_FILE, 'utf8') : (process.env.TOKEN ?? '')).trim();
}

/** The token the last connection was made with: a refusal of it is final unless TOKEN_FILE has changed since. */
let connectedWith: string | undefined;

/** The cursor of the last event handled; null the first time, to follow from now on. */
function lastCursor(): string | null {
  try {
    return readFileSync(cursorFile, 'utf8').trim() || null;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/** Replaces the file whole (a rename is atomic), so a crash never leaves half a cursor. */
function keepCursor(cursor: string): void {
  writeFileSync(`${cursorFile}.new`, cursor);
  renameSync(`${cursorFile}.new`, cursorFile);
}

/**
 * What to do with an event; here, print it. The cursor is kept after handling, so a crash between
 * the two hands this event over once more on restart: make handling idempotent (by the notice's or
 * the report's id, say) rather than lose an event.
 */
function handle(event: Event): void {
  console.log(JSON.stringify(event));
}

/** A result that carries no event: the register never sends one, and it is never passed over. */
class Incomplete extends Error {}

/** The close code of an event that could not be completed in time; its reason names where to resume. */
const unavailable = 4503;

/**
 * The token was refused: 4403 is the register's close for a token that is not valid or has expired
 * (README, Real-time subscriptions), 4401 graphql-ws's own when a connection was not accepted. Neither
 * gets better by connecting again with the same token; graphql-ws retries 4403 by itself (it leaves
 * room for a renewed token), which here would knock five times with a token known to be refused.
 */
const tokenRefused = [4401, 4403];

/**
 * A refusal that subscribing again would meet again (FORBIDDEN: no mandate, or it ended;
 * BAD_USER_INPUT: a cursor file that holds no cursor); an outage (UNAVAILABLE, an internal error) passes.
 */
const refusal = (errors: { extensions?: { code?: unknown } }[]) =>
  errors.some((error) => !['UNAVAILABLE', 'INTERNAL_SERVER_ERROR'].includes(String(error.extensions?.code)));

let retries = 0;
const client = createClient({
  url,
  webSocketImpl: WebSocket,
  connectionParams: () => ({ authorization: `Bearer ${(connectedWith = token())}` }),
  // graphql-ws would resubscribe by itself, but with the variables it was first given: from an old
  // cursor. The loop below subscribes again itself, after the last event handled.
  retryAttempts: 0,
  on: {
    connected: () => {
      retries = 0;
      console.error(`connected to ${url}`);
    },
    closed: (event) => {
      const { code, reason } = event as { code: number; reason: string };
      console.error(`closed: ${code} ${reason}`);
    },
  },
});

for (;;) {
  const after = lastCursor();
  console.error(`subscribing to ${field} ${after ? `after ${after}` : 'from now on'}`);
  try {
    for await (const result of client.iterate<Pick<Results, Field>>({ query: subscriptions[field], variables: { after } })) {
      const event = result.data?.[field];
      if (!event) throw new Incomplete(`a result without an event: ${JSON.stringify(result.errors)}`);
      // Errors beside an event are part of it: a field this viewer may not see (FORBIDDEN, NOT_FOUND).
      if (result.errors) console.error(`errors: ${JSON.stringify(result.errors)}`);
      handle(event);
      keepCursor(event.cursor);
    }
  } catch (error) {
    if (Array.isArray(error) && refusal(error)) {
      console.error(`refused: ${JSON.stringify(error)}`);
      process.exit(1);
    }
    // The connection (4403, 4008, a restart, the network), an outage, or an incomplete result: resume
    // from the cursor. After 4503 that is the cursor the close names, right before the held event: the
    // events before it were all handled by now, so it is never behind the one kept.
    const { code, reason } = error as { code?: number; reason?: string };
    if (code !== undefined && tokenRefused.includes(code) && token() === connectedWith) {
      console.error(`the token was refused (${code} ${reason}); put a new one in TOKEN_FILE and start again`);
      process.exit(3);
    }
    const named = code === unavailable ? /after: (\S+)$/.exec(reason ?? '')?.[1] : undefined;
    if (named) keepCursor(named);
    if (error instanceof Incomplete) console.error(error.message);
  }
  // Longer after each failed attempt, up to 10 s; the jitter spreads the clients a restart let go.
  await sleep(Math.min(10_000, 250 * 2 ** retries++) * (0.5 + Math.random()));
}

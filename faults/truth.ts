/*
 * The ground truth of the fault suite, read from the outboxes once the faults are over: every
 * acknowledged write left its event exactly once (a write and its event commit together, the
 * transactional outbox), and each subscriber received, in order and once, every event of its
 * stream that its viewer follows: a school its own (brin6), a municipality its own
 * (municipalityCode), the operator all (kernel/feed.ts, eventSubscription).
 */
import { sql } from 'drizzle-orm';
import { rowsOf, type Db } from '../kernel/db.ts';
import { compareCursors, readEvents, streamStart } from '../kernel/events.ts';
import type { Field, Subscriber } from './subscribers.ts';
import type { Write, WriteKind } from './writers.ts';

/** The stream and event types behind each subscription field. */
const streams: Record<Field, { stream: string; types: string[] }> = {
  fundingStatusChanged: { stream: 'funding', types: ['FundingStatusChanged'] },
  transferNoticeIssued: { stream: 'learners', types: ['TransferNoticeIssued'] },
  absenceReportUpdated: { stream: 'absence', types: ['AbsenceReported', 'AbsenceReportStatusChanged'] },
};

/** Whom a subscriber follows: the event key and value it matches, or everything. */
export type Follows = { key: 'brin6' | 'municipalityCode'; value: string } | 'all';

export interface SubscriberVerdict {
  name: string;
  field: Field;
  expected: number;
  delivered: number;
  missing: number;
  doubled: number;
  outOfOrder: number;
  /** Delivered with errors beside the data: a part missing. */
  incomplete: number;
  /** Delivered but not the viewer's to see. */
  notTheirs: number;
  /** Results that came without their event (errors only). */
  failedResults: number;
  breaks: string;
}

/** Every event a subscriber of `field` who `follows` should get, by cursor, in stream order. */
export async function expectedEvents(db: Db, field: Field, follows: Follows): Promise<string[]> {
  const { stream, types } = streams[field];
  const cursors: string[] = [];
  for (let after = streamStart; ;) {
    const events = await readEvents(db, stream, after, 5000, types);
    if (events.length === 0) return cursors;
    for (const event of events) if (follows === 'all' || event.keys[follows.key] === follows.value) cursors.push(event.cursor);
    after = events.at(-1)!.cursor;
  }
}

export function judgeSubscriber(subscriber: Subscriber, expected: string[]): SubscriberVerdict {
  const wanted = new Set(expected);
  const seen = new Set<string>();
  let last: string | undefined;
  const verdict = { doubled: 0, outOfOrder: 0, incomplete: 0, notTheirs: 0 };
  for (const { cursor, incomplete } of subscriber.delivered) {
    if (seen.has(cursor)) {
      verdict.doubled++;
      continue;
    }
    seen.add(cursor);
    if (last !== undefined && compareCursors(cursor, last) < 0) verdict.outOfOrder++;
    else last = cursor;
    if (incomplete) verdict.incomplete++;
    if (!wanted.has(cursor)) verdict.notTheirs++;
  }
  return {
    name: subscriber.name,
    field: subscriber.field,
    expected: expected.length,
    delivered: subscriber.delivered.length,
    missing: expected.filter((cursor) => !seen.has(cursor)).length,
    ...verdict,
    failedResults: subscriber.incidents.filter((incident) => incident.kind === 'without event').length,
    breaks: [...subscriber.breaks].map(([why, times]) => `${why} ×${times}`).join(', '),
  };
}

export interface WriteVerdict {
  kind: WriteKind;
  acknowledged: number;
  lost: number;
  doubled: number;
  refused: number;
  unanswered: number;
}

/** The event each kind of write leaves, and the key that names what it wrote. */
const traces: Record<WriteKind, { stream: string; type: string; key: 'enrollmentId' | 'reportId' }> = {
  enroll: { stream: 'learners', type: 'EnrollmentRegistered', key: 'enrollmentId' },
  transfer: { stream: 'learners', type: 'EnrollmentRegistered', key: 'enrollmentId' },
  change: { stream: 'learners', type: 'EnrollmentChanged', key: 'enrollmentId' },
  report: { stream: 'absence', type: 'AbsenceReported', key: 'reportId' },
  treat: { stream: 'absence', type: 'AbsenceReportStatusChanged', key: 'reportId' },
};

/**
 * Per kind of write: how many were acknowledged, and how many of those left no event (lost) or more
 * than one (doubled). Changes are counted per enrollment: as many events as acknowledged changes.
 */
export async function judgeWrites(db: Db, writes: Write[]): Promise<WriteVerdict[]> {
  const counted = new Map<string, Map<string, number>>();
  for (const { stream, type, key } of Object.values(traces)) {
    if (counted.has(`${stream}.${type}`)) continue;
    const rows = rowsOf<{ id: string; n: number }>(
      await db.execute(sql`SELECT keys->>${key} AS id, count(*)::int AS n FROM ${sql.identifier(stream)}.outbox WHERE type = ${type} GROUP BY 1`),
    );
    counted.set(`${stream}.${type}`, new Map(rows.map((row) => [row.id, row.n])));
  }
  return (Object.keys(traces) as WriteKind[]).map((kind) => {
    const { stream, type, key } = traces[kind];
    const events = counted.get(`${stream}.${type}`)!;
    const ofKind = writes.filter((write) => write.kind === kind);
    const acknowledged = ofKind.filter((write) => write.acknowledged);
    const perObject = new Map<string, number>();
    for (const write of acknowledged) {
      const id = write[key]!;
      perObject.set(id, (perObject.get(id) ?? 0) + 1);
    }
    let lost = 0;
    let doubled = 0;
    for (const [id, acks] of perObject) {
      const found = events.get(id) ?? 0;
      lost += Math.max(0, acks - found);
      doubled += Math.max(0, found - acks);
    }
    return {
      kind,
      acknowledged: acknowledged.length,
      lost,
      doubled,
      refused: ofKind.filter((write) => write.refused).length,
      unanswered: ofKind.length - acknowledged.length - ofKind.filter((write) => write.refused).length,
    };
  });
}

import type { NewEvent, StoredEvent } from '../../kernel/events.ts';
import type { RegisterState } from './rules.ts';

/**
 * The institutions stream: one event per object an import created or changed, carrying the object's
 * full state, so that a consumer's copy is right after any one event (docs/architecture.md, "Ownership").
 * Board events are left out until a consumer needs them. Migration 0002 states the same shapes. The
 * stream also carries the OSR's MandateGranted and MandateEnded (osr.ts), which copies of RIO skip.
 */
export function eventsOf(writes: RegisterState): NewEvent[] {
  return [
    ...writes.providers.map((row) => ({
      type: 'ProviderChanged',
      keys: { providerCode: row.code },
      payload: { code: row.code, brin4: row.brin4, boardCode: row.boardCode, startDate: row.startDate, endDate: row.endDate },
    })),
    ...writes.locations.map((row) => ({
      type: 'LocationChanged',
      keys: { locationCode: row.code },
      payload: { code: row.code, postcode: row.postcode, municipalityCode: row.municipalityCode, startDate: row.startDate, endDate: row.endDate },
    })),
    ...writes.branches.map((row) => ({
      type: 'BranchChanged',
      keys: { brin6: row.brin6 },
      payload: { brin6: row.brin6, providerCode: row.providerCode, locationCode: row.locationCode, startDate: row.startDate, endDate: row.endDate },
    })),
    ...writes.programmes.map((row) => ({
      type: 'OfferedProgrammeChanged',
      keys: { offeredProgrammeId: row.id },
      payload: { id: row.id, providerCode: row.providerCode, locationCode: row.locationCode, kind: row.kind, startDate: row.startDate, endDate: row.endDate },
    })),
  ];
}

/** An object's state as an institutions event carries it: what a consumer keeps its copy of RIO from. */
export interface RioState {
  kind: 'PROVIDER' | 'LOCATION' | 'BRANCH' | 'OFFERED_PROGRAMME';
  code: string;
  providerCode: string | null;
  locationCode: string | null;
  boardCode: string | null;
  postcode: string | null;
  municipalityCode: string | null;
  startDate: string | null;
  endDate: string | null;
}

const kinds = {
  ProviderChanged: 'PROVIDER',
  LocationChanged: 'LOCATION',
  BranchChanged: 'BRANCH',
  OfferedProgrammeChanged: 'OFFERED_PROGRAMME',
} as const;

/** The event types a copy of RIO reads. */
export const rioEventTypes = Object.keys(kinds);

/**
 * The last state of each object the events report, keyed `<kind>/<code>`; other event types are
 * skipped. Events carry full state, so the last one of an object is all a copy needs.
 */
export function latestRioStates(events: readonly Pick<StoredEvent, 'type' | 'payload'>[]): RioState[] {
  const latest = new Map<string, RioState>();
  for (const event of events) {
    const kind = kinds[event.type as keyof typeof kinds];
    if (!kind) continue;
    const payload = event.payload as Record<string, string | null | undefined>;
    const code = (payload.code ?? payload.brin6 ?? payload.id)!;
    latest.set(`${kind}/${code}`, {
      kind,
      code,
      providerCode: kind === 'PROVIDER' ? code : (payload.providerCode ?? null),
      locationCode: kind === 'LOCATION' ? code : (payload.locationCode ?? null),
      boardCode: payload.boardCode ?? null,
      postcode: payload.postcode ?? null,
      municipalityCode: payload.municipalityCode ?? null,
      startDate: payload.startDate ?? null,
      endDate: payload.endDate ?? null,
    });
  }
  return [...latest.values()];
}

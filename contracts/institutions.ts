import type { NewEvent, StoredEvent } from '../kernel/events.ts';

/*
 * The institutions stream: RIO's objects, each event carrying one object's full state, so that a
 * consumer's copy is right after any one event; and the OSR's mandates (docs/domain.md §8).
 */

export const version = 1;

/** The services a school mandates a vendor for in the OSR. */
export const services = ['ROD_PO', 'VERZUIM', 'RIO'] as const;
export type Service = (typeof services)[number];

export interface InstitutionsPayloads {
  ProviderChanged: { code: string; brin4: string; boardCode: string | null; startDate: string | null; endDate: string | null };
  LocationChanged: { code: string; postcode: string | null; municipalityCode: string | null; startDate: string | null; endDate: string | null };
  BranchChanged: { brin6: string; providerCode: string; locationCode: string; startDate: string | null; endDate: string | null };
  OfferedProgrammeChanged: { id: string; providerCode: string; locationCode: string; kind: string; startDate: string | null; endDate: string | null };
  /** Onderwijslocatiegebruik: a vestiging teaching at a location a board registered for it (docs/domain.md §2.1 [S:11]). */
  LocationUseChanged: { id: string; brin6: string; locationCode: string; startDate: string; endDate: string | null };
  MandateGranted: MandateState;
  MandateEnded: MandateState;
}

/**
 * A mandate's full state: the last event of a mandate is all a copy needs. `brin6` is the vestiging
 * it is for, or, for a mandate for a whole school (its main vestiging with all its other vestigingen,
 * present and future: Besluit bekostiging WPO 2022 art 8.5, 11.2), the school's BRIN4. A copy that
 * compares it with a vestiging's BRIN6 only never matches a BRIN4, so it refuses rather than widens:
 * the version stays.
 */
export interface MandateState {
  id: string;
  brin6: string;
  service: Service;
  vendorOin: string;
  startDate: string;
  endDate: string | null;
}

export type InstitutionsEventType = keyof InstitutionsPayloads;

/** A stored event of this stream as the contract types it; narrow it by `type`. */
export type InstitutionsEvent = {
  [T in InstitutionsEventType]: Omit<StoredEvent, 'type' | 'payload'> & { type: T; payload: InstitutionsPayloads[T] };
}[InstitutionsEventType];

export const asInstitutionsEvent = (event: StoredEvent) => event as unknown as InstitutionsEvent;

export const mandateEventTypes = ['MandateGranted', 'MandateEnded'] as const satisfies readonly InstitutionsEventType[];

/** The event types a copy of RIO reads. */
export const rioEventTypes = [
  'ProviderChanged',
  'LocationChanged',
  'BranchChanged',
  'OfferedProgrammeChanged',
  'LocationUseChanged',
] as const satisfies readonly InstitutionsEventType[];

/** An object's state as a copy of RIO keeps it, whatever its kind. */
export interface RioState {
  kind: 'PROVIDER' | 'LOCATION' | 'BRANCH' | 'OFFERED_PROGRAMME' | 'LOCATION_USE';
  code: string;
  providerCode: string | null;
  locationCode: string | null;
  boardCode: string | null;
  /** A provider's BRIN4 (its school); null for the other kinds. */
  brin4: string | null;
  /** A location use's vestiging; null for the other kinds. */
  brin6: string | null;
  postcode: string | null;
  municipalityCode: string | null;
  startDate: string | null;
  endDate: string | null;
}

/** The state an RIO object's event gives, narrowed by the event's type; undefined for other types. */
function rioStateOf(event: InstitutionsEvent): RioState | undefined {
  const none = { providerCode: null, locationCode: null, boardCode: null, brin4: null, brin6: null, postcode: null, municipalityCode: null };
  switch (event.type) {
    case 'ProviderChanged': {
      const { code, brin4, boardCode, startDate, endDate } = event.payload;
      // Events before issue 19 carry no BRIN4; the copy fills it from the provider's next event.
      return { ...none, kind: 'PROVIDER', code, providerCode: code, boardCode, brin4: brin4 ?? null, startDate, endDate };
    }
    case 'LocationChanged': {
      const { code, postcode, municipalityCode, startDate, endDate } = event.payload;
      return { ...none, kind: 'LOCATION', code, locationCode: code, postcode, municipalityCode, startDate, endDate };
    }
    case 'BranchChanged': {
      const { brin6, providerCode, locationCode, startDate, endDate } = event.payload;
      return { ...none, kind: 'BRANCH', code: brin6, providerCode, locationCode, startDate, endDate };
    }
    case 'OfferedProgrammeChanged': {
      const { id, providerCode, locationCode, startDate, endDate } = event.payload;
      return { ...none, kind: 'OFFERED_PROGRAMME', code: id, providerCode, locationCode, startDate, endDate };
    }
    case 'LocationUseChanged': {
      const { id, brin6, locationCode, startDate, endDate } = event.payload;
      return { ...none, kind: 'LOCATION_USE', code: id, brin6, locationCode, startDate, endDate };
    }
    default:
      return undefined;
  }
}

/**
 * The last state of each object the events report; other event types are skipped. Events carry
 * full state, so the last one of an object is all a copy needs.
 */
export function latestRioStates(events: readonly StoredEvent[]): RioState[] {
  const latest = new Map<string, RioState>();
  for (const event of events) {
    const state = rioStateOf(asInstitutionsEvent(event));
    if (state) latest.set(`${state.kind}/${state.code}`, state);
  }
  return [...latest.values()];
}

/** An event of this stream as the producer writes it: the payload its type's contract gives. */
export function institutionsEvent<T extends InstitutionsEventType>(type: T, keys: Record<string, string>, payload: InstitutionsPayloads[T]): NewEvent {
  return { type, keys, payload: { ...payload } };
}

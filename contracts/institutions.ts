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

const kinds = {
  ProviderChanged: 'PROVIDER',
  LocationChanged: 'LOCATION',
  BranchChanged: 'BRANCH',
  OfferedProgrammeChanged: 'OFFERED_PROGRAMME',
} as const satisfies Partial<Record<InstitutionsEventType, string>>;

/** The event types a copy of RIO reads. */
export const rioEventTypes = Object.keys(kinds) as (keyof typeof kinds)[];

/** An object's state as a copy of RIO keeps it, whatever its kind. */
export interface RioState {
  kind: (typeof kinds)[keyof typeof kinds];
  code: string;
  providerCode: string | null;
  locationCode: string | null;
  boardCode: string | null;
  /** A provider's BRIN4 (its school); null for the other kinds. */
  brin4: string | null;
  postcode: string | null;
  municipalityCode: string | null;
  startDate: string | null;
  endDate: string | null;
}

/**
 * The last state of each object the events report, keyed `<kind>/<code>`; other event types are
 * skipped. Events carry full state, so the last one of an object is all a copy needs.
 */
export function latestRioStates(events: readonly Pick<StoredEvent, 'type' | 'payload'>[]): RioState[] {
  const latest = new Map<string, RioState>();
  for (const event of events) {
    const kind = kinds[event.type as keyof typeof kinds];
    if (!kind) continue;
    const payload = event.payload as Partial<
      Record<
        'code' | 'brin4' | 'brin6' | 'id' | 'providerCode' | 'locationCode' | 'boardCode' | 'postcode' | 'municipalityCode' | 'startDate' | 'endDate',
        string | null
      >
    >;
    const code = (payload.code ?? payload.brin6 ?? payload.id)!;
    latest.set(`${kind}/${code}`, {
      kind,
      code,
      providerCode: kind === 'PROVIDER' ? code : (payload.providerCode ?? null),
      locationCode: kind === 'LOCATION' ? code : (payload.locationCode ?? null),
      boardCode: payload.boardCode ?? null,
      brin4: kind === 'PROVIDER' ? (payload.brin4 ?? null) : null,
      postcode: payload.postcode ?? null,
      municipalityCode: payload.municipalityCode ?? null,
      startDate: payload.startDate ?? null,
      endDate: payload.endDate ?? null,
    });
  }
  return [...latest.values()];
}

/** An event of this stream as the producer writes it: the payload its type's contract gives. */
export function institutionsEvent<T extends InstitutionsEventType>(type: T, keys: Record<string, string>, payload: InstitutionsPayloads[T]): NewEvent {
  return { type, keys, payload: { ...payload } };
}

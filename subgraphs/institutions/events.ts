import { institutionsEvent } from '../../contracts/institutions.ts';
import type { NewEvent } from '../../kernel/events.ts';
import type { RegisterState } from './rules.ts';
import type { LocationUseRow } from './tables.ts';

/** What one transaction wrote: an import's plan, or a board's change or the operator's correction (changes.ts). */
export type Writes = Partial<RegisterState> & { locationUses?: LocationUseRow[] };

/**
 * The institutions stream: one event per object an import created or changed, carrying the object's
 * full state, so that a consumer's copy is right after any one event (docs/architecture.md, "Ownership");
 * board changes write the same events (changes.ts), and a location use has its own;
 * contracts/institutions.ts types them. Board events are left out until a consumer needs them.
 * Migration 0002 states the same shapes. The stream also carries the OSR's MandateGranted and
 * MandateEnded (osr.ts), which copies of RIO skip.
 */
export function eventsOf(writes: Writes): NewEvent[] {
  return [
    ...(writes.providers ?? []).map((row) =>
      institutionsEvent(
        'ProviderChanged',
        { providerCode: row.code },
        { code: row.code, brin4: row.brin4, boardCode: row.boardCode, startDate: row.startDate, endDate: row.endDate },
      ),
    ),
    ...(writes.locations ?? []).map((row) =>
      institutionsEvent(
        'LocationChanged',
        { locationCode: row.code },
        { code: row.code, postcode: row.postcode, municipalityCode: row.municipalityCode, startDate: row.startDate, endDate: row.endDate },
      ),
    ),
    ...(writes.branches ?? []).map((row) =>
      institutionsEvent(
        'BranchChanged',
        { brin6: row.brin6 },
        { brin6: row.brin6, providerCode: row.providerCode, locationCode: row.locationCode, startDate: row.startDate, endDate: row.endDate },
      ),
    ),
    ...(writes.programmes ?? []).map((row) =>
      institutionsEvent(
        'OfferedProgrammeChanged',
        { offeredProgrammeId: row.id },
        { id: row.id, providerCode: row.providerCode, locationCode: row.locationCode, kind: row.kind, startDate: row.startDate, endDate: row.endDate },
      ),
    ),
    ...(writes.locationUses ?? []).map((row) =>
      institutionsEvent(
        'LocationUseChanged',
        { locationUseId: row.id, brin6: row.brin6 },
        { id: row.id, brin6: row.brin6, locationCode: row.locationCode, startDate: row.startDate, endDate: row.endDate },
      ),
    ),
  ];
}

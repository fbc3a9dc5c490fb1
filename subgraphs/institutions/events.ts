import type { NewEvent } from '../../kernel/events.ts';
import type { RegisterState } from './rules.ts';

/**
 * The institutions stream: one event per object an import created or changed, carrying the object's
 * full state, so that a consumer's copy is right after any one event (architecture.md, "Ownership").
 * Board events are left out until a consumer needs them. Migration 0002 states the same shapes.
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

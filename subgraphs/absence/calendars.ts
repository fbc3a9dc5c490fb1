import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { and, eq } from 'drizzle-orm';
import { z } from 'zod';
import { isDay } from '../../kernel/calendar.ts';
import { projectRoot } from '../../kernel/config.ts';
import type { Db } from '../../kernel/db.ts';
import { readYourWrites } from '../../kernel/events.ts';
import { rioConsumer } from './copy.ts';
import { holidayRegions, schoolCalendar, type Holiday, type HolidayRegion, type RegionalHolidays, type SchoolCalendar } from './schoolCalendar.ts';
import { branch, location, schoolHoliday } from './tables.ts';

/*
 * Where a school's calendar comes from (README.md, "School calendars"): the recommended school holidays
 * of its region, published by the Rijksoverheid per school year (data/schoolvakanties), unless the
 * school registered its own for that year (setSchoolCalendar). The region follows where the branch
 * is (Regeling vaststelling schoolvakanties art 2: "De plaats van vestiging is bepalend"): its RIO
 * location's municipality, and in the four municipalities split between regions its postcode.
 */

/** The recommended holidays that ship with the repository (data/schoolvakanties/README.md). */
export const bundledHolidaysFile = path.join(projectRoot, 'data', 'schoolvakanties', 'schoolvakanties.json');

const region = z.enum(holidayRegions);
const day = z.string().refine(isDay, 'a day written YYYY-MM-DD');
const period = z.tuple([day, day]);
const holidaysFile = z.object({
  regions: z.object({
    municipalities: z.array(
      z.object({ code: z.string().regex(/^\d{4}$/), name: z.string(), region, byPostcode: z.record(z.string().regex(/^\d{4}$/), region).optional() }),
    ),
  }),
  schoolYears: z.array(
    z.object({
      schoolYear: z.string().regex(/^\d{4}-\d{4}$/),
      holidays: z.array(z.object({ name: z.string(), noord: period, midden: period, zuid: period })),
    }),
  ),
});

export type HolidaysFile = z.infer<typeof holidaysFile>;

/** The recommended holidays and the regions, as the register reads them. */
export interface RecommendedHolidays {
  /** The region a school's location is in, from its municipality (and postcode where the municipality is split); null if not known. */
  regionOf(municipalityCode: string | null, postcode: string | null): HolidayRegion | null;
  of(region: HolidayRegion): RegionalHolidays;
}

export function recommendedHolidays(data: HolidaysFile): RecommendedHolidays {
  const municipalities = new Map(data.regions.municipalities.map((entry) => [entry.code, entry]));
  const published = new Set(data.schoolYears.map((year) => year.schoolYear));
  const byRegion = new Map(
    holidayRegions.map((name) => {
      const holidays: Holiday[] = data.schoolYears.flatMap((year) =>
        year.holidays.map((holiday) => ({ name: holiday.name, startDate: holiday[name][0], endDate: holiday[name][1] })),
      );
      return [name, { region: name, published, holidays }];
    }),
  );
  return {
    regionOf(municipalityCode, postcode) {
      const entry = municipalityCode === null ? undefined : municipalities.get(municipalityCode);
      if (!entry) return null;
      return (postcode && entry.byPostcode?.[postcode.slice(0, 4)]) || entry.region;
    },
    of: (name) => byRegion.get(name)!,
  };
}

let bundled: Promise<RecommendedHolidays> | undefined;

/** The bundled file, read and checked once per process. */
export function bundledHolidays(): Promise<RecommendedHolidays> {
  bundled ??= readFile(bundledHolidaysFile, 'utf8').then((text) => recommendedHolidays(holidaysFile.parse(JSON.parse(text))));
  return bundled;
}

/** Where the branch is, or null for a branch the copy does not hold (after taking in what the stream has). */
async function placeOf(db: Db, brin6: string): Promise<{ municipalityCode: string | null; postcode: string | null } | null> {
  const read = () =>
    db
      .select({ municipalityCode: location.municipalityCode, postcode: location.postcode })
      .from(branch)
      .innerJoin(location, eq(location.code, branch.locationCode))
      .where(eq(branch.brin6, brin6));
  const [found] = await read();
  if (found) return found;
  await readYourWrites(db, rioConsumer, 2_000);
  return (await read())[0] ?? null;
}

/** The school's own holidays, by school year. */
export async function ownHolidays(db: Db, brin6: string, schoolYear?: string): Promise<Map<string, Holiday[]>> {
  const rows = await db
    .select()
    .from(schoolHoliday)
    .where(and(eq(schoolHoliday.brin6, brin6), schoolYear === undefined ? undefined : eq(schoolHoliday.schoolYear, schoolYear)))
    .orderBy(schoolHoliday.startDate);
  const own = new Map<string, Holiday[]>();
  for (const row of rows) own.set(row.schoolYear, [...(own.get(row.schoolYear) ?? []), { name: row.name, startDate: row.startDate, endDate: row.endDate }]);
  return own;
}

/**
 * A branch's calendar: its own holidays where it registered them, else its region's (`schoolCalendar`);
 * `known` says whether RIO knows the branch at all.
 */
export async function calendarOf(db: Db, brin6: string, schoolYear?: string): Promise<{ known: boolean; calendar: SchoolCalendar }> {
  const [place, own, recommended] = await Promise.all([placeOf(db, brin6), ownHolidays(db, brin6, schoolYear), bundledHolidays()]);
  const region = place && recommended.regionOf(place.municipalityCode, place.postcode);
  return { known: place !== null, calendar: schoolCalendar(own, region ? recommended.of(region) : null) };
}

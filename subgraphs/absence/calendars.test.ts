import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { daysBetween } from '../../kernel/calendar.ts';
import { projectRoot } from '../../kernel/config.ts';
import { splitLine } from '../../kernel/csv.ts';
import { bundledHolidays, bundledHolidaysFile } from './calendars.ts';
import { holidayRegions, holidayWeeks, schoolCalendar, schoolYearBounds } from './schoolCalendar.ts';

/*
 * The data file of recommended holidays and regions (data/schoolvakanties): read as the register reads
 * it, and held against DUO's school list, whose VAKANTIEREGIO column gives every branch's region.
 */

const raw = JSON.parse(readFileSync(bundledHolidaysFile, 'utf8')) as {
  schoolYears: { schoolYear: string; holidays: { name: string; noord: [string, string]; midden: [string, string]; zuid: [string, string] }[] }[];
  notIncluded: { schoolYear: string }[];
};

describe('the recommended holidays (data/schoolvakanties)', () => {
  it('holds 2024-2025, 2025-2026 and 2027-2028, and says 2026-2027 is left out', () => {
    expect(raw.schoolYears.map((year) => year.schoolYear)).toEqual(['2024-2025', '2025-2026', '2027-2028']);
    expect(raw.notIncluded.map((year) => year.schoolYear)).toEqual(['2026-2027']);
  });

  it.each(raw.schoolYears.map((year) => [year.schoolYear, year] as const))(
    'gives %s five holidays per region, each from a Saturday to a Sunday, the summer one of six weeks',
    (_, year) => {
      expect(year.holidays.map((holiday) => holiday.name)).toEqual(['Herfstvakantie', 'Kerstvakantie', 'Voorjaarsvakantie', 'Meivakantie', 'Zomervakantie']);
      for (const holiday of year.holidays) {
        for (const region of holidayRegions) {
          const [start, end] = holiday[region];
          expect(new Date(`${start}T00:00:00Z`).getUTCDay(), `${holiday.name} ${region} starts on a Saturday`).toBe(6);
          expect(new Date(`${end}T00:00:00Z`).getUTCDay(), `${holiday.name} ${region} ends on a Sunday`).toBe(0);
          expect(start >= schoolYearBounds(year.schoolYear).start, `${holiday.name} ${region} starts in its school year`).toBe(true);
        }
      }
      for (const region of holidayRegions) expect(daysBetween(...year.holidays[4]![region]), `the summer holiday of ${region}`).toBe(43);
    },
  );

  it('makes the spring holiday of region noord in 2024-2025 the week of 17 February (issue 19, counter-example 1)', async () => {
    const recommended = await bundledHolidays();
    expect(holidayWeeks(schoolCalendar(new Map(), recommended.of('noord')), '2024-2025')).toContain('2025-02-17');
    expect(holidayWeeks(schoolCalendar(new Map(), recommended.of('midden')), '2024-2025')).toContain('2025-02-24');
  });
});

describe('the holiday region of a school', () => {
  it.each<[string, string, string | null, string | null]>([
    ['Emmen (Drenthe)', '0114', '7822HG', 'noord'],
    ['Hattem, the one municipality of Gelderland in noord', '0244', '8051AB', 'noord'],
    ['Zeewolde, the one of Flevoland in midden', '0050', '3891AA', 'midden'],
    ['Arnhem', '0202', '6811AA', 'zuid'],
    ['Abcoude in De Ronde Venen', '0736', '1391CZ', 'noord'],
    ['Mijdrecht in De Ronde Venen', '0736', '3641AT', 'midden'],
    ['Dodewaard in Neder-Betuwe', '1740', '6669AK', 'zuid'],
    ['Didam in Montferland', '1955', '6941BG', 'zuid'],
    ['Hank in Altena', '1959', '4273EN', 'zuid'],
    ['Werkendam in Altena', '1959', '4251BE', 'midden'],
    ['a split municipality without a postcode', '0736', null, 'midden'],
  ])('puts a school in %s in region %s', async (_, municipality, postcode, region) => {
    expect((await bundledHolidays()).regionOf(municipality, postcode)).toBe(region);
  });

  it('places no school in a municipality it does not know', async () => {
    expect((await bundledHolidays()).regionOf('9999', '1234AB')).toBeNull();
    expect((await bundledHolidays()).regionOf(null, null)).toBeNull();
  });

  it("agrees with the VAKANTIEREGIO of every branch in DUO's school list", async () => {
    const file = path.join(projectRoot, 'data', 'duo-open-onderwijsdata', '02.-alle-schoolvestigingen-basisonderwijs.csv');
    const [head, ...rows] = new TextDecoder('windows-1252').decode(readFileSync(file)).split('\r\n').filter(Boolean);
    const columns = splitLine(head!);
    const [municipality, postcode, region] = ['GEMEENTENUMMER', 'POSTCODE', 'VAKANTIEREGIO'].map((name) => columns.indexOf(name));
    const recommended = await bundledHolidays();
    const disagreeing = rows
      .map(splitLine)
      .filter(
        (fields) =>
          recommended.regionOf(fields[municipality!]!.trim().padStart(4, '0'), fields[postcode!]!.replace(' ', '')) !== fields[region!]!.trim().toLowerCase(),
      );
    expect(rows.length).toBeGreaterThan(6000);
    expect(disagreeing).toEqual([]);
  });
});

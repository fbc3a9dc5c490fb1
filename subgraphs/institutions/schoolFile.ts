import { RegisterError } from '../../kernel/errors.ts';
import { splitLine } from '../../kernel/csv.ts';
import { isBrin4, isBrin6, isCompetentAuthorityNumber, isPostcode, parsePostcode, parseMunicipalityCode } from '../../kernel/ids/index.ts';

/**
 * One row of DUO's open-data file "Alle schoolvestigingen basisonderwijs" (data/duo-open-onderwijsdata,
 * README "Columns"), as the import needs it. Empty values are null.
 */
export interface SchoolFileRow {
  line: number;
  competentAuthorityNumber: string;
  brin4: string;
  brin6: string;
  name: string;
  street: string;
  houseNumber: string;
  postcode: string;
  city: string;
  municipalityCode: string;
  municipalityName: string | null;
  denomination: string | null;
  phone: string | null;
  website: string | null;
}

const columns = {
  competentAuthorityNumber: 'BEVOEGD GEZAG NUMMER',
  brin4: 'INSTELLINGSCODE',
  brin6: 'VESTIGINGSCODE',
  name: 'VESTIGINGSNAAM',
  street: 'STRAATNAAM',
  houseNumber: 'HUISNUMMER-TOEVOEGING',
  postcode: 'POSTCODE',
  city: 'PLAATSNAAM',
  municipalityCode: 'GEMEENTENUMMER',
  municipalityName: 'GEMEENTENAAM',
  denomination: 'DENOMINATIE',
  phone: 'TELEFOONNUMMER',
  website: 'INTERNETADRES',
} as const;

type Column = keyof typeof columns;
const required: Column[] = ['competentAuthorityNumber', 'brin4', 'brin6', 'name', 'street', 'houseNumber', 'postcode', 'city', 'municipalityCode'];

/** How many problems one refusal lists; the rest are counted. */
const problemsShown = 20;

/**
 * Parses the file as DUO publishes it: Windows-1252 (a UTF-8 file is accepted too), `;`-separated,
 * quoted only where a value holds a quote, CRLF, a single space for an empty value. A blank
 * municipality name (seen for new schools in gemeente 1948) is taken from another row with the same
 * municipality code. Any invalid row refuses the whole file, listing the problems by line.
 */
export function parseSchoolFile(bytes: Uint8Array): SchoolFileRow[] {
  const lines = decode(bytes).split(/\r\n|\r|\n/);
  const header = splitLine(lines[0] ?? '');
  const index = Object.fromEntries(Object.entries(columns).map(([key, name]) => [key, header.indexOf(name)])) as Record<Column, number>;
  const missing = Object.entries(columns)
    .filter(([key]) => index[key as Column] < 0)
    .map(([, name]) => name);
  if (missing.length) {
    throw new RegisterError('BAD_USER_INPUT', `Not DUO's "Alle schoolvestigingen basisonderwijs" file: no column ${missing.join(', ')}`, 'file');
  }
  const rows: SchoolFileRow[] = [];
  const problems: string[] = [];
  lines.slice(1).forEach((text, offset) => {
    if (text.trim() === '') return;
    const line = offset + 2;
    const fields = splitLine(text);
    const value = (column: Column) => emptyAsNull(fields[index[column]]);
    const row = readRow(line, value, problems);
    if (row) rows.push(row);
  });
  const seen = new Set<string>();
  for (const row of rows) {
    if (seen.has(row.brin6)) problems.push(`line ${row.line}: ${row.brin6} appears more than once`);
    seen.add(row.brin6);
  }
  if (problems.length) {
    const more = problems.length > problemsShown ? `\n(and ${problems.length - problemsShown} more)` : '';
    throw new RegisterError(
      'BAD_USER_INPUT',
      `The school file has ${problems.length} invalid row(s); nothing was imported:\n${problems.slice(0, problemsShown).join('\n')}${more}`,
      'file',
    );
  }
  return fillMunicipalityNames(rows);
}

function readRow(line: number, value: (column: Column) => string | null, problems: string[]): SchoolFileRow | null {
  const absent = required.filter((column) => value(column) === null);
  if (absent.length) {
    problems.push(`line ${line}: no ${absent.map((column) => columns[column]).join(', ')}`);
    return null;
  }
  const text = (column: Column) => value(column)!;
  const checks: [boolean, string][] = [
    [
      isCompetentAuthorityNumber(text('competentAuthorityNumber')),
      `${columns.competentAuthorityNumber} "${text('competentAuthorityNumber')}" is not five digits`,
    ],
    [isBrin4(text('brin4')), `${columns.brin4} "${text('brin4')}" is not a BRIN4`],
    [isBrin6(text('brin6')) && text('brin6').startsWith(text('brin4')), `${columns.brin6} "${text('brin6')}" is not a BRIN6 of ${text('brin4')}`],
    [isPostcode(text('postcode')), `${columns.postcode} "${text('postcode')}" is not a Dutch postcode`],
    [/^\s*\d{1,4}$/.test(text('municipalityCode')), `${columns.municipalityCode} "${text('municipalityCode')}" is not a municipality code`],
  ];
  const failed = checks.filter(([ok]) => !ok).map(([, message]) => message);
  if (failed.length) {
    problems.push(`line ${line}: ${failed.join('; ')}`);
    return null;
  }
  return {
    line,
    competentAuthorityNumber: text('competentAuthorityNumber'),
    brin4: text('brin4'),
    brin6: text('brin6'),
    name: text('name'),
    street: text('street'),
    houseNumber: text('houseNumber'),
    postcode: parsePostcode(text('postcode')),
    city: text('city'),
    municipalityCode: parseMunicipalityCode(text('municipalityCode')),
    municipalityName: value('municipalityName'),
    denomination: value('denomination'),
    phone: value('phone'),
    website: value('website'),
  };
}

// Windows-1252 where it differs from ISO-8859-1 (bytes 0x80-0x9F). Node 20's TextDecoder decodes
// 'windows-1252' as ISO-8859-1 there (nodejs/node#56542), which turns ’t Kompas into \u0092t Kompas.
const windows1252High = '€\u0081‚ƒ„…†‡ˆ‰Š‹Œ\u008dŽ\u008f\u0090‘’“”•–—˜™š›œ\u009džŸ';

function decode(bytes: Uint8Array): string {
  // DUO writes Windows-1252; a file re-saved as UTF-8 (with or without BOM) is read as UTF-8.
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    return Buffer.from(bytes)
      .toString('latin1')
      .replace(/[\u0080-\u009f]/g, (char) => windows1252High[char.charCodeAt(0) - 0x80]!);
  }
}

function emptyAsNull(field: string | undefined): string | null {
  const trimmed = field?.trim() ?? '';
  return trimmed === '' ? null : trimmed;
}

function fillMunicipalityNames(rows: SchoolFileRow[]): SchoolFileRow[] {
  const names = new Map<string, string>();
  for (const row of rows) if (row.municipalityName) names.set(row.municipalityCode, row.municipalityName);
  return rows.map((row) => (row.municipalityName ? row : { ...row, municipalityName: names.get(row.municipalityCode) ?? null }));
}

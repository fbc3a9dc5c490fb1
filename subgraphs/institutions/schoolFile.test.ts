import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../kernel/config.ts';
import { RegisterError } from '../../kernel/errors.ts';
import { parseSchoolFile, type SchoolFileRow } from './schoolFile.ts';

/**
 * Windows-1252 by its table, not by `TextDecoder('windows-1252')`: Node 20 decodes 0x80–0x9F with that
 * label as ISO-8859-1 (nodejs/node#56542), so the test must not lean on it. Bytes 0x80–0x9F map to these
 * characters (WHATWG Encoding Standard); every other byte is the code point of the same number.
 */
const high1252 = '€\u0081‚ƒ„…†‡ˆ‰Š‹Œ\u008dŽ\u008f\u0090‘’“”•–—˜™š›œ\u009džŸ';
const decode1252 = (bytes: Uint8Array) =>
  Array.from(bytes, (byte) => (byte >= 0x80 && byte < 0xa0 ? high1252[byte - 0x80] : String.fromCharCode(byte))).join('');
const encode1252 = (text: string) =>
  Uint8Array.from(text, (char) => {
    const high = high1252.indexOf(char);
    if (high >= 0) return 0x80 + high;
    if (char.charCodeAt(0) > 0xff || (char >= '\u0080' && char < '\u00a0')) throw new Error(`${char} is not in Windows-1252`);
    return char.charCodeAt(0);
  });

const file = path.join(projectRoot, 'data', 'duo-open-onderwijsdata', '02.-alle-schoolvestigingen-basisonderwijs.csv');
const original = readFileSync(file);
const originalText = decode1252(original);
const [header = '', ...dataLines] = originalText.split('\r\n');

/** A small file in DUO's own form (Windows-1252, CRLF) from the real header and the given lines. */
const duoFile = (lines: string[], head = header) => encode1252([head, ...lines, ''].join('\r\n'));

/** The real line of a branch; the first field is PROVINCIE, the fourth VESTIGINGSCODE. */
const lineOf = (brin6: string) => {
  const line = dataLines.find((text) => text.split(';')[3] === brin6);
  if (!line) throw new Error(`no line for ${brin6}`);
  return line;
};

/** A real line with one column replaced. */
const withColumn = (line: string, column: string, value: string) => {
  const fields = line.split(';');
  fields[header.split(';').indexOf(column)] = value;
  return fields.join(';');
};

const refusal = (bytes: Uint8Array): RegisterError => {
  try {
    parseSchoolFile(bytes);
  } catch (error) {
    expect(error).toBeInstanceOf(RegisterError);
    expect(error).toMatchObject({ code: 'BAD_USER_INPUT', field: 'file' });
    return error as RegisterError;
  }
  throw new Error('the file was accepted');
};

it('re-encodes DUO’s file byte for byte with the test’s own Windows-1252 table', () => {
  expect(high1252).toHaveLength(32);
  expect(Buffer.from(encode1252(originalText)).equals(original)).toBe(true);
});

describe('parseSchoolFile on DUO’s file', () => {
  const rows = parseSchoolFile(original);
  const byBrin6 = new Map(rows.map((row) => [row.brin6, row]));
  const count = (predicate: (row: SchoolFileRow) => boolean) => rows.filter(predicate).length;

  it('reads every branch: 6,122 of 6,011 institutions and 749 boards, 111 of them not a main branch', () => {
    expect(rows).toHaveLength(6122);
    expect(new Set(rows.map((row) => row.brin4)).size).toBe(6011);
    expect(new Set(rows.map((row) => row.competentAuthorityNumber)).size).toBe(749);
    expect(count((row) => !row.brin6.endsWith('00'))).toBe(111);
    expect(new Set(rows.map((row) => row.municipalityCode)).size).toBe(342);
    expect(new Set(rows.map((row) => row.denomination)).size).toBe(21);
  });

  it('keeps the columns it needs, the first data row being line 2', () => {
    expect(rows[0]).toEqual({
      line: 2,
      competentAuthorityNumber: '20091',
      brin4: '32JK',
      brin6: '32JK00',
      name: 'BBS de Verwondering',
      street: 'Melkweg',
      houseNumber: '13',
      postcode: '9306TC',
      city: 'ALTEVEER GEM NOORDENVELD',
      municipalityCode: '1699',
      municipalityName: 'NOORDENVELD',
      denomination: 'Algemeen bijzonder',
      phone: null,
      website: null,
    });
    expect(rows.at(-1)?.line).toBe(6123);
  });

  it('decodes the bytes 0x80–0x9F as Windows-1252, not as ISO-8859-1 control characters', () => {
    // The only such bytes in the file: 0x92 (’) twice and 0x91 (‘) once.
    expect(['05OC00', '09DN00', '32HX00'].map((brin6) => byBrin6.get(brin6)?.name)).toEqual([
      'Dalton Kindcentrum ’t Kompas',
      'Openbare Basisschool ‘t Ienster',
      '’t Palet Holy',
    ]);
    const text = rows.map((row) => Object.values(row).join(';')).join('\n');
    expect(text.match(/[\u0080-\u009f\ufffd]/g) ?? []).toEqual([]);
  });

  it.each([
    ['07JQ00', 'name', 'Christelijke Basisschool Wrâldwizer'],
    ['10UN00', 'name', "IKC 't Oelebröd"],
    ['04KN00', 'name', 'Mienskipsskoalle  De Legeaën'],
  ] as const)('decodes %s’s %s as %j', (brin6, column, text) => {
    expect(byBrin6.get(brin6)?.[column]).toBe(text);
  });

  it('decodes the one non-ASCII denomination', () => {
    expect(rows.filter((row) => /[^\x20-\x7e]/.test(row.denomination ?? '')).map((row) => row.denomination)).toEqual(Array(6).fill('Hindoeïstisch'));
  });

  it('turns single-space values into null: 638 websites and 50 phone numbers', () => {
    expect(count((row) => row.website === null)).toBe(638);
    expect(count((row) => row.phone === null)).toBe(50);
    expect(count((row) => row.denomination === null)).toBe(0);
  });

  it('keeps no surrounding space in any value', () => {
    const padded = rows.flatMap((row) => Object.values(row).filter((value) => typeof value === 'string' && value !== value.trim()));
    expect(padded).toEqual([]);
  });

  it.each([
    ['04NA00', 'Algemeen Bijzondere basisschool "de Fluessen"'],
    ['00AR00', 'Basisschool "De Maasparel"'],
    ['18HI00', 'Basisschool "Kla4"'],
  ])('unquotes the quoted name of %s: %s', (brin6, name) => {
    expect(byBrin6.get(brin6)?.name).toBe(name);
  });

  it('keeps the columns after a quoted name in place', () => {
    expect(byBrin6.get('18HI00')).toMatchObject({
      street: 'Asschatterweg',
      houseNumber: '36-B',
      postcode: '3831JT',
      city: 'LEUSDEN',
      municipalityCode: '0327',
    });
  });

  it('gives the two new schools of gemeente 1948 the name the other 1948 rows carry', () => {
    const gemeente1948 = rows.filter((row) => row.municipalityCode === '1948');

    expect(gemeente1948).toHaveLength(32);
    expect(new Set(gemeente1948.map((row) => row.municipalityName))).toEqual(new Set(['MEIERIJSTAD']));
    expect(byBrin6.get('32LY00')).toMatchObject({ line: 2912, municipalityName: 'MEIERIJSTAD' });
    expect(byBrin6.get('32LW00')).toMatchObject({ line: 2975, municipalityName: 'MEIERIJSTAD' });
    expect(count((row) => row.municipalityName === null)).toBe(0);
  });

  it('writes every postcode without its space', () => {
    expect(rows.filter((row) => !/^[1-9]\d{3}[A-Z]{2}$/.test(row.postcode))).toEqual([]);
    expect(byBrin6.get('05OC00')?.postcode).toBe('9514CA');
  });

  it('writes every municipality code with four digits', () => {
    expect(rows.filter((row) => !/^\d{4}$/.test(row.municipalityCode))).toEqual([]);
  });

  it.each([
    ['UTF-8 with a BOM and LF', (text: string) => new TextEncoder().encode(`\ufeff${text.replaceAll('\r\n', '\n')}`)],
    ['UTF-8 without a BOM, CRLF', (text: string) => new TextEncoder().encode(text)],
    ['Windows-1252 with bare CR', (text: string) => encode1252(text.replaceAll('\r\n', '\r'))],
  ])('reads the file re-saved as %s the same', (_, resave) => {
    expect(parseSchoolFile(resave(originalText))).toEqual(rows);
  });
});

describe('parseSchoolFile on a small file', () => {
  const lines = ['32JK00', '07JQ00', '18HI00'].map(lineOf);

  it('reads the real header with a few real lines', () => {
    expect(parseSchoolFile(duoFile(lines)).map((row) => [row.line, row.brin6, row.name])).toEqual([
      [2, '32JK00', 'BBS de Verwondering'],
      [3, '07JQ00', 'Christelijke Basisschool Wrâldwizer'],
      [4, '18HI00', 'Basisschool "Kla4"'],
    ]);
  });

  it('reads a UTF-8 file with a BOM and LF endings as the Windows-1252 CRLF original', () => {
    const utf8 = new TextEncoder().encode(`\ufeff${[header, ...lines].join('\n')}\n`);

    expect(parseSchoolFile(utf8)).toEqual(parseSchoolFile(duoFile(lines)));
  });

  it('skips blank lines, counting them for the line numbers', () => {
    expect(parseSchoolFile(duoFile([lines[0]!, '', ' ', lines[1]!])).map((row) => row.line)).toEqual([2, 5]);
  });

  it('reads a file with no rows as no rows', () => {
    expect(parseSchoolFile(duoFile([]))).toEqual([]);
  });

  it('leaves a municipality name blank when no other row of the municipality names it', () => {
    const blank = withColumn(lineOf('32LY00'), 'GEMEENTENAAM', ' ');

    expect(parseSchoolFile(duoFile([blank]))[0]?.municipalityName).toBeNull();
  });

  it.each([
    [
      'another file',
      'BRIN_NUMMER;VESTIGINGSNUMMER;NAAM_INSTELLING;GEMEENTENAAM',
      /no column BEVOEGD GEZAG NUMMER, INSTELLINGSCODE, VESTIGINGSCODE, VESTIGINGSNAAM/,
    ],
    ['a file without VESTIGINGSCODE', header.replace('VESTIGINGSCODE', 'VESTIGING'), /: no column VESTIGINGSCODE$/],
    ['an empty file', '', /^Not DUO's "Alle schoolvestigingen basisonderwijs" file: no column /],
  ])('refuses %s for the columns it lacks', (_, head, message) => {
    expect(refusal(duoFile(lines, head)).message).toMatch(message);
  });

  it.each([
    ['an invalid BRIN6', ['VESTIGINGSCODE', '32JKX0'], 'line 3: VESTIGINGSCODE "32JKX0" is not a BRIN6 of 32JK'],
    ['a BRIN6 of another BRIN4', ['VESTIGINGSCODE', '07JQ01'], 'line 3: VESTIGINGSCODE "07JQ01" is not a BRIN6 of 32JK'],
    ['an invalid BRIN4', ['INSTELLINGSCODE', '3JKK'], 'line 3: INSTELLINGSCODE "3JKK" is not a BRIN4; VESTIGINGSCODE "32JK00" is not a BRIN6 of 3JKK'],
    ['a postcode starting with 0', ['POSTCODE', '0306 TC'], 'line 3: POSTCODE "0306 TC" is not a Dutch postcode'],
    ['a four-digit bevoegd-gezagnummer', ['BEVOEGD GEZAG NUMMER', '2009'], 'line 3: BEVOEGD GEZAG NUMMER "2009" is not five digits'],
    ['a municipality code of letters', ['GEMEENTENUMMER', 'NL01'], 'line 3: GEMEENTENUMMER "NL01" is not a municipality code'],
    ['a missing name', ['VESTIGINGSNAAM', ' '], 'line 3: no VESTIGINGSNAAM'],
  ])('refuses %s, naming the line', (_, [column, value], problem) => {
    const bad = withColumn(lineOf('32JK00'), column!, value!);

    const { message } = refusal(duoFile([lineOf('07JQ00'), bad, lineOf('18HI00')]));

    expect(message).toBe(`The school file has 1 invalid row(s); nothing was imported:\n${problem}`);
  });

  it('refuses a BRIN6 that appears twice, naming the second line', () => {
    const { message } = refusal(duoFile([lineOf('32JK00'), lineOf('07JQ00'), withColumn(lineOf('32JK00'), 'VESTIGINGSNAAM', 'Another')]));

    expect(message).toBe('The school file has 1 invalid row(s); nothing was imported:\nline 4: 32JK00 appears more than once');
  });

  it('lists the problems of several lines in one refusal', () => {
    const { message } = refusal(
      duoFile([withColumn(lineOf('32JK00'), 'POSTCODE', '930 TC'), lineOf('07JQ00'), withColumn(lineOf('18HI00'), 'VESTIGINGSCODE', '18HJ00')]),
    );

    expect(message.split('\n')).toEqual([
      'The school file has 2 invalid row(s); nothing was imported:',
      'line 2: POSTCODE "930 TC" is not a Dutch postcode',
      'line 4: VESTIGINGSCODE "18HJ00" is not a BRIN6 of 18HI',
    ]);
  });

  it('shows the first 20 problems and counts the rest', () => {
    const bad = dataLines.slice(0, 25).map((line) => withColumn(line, 'POSTCODE', 'none'));

    const lines = refusal(duoFile(bad)).message.split('\n');

    expect(lines[0]).toBe('The school file has 25 invalid row(s); nothing was imported:');
    expect(lines.slice(1, 21).map((line) => line.split(':')[0])).toEqual(Array.from({ length: 20 }, (_, n) => `line ${n + 2}`));
    expect(lines.slice(21)).toEqual(['(and 5 more)']);
  });
});

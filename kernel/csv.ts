/*
 * DUO's open-data files: `;`-separated, a field quoted only when it holds a quote
 * (data/duo-open-onderwijsdata/README.md, "Quirks").
 */

/** Splits one line on `;`, honouring quotes (`"Basisschool ""Kla4"""`). */
export function splitLine(line: string): string[] {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const char = line[i];
    if (quoted) {
      if (char === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (char === '"') quoted = false;
      else field += char;
    } else if (char === '"') quoted = true;
    else if (char === ';') {
      fields.push(field);
      field = '';
    } else field += char;
  }
  fields.push(field);
  return fields;
}

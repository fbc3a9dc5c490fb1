import { describe, expect, it } from 'vitest';
import { splitLine } from './csv.ts';

describe('splitLine', () => {
  it.each([
    ['a;b;c', ['a', 'b', 'c']],
    ['a;;c', ['a', '', 'c']],
    ['a;', ['a', '']],
    ['', ['']],
    [' ; ', [' ', ' ']],
    ['"Basisschool ""Kla4""";LEUSDEN', ['Basisschool "Kla4"', 'LEUSDEN']],
    ['"Algemeen Bijzondere basisschool ""de Fluessen""";Aldewei', ['Algemeen Bijzondere basisschool "de Fluessen"', 'Aldewei']],
    ['"a;b";c', ['a;b', 'c']],
    ['"";x', ['', 'x']],
    ['""""', ['"']],
  ])('splits %j into %j', (line, fields) => {
    expect(splitLine(line)).toEqual(fields);
  });
});

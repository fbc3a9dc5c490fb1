import { parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { pgnsNamedIn } from './audit.ts';

describe('pgnsNamedIn (the object of a refused attempt)', () => {
  it('finds a PGN given as a literal or a variable', () => {
    expect(pgnsNamedIn(parse('{ learner(pgn: " 111222333 ") { id } }'), undefined)).toEqual(['111222333']);
    expect(pgnsNamedIn(parse('query($p: ID!) { learner(pgn: $p) { id } }'), { p: '123456782' })).toEqual(['123456782']);
  });

  it('finds PGNs nested in inputs and lists, under pgn, bsn and onderwijsnummer, each once', () => {
    const document = parse(
      'mutation($input: EnrollLearnersInput!, $replace: ReplacePgnInput!) { enrollLearners(input: $input) { failures { index } } replacePgn(input: $replace) { learner { id } } }',
    );
    const variables = {
      input: { items: [{ learner: { pgn: '111222333' } }, { learner: { pgn: '111222333' } }, { learner: { pgn: '123456782' } }] },
      replace: { onderwijsnummer: '101222331', bsn: '123456782' },
    };
    expect(pgnsNamedIn(document, variables).sort()).toEqual(['101222331', '111222333', '123456782']);
  });

  it('leaves out what is no PGN, and numbers under other names', () => {
    expect(pgnsNamedIn(parse('{ learner(pgn: "111222334") { id } enrollment(id: "111222333") { id } }'), undefined)).toEqual([]);
  });
});

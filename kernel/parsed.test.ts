import { describe, expect, it } from 'vitest';
import { sharedParser } from './parsed.ts';

describe('sharedParser', () => {
  it('gives every caller of one text the same document', () => {
    const parse = sharedParser();
    const text = 'subscription { fundingStatusChanged { cursor } }';
    expect(parse(text)).toBe(parse(text));
    expect(parse(text)).not.toBe(parse('subscription { transferNoticeIssued { cursor } }'));
  });

  it('forgets the least recently used text beyond its size', () => {
    const parse = sharedParser({}, 2);
    const [a, b, c] = ['{ a }', '{ b }', '{ c }'];
    const first = parse(a);
    parse(b);
    expect(parse(a)).toBe(first); // a is now the most recently used
    parse(c); // b goes
    expect(parse(a)).toBe(first);
    const again = parse(b);
    expect(parse(b)).toBe(again);
    expect(parse(a)).toBe(first);
  });

  it('refuses a text beyond its token limit every time, keeping nothing', () => {
    const parse = sharedParser({ maxTokens: 5 });
    const text = '{ a b c d e f }';
    expect(() => parse(text)).toThrow(/more that 5 tokens/);
    expect(() => parse(text)).toThrow(/more that 5 tokens/);
  });
});

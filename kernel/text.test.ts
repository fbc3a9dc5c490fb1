import { describe, expect, it } from 'vitest';
import { refusal } from '../test/refusal.ts';
import { checkIdentifier, parseOptionalText, parseText, textKinds } from './text.ts';

describe('free text', () => {
  it.each([
    ['Jansen', 'Jansen'],
    ['  de Vries ', 'de Vries'],
    ["O'Brien-Żuławski", "O'Brien-Żuławski"],
    ['Ne\u0301meth', 'Németh'],
    ['李', '李'],
    ['Ana 👩‍🔬', 'Ana 👩‍🔬'],
  ])('accepts %j as %j (NFC, trimmed)', (sent, stored) => {
    expect(parseText(sent, 'familyName', textKinds.familyName)).toBe(stored);
  });

  it.each([
    ['NUL', 'Jan\u0000sen', '0000'],
    ['BEL', 'Jan\u0007sen', '0007'],
    ['ESC', '\u001b[2JJansen', '001B'],
    ['a tab', 'Jan\tsen', '0009'],
    ['a line feed', 'Jan\nsen', '000A'],
    ['DEL', 'Jansen\u007f', '007F'],
    ['a C1 control', 'Jan\u0085sen', '0085'],
    ['a right-to-left override', 'Jan\u202Esen', '202E'],
    ['a left-to-right embedding', '\u202AJansen', '202A'],
    ['a first strong isolate', 'Jan\u2068sen', '2068'],
    ['a pop directional isolate', 'Jansen\u2069', '2069'],
    ['a lone surrogate', 'Jan\ud800sen', 'D800'],
  ])('refuses %s with the field and the code point, not the text', (_name, sent, code) => {
    refusal(() => parseText(sent, 'learner.familyName', textKinds.familyName), 'BAD_USER_INPUT', 'learner.familyName', `U+${code}`);
    expect(() => parseText(sent, 'learner.familyName', textKinds.familyName)).not.toThrow(/Jan|sen/);
  });

  it('counts characters, not UTF-16 units, and refuses one more than the kind allows', () => {
    expect(parseText('é'.repeat(200), 'familyName', textKinds.familyName)).toHaveLength(200);
    expect(parseText('𝔄'.repeat(200), 'familyName', textKinds.familyName)).toHaveLength(400);
    refusal(() => parseText('a'.repeat(201), 'familyName', textKinds.familyName), 'BAD_USER_INPUT', 'familyName', 'at most 200 characters');
    refusal(() => parseText('a'.repeat(900_000), 'familyName', textKinds.familyName), 'BAD_USER_INPUT', 'familyName', 'BRP');
  });

  it('counts the length after NFC: a decomposed accent is one character', () => {
    expect(parseText('e\u0301'.repeat(200), 'givenNames', textKinds.givenNames)).toBe('é'.repeat(200));
  });

  it('keeps line breaks in a remark, as line feeds, and refuses other controls there', () => {
    expect(parseText('Gebeld.\r\nGeen gehoor.\rMorgen weer.', 'note', textKinds.remark)).toBe('Gebeld.\nGeen gehoor.\nMorgen weer.');
    refusal(() => parseText('Gebeld.\u0000', 'note', textKinds.remark), 'BAD_USER_INPUT', 'note', 'U+0000');
    refusal(() => parseText('Gebeld.\tMorgen', 'note', textKinds.remark), 'BAD_USER_INPUT', 'note', 'U+0009');
  });

  it('gives null for an optional field that is absent or blank', () => {
    expect(parseOptionalText(undefined, 'role', textKinds.label)).toBeNull();
    expect(parseOptionalText(null, 'role', textKinds.label)).toBeNull();
    expect(parseOptionalText('  ', 'role', textKinds.label)).toBeNull();
    expect(parseOptionalText(' Intern begeleider ', 'role', textKinds.label)).toBe('Intern begeleider');
  });

  it('keeps an identifier exactly as sent, refusing what is not text, too long or empty', () => {
    expect(checkIdentifier(' school-page/acknowledge/1 ', 'documentId', textKinds.documentId)).toBe(' school-page/acknowledge/1 ');
    refusal(() => checkIdentifier('doc\u00001', 'documentId', textKinds.documentId), 'BAD_USER_INPUT', 'documentId', 'U+0000');
    refusal(() => checkIdentifier('d'.repeat(101), 'documentId', textKinds.documentId), 'BAD_USER_INPUT', 'documentId', 'at most 100 characters');
    refusal(() => checkIdentifier(' ', 'documentId', textKinds.documentId), 'BAD_USER_INPUT', 'documentId', 'may not be empty');
  });

  it('gives every kind a reason for its bound', () => {
    for (const kind of Object.values(textKinds)) {
      expect(kind.max).toBeGreaterThan(0);
      expect(kind.why.length).toBeGreaterThan(20);
    }
  });
});

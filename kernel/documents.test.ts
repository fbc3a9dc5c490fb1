import { describe, expect, it } from 'vitest';
import { checkResend, documentFingerprint } from './documents.ts';
import { refusal } from '../test/refusal.ts';

describe('documentFingerprint', () => {
  const input = { documentId: 'doc-1', learner: { pgn: '123456782', birthDate: '2021-09-15' }, group: 1, tags: ['a', 'b'] };

  it('ignores the order of keys at every depth', () => {
    const reordered = { tags: ['a', 'b'], group: 1, learner: { birthDate: '2021-09-15', pgn: '123456782' }, documentId: 'doc-1' };
    expect(documentFingerprint(reordered)).toBe(documentFingerprint(input));
    expect(documentFingerprint(input)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('ignores the top-level documentId', () => {
    expect(documentFingerprint({ ...input, documentId: 'doc-2' })).toBe(documentFingerprint(input));
    const { documentId: _dropped, ...content } = input;
    expect(documentFingerprint(content)).toBe(documentFingerprint(input));
  });

  it('treats an undefined member as absent and a null-prototype object as plain', () => {
    expect(documentFingerprint({ ...input, endDate: undefined })).toBe(documentFingerprint(input));
    expect(documentFingerprint(Object.assign(Object.create(null), input))).toBe(documentFingerprint(input));
  });

  it.each([
    ['another value', { ...input, group: 2 }],
    ['a nested documentId', { ...input, learner: { ...input.learner, documentId: 'x' } }],
    ['another array order', { ...input, tags: ['b', 'a'] }],
    ['null instead of absent', { ...input, endDate: null }],
    ['a string instead of a number', { ...input, group: '1' }],
  ])('tells content with %s apart', (_, other) => {
    expect(documentFingerprint(other)).not.toBe(documentFingerprint(input));
  });
});

describe('checkResend', () => {
  const fingerprint = documentFingerprint({ group: 1 });

  it('calls a document never received new', () => {
    expect(checkResend(null, fingerprint, 'doc-1')).toBe('new');
  });

  it('calls the same document with the same content a resend', () => {
    expect(checkResend({ fingerprint }, fingerprint, 'doc-1')).toBe('resend');
  });

  it('refuses the same document id with other content as a CONFLICT', () => {
    refusal(
      () => checkResend({ fingerprint }, documentFingerprint({ group: 2 }), 'doc-1'),
      'CONFLICT',
      'documentId',
      'document doc-1 was already received with other content',
    );
  });
});

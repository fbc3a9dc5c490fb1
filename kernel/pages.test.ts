import { describe, expect, it } from 'vitest';
import { RegisterError } from './errors.ts';
import { connectionOf, decodeCursor, decodeDayKey, decodeMomentKey, encodeCursor, maxPageSize, pageSize } from './pages.ts';

describe('cursors', () => {
  it.each(['16AH00', '0000-1', 'Ærø é ’t', 'a'])('decodes the cursor of %j back to the key', (key) => {
    expect(decodeCursor(encodeCursor(key))).toBe(key);
  });

  it('gives cursors that need no escaping in a URL', () => {
    expect(encodeCursor('??>>~~')).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  const cursor = encodeCursor('16AH00');

  it.each([
    ['empty', ''],
    ['padded', `${encodeCursor('ab')}=`],
    ['with a changed trailing bit', 'YWJ'], // 'YWI' is "ab"; 'J' differs only in bits base64 drops
    ['in standard base64', Buffer.from('>?>', 'utf8').toString('base64')],
    ['not UTF-8', Buffer.from([0xff, 0xfe]).toString('base64url')],
    ['with characters outside base64url', `${cursor}!`],
  ])('refuses a cursor that is %s', (_, tampered) => {
    expect(() => decodeCursor(tampered)).toThrow(RegisterError);
    expect(() => decodeCursor(tampered)).toThrow(
      expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'after', message: expect.stringContaining('The cursor is malformed') }),
    );
  });

  it.each(['\u0000', 'a\u0007b', '16AH\u001b[0m'])('refuses a cursor whose key holds a control character (%j)', (key) => {
    expect(() => decodeCursor(encodeCursor(key))).toThrow(expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'after' }));
  });

  it('names the field it was given', () => {
    expect(() => decodeCursor('', 'before')).toThrow(expect.objectContaining({ field: 'before' }));
  });
});

describe('sort keys', () => {
  const id = '00000000-0000-4000-8000-000000000000';
  const key = (value: string) => encodeCursor(`${value}|${id}`);

  it('reads back the day and the moment a page wrote', () => {
    expect(decodeDayKey(key('2024-08-01'))).toEqual(['2024-08-01', id]);
    expect(decodeMomentKey(key('2026-03-04T05:06:07.089Z'))).toEqual([new Date('2026-03-04T05:06:07.089Z'), id]);
  });

  it.each(['notadate', '0000-01-01', '2024-02-30', '2024-8-1', '2024-08-01T00:00:00.000Z'])('refuses %j as a day key', (value) => {
    expect(() => decodeDayKey(key(value))).toThrow(expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'after' }));
  });

  it.each(['notadate', '1', '2026-03-04', '2026-03-04T05:06:07Z', '0000-01-01T00:00:00.000Z', '-000001-01-01T00:00:00.000Z', '+275760-09-13T00:00:00.000Z'])(
    'refuses %j as a moment key: only the form a page writes, in years the database holds',
    (value) => {
      expect(() => decodeMomentKey(key(value))).toThrow(expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'after' }));
    },
  );
});

describe('pageSize', () => {
  it.each([
    [null, 50],
    [undefined, 50],
    [1, 1],
    [maxPageSize, 500],
  ])('takes first=%j as a page of %i', (first, size) => {
    expect(pageSize(first)).toBe(size);
  });

  it.each([0, -1, 501, 1.5, Number.NaN, Number.POSITIVE_INFINITY])('refuses first=%s', (first) => {
    expect(() => pageSize(first)).toThrow(expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'first', message: 'first must be between 1 and 500' }));
  });
});

describe('connectionOf', () => {
  const rows = ['10AA00', '11BB00', '12CC00', '13DD00'].map((brin6) => ({ brin6 }));
  const keyOf = (row: { brin6: string }) => row.brin6;

  it('turns size + 1 rows into a page of size with a next page, ending at the last row shown', () => {
    const page = connectionOf(rows, 3, keyOf, 17);

    expect(page.edges.map((edge) => edge.node)).toEqual(rows.slice(0, 3));
    expect(page.edges.map((edge) => decodeCursor(edge.cursor))).toEqual(['10AA00', '11BB00', '12CC00']);
    expect(page.pageInfo).toEqual({ hasNextPage: true, endCursor: encodeCursor('12CC00') });
    expect(page.totalCount).toBe(17);
  });

  it('has no next page when no more than size rows came back', () => {
    const page = connectionOf(rows.slice(0, 3), 3, keyOf, 3);

    expect(page.edges).toHaveLength(3);
    expect(page.pageInfo).toEqual({ hasNextPage: false, endCursor: encodeCursor('12CC00') });
  });

  it('has no end cursor for an empty page', () => {
    expect(connectionOf([], 50, keyOf, 0)).toEqual({ edges: [], totalCount: 0, pageInfo: { hasNextPage: false, endCursor: null } });
  });
});

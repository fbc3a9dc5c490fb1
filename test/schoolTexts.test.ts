/*
 * The school page's dictionaries (web/school/texts.ts) against the register: every error code the
 * catalogue holds has a sentence, and the page's language follows the browser's preference. That
 * the two languages have the same keys is the type check's (texts.ts declares English as the Dutch
 * dictionary's type).
 */
import { describe, expect, it } from 'vitest';
import { errorCatalogue } from '../kernel/errors.ts';
import { dictionaries, preferredLanguage } from '../web/school/texts.ts';

describe("the school page's texts", () => {
  it('put every code of the error catalogue (kernel/errors.ts) in words, and no code the catalogue does not have', () => {
    expect(Object.keys(dictionaries.nl.errors).sort()).toEqual(Object.keys(errorCatalogue).sort());
  });

  it("take the first of the browser's languages that the page has, by its primary subtag, and Dutch when it has none", () => {
    expect(preferredLanguage(['nl-NL', 'en-US'])).toBe('nl');
    expect(preferredLanguage(['nl-BE'])).toBe('nl');
    expect(preferredLanguage(['en-US', 'nl'])).toBe('en');
    expect(preferredLanguage(['de-DE', 'EN-gb', 'nl'])).toBe('en');
    expect(preferredLanguage(['de-DE', 'fr'])).toBe('nl');
    expect(preferredLanguage([])).toBe('nl');
  });
});

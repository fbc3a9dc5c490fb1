import { ApiError } from './api.ts';
import { dictionaries, languages, preferredLanguage, type Language, type Texts } from './texts.ts';

/** Where the user's own choice of language is kept, in this browser, across visits. */
const choiceKey = 'register-graph/language';

/** The locale a language is formatted in when the browser names no locale of it (English: day before month, as in Dutch). */
const defaultLocales: Record<Language, string> = { nl: 'nl-NL', en: 'en-GB' };

export let language: Language = 'nl';
/** The texts of the page's language: read them at the moment of showing, never keep them. */
export let texts: Texts = dictionaries.nl;
let formats: { date: Intl.DateTimeFormat; time: Intl.DateTimeFormat; number: Intl.NumberFormat };

/**
 * Sets the page's language: the given one (the user's choice, remembered), else the one chosen
 * before, else the browser's (`preferredLanguage`). Dates and numbers follow the browser's own
 * locale where it is of that language (`en-US` writes "January 6, 2025"), else the language's default.
 */
export function setLanguage(chosen?: Language): void {
  if (chosen) localStorage.setItem(choiceKey, chosen);
  const kept = localStorage.getItem(choiceKey);
  language = languages.find((known) => known === kept) ?? preferredLanguage(navigator.languages);
  texts = dictionaries[language];
  const locale = navigator.languages.find((tag) => tag.toLowerCase().split('-')[0] === language && tag.includes('-')) ?? defaultLocales[language];
  formats = {
    date: new Intl.DateTimeFormat(locale, { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' }),
    time: new Intl.DateTimeFormat(locale, { hour: '2-digit', minute: '2-digit', second: '2-digit' }),
    number: new Intl.NumberFormat(locale),
  };
}

/** A calendar date (YYYY-MM-DD), as people of the page's language read it. */
export const dateText = (date: string): string => formats.date.format(new Date(`${date}T00:00:00Z`));
export const timeText = (moment: Date): string => formats.time.format(moment);
export const numberText = (value: number): string => formats.number.format(value);

/** The name a dictionary gives an API value (an enum's), or the value itself for one it does not know yet. */
export function nameOf(names: object, value: string): string {
  return (names as Record<string, string | undefined>)[value] ?? value;
}

type StaticKey = { [Key in keyof Texts]: Texts[Key] extends string ? Key : never }[keyof Texts];

/**
 * Writes the texts of the page's own HTML (elements with `data-text="<key>"`), its title and
 * `<html lang>`, and the button that switches to the other language, named in that language.
 */
export function applyTexts(): void {
  document.documentElement.lang = language;
  document.title = texts.title;
  for (const element of document.querySelectorAll<HTMLElement>('[data-text]')) {
    const text = texts[element.dataset.text as StaticKey] as unknown;
    // A key the dictionaries lack is a mistake in index.html: a page error, which the browser tests fail on.
    if (typeof text !== 'string') throw new Error(`index.html names no text of the dictionaries: ${element.dataset.text}`);
    element.textContent = text;
  }
  const other = otherLanguage();
  const button = document.getElementById('language')!;
  button.textContent = dictionaries[other].languageName;
  button.lang = other;
}

export const otherLanguage = (): Language => (language === 'nl' ? 'en' : 'nl');

/** A failed request in words of the page's language: by the register's error code, never its (English) message. */
export function failureText(failure: unknown): string {
  if (!(failure instanceof ApiError)) return texts.unreachable;
  if (failure.code) return codeText(failure.code);
  return texts.httpError(String(failure.status));
}

export function codeText(code: string | undefined): string {
  if (code === undefined) return texts.errors.INTERNAL_SERVER_ERROR;
  return (texts.errors as Record<string, string | undefined>)[code] ?? texts.otherError(code);
}

/*
 * Every text the school page shows a person, in Dutch and in English: one dictionary per language,
 * the Dutch one first. `Texts` is the Dutch dictionary's type and the English one is declared as
 * `Texts`, so a key missing in either language, or added to one only, fails the type check.
 * Terms follow the registers' own Dutch (docs/domain.md): inschrijving, uitschrijving, teldatum,
 * bekostiging, verzuimmelding, terugmelding, bevoegd gezag. Values arrive formatted for the language
 * (language.ts): the dictionaries put them in sentences, and never format a date or number themselves.
 *
 * Plain data and functions, no DOM: Node's tests read it too (test/schoolTexts.test.ts).
 */

export const languages = ['nl', 'en'] as const;
export type Language = (typeof languages)[number];

/** The signal a school gets, as its texts need it (schema/learners.graphql, `Signal`). */
export interface SignalFacts {
  code: 'UNKNOWN_BSN' | 'DIFFERS' | 'DECEASED' | 'EMIGRATED' | 'PGN_REPLACED';
  /** The field's name in the page's language (`Texts.signalFields`). */
  field: string;
  delivered: string;
  registered: string;
}

const nl = {
  /** The language's own name, on the button that chooses it (in that language). */
  languageName: 'Nederlands',
  title: 'Schoolpagina – Register Graph',
  schoolHeading: 'Schoolpagina',
  signOut: 'Afmelden',
  signInHeading: 'Inloggen',
  tokenLabel: 'Het token van uw school',
  tokenHelp: 'Een token van uw leverancier dat namens uw school handelt. In ontwikkeling:',
  signInButton: 'Inloggen',
  notSchoolToken: 'Dit is geen token van een school: het moet een token van een leverancier zijn dat namens één school handelt (zie hieronder).',
  signedOut: (reason: string) => `Afgemeld: ${reason}`,

  connecting: 'Verbinden met het register…',
  live: 'Live: wijzigingen verschijnen hier zodra ze gebeuren.',
  reconnecting: (seconds: string) => `Verbinding verbroken; nieuwe poging over ${seconds} s. Er gaat niets verloren: de pagina gaat verder waar ze stopte.`,
  count: (shown: string, total: string) => (shown === total ? `(${total})` : `(${shown} van ${total})`),
  couldNotRead: (error: string) => `Dit deel kon niet worden gelezen: ${error}`,
  unknownLearner: 'onbekend',

  noticesHeading: 'Openstaande meldingen van inschrijving elders',
  noticesHelp:
    'Leerlingen van uw school die op een andere school zijn ingeschreven. Verwerkt u een melding, dan eindigt uw inschrijving op de dag vóór de nieuwe inschrijving (Besluit bekostiging WPO 2022 art. 10).',
  noticesEmpty: 'Geen openstaande meldingen.',
  noticesNotLive: (error: string) => `Meldingen worden niet live bijgewerkt: ${error}`,
  noticeSummary: (pgn: string, school: string, date: string) => `Leerling ${pgn} is ingeschreven bij ${school} vanaf ${date}.`,
  noticeLocation: (code: string) => `locatie ${code}`,
  noticeEnds: (date: string) => `Uw inschrijving eindigt de dag ervoor: ${date}.`,
  endEnrollment: (date: string) => `Inschrijving beëindigen op ${date}`,
  newNotice: (summary: string) => `Nieuwe melding: ${summary}`,
  handled: (pgn: string, date: string) => `Verwerkt: de inschrijving van leerling ${pgn} eindigt op ${date}.`,
  notHandled: (error: string) => `Niet verwerkt: ${error}`,

  enrollmentsHeading: 'Inschrijvingen',
  learnerColumn: 'Leerling (PGN)',
  numberColumn: 'Volgnummer inschrijving',
  groupColumn: 'Groep',
  startColumn: 'Datum inschrijving',
  endColumn: 'Datum uitschrijving',
  fundingColumn: 'Bekostiging, huidige teldatum',
  enrollmentsEmpty: 'Geen inschrijvingen.',
  enrollmentsMore: 'Meer inschrijvingen tonen',
  fundingNotLive: (error: string) => `Wijzigingen in de bekostiging komen niet binnen: ${error}`,
  newEnrollment: (pgn: string, date: string, funding: string) => `Nieuwe inschrijving: leerling ${pgn} vanaf ${date}; bekostiging: ${funding}.`,
  fundingChanged: (pgn: string, funding: string) => `Bekostiging van leerling ${pgn}: ${funding}.`,
  endReasons: {
    TRANSFER: 'overstap',
    END_OF_PRIMARY_EDUCATION: 'einde basisonderwijs',
    MOVED_ABROAD: 'vertrek naar het buitenland',
    DECEASED: 'overleden',
    EXPELLED: 'verwijderd',
    OTHER: 'overig',
  },

  // Besluit bekostiging WPO 2022 art 7, as schema/funding.graphql describes each reason.
  notAssessed: 'Niet beoordeeld',
  fundable: 'Telt mee',
  notFundable: (reasons: string) => `Telt niet mee: ${reasons}`,
  countDate: (date: string, year: string) => `Teldatum ${date} (bekostiging ${year}).`,
  reasons: {
    NOT_ENROLLED_ON_COUNT_DATE: 'niet ingeschreven op de teldatum',
    UNDER_FOUR: 'op de teldatum nog geen 4',
    LATE_REGISTRATION: 'na de uiterste aanleverdatum geregistreerd',
    LOCATION_NOT_ACTIVE: 'locatie niet actief in RIO',
    OFFERED_PROGRAMME_NOT_ACTIVE: 'aangeboden opleiding niet actief in RIO',
    DOUBLE_ENROLLMENT: 'de leerling telt mee via een andere inschrijving',
  },
  reasonExplanations: {
    NOT_ENROLLED_ON_COUNT_DATE: 'De inschrijving begint na de teldatum of eindigde ervoor.',
    UNDER_FOUR: 'Een kind is leerling vanaf de vierde verjaardag (WPO art. 39.1); wie op de teldatum 4 wordt, telt mee.',
    LATE_REGISTRATION:
      'De inschrijving bereikte het register na de uiterste aanleverdatum bij deze teldatum (art. 7.2), of na het uitstel voor uw school (art. 7.3).',
    LOCATION_NOT_ACTIVE: 'De locatie van de inschrijving is op de teldatum niet actief in RIO.',
    OFFERED_PROGRAMME_NOT_ACTIVE: 'De aangeboden opleiding van de inschrijving is op de teldatum niet actief in RIO.',
    DOUBLE_ENROLLMENT:
      'Een leerling telt op één school mee: van de inschrijvingen die elk zouden meetellen, telt de laatst begonnen (na een overstap beëindigt de oude school haar inschrijving de dag vóór de nieuwe, art. 10).',
  },

  absenceHeading: 'Verzuimmeldingen',
  kindColumn: 'Soort',
  periodColumn: 'Periode',
  hoursColumn: 'Uren',
  municipalityColumn: 'Gemeente',
  statusColumn: 'Status',
  absenceEmpty: 'Geen verzuimmeldingen.',
  absenceMore: 'Meer verzuimmeldingen tonen',
  absenceNotLive: (error: string) => `Verzuimmeldingen komen niet binnen: ${error}`,
  newAbsenceReport: (pgn: string) => `Nieuwe verzuimmelding voor leerling ${pgn}.`,
  absenceReportChanged: (pgn: string, status: string) => `Verzuimmelding voor leerling ${pgn}: ${status}.`,
  // DUO's names for the kinds and statuses of a verzuimmelding (docs/domain.md §2.2, "Verzuimmelding").
  absenceKinds: { SIXTEEN_HOURS: '16 uur in 4 weken', LONG_TERM: 'Langdurig relatief verzuim', LUXURY: 'Luxe verzuim', OTHER: 'Overig verzuim' },
  absenceStatuses: {
    REGISTERED: 'Geregistreerd',
    IN_TREATMENT: 'In behandeling',
    CLOSED: 'Afgesloten',
    ACKNOWLEDGED: 'Ter kennisgeving aangenomen',
    WITHDRAWN: 'Ingetrokken',
  },

  signalsHeading: 'Openstaande terugmeldingen',
  signalsHelp:
    'Waar wat uw school aanleverde afwijkt van de basisregistratie personen, of waar een wijziging van de persoon of het PGN uw inschrijving raakt (Wro art. 14.1).',
  signalsEmpty: 'Geen openstaande terugmeldingen.',
  signalsMore: 'Meer terugmeldingen tonen',
  signalsNotLive: (error: string) => `Terugmeldingen komen niet binnen: ${error}`,
  newSignal: (code: string, pgn: string) => `Nieuwe terugmelding (${code}) voor leerling ${pgn}.`,
  signalLearner: (code: string, pgn: string) => `${code}: leerling ${pgn}`,
  signalCodes: {
    UNKNOWN_BSN: 'BSN onbekend',
    DIFFERS: 'Gegeven wijkt af',
    DECEASED: 'Overleden',
    EMIGRATED: 'Vertrokken naar het buitenland',
    PGN_REPLACED: 'Onderwijsnummer vervangen door BSN',
  } satisfies Record<SignalFacts['code'], string>,
  signalFields: {
    pgn: 'PGN',
    birthDate: 'geboortedatum',
    gender: 'geslacht',
    familyName: 'geslachtsnaam',
    givenNames: 'voornamen',
    postcode: 'postcode',
  },
  genders: { MALE: 'man', FEMALE: 'vrouw', UNDETERMINED: 'onbepaald' },
  // What the school should do: the register's own actions (subgraphs/learners/reconciliation.ts, actionFor).
  signalAction: (signal: SignalFacts): string => {
    switch (signal.code) {
      case 'UNKNOWN_BSN':
        return `De basisregistratie personen kent geen persoon met BSN ${signal.delivered}. Controleer het BSN aan de hand van het document waaruit het is overgenomen (WPO art. 40b.2); is het onjuist, beëindig dan deze inschrijving en schrijf de leerling in onder het juiste. Tot dan houdt het register wat u aanleverde (Wro art. 9.4).`;
      case 'DECEASED':
        return `Volgens de basisregistratie personen is de leerling overleden op ${signal.registered}. Beëindig de inschrijving (reden overleden); de terugmelding sluit dan vanzelf.`;
      case 'EMIGRATED':
        return `Volgens de basisregistratie personen is de leerling op ${signal.registered} naar het buitenland vertrokken. Komt de leerling niet meer, beëindig dan de inschrijving (reden vertrek naar het buitenland); de terugmelding sluit dan vanzelf.`;
      case 'PGN_REPLACED':
        return `Het onderwijsnummer ${signal.delivered} is vervangen door het BSN ${signal.registered} (WPO art. 40b.5). Gebruik voortaan het BSN voor deze leerling.`;
      case 'DIFFERS':
        return `De basisregistratie personen heeft als ${signal.field} „${signal.registered}”, u leverde „${signal.delivered}” aan. Controleer het en lever een verbeterd gegeven aan; dat sluit de terugmelding.`;
    }
  },

  updatesHeading: 'Laatste wijzigingen',
  updatesEmpty: 'Wijzigingen in de registers van uw school verschijnen hier zodra ze gebeuren.',

  // The register's error codes (kernel/errors.ts) in words; test/schoolTexts.test.ts keeps them complete.
  errors: {
    UNAUTHENTICATED: 'het token is verlopen of ongeldig. Log opnieuw in met een nieuw token.',
    FORBIDDEN: 'uw leverancier heeft geen machtiging (OSR) van het bevoegd gezag voor deze dienst bij uw school.',
    BAD_USER_INPUT: 'een gegeven is ongeldig; er is niets gewijzigd.',
    NOT_FOUND: 'het register kent dit niet (meer), of het is niet van uw school.',
    CONFLICT: 'dit strijdt met wat het register al heeft; er is niets gewijzigd.',
    AMBIGUOUS: 'dit past bij meer dan één gegeven in het register; er is niets gewijzigd.',
    LIMIT_EXCEEDED: 'de vraag is te groot voor het register.',
    RATE_LIMITED: 'te veel verzoeken tegelijk. Probeer het over een paar seconden opnieuw.',
    UNTRUSTED_OPERATION: 'het register voert deze vraag niet uit: ze staat niet op zijn lijst van toegestane vragen.',
    GRAPHQL_PARSE_FAILED: 'de pagina stuurde een vraag die het register niet kan lezen.',
    GRAPHQL_VALIDATION_FAILED: 'de pagina stuurde een vraag die niet bij deze versie van het register past. Laad de pagina opnieuw.',
    BAD_REQUEST: 'het register kon het verzoek niet lezen.',
    PERSISTED_QUERY_NOT_FOUND: 'het register kent deze vraag niet.',
    OPERATION_RESOLUTION_FAILURE: 'de pagina stuurde een vraag die het register niet kan uitvoeren.',
    UNAVAILABLE: 'een deel van het register is nu niet bereikbaar. Probeer het zo opnieuw.',
    INTERNAL_SERVER_ERROR: 'er ging in het register iets mis. Probeer het later opnieuw.',
  },
  unreachable: 'het register is niet bereikbaar. Controleer de verbinding en probeer het opnieuw.',
  httpError: (status: string) => `het register antwoordde met HTTP-status ${status}.`,
  otherError: (code: string) => `het register weigerde dit (${code}).`,
};

export type Texts = typeof nl;
export type ErrorCode = keyof Texts['errors'];

const en: Texts = {
  languageName: 'English',
  title: 'School page – Register Graph',
  schoolHeading: 'School page',
  signOut: 'Sign out',
  signInHeading: 'Sign in',
  tokenLabel: 'Your school’s token',
  tokenHelp: 'A vendor token acting for your school. In development:',
  signInButton: 'Sign in',
  notSchoolToken: 'This is not a school’s token: it must be a vendor token acting for one school (see below).',
  signedOut: (reason) => `Signed out: ${reason}`,

  connecting: 'Connecting to the register…',
  live: 'Live: changes appear here as they happen.',
  reconnecting: (seconds) => `Connection lost; trying again in ${seconds} s. Nothing is missed: the page resumes where it stopped.`,
  count: (shown, total) => (shown === total ? `(${total})` : `(${shown} of ${total})`),
  couldNotRead: (error) => `Could not read this part: ${error}`,
  unknownLearner: 'unknown',

  noticesHeading: 'Open transfer notices',
  noticesHelp:
    'Learners of your school who enrolled at another school. Handling a notice ends your enrollment on the day before the new start (Besluit bekostiging WPO 2022 art 10).',
  noticesEmpty: 'No open transfer notices.',
  noticesNotLive: (error) => `Transfer notices are not updated live: ${error}`,
  noticeSummary: (pgn, school, date) => `Learner ${pgn} enrolls at ${school} from ${date}.`,
  noticeLocation: (code) => `location ${code}`,
  noticeEnds: (date) => `Your enrollment ends the day before: ${date}.`,
  endEnrollment: (date) => `End enrollment on ${date}`,
  newNotice: (summary) => `New transfer notice: ${summary}`,
  handled: (pgn, date) => `Handled: the enrollment of learner ${pgn} ends on ${date}.`,
  notHandled: (error) => `Not handled: ${error}`,

  enrollmentsHeading: 'Enrollments',
  learnerColumn: 'Learner (PGN)',
  numberColumn: 'School number',
  groupColumn: 'Group',
  startColumn: 'Start',
  endColumn: 'End',
  fundingColumn: 'Funding, current count date',
  enrollmentsEmpty: 'No enrollments.',
  enrollmentsMore: 'Show more enrollments',
  fundingNotLive: (error) => `Funding updates are not available: ${error}`,
  newEnrollment: (pgn, date, funding) => `New enrollment: learner ${pgn} from ${date}; funding: ${funding}.`,
  fundingChanged: (pgn, funding) => `Funding status of learner ${pgn}: ${funding}.`,
  endReasons: {
    TRANSFER: 'transfer',
    END_OF_PRIMARY_EDUCATION: 'end of primary education',
    MOVED_ABROAD: 'moved abroad',
    DECEASED: 'deceased',
    EXPELLED: 'expelled',
    OTHER: 'other',
  },

  notAssessed: 'Not assessed',
  fundable: 'Counts',
  notFundable: (reasons) => `Does not count: ${reasons}`,
  countDate: (date, year) => `Count date ${date} (funds ${year}).`,
  reasons: {
    NOT_ENROLLED_ON_COUNT_DATE: 'not enrolled on the count date',
    UNDER_FOUR: 'not 4 on the count date',
    LATE_REGISTRATION: 'registered after the registration deadline',
    LOCATION_NOT_ACTIVE: 'location not active in RIO',
    OFFERED_PROGRAMME_NOT_ACTIVE: 'offered programme not active in RIO',
    DOUBLE_ENROLLMENT: 'counts through another enrollment',
  },
  reasonExplanations: {
    NOT_ENROLLED_ON_COUNT_DATE: 'The enrollment starts after the count date or ended before it.',
    UNDER_FOUR: 'A child is a pupil from the fourth birthday (WPO art 39.1); one who turns 4 on the count date counts.',
    LATE_REGISTRATION:
      'The enrollment reached the register after the registration deadline for this count date (art 7.2), or after your school’s extension (art 7.3).',
    LOCATION_NOT_ACTIVE: 'The enrollment’s location is not active in RIO on the count date.',
    OFFERED_PROGRAMME_NOT_ACTIVE: 'The enrollment’s offered programme is not active in RIO on the count date.',
    DOUBLE_ENROLLMENT:
      'A pupil counts at one school only: of the enrollments that would each count, the one that started last does (after a transfer the old school ends its enrollment the day before the new start, art 10).',
  },

  absenceHeading: 'Absence reports',
  kindColumn: 'Kind',
  periodColumn: 'Period',
  hoursColumn: 'Hours',
  municipalityColumn: 'Municipality',
  statusColumn: 'Status',
  absenceEmpty: 'No absence reports.',
  absenceMore: 'Show more absence reports',
  absenceNotLive: (error) => `Absence reports are not available: ${error}`,
  newAbsenceReport: (pgn) => `New absence report for learner ${pgn}.`,
  absenceReportChanged: (pgn, status) => `Absence report for learner ${pgn}: ${status}.`,
  absenceKinds: { SIXTEEN_HOURS: '16 hours in 4 weeks', LONG_TERM: 'Long-term relative absence', LUXURY: 'Luxury absence', OTHER: 'Other absence' },
  absenceStatuses: { REGISTERED: 'Registered', IN_TREATMENT: 'In treatment', CLOSED: 'Closed', ACKNOWLEDGED: 'Acknowledged', WITHDRAWN: 'Withdrawn' },

  signalsHeading: 'Open signals',
  signalsHelp:
    'Where what your school delivered differs from the person register, or a change of the person or the PGN concerns your enrollment (terugmelding, Wro art 14.1).',
  signalsEmpty: 'No open signals.',
  signalsMore: 'Show more signals',
  signalsNotLive: (error) => `Signals are not available: ${error}`,
  newSignal: (code, pgn) => `New signal (${code}) for learner ${pgn}.`,
  signalLearner: (code, pgn) => `${code}: learner ${pgn}`,
  signalCodes: {
    UNKNOWN_BSN: 'Unknown BSN',
    DIFFERS: 'Delivered value differs',
    DECEASED: 'Deceased',
    EMIGRATED: 'Left the Netherlands',
    PGN_REPLACED: 'Onderwijsnummer replaced by a BSN',
  },
  signalFields: { pgn: 'PGN', birthDate: 'birth date', gender: 'gender', familyName: 'family name', givenNames: 'given names', postcode: 'postcode' },
  genders: { MALE: 'male', FEMALE: 'female', UNDETERMINED: 'undetermined' },
  signalAction: (signal) => {
    switch (signal.code) {
      case 'UNKNOWN_BSN':
        return `The person register knows no person with BSN ${signal.delivered}. Check the BSN against the document it was taken from (WPO art 40b.2); if it is wrong, end this enrollment and enroll the learner under the right one. Until then the register keeps what you delivered (Wro art 9.4).`;
      case 'DECEASED':
        return `The person register records that the learner died on ${signal.registered}. End the enrollment (reason deceased); the signal then closes itself.`;
      case 'EMIGRATED':
        return `The person register records that the learner left the Netherlands on ${signal.registered}. If the learner no longer attends, end the enrollment (reason moved abroad); the signal then closes itself.`;
      case 'PGN_REPLACED':
        return `The onderwijsnummer ${signal.delivered} was replaced by the BSN ${signal.registered} (WPO art 40b.5). Use the BSN for this learner from now on.`;
      case 'DIFFERS':
        return `The person register has ${signal.field} “${signal.registered}”, you delivered “${signal.delivered}”. Check it and send a corrected delivery, which closes the signal.`;
    }
  },

  updatesHeading: 'Latest updates',
  updatesEmpty: 'Changes to your school’s registers appear here as they happen.',

  errors: {
    UNAUTHENTICATED: 'the token has expired or is not valid. Sign in again with a new token.',
    FORBIDDEN: 'your vendor has no mandate (OSR) from the school board for this service at your school.',
    BAD_USER_INPUT: 'a value is not valid; nothing was changed.',
    NOT_FOUND: 'the register does not know this (any more), or it is not your school’s.',
    CONFLICT: 'this contradicts what the register already holds; nothing was changed.',
    AMBIGUOUS: 'this matches more than one record in the register; nothing was changed.',
    LIMIT_EXCEEDED: 'the request asks too much of the register at once.',
    RATE_LIMITED: 'too many requests at once. Try again in a few seconds.',
    UNTRUSTED_OPERATION: 'the register does not run this request: it is not on its list of allowed operations.',
    GRAPHQL_PARSE_FAILED: 'the page sent a request the register cannot read.',
    GRAPHQL_VALIDATION_FAILED: 'the page sent a request that does not fit this version of the register. Reload the page.',
    BAD_REQUEST: 'the register could not read the request.',
    PERSISTED_QUERY_NOT_FOUND: 'the register does not know this request.',
    OPERATION_RESOLUTION_FAILURE: 'the page sent a request the register cannot run.',
    UNAVAILABLE: 'a part of the register cannot be reached now. Try again shortly.',
    INTERNAL_SERVER_ERROR: 'something went wrong in the register. Try again later.',
  },
  unreachable: 'the register cannot be reached. Check the connection and try again.',
  httpError: (status) => `the register answered with HTTP status ${status}.`,
  otherError: (code) => `the register refused this (${code}).`,
};

export const dictionaries: Record<Language, Texts> = { nl, en };

/**
 * The page's language when the user has not chosen one: the first of the browser's preferred
 * languages (navigator.languages, most preferred first) that the page has, by its primary subtag
 * (BCP 47, RFC 5646 §2.2.1: `nl-BE` is Dutch); Dutch when it has none of them, as the page's users
 * are Dutch schools.
 */
export function preferredLanguage(browserLanguages: readonly string[]): Language {
  for (const tag of browserLanguages) {
    const primary = tag.toLowerCase().split('-')[0];
    const found = languages.find((language) => language === primary);
    if (found) return found;
  }
  return 'nl';
}

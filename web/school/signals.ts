/*
 * The school page's signals (terugmeldingen, Wro art 14.1): their registered operations (as
 * operations.ts gives the others: sent byte for byte), their shape, and how one reads in the page's
 * language. The register's own `action` is English; the page says what to do in its own words.
 */
import { dateText, nameOf, texts } from './language.ts';
import { element } from './render.ts';
import type { SignalFacts } from './texts.ts';

export { default as signalsQuery } from '../../schema/operations/SchoolPageSignals.graphql?raw';
export { default as signalIssued } from '../../schema/operations/SignalIssued.graphql?raw';

export interface Signal {
  id: string;
  code: SignalFacts['code'];
  field: string | null;
  deliveredValue: string | null;
  registeredValue: string | null;
  status: 'OPEN' | 'RESOLVED' | 'ACKNOWLEDGED';
  enrollment: { id: string; learner: { pgn: string } };
}

/** A delivered or registered value as a person reads it: dates and genders in the page's language. */
function valueText(signal: Signal, value: string | null): string {
  if (value === null) return '—';
  if (signal.field === 'birthDate' || signal.code === 'DECEASED' || signal.code === 'EMIGRATED') return dateText(value);
  if (signal.field === 'gender') return nameOf(texts.genders, value);
  return value;
}

export function signalItem(signal: Signal): HTMLLIElement {
  const code = nameOf(texts.signalCodes, signal.code);
  const facts: SignalFacts = {
    code: signal.code,
    field: signal.field === null ? '' : nameOf(texts.signalFields, signal.field),
    delivered: valueText(signal, signal.deliveredValue),
    registered: valueText(signal, signal.registeredValue),
  };
  // What to do is a paragraph per signal: folded, so that a school with many (every BSN is unknown
  // until a persons file is imported) can read the list.
  return element(
    'li',
    { class: 'signal' },
    element('details', {}, element('summary', {}, texts.signalLearner(code, signal.enrollment.learner.pgn)), element('p', {}, texts.signalAction(facts))),
  );
}

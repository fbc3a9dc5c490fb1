/**
 * The rows of one list or table by id, so that an update replaces its row in place (keeping the
 * reader's place and focus elsewhere) and a new one goes where the API would have put it.
 */
export class KeyedRows<Row extends HTMLElement> {
  private readonly rows = new Map<string, Row>();

  constructor(private readonly container: HTMLElement) {}

  get size(): number {
    return this.rows.size;
  }

  has(id: string): boolean {
    return this.rows.has(id);
  }

  get(id: string): Row | undefined {
    return this.rows.get(id);
  }

  /**
   * Replaces the row of `id`, or adds it where `place` says: first, last, or before the first row
   * with a greater sort key.
   */
  put(id: string, row: Row, place: 'first' | 'last' | { sortKey: string }): void {
    row.dataset.id = id;
    const existing = this.rows.get(id);
    this.rows.set(id, row);
    if (existing) return replaceKeepingPlace(existing, row);
    if (place === 'first') return void this.container.prepend(row);
    if (place === 'last') return void this.container.append(row);
    const { sortKey } = place;
    row.dataset.sort = sortKey;
    const after = [...this.container.children].find((other) => other !== row && ((other as HTMLElement).dataset.sort ?? '') > sortKey);
    if (after) after.before(row);
    else this.container.append(row);
  }

  remove(id: string): void {
    this.rows.get(id)?.remove();
    this.rows.delete(id);
  }

  clear(): void {
    this.rows.clear();
    this.container.replaceChildren();
  }
}

const focusable = 'button, summary, [tabindex]';

/**
 * A row replaced by its update keeps what the reader did with it: the details they opened, and the
 * focus, on the same control of the new row (a screen reader user would lose their place otherwise).
 */
function replaceKeepingPlace(existing: HTMLElement, row: HTMLElement): void {
  const opened = [...existing.querySelectorAll('details')].map((details) => details.open);
  const focused = [...existing.querySelectorAll<HTMLElement>(focusable)].indexOf(document.activeElement as HTMLElement);
  existing.replaceWith(row);
  row.querySelectorAll('details').forEach((details, i) => (details.open = opened[i] ?? false));
  if (focused !== -1) row.querySelectorAll<HTMLElement>(focusable)[focused]?.focus();
}

// Bound parameters collected while a statement is composed: a fragment asks for a placeholder for each value it
// needs and gets the next number, so no fragment depends on another's parameter numbers.
export class Params {
  readonly values: unknown[] = [];

  /** The placeholder ($n) for this value. */
  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

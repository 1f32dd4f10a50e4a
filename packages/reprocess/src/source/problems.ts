// Collects bad input lines so one run reports all of them, then fails before anything is sent.
import { InputError } from '../errors.js';
import { describeProblem, type FieldIssue } from './packetLine.js';

/** How many bad lines a message shows; the rest are counted. */
export const MAX_SHOWN_PROBLEMS = 20;

export class ProblemList {
  private readonly shown: string[] = [];
  private total = 0;

  add(origin: string, issues: readonly FieldIssue[]): void {
    this.total++;
    // Only the shown lines are kept, so a file that is wrong throughout does not fill memory with messages.
    if (this.shown.length < MAX_SHOWN_PROBLEMS) this.shown.push(describeProblem({ origin, issues }));
  }

  get count(): number {
    return this.total;
  }

  /** Throws an InputError "<heading>: N bad lines ... nothing was sent" listing them, when there are any. */
  throwIfAny(heading: string): void {
    if (this.total === 0) return;
    const rest = this.total - this.shown.length;
    const lines = this.shown.map((line) => `  ${line}`);
    if (rest > 0) lines.push(`  ... and ${rest} more`);
    const noun = this.total === 1 ? 'problem' : 'problems';
    throw new InputError(`${heading}: ${this.total} ${noun}; nothing was sent:\n${lines.join('\n')}`);
  }
}

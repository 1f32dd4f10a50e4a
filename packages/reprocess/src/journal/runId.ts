// The run-id clock: one UTC "yyyymmdd-hhmmss" stamp for run ids (20261123-181500-1a2b, sortable by when the run
// was created) and for anything else named by its start time (the demo's directory).
import { randomBytes } from 'node:crypto';

/** "yyyymmdd-hhmmss" of the given instant, in UTC. */
export function utcStamp(at: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${p(at.getUTCFullYear(), 4)}${p(at.getUTCMonth() + 1)}${p(at.getUTCDate())}-${p(at.getUTCHours())}${p(at.getUTCMinutes())}${p(at.getUTCSeconds())}`;
}

/** A run id: the UTC stamp and 4 random hex digits, so two runs started in the same second differ. */
export function newRunId(at: Date): string {
  return `${utcStamp(at)}-${randomBytes(2).toString('hex')}`;
}

/** What a run id looks like, for a larger pattern (e.g. finding it in a line of output). */
export const RUN_ID_SOURCE = String.raw`\d{8}-\d{6}-[0-9a-f]{4}`;

export function isRunId(text: string): boolean {
  return new RegExp(`^${RUN_ID_SOURCE}$`).test(text);
}

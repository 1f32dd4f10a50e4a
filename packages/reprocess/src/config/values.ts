// One parser per kind of value a person types: a number, a duration, a share (0..1). The settings table, the
// simulator and the demo all read their flags through these, so "1e400", ".inf", "0x10", "" or "90" mean the
// same thing everywhere, and no value reaches a timer that the timer cannot hold.

/**
 * The longest wait a Node.js timer can hold: 2^31-1 ms (about 24.8 days). A longer setTimeout fires at once
 * (with a TimeoutOverflowWarning), so every duration that ends up in a timer is capped below this.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** A value that is not what its setting takes. The message says what is wanted, without the setting's name. */
export class ValueProblem extends Error {
  override name = 'ValueProblem';
}

/** Plain decimal notation only: no hex, no "Infinity", no empty string (Number('') is 0). */
const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?$/i;

export interface NumberSpec {
  min: number;
  max: number;
  /** The value must be more than min (min itself is refused). */
  aboveMin?: boolean;
  integer?: boolean;
  /** What the number counts, for messages: "seconds between notifications". */
  what?: string;
}

/** A number given as text (flag, environment) or as a number (YAML, code defaults); throws a ValueProblem. */
export function parseNumber(value: unknown, spec: NumberSpec): number {
  const n = typeof value === 'number' ? value
    : typeof value === 'string' && DECIMAL.test(value.trim()) ? Number(value.trim())
    : NaN;
  const inRange = Number.isFinite(n) && (spec.aboveMin ? n > spec.min : n >= spec.min) && n <= spec.max;
  if (!inRange || (spec.integer && !Number.isInteger(n))) throw new ValueProblem(numberWanted(spec));
  return n;
}

function numberWanted(spec: NumberSpec): string {
  const kind = spec.integer ? 'a whole number' : 'a number';
  const range = spec.aboveMin ? `more than ${spec.min} and at most ${spec.max}` : `from ${spec.min} to ${spec.max}`;
  return `must be ${kind} ${range}${spec.what ? ` (${spec.what})` : ''}`;
}

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
type Unit = keyof typeof UNIT_MS;

export interface DurationSpec {
  /** What a bare number means (YAML `delay: 2`, `--fault-down-for 500`). */
  bareUnit: 'ms' | 's';
  /** Text must carry a unit ("90m", not "90"): for ages, where a bare number would be ambiguous. */
  unitRequired?: boolean;
  minMs: number;
  maxMs: number;
  /** The duration must be more than minMs. */
  aboveMin?: boolean;
}

/**
 * A duration like "500ms", "45s", "90m", "36h", "1.5d" (a number and one unit) in milliseconds; a bare number
 * is in spec.bareUnit. Throws a ValueProblem naming the accepted range.
 */
export function parseDurationMs(value: unknown, spec: DurationSpec): number {
  let ms = NaN;
  if (typeof value === 'number') ms = value * UNIT_MS[spec.bareUnit];
  else if (typeof value === 'string') {
    const match = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*(ms|s|m|h|d)?\s*$/i.exec(value);
    if (match && (match[2] !== undefined || !spec.unitRequired)) {
      ms = Number(match[1]) * UNIT_MS[(match[2]?.toLowerCase() ?? spec.bareUnit) as Unit];
    }
  }
  ms = Math.round(ms * 1000) / 1000; // 1.1 s is 1100 ms, not 1100.0000000000002
  const inRange = Number.isFinite(ms) && (spec.aboveMin ? ms > spec.minMs : ms >= spec.minMs) && ms <= spec.maxMs;
  if (!inRange) throw new ValueProblem(durationWanted(spec));
  return ms;
}

function durationWanted(spec: DurationSpec): string {
  const bare = spec.unitRequired ? '' : ` (a bare number is ${spec.bareUnit === 's' ? 'seconds' : 'milliseconds'})`;
  const range = spec.aboveMin ? `more than ${formatMs(spec.minMs)} and at most ${formatMs(spec.maxMs)}` : `from ${formatMs(spec.minMs)} to ${formatMs(spec.maxMs)}`;
  return `must be a duration like 1d, 36h, 90m, 45s or 500ms${bare}, ${range}`;
}

/** 86_400_000 -> "1d", 90_000 -> "90s", 1500 -> "1500ms". */
export function formatMs(ms: number): string {
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    if (ms >= UNIT_MS[unit] && ms % UNIT_MS[unit] === 0) return `${ms / UNIT_MS[unit]}${unit}`;
  }
  return ms === 0 ? '0s' : `${ms}ms`;
}

/** A share from 0 to 1: "0.1" or "10%"; with allowAll, also "all". Throws a ValueProblem. */
export function parseShare(value: unknown, options: { allowAll?: boolean; aboveZero?: boolean } = {}): number | 'all' {
  if (options.allowAll && typeof value === 'string' && value.trim().toLowerCase() === 'all') return 'all';
  const percent = typeof value === 'string' ? /^\s*(\d+(?:\.\d+)?|\.\d+)\s*%\s*$/.exec(value) : null;
  let n = NaN;
  if (percent) n = Number(percent[1]) / 100;
  else {
    try {
      n = parseNumber(value, { min: 0, max: 1 });
    } catch {
      // reported below with the share's own wording
    }
  }
  if (!(n >= 0 && n <= 1) || (options.aboveZero && n === 0)) {
    throw new ValueProblem(`must be a share ${options.aboveZero ? 'more than 0 and at most 1' : 'from 0 to 1'} (or a percentage like 10%)${options.allowAll ? ' or all' : ''}`);
  }
  return n;
}

/** How a value is shown back in an error: numbers as numbers (JSON would print Infinity as null). */
export function shownValue(value: unknown): string {
  return typeof value === 'number' ? String(value) : JSON.stringify(value) ?? String(value);
}

/**
 * Why a postgres:// URL would not reach the database it seems to name, or null. A password with @, :, /, ?, #,
 * % or a space that is not percent-encoded splits the URL in the wrong place: the driver then fails to parse it,
 * or connects to the wrong host with the rest of the password dropped. The message never quotes the URL.
 */
export function databaseUrlProblem(text: string): string | null {
  const encode = 'a user or password with @ : / ? # % or a space must be percent-encoded (@ as %40, : as %3A, / as %2F, ? as %3F, '
    + '# as %23, % as %25, space as %20), or give DB_HOST, DB_PORT, DB_USER, DB_NAME and DB_PWD instead of a URL';
  let url: URL;
  try {
    // As the pg driver reads it: an empty host ("postgres://user@/db") means its default host.
    url = new URL(text.replace('@/', '@default-host/'));
  } catch {
    return `cannot be read as a URL; ${encode}`;
  }
  if (url.hash !== '') return `has a "#", which ends the URL there (the rest is dropped); ${encode}`;
  if (url.search.includes('@') || url.pathname.includes('@')) return `has an "@" after the host; ${encode}`;
  try {
    decodeURIComponent(url.username);
    decodeURIComponent(url.password);
  } catch {
    return `has a "%" that does not start an escape; ${encode}`;
  }
  return null;
}

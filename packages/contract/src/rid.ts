// Registration ids: 29 digits = center id (5) + machine id (5) + sequence (5) + UTC timestamp yyyyMMddHHmmss (14).
// The checks mirror MOSIP's kernel-idvalidator-rid (length, digits only, a calendar-valid timestamp).

export const RID_LENGTH = 29;
const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Why a string is not a valid RID, or null when it is one. */
export function ridProblem(rid: string): string | null {
  if (rid.length !== RID_LENGTH) return `RID must be ${RID_LENGTH} digits, got ${rid.length} characters`;
  if (!/^\d+$/.test(rid)) return 'RID must contain digits only';
  const ts = rid.slice(15);
  const year = Number(ts.slice(0, 4));
  const month = Number(ts.slice(4, 6));
  const day = Number(ts.slice(6, 8));
  const hour = Number(ts.slice(8, 10));
  const minute = Number(ts.slice(10, 12));
  const second = Number(ts.slice(12, 14));
  const date = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  const valid =
    date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day &&
    hour <= 23 && minute <= 59 && second <= 59;
  return valid ? null : `RID timestamp ${ts} is not a valid yyyyMMddHHmmss date`;
}

export function isUuid(value: string): boolean {
  return UUID_PATTERN.test(value);
}

function pad(value: number, width: number): string {
  return String(value).padStart(width, '0');
}

/** Builds a RID the way MOSIP's generator does, from its parts and a UTC time. */
export function makeRid(centerId: number, machineId: number, sequence: number, at: Date): string {
  const ts =
    pad(at.getUTCFullYear(), 4) + pad(at.getUTCMonth() + 1, 2) + pad(at.getUTCDate(), 2) +
    pad(at.getUTCHours(), 2) + pad(at.getUTCMinutes(), 2) + pad(at.getUTCSeconds(), 2);
  return pad(centerId, 5) + pad(machineId, 5) + pad(sequence % 100000, 5) + ts;
}

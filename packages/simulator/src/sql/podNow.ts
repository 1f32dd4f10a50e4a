// The time a MOSIP pod writes: its own clock, read as UTC wall-clock time (DateUtils.getUTCCurrentDateTime() in the
// JVM of the stage that writes), not the database's. A pod whose clock is off writes latest_trn_dtimes, upd_dtimes
// and cr_dtimes off by the same amount. The simulator's writes take that offset as a bound parameter (0: the pod's
// clock agrees with the database's, as on a healthy cluster).
import { NOW_UTC } from '@mosip-reprocess/contract/sql/utcText.js';

/** SQL expression: now on a pod whose clock is `offsetMsParam` (a bound parameter, ms; + ahead, - behind) off the database's. */
export function podNowUtc(offsetMsParam: string): string {
  return `(${NOW_UTC} + make_interval(secs => ${offsetMsParam}::float8 / 1000))`;
}

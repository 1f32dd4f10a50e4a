// Where the packets are: counts of the registration table by status_code and by latest_trn_type_code, taken
// before and after the demo's runs, and their side-by-side rendering. Every row is counted exactly once in each
// breakdown, so each column adds up to the table's row count.
import type { Queryable } from '@mosip-reprocess/contract/sql/queryable.js';
import { TRN_TYPE } from '@mosip-reprocess/contract/enums.js';
import { countByStatusAndType } from '../sql/statusCounts.js';
import { STAGE_OF_TRN_TYPE } from '../sim/seedProfile.js';
import { DEFAULT_STAGES } from '../sim/pipeline.js';
import { renderTable } from 'mosip-reprocess/report/table.js';

export interface Snapshot {
  total: number;
  /** status_code -> rows ('(null)' for NULL). */
  byStatus: Record<string, number>;
  /** latest_trn_type_code -> rows ('(null)' for NULL). */
  byType: Record<string, number>;
}

const NULL_KEY = '(null)';

export async function takeSnapshot(db: Queryable, schema: string): Promise<Snapshot> {
  const snapshot: Snapshot = { total: 0, byStatus: {}, byType: {} };
  for (const r of await countByStatusAndType(db, schema)) {
    const n = r.count;
    snapshot.total += n;
    const status = r.status_code ?? NULL_KEY;
    const type = r.latest_trn_type_code ?? NULL_KEY;
    snapshot.byStatus[status] = (snapshot.byStatus[status] ?? 0) + n;
    snapshot.byType[type] = (snapshot.byType[type] ?? 0) + n;
  }
  return snapshot;
}

/** 1.1.5 codes that survive the migration (no 1.2.0.1 stage writes them any more). */
const LEGACY_TYPES = new Set(['QUALITY_CHECK', 'OSI_VALIDATE', 'MANUAL_VERIFICATION']);

// latest_trn_type_code in the order a NEW packet meets the stages, so the table reads top to bottom like the
// pipeline; the other known codes follow, then unknown ones by count.
const PIPELINE_ORDER: readonly string[] = [
  TRN_TYPE.PACKET_RECEIVER, TRN_TYPE.SECUREZONE_NOTIFICATION, ...DEFAULT_STAGES.map((s) => s.trnTypeCode),
];
const KNOWN_ORDER: readonly string[] = [...new Set([...PIPELINE_ORDER, ...Object.keys(STAGE_OF_TRN_TYPE)])];

/** Two tables, "before | after | change": by status_code (by count) and by latest_trn_type_code (pipeline order). */
export function renderBeforeAfter(before: Snapshot, after: Snapshot): string[] {
  const lines: string[] = [];
  lines.push('Where the packets are, by registration.status_code:');
  lines.push(...table('status_code', before, after, (s) => s.byStatus, (keys) => sortByCount(keys, before.byStatus, after.byStatus)));
  lines.push('');
  lines.push('By latest_trn_type_code (the stage of the latest transaction), in pipeline order:');
  lines.push(...table('latest_trn_type_code', before, after, (s) => s.byType, (keys) => {
    const known = KNOWN_ORDER.filter((k) => keys.includes(k));
    const rest = sortByCount(keys.filter((k) => !KNOWN_ORDER.includes(k)), before.byType, after.byType);
    return [...known, ...rest];
  }, (key) => (LEGACY_TYPES.has(key) ? `${key} (1.1.5)` : key)));
  return lines;
}

function table(
  header: string, before: Snapshot, after: Snapshot, counts: (s: Snapshot) => Record<string, number>,
  order: (keys: string[]) => string[], label: (key: string) => string = (k) => k,
): string[] {
  const b = counts(before);
  const a = counts(after);
  const keys = order([...new Set([...Object.keys(b), ...Object.keys(a)])]);
  const rows = keys.map((k) => [label(k), String(b[k] ?? 0), String(a[k] ?? 0), change((a[k] ?? 0) - (b[k] ?? 0))]);
  rows.push(['total', String(before.total), String(after.total), change(after.total - before.total)]);
  return renderTable(
    [{ header }, { header: 'before', align: 'right' }, { header: 'after', align: 'right' }, { header: 'change', align: 'right' }],
    rows,
  );
}

function sortByCount(keys: string[], before: Record<string, number>, after: Record<string, number>): string[] {
  return [...keys].sort((x, y) => (before[y] ?? 0) - (before[x] ?? 0) || (after[y] ?? 0) - (after[x] ?? 0) || x.localeCompare(y));
}

function change(d: number): string {
  return d === 0 ? '' : d > 0 ? `+${d}` : String(d);
}

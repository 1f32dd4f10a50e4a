// The frame of a report page: one self-contained HTML document (inline CSS, inline SVG, one small inline script
// for sorting and filtering tables). It fetches nothing: no external script, style sheet, font or image, so it
// opens the same from an e-mail attachment on a laptop with no network. The Content-Security-Policy says so too.
import { escapeHtml as esc } from './escape.js';
import { formatNumber } from './svg.js';
import type { EligibilityCriteria } from '../../sql/eligibility.js';

export const OUTCOME_COLORS: Record<string, string> = {
  forwarded: '#2e7d32',
  delivered_on_resume: '#81c784',
  not_uploaded: '#ef6c00',
  not_found: '#8d6e63',
  stage_error: '#c62828',
  unauthorized: '#6a1b9a',
  forbidden: '#ad1457',
  server_error: '#1565c0',
  network_error: '#00838f',
  in_doubt: '#9e9e9e',
  sent_no_reply: '#616161',
};

export const CLASS_COLORS: Record<string, string> = {
  moved_on: '#43a047',
  processed: '#1b5e20',
  at_securezone: '#fbc02d',
  rejected_duplicate: '#ef6c00',
  reprocess: '#1e88e5',
  failed: '#c62828',
  untouched: '#9e9e9e',
  missing: '#5d4037',
};

const PALETTE = ['#1565c0', '#2e7d32', '#ef6c00', '#6a1b9a', '#c62828', '#00838f', '#8d6e63', '#ad1457', '#9e9e9e', '#fbc02d'];
export const colorAt = (i: number): string => PALETTE[i % PALETTE.length]!;

export interface Cell {
  text: string;
  /** Sort key when it differs from the text (numbers). */
  sort?: number | string;
  num?: boolean;
}

export type CellLike = string | number | Cell;

const toCell = (c: CellLike): Cell => (typeof c === 'number' ? { text: formatNumber(c), sort: c, num: true } : typeof c === 'string' ? { text: c } : c);

/** A table of the numbers behind a chart (or a list); `sortable` adds click-to-sort headers and a filter box. */
export function table(headers: readonly string[], rows: readonly (readonly CellLike[])[], opts: { sortable?: boolean; id?: string; caption?: string; className?: string } = {}): string {
  const head = `<thead><tr>${headers.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead>`;
  const body = rows.map((r) => `<tr>${r.map((c) => {
    const cell = toCell(c);
    const sort = cell.sort !== undefined ? ` data-sort="${esc(String(cell.sort))}"` : '';
    return `<td${cell.num ? ' class="n"' : ''}${sort}>${esc(cell.text)}</td>`;
  }).join('')}</tr>`).join('');
  const filter = opts.sortable ? `<input class="filter" type="search" placeholder="filter rows (any column)" aria-label="filter rows">` : '';
  const cls = [opts.className ?? 'numbers', opts.sortable ? 'sortable' : ''].filter(Boolean).join(' ');
  return `${filter}<table class="${cls}"${opts.id ? ` id="${esc(opts.id)}"` : ''}>${opts.caption ? `<caption>${esc(opts.caption)}</caption>` : ''}${head}<tbody>${body}</tbody></table>`;
}

/** A chart with its numbers beside it. */
export function chartWithTable(chart: string, numbers: string): string {
  return `<div class="pair"><div class="fig">${chart}</div><div class="nums">${numbers}</div></div>`;
}

export function section(id: string, title: string, body: string): string {
  return `<section id="${esc(id)}"><h2>${esc(title)}</h2>${body}</section>`;
}

const CSS = `
*{box-sizing:border-box}body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d1d1d;margin:0;background:#fafafa}
header{background:#263238;color:#fff;padding:16px 24px}header h1{margin:0;font-size:20px}header p{margin:4px 0 0;color:#cfd8dc}
main{padding:8px 24px 40px;max-width:1500px}section{background:#fff;border:1px solid #e0e0e0;border-radius:6px;padding:12px 16px;margin:16px 0}
h2{font-size:16px;margin:0 0 8px}h3{font-size:14px;margin:12px 0 6px}
table{border-collapse:collapse;font-size:12.5px;margin:4px 0}th,td{border-bottom:1px solid #eee;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#f5f5f5;font-weight:600}td.n{text-align:right;font-variant-numeric:tabular-nums}
table.sortable th{cursor:pointer;user-select:none}table.sortable th:after{content:" \\2195";color:#aaa}
.pair{display:flex;flex-wrap:wrap;gap:16px;align-items:flex-start}.fig{flex:0 1 auto;max-width:100%;overflow-x:auto}.nums{flex:1 1 440px;max-height:440px;overflow:auto}
summary{cursor:pointer;font-weight:600;margin:10px 0 4px}
svg.chart{max-width:100%;height:auto;background:#fff}figure{margin:0}.legend{font-size:12px;margin:4px 0 0 56px}.legend span{margin-right:12px;white-space:nowrap}
.legend i{display:inline-block;width:10px;height:10px;margin-right:4px;vertical-align:-1px;border-radius:2px}
.facts td:first-child{color:#555;white-space:nowrap}.note{color:#555;font-size:12.5px}.warn{color:#b71c1c}
input.filter{margin:4px 0;padding:4px 8px;width:320px;max-width:100%;border:1px solid #bbb;border-radius:4px}
.scroll{max-height:420px;overflow:auto}.kpi{display:flex;flex-wrap:wrap;gap:12px;margin:8px 0}
.kpi div{border:1px solid #e0e0e0;border-radius:6px;padding:6px 12px;min-width:120px}.kpi b{display:block;font-size:20px}
@media print{.filter{display:none}.nums{max-height:none}.scroll{max-height:none}details{display:block}}
`;

// Sorting and filtering of tables marked "sortable": inline, tiny, no library, nothing fetched.
const SCRIPT = `
(function(){
  function key(td){var s=td.getAttribute('data-sort');if(s!==null&&s!==''&&!isNaN(+s))return +s;return (s!==null?s:td.textContent).toLowerCase();}
  document.querySelectorAll('table.sortable').forEach(function(t){
    var dir={};
    t.querySelectorAll('th').forEach(function(th,i){th.addEventListener('click',function(){
      var rows=Array.prototype.slice.call(t.tBodies[0].rows);dir[i]=!dir[i];var d=dir[i]?1:-1;
      rows.sort(function(a,b){var x=key(a.cells[i]),y=key(b.cells[i]);return x<y?-d:x>y?d:0;});
      rows.forEach(function(r){t.tBodies[0].appendChild(r);});
    });});
    var f=t.previousElementSibling;
    if(f&&f.classList.contains('filter'))f.addEventListener('input',function(){
      var q=f.value.toLowerCase();
      Array.prototype.forEach.call(t.tBodies[0].rows,function(r){r.style.display=r.textContent.toLowerCase().indexOf(q)>=0?'':'none';});
    });
  });
})();
`;

/** The whole document. */
export function page(title: string, subtitle: string, body: string): string {
  // default-src 'none': the page may load nothing at all; only its own inline style and script run.
  const csp = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:";
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(title)}</title><style>${CSS}</style></head>
<body><header><h1>${esc(title)}</h1><p>${esc(subtitle)}</p></header><main>
${body}
</main><script>${SCRIPT}</script></body></html>
`;
}

/** The --db selection's criteria as rows of a facts table, in the guide's words (the dry run and the triage pages). */
export function criteriaFacts(c: EligibilityCriteria): [string, string][] {
  return [
    ['latest_trn_status_code IN', c.trnStatuses.join(', ')],
    ['reg_process_retry_count <=', String(c.maxRetries)],
    ['latest_trn_dtimes <', `${c.cutoffUtc} (UTC)`],
    ['status_code NOT IN', c.excludeStatuses.join(', ')],
    ['latest_trn_type_code', c.stages === null ? 'any (APPROACH 1)' : `IN (${c.stages.join(', ')}) (APPROACH 2)`],
  ];
}

// `reprocess report <run-id> --html`: the morning-after report of a run, one self-contained HTML file. Every
// number comes from the aggregates of journalStats.ts (the journal, read once, streamed) and whereNow.ts (the
// registration rows now, when the database is reachable); every chart has its numbers in a table beside it.
import { hostname, userInfo } from 'node:os';
import { hideUrlPassword } from '../../config/redact.js';
import { runReasonOf, type RunMeta } from '../../journal/runStore.js';
import { OUTCOME_LABELS } from '../format.js';
import { VERIFY_CLASS_MEANINGS, VERIFY_CLASSES } from '../verify.js';
import { escapeHtml as esc } from './escape.js';
import {
  FINAL_OUTCOMES, latencyQuantile, LATENCY_EXACT_MS, type FinalOutcome, type JournalStats, type TimelineEvent,
} from './journalStats.js';
import { chartWithTable, CLASS_COLORS, OUTCOME_COLORS, page, section, table, type CellLike } from './page.js';
import { barChart, columnChart, formatNumber, lineChart, type Marker, type Series } from './svg.js';
import type { WhereNow } from './whereNow.js';

/** What each whole-run outcome means, in MOSIP's terms (the reply classes are those of format.ts). */
export const FINAL_OUTCOME_MEANINGS: Record<FinalOutcome, string> = {
  ...OUTCOME_LABELS,
  forwarded: 'forwarded: MOSIP\'s securezone stage updated the row and sent the packet on to the next stage',
  not_uploaded: 'not uploaded: MOSIP refused it (duplicate packet, or RID and workflow id do not match)',
  not_found: 'null reply: MOSIP found no active row with this workflow id; the database was not touched',
  stage_error: 'stage error: an exception inside the securezone stage (reply text in the list below)',
  delivered_on_resume: 'in doubt after a crash, then found handled by the stage in the database: delivered, not sent again',
  in_doubt: 'in doubt: the reply was lost (in transit, or in a crash) and the database could not say whether the stage handled it; not sent again (--resend-in-doubt sends it)',
  sent_no_reply: 'sent, but the run crashed before the reply was journaled; settled by --resume',
};

export interface RunReportInput {
  meta: RunMeta;
  /** summary.json of the last attempt, when written. */
  summary: Record<string, unknown> | null;
  stats: JournalStats;
  /** null: not checked, with the reason in `whereNowNote`. */
  whereNow: WhereNow | null;
  whereNowNote: string;
  /** The command that writes the CSV with every packet. */
  csvCommand: string;
  generatedAt?: Date;
}

const EVENT_COLORS: Record<TimelineEvent['kind'], string> = {
  start: '#2e7d32', resume: '#1565c0', stop: '#c62828', end: '#455a64', breaker: '#ef6c00', token: '#6a1b9a', canary: '#00838f', dropped: '#ad1457', note: '#8d6e63',
};
const EVENT_NAMES: Record<TimelineEvent['kind'], string> = {
  start: 'start', resume: 'resume', stop: 'stop', end: 'end', breaker: 'circuit breaker', token: 'token refresh', canary: 'canary', dropped: 'dropped by the pipeline', note: 'note',
};

/** ISO UTC and the report machine's local time, e.g. "2026-11-23 23:15:02 UTC (00:15:02 CET)". */
export function bothTimes(iso: string | null | undefined): string {
  if (!iso) return '-';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const utc = d.toISOString().slice(0, 19).replace('T', ' ');
  const local = new Intl.DateTimeFormat('en-GB', {
    year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false, timeZoneName: 'short',
  }).format(d);
  return `${utc} UTC (local ${local})`;
}

function duration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '-';
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (s >= 86_400 && s % 3600 === 0) return `${s / 3600} h`;
  return h > 0 ? `${h} h ${m} min ${s % 60} s` : m > 0 ? `${m} min ${s % 60} s` : `${(ms / 1000).toFixed(1)} s`;
}

const pct = (n: number, of: number): CellLike => ({ text: of > 0 ? `${((100 * n) / of).toFixed(1)}%` : '-', sort: of > 0 ? n / of : 0, num: true });

/** A setting's value for display: a URL's password is hidden even when a setting was not marked secret. */
function shown(key: string, value: unknown): string {
  if (/secret|password|pwd|token/i.test(key) && value !== undefined && value !== '(set, hidden)') return '(set, hidden)';
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return hideUrlPassword(text);
}

/** The selection, in words. */
export function selectionInWords(meta: RunMeta): string {
  const s = meta.settings as Record<string, unknown>;
  const list = (v: unknown) => (Array.isArray(v) ? v.join(', ') : String(v ?? '-'));
  if (meta.source.startsWith('db')) {
    if (s.queryFile) return `the rows returned by the query in ${String(s.queryFile)} (run read-only)`;
    const stages = Array.isArray(s.stages) && s.stages.length > 0 ? `, plus the stages ${list(s.stages)}` : '';
    return [
      `active registration rows whose latest transaction status is ${list(s.trnStatuses)}`,
      `last written more than ${typeof s.olderThan === 'number' ? duration(s.olderThan * 1000) : String(s.olderThan ?? '-')} before the run started`,
      `retried at most ${String(s.maxRetries ?? '-')} times`,
      `whose status_code is not ${list(s.excludeStatuses)}`,
      Number(s.approach) === 2 ? `and whose latest stage is one of the guide's APPROACH 2 stages${stages}` : 'at any stage (APPROACH 1)',
    ].join(', ') + `; at most ${String(s.limit ?? '-')} packets${meta.source.includes('--all') ? ' per batch, batches until none is left (--all)' : ''}.`;
  }
  if (meta.source.startsWith('file')) return `the packets listed in ${meta.source.slice(5)}`;
  return `the packets given on the command line (${meta.source})`;
}

function timeLabel(ms: number, spanMs: number): string {
  const iso = new Date(ms).toISOString();
  return spanMs > 86_400_000 ? `${iso.slice(5, 10)} ${iso.slice(11, 16)}` : spanMs > 600_000 ? iso.slice(11, 16) : iso.slice(11, 19);
}

const LATENCY_EDGES = [0, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 30_000, 60_000, LATENCY_EXACT_MS];

export function latencyBuckets(l: JournalStats['latency']): { label: string; short: string; count: number }[] {
  const out: { label: string; short: string; count: number }[] = [];
  for (let k = 0; k + 1 < LATENCY_EDGES.length; k++) {
    let n = 0;
    for (let i = LATENCY_EDGES[k]!; i < LATENCY_EDGES[k + 1]!; i++) n += l.hist[i]!;
    out.push({ label: `${msText(LATENCY_EDGES[k]!)} to < ${msText(LATENCY_EDGES[k + 1]!)}`, short: msText(LATENCY_EDGES[k]!), count: n });
  }
  out.push({ label: `>= ${msText(LATENCY_EXACT_MS)}`, short: `>=${msText(LATENCY_EXACT_MS)}`, count: l.overflow });
  return out;
}
const msText = (ms: number) => (ms >= 1000 ? `${ms / 1000} s` : `${ms} ms`);

export function renderRunReport(input: RunReportInput): string {
  const { meta, stats, summary } = input;
  const generatedAt = input.generatedAt ?? new Date();
  const last = stats.attempts[stats.attempts.length - 1];
  const endedAt = last?.endedAt ?? (summary?.finishedAt as string | undefined) ?? null;
  const status = !stats.ended || (last && last.endedAt === null) ? 'running or crashed (no end record for the last attempt)' : last?.stop ? 'stopped' : 'finished';
  const body: string[] = [];

  // ---- the run ----
  const m = meta as RunMeta & Record<string, unknown>;
  const reason = runReasonOf(meta);
  const facts: [string, string][] = [
    ['run id', meta.id],
    ['reason', reason ?? '(none given)'],
    ['host', stats.hosts.length > 0 ? stats.hosts.join(', ') : String(m.host ?? '(not recorded in this journal)')],
    ['user', String(m.user ?? '(not recorded in run.json)')],
    ['source', meta.source],
    ['selection', selectionInWords(meta)],
    ['status', status],
    ['started', bothTimes(meta.createdAt)],
    ['ended', bothTimes(endedAt)],
    ['wall time (first to last attempt)', endedAt ? duration(Date.parse(endedAt) - Date.parse(meta.createdAt)) : '-'],
    ['exit code (last attempt)', last?.exitCode === null || last?.exitCode === undefined ? '-' : String(last.exitCode)],
    ['why it stopped', last?.stop ?? (last?.endedAt ? 'it ran to the end' : 'no end record: the process was killed or crashed; `reprocess --resume ' + meta.id + '` settles it')],
    ['packets (whole run)', formatNumber(stats.packets)],
    ['replies journaled (all attempts, retries included)', formatNumber(stats.replies)],
  ];
  if (stats.dropped > 0) facts.push(['dropped by the pipeline (--pace auto)', `${formatNumber(stats.dropped)} forwarded packets whose row stalled past --message-max-age (a --resume sends them again)`]);
  if (stats.tornLines > 0) facts.push(['torn journal lines', `${stats.tornLines} (a crash mid-write; that send never went out)`]);
  const attemptsTable = table(
    ['attempt', 'started', 'ended', 'replies', 'exit code', 'stop'],
    stats.attempts.map((a) => [a.n, bothTimes(a.startedAt), a.endedAt ? bothTimes(a.endedAt) : 'no end record', a.replies, a.exitCode === null ? '-' : String(a.exitCode), a.stop ?? '-']),
    { id: 'attempts' },
  );
  const settings = Object.entries(meta.settings)
    .filter(([, v]) => v !== undefined && v !== null)
    .map(([k, v]) => [k, shown(k, v)] as CellLike[]);
  body.push(section('run', 'The run',
    `<table class="facts">${facts.map(([k, v]) => `<tr><td>${esc(k)}</td><td>${esc(v)}</td></tr>`).join('')}</table>`
    + `<h3>Attempts (${stats.attempts.length})</h3>${attemptsTable}`
    + `<details><summary>Settings (${settings.length}; secrets hidden)</summary>${table(['setting', 'value'], settings, { id: 'settings' })}</details>`));

  // ---- totals ----
  const used = FINAL_OUTCOMES.filter((o) => stats.totals[o] !== 0 || o === 'forwarded');
  const kpi = `<div class="kpi">${[
    ['packets', stats.packets], ['forwarded', stats.totals.forwarded + stats.totals.delivered_on_resume], ['not forwarded', stats.failuresTotal],
  ].map(([k, v]) => `<div><b>${formatNumber(v as number)}</b>${esc(String(k))}</div>`).join('')}</div>`;
  body.push(section('totals', 'Totals by outcome', kpi + chartWithTable(
    barChart({
      title: 'packets by outcome', categories: used, xLabel: 'packets',
      series: used.map((o, i) => ({ name: o, color: OUTCOME_COLORS[o]!, values: used.map((_, j) => (i === j ? stats.totals[o] : 0)) })),
    }),
    table(['outcome', 'packets', '%', "MOSIP's meaning"], used.map((o) => [o, stats.totals[o], pct(stats.totals[o], stats.packets), FINAL_OUTCOME_MEANINGS[o]]), { id: 'totals' }),
  )));

  // ---- timeline ----
  body.push(section('timeline', 'Timeline', timelineSection(stats)));

  // ---- latency ----
  const L = stats.latency;
  const buckets = latencyBuckets(L);
  const q = (x: number) => latencyQuantile(L, x);
  const quantiles: [string, number | null][] = [['p50', q(0.5)], ['p95', q(0.95)], ['p99', q(0.99)], ['mean', L.count ? Math.round(L.sumMs / L.count) : null], ['max', L.count ? L.maxMs : null]];
  body.push(section('latency', 'Reply latency', chartWithTable(
    columnChart({
      title: 'reply latency histogram', categories: buckets.map((b) => b.short), labelEvery: 1, yLabel: 'replies', width: 860,
      series: [{ name: 'replies', color: '#1565c0', values: buckets.map((b) => b.count) }],
    }),
    table(['', 'ms'], quantiles.map(([k, v]) => [k, v === null ? '-' : v]), { id: 'latency-quantiles' })
    + table(['latency', 'replies'], buckets.map((b) => [b.label, b.count]), { id: 'latency-histogram' })
    + `<p class="note">${formatNumber(L.count)} replies (every attempt). Quantiles are exact to the millisecond below ${msText(LATENCY_EXACT_MS)}.</p>`,
  )));

  // ---- where now ----
  body.push(section('now', 'Where the packets are now', whereNowSection(input.whereNow, input.whereNowNote)));

  // ---- breakdowns ----
  const breakdown = (title: string, key: string, data: JournalStats['byProcess'], note: string) => {
    const cats = Object.keys(data).filter((k) => FINAL_OUTCOMES.some((o) => (data[k]![o] ?? 0) > 0)).sort((a, b) => total(data[b]!) - total(data[a]!) || a.localeCompare(b));
    const outs = FINAL_OUTCOMES.filter((o) => cats.some((c) => (data[c]![o] ?? 0) > 0));
    const series: Series[] = outs.map((o) => ({ name: o, color: OUTCOME_COLORS[o]!, values: cats.map((c) => data[c]![o] ?? 0) }));
    return `<h3>${esc(title)}</h3>${note ? `<p class="note">${esc(note)}</p>` : ''}` + (cats.length === 0 ? '<p>none</p>' : chartWithTable(
      barChart({ title, categories: cats, series, xLabel: 'packets' }),
      table([key, ...outs, 'total'], cats.map((c) => [c, ...outs.map((o) => data[c]![o] ?? 0), total(data[c]!)]), { id: `by-${key}` }),
    ));
  };
  const stageNote = stats.stageRecorded === 0
    ? 'This journal does not record the stage each packet was stuck in (its send records have no "stage" field), so every packet is under "(not recorded)".'
    : '';
  body.push(section('breakdowns', 'Breakdowns',
    breakdown('By the stage they were stuck in (latest_trn_type_code when selected)', 'stage', stats.byStage, stageNote)
    + breakdown('By process', 'process', stats.byProcess, '')));

  // ---- not forwarded ----
  const shownRows = stats.failures;
  const more = stats.failuresTotal > shownRows.length
    ? `<p class="note">The first ${formatNumber(shownRows.length)} of ${formatNumber(stats.failuresTotal)} are listed. Every packet is in the CSV: <code>${esc(input.csvCommand)}</code></p>`
    : `<p class="note">All ${formatNumber(stats.failuresTotal)} are listed; the CSV has every packet: <code>${esc(input.csvCommand)}</code></p>`;
  body.push(section('failures', `Packets not forwarded (${formatNumber(stats.failuresTotal)})`, more + (shownRows.length === 0 ? '<p>none</p>' : `<div class="scroll">${table(
    ['rid', 'workflow id', 'process', 'stage before', 'outcome', 'HTTP', 'reply / reason', 'attempts', 'sent (UTC)'],
    shownRows.map((f) => [f.rid, f.wf, f.process, f.stage ?? '', f.outcome, f.http === null ? '' : String(f.http), f.reply, f.attempts, f.startedAt]),
    { sortable: true, id: 'not-forwarded' },
  )}</div>`)));

  const subtitle = `${meta.source} · ${status} · generated ${generatedAt.toISOString().slice(0, 19).replace('T', ' ')} UTC on ${hostname()} by ${safeUser()}`;
  return page(`Re-drive run ${meta.id}`, subtitle, body.join('\n'));
}

function safeUser(): string {
  try { return userInfo().username; } catch { return '(unknown user)'; }
}

const total = (r: Partial<Record<string, number>>) => Object.values(r).reduce<number>((a, v) => a + (v ?? 0), 0);

function timelineSection(stats: JournalStats): string {
  const t = stats.timeline;
  if (t.bins.length === 0) return '<p>No replies were journaled.</p>' + eventsTable(stats);
  const span = t.bins.length * t.binMs;
  const labels = t.bins.map((_, i) => timeLabel(t.originMs + i * t.binMs, span));
  const outs = FINAL_OUTCOMES.filter((o) => t.bins.some((b) => (b.sends[o as keyof typeof b.sends] ?? 0) > 0));
  const series: Series[] = outs.map((o) => ({ name: o, color: OUTCOME_COLORS[o]!, values: t.bins.map((b) => b.sends[o as keyof typeof b.sends] ?? 0) }));
  const markers: Marker[] = stats.events
    .map((e) => ({ x: (Date.parse(e.at) - t.originMs) / t.binMs, color: EVENT_COLORS[e.kind], label: `${EVENT_NAMES[e.kind]} ${e.at}: ${e.text}` }))
    .filter((mk) => Number.isFinite(mk.x) && mk.x >= 0 && mk.x <= t.bins.length);
  const sends = t.bins.map((b) => total(b.sends));
  const rate = sends.map((n) => n / (t.binMs / 1000));
  const interval = msText(t.binMs);
  let out = `<p class="note">Sends per ${interval} interval (UTC, by when the send started), stacked by the reply; markers: ${Object.keys(EVENT_COLORS).map((k) => `<span style="color:${EVENT_COLORS[k as TimelineEvent['kind']]}">▼ ${esc(EVENT_NAMES[k as TimelineEvent['kind']])}</span>`).join(' ')}.</p>`;
  const rows: CellLike[][] = t.bins.map((b, i) => [
    { text: new Date(t.originMs + i * t.binMs).toISOString().slice(0, 19).replace('T', ' '), sort: i }, ...outs.map((o) => b.sends[o as keyof typeof b.sends] ?? 0), sends[i]!, { text: rate[i]!.toFixed(2), sort: rate[i]!, num: true },
    ...(stats.paceRecords > 0 ? [b.inPipeline ?? '', b.waitingMs === undefined ? '' : Math.round(b.waitingMs / 1000), b.maxWaitMs === undefined ? '' : Math.round(b.maxWaitMs / 1000)] : []),
  ]);
  const head = ['interval start (UTC)', ...outs, 'sends', 'sends/s', ...(stats.paceRecords > 0 ? ['in pipeline (max)', 'waiting s (max)', '--max-wait s'] : [])];
  let charts = columnChart({ title: 'sends per interval by outcome', categories: labels, series, yLabel: `sends per ${interval}`, markers });
  charts += lineChart({ title: 'send rate', categories: labels, yLabel: 'sends/s', markers, series: [{ name: 'send rate (sends/s)', color: '#37474f', values: rate }] });
  if (stats.paceRecords > 0) {
    charts += lineChart({
      title: 'in pipeline', categories: labels, yLabel: 'packets', markers,
      series: [{ name: 'packets inside the pipeline (--pace auto)', color: '#6a1b9a', values: t.bins.map((b) => b.inPipeline ?? null) }],
    });
    charts += lineChart({
      title: 'waiting time', categories: labels, yLabel: 'seconds', markers,
      series: [
        { name: 'waiting time of the packets inside (s)', color: '#ef6c00', values: t.bins.map((b) => (b.waitingMs === undefined ? null : b.waitingMs / 1000)) },
        { name: '--max-wait (s)', color: '#c62828', dashed: true, values: t.bins.map((b) => (b.maxWaitMs === undefined ? null : b.maxWaitMs / 1000)) },
      ],
    });
  } else {
    out += '<p class="note">No pipeline measurements in this journal (the run did not use --pace auto): no in-pipeline count or waiting time to show.</p>';
  }
  // The table has a column per outcome: it goes under the charts, at full width.
  out += `${charts}<h3>The numbers, per interval</h3><div class="scroll">${table(head, rows, { id: 'timeline' })}</div>`;
  return out + eventsTable(stats);
}

function eventsTable(stats: JournalStats): string {
  if (stats.events.length === 0) return '';
  return `<h3>Events</h3>${table(['time', 'event', 'detail'], stats.events.map((e) => [bothTimes(e.at), EVENT_NAMES[e.kind], e.text]), { id: 'events' })}`
    + (stats.eventsDropped > 0 ? `<p class="note">${stats.eventsDropped} more events not listed.</p>` : '');
}

function whereNowSection(now: WhereNow | null, note: string): string {
  if (!now) return `<p class="warn">${esc(note)}</p>`;
  const classes = VERIFY_CLASSES.filter((c) => now.counts[c] > 0);
  const bar = barChart({
    title: 'where the packets are now', categories: ['all packets'], xLabel: 'packets',
    series: classes.map((c) => ({ name: c, color: CLASS_COLORS[c]!, values: [now.counts[c]] })),
  });
  const stages = Object.keys(now.byStageNow).sort((a, b) => total(now.byStageNow[b]!) - total(now.byStageNow[a]!) || a.localeCompare(b));
  const byStage = barChart({
    title: 'where the packets are now, by stage', categories: stages, xLabel: 'packets',
    series: classes.map((c) => ({ name: c, color: CLASS_COLORS[c]!, values: stages.map((s) => now.byStageNow[s]![c] ?? 0) })),
  });
  return `<p class="note">${esc(note)} Classes as in <code>reprocess verify</code> (rows read ${esc(bothTimes(now.checkedAt))}).</p>`
    + chartWithTable(bar, table(['class', 'packets', '%', 'meaning'], VERIFY_CLASSES.map((c) => [c, now.counts[c], pct(now.counts[c], now.total), VERIFY_CLASS_MEANINGS[c]]), { id: 'where-now' }))
    + '<h3>By the stage their row is at now (latest_trn_type_code)</h3>'
    + chartWithTable(byStage, table(['stage now', ...classes, 'total'], stages.map((s) => [s, ...classes.map((c) => now.byStageNow[s]![c] ?? 0), total(now.byStageNow[s]!)]), { id: 'where-now-by-stage' }));
}

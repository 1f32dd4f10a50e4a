// One input line (of a --file, or a --registration value) -> a packet entry, or the reasons it is not one.
// Accepted: "<rid>" alone, or "<rid>, <process>, <workflowInstanceId>[, <iteration>[, <source>]]", or the
// columns a CSV header names. Each value may sit in single, double or typographic quotes: MOSIP's README
// quotes them and its script sent the quotes on to the server, so they are stripped here, never kept.
import { isProcess, PROCESSES, SOURCES } from '@mosip-reprocess/contract/enums.js';
import { isUuid, ridProblem } from '@mosip-reprocess/contract/rid.js';
import { InputError } from '../errors.js';

/** Input columns, named as in the registration table. */
export const COLUMNS = ['reg_id', 'process', 'workflow_instance_id', 'iteration', 'source'] as const;
export type Column = (typeof COLUMNS)[number];
/** Which column each comma-separated field holds, in order. */
export type Layout = readonly Column[];

/** A line naming one workflow instance. iteration and source are null when the line does not give them. */
export interface FullEntry {
  kind: 'full';
  rid: string;
  /** Upper-cased, one of PROCESSES. */
  process: string;
  workflowInstanceId: string;
  iteration: number | null;
  /** Upper-cased, one of SOURCES. */
  source: string | null;
  /** "<file>:<line>" or "--registration". */
  origin: string;
}

/** A line with only a RID: the rest must come from the database. */
export interface RidOnlyEntry {
  kind: 'rid';
  rid: string;
  origin: string;
}

export type ParsedEntry = FullEntry | RidOnlyEntry;
/** A blank line or a "#" comment. */
export interface SkippedLine {
  kind: 'skip';
  origin: string;
}
export type ParsedLine = ParsedEntry | SkippedLine;

/** One reason a line is unusable; field is absent when the line as a whole is wrong (e.g. the field count). */
export interface FieldIssue {
  field?: Column;
  reason: string;
}
export interface ParseProblem {
  kind: 'problem';
  origin: string;
  issues: FieldIssue[];
}

const POSITIONAL_LAYOUTS: Record<number, Layout> = {
  1: ['reg_id'],
  3: ['reg_id', 'process', 'workflow_instance_id'],
  4: ['reg_id', 'process', 'workflow_instance_id', 'iteration'],
  5: ['reg_id', 'process', 'workflow_instance_id', 'iteration', 'source'],
};
const FIELD_COUNT_HINT =
  'expected 1 (reg_id), 3 (reg_id, process, workflow_instance_id), 4 (+ iteration) or 5 (+ iteration, source)';

const QUOTE_PAIRS: Record<string, string> = { "'": "'", '"': '"', '\u2018': '\u2019', '\u201C': '\u201D' };
const QUOTE_CHARS = /['"\u2018\u2019\u201C\u201D]/;
const MAX_ITERATION = 2_147_483_647; // registration.iteration is an integer column

export function isSkippable(text: string): boolean {
  const trimmed = text.trim();
  return trimmed === '' || trimmed.startsWith('#');
}

/** The comma-separated fields of a line, trimmed; quotes are still on. */
export function splitFields(text: string): string[] {
  return text.split(',').map((field) => field.trim());
}

/** The value without its surrounding quote pair, or null when a quote is left unbalanced. */
export function unquote(field: string): string | null {
  const close = QUOTE_PAIRS[field.charAt(0)];
  if (close !== undefined && field.length >= 2 && field.endsWith(close)) return field.slice(1, -1).trim();
  if (QUOTE_CHARS.test(field.charAt(0)) || QUOTE_CHARS.test(field.charAt(field.length - 1))) return null;
  return field;
}

/** Parses one line. layout comes from a CSV header; without it the field count decides. */
export function parsePacketLine(text: string, origin: string, layout?: Layout): ParsedLine | ParseProblem {
  if (isSkippable(text)) return { kind: 'skip', origin };
  const fields = splitFields(text);
  const columns = layout ?? POSITIONAL_LAYOUTS[fields.length];
  if (!columns || columns.length !== fields.length) {
    const expected = layout ? `expected ${layout.length} as in the header (${layout.join(', ')})` : FIELD_COUNT_HINT;
    return { kind: 'problem', origin, issues: [{ reason: `has ${fields.length} fields; ${expected}` }] };
  }

  const issues: FieldIssue[] = [];
  const values = new Map<Column, string>();
  columns.forEach((column, i) => {
    const raw = fields[i] ?? '';
    const value = unquote(raw);
    if (value === null) issues.push({ field: column, reason: `unbalanced quote in ${raw}` });
    else values.set(column, value);
  });

  const rid = checkRid(values.get('reg_id'), issues);
  if (!columns.includes('process')) {
    return issues.length > 0 ? { kind: 'problem', origin, issues } : { kind: 'rid', rid, origin };
  }
  const process = checkProcess(values.get('process'), issues);
  const workflowInstanceId = checkWorkflowId(values.get('workflow_instance_id'), issues);
  const iteration = checkIteration(values.get('iteration'), issues);
  const source = checkSource(values.get('source'), issues);
  if (issues.length > 0) return { kind: 'problem', origin, issues };
  return { kind: 'full', rid, process, workflowInstanceId, iteration, source, origin };
}

// Each check records an issue and returns a placeholder when the value is bad; undefined means the value
// was unbalanced-quoted and already reported.

function checkRid(value: string | undefined, issues: FieldIssue[]): string {
  if (value === undefined) return '';
  if (value === '') {
    issues.push({ field: 'reg_id', reason: 'is empty' });
    return '';
  }
  const problem = ridProblem(value);
  if (problem) {
    // A line separated by spaces, tabs, ";" or "|" arrives here as one long "RID".
    const hint = /[\s;|]/.test(value) ? ' (fields must be separated by commas)' : '';
    issues.push({ field: 'reg_id', reason: `"${value}": ${problem}${hint}` });
  }
  return value;
}

function checkProcess(value: string | undefined, issues: FieldIssue[]): string {
  if (value === undefined) return '';
  const upper = value.toUpperCase();
  if (value === '') issues.push({ field: 'process', reason: 'is empty' });
  else if (!isProcess(upper)) {
    issues.push({ field: 'process', reason: `unknown process "${value}"; expected one of ${PROCESSES.join(', ')}` });
  }
  return upper;
}

function checkWorkflowId(value: string | undefined, issues: FieldIssue[]): string {
  if (value === undefined) return '';
  if (value === '') issues.push({ field: 'workflow_instance_id', reason: 'is empty' });
  else if (!isUuid(value)) {
    issues.push({ field: 'workflow_instance_id', reason: `"${value}" is not a UUID (8-4-4-4-12 hex digits)` });
  }
  return value;
}

/** Empty or absent -> null (not given). */
function checkIteration(value: string | undefined, issues: FieldIssue[]): number | null {
  if (value === undefined || value === '') return null;
  const n = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!(n >= 1 && n <= MAX_ITERATION)) {
    issues.push({ field: 'iteration', reason: `"${value}" is not a positive integer` });
    return null;
  }
  return n;
}

/** Empty or absent -> null (not given; psql's CSV export writes NULL as an empty field). */
function checkSource(value: string | undefined, issues: FieldIssue[]): string | null {
  if (value === undefined || value === '') return null;
  const upper = value.toUpperCase();
  if (!(SOURCES as readonly string[]).includes(upper)) {
    issues.push({ field: 'source', reason: `unknown source "${value}"; expected one of ${SOURCES.join(', ')}` });
  }
  return upper;
}

// ---- CSV header ----

const COLUMN_ALIASES: Record<string, Column> = {
  regid: 'reg_id', rid: 'reg_id', registrationid: 'reg_id',
  process: 'process', regtype: 'process', registrationtype: 'process',
  workflowinstanceid: 'workflow_instance_id', workflowid: 'workflow_instance_id', wfid: 'workflow_instance_id',
  iteration: 'iteration',
  source: 'source',
};

function columnOf(field: string): Column | undefined {
  const name = (unquote(field) ?? field).toLowerCase().replace(/[\s_-]/g, '');
  return COLUMN_ALIASES[name];
}

/** A line is a header when any of its fields names a column; a data line never does (a RID is digits). */
export function looksLikeHeader(text: string): boolean {
  return splitFields(text).some((field) => columnOf(field) !== undefined);
}

/** The layout a header line declares, or what is wrong with it. */
export function parseHeader(text: string): { layout: Layout } | { issues: FieldIssue[] } {
  const layout: Column[] = [];
  const issues: FieldIssue[] = [];
  for (const field of splitFields(text)) {
    const column = columnOf(field);
    if (!column) issues.push({ reason: `header names an unknown column "${field}"; known: ${COLUMNS.join(', ')}` });
    else if (layout.includes(column)) issues.push({ field: column, reason: 'header names this column twice' });
    else layout.push(column);
  }
  if (!layout.includes('reg_id')) issues.push({ reason: 'header has no reg_id column' });
  const full = layout.includes('process') && layout.includes('workflow_instance_id');
  const ridOnly = !layout.includes('process') && !layout.includes('workflow_instance_id');
  if (!full && !ridOnly) issues.push({ reason: 'header must name both process and workflow_instance_id, or neither' });
  if (ridOnly && (layout.includes('iteration') || layout.includes('source'))) {
    issues.push({ reason: 'iteration and source need process and workflow_instance_id columns too' });
  }
  return issues.length > 0 ? { issues } : { layout };
}

/** "origin: field: reason; field: reason" */
export function describeProblem(problem: { origin: string; issues: readonly FieldIssue[] }): string {
  const parts = problem.issues.map((issue) => (issue.field ? `${issue.field}: ${issue.reason}` : issue.reason));
  return `${problem.origin}: ${parts.join('; ')}`;
}

/** A --registration value: a RID, or "<rid>, <process>, <workflowInstanceId>[, <iteration>[, <source>]]". */
export function parseRegistrationArg(text: string, origin = '--registration'): ParsedEntry {
  const parsed = parsePacketLine(text, origin);
  if (parsed.kind === 'skip') throw new InputError(`${origin}: is empty or a comment; nothing was sent`);
  if (parsed.kind === 'problem') throw new InputError(`${describeProblem(parsed)}; nothing was sent`);
  return parsed;
}

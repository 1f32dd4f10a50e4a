// The documentation stays true to the code and to itself: docs/reference.md names every flag of every command (as
// commander builds them), every metric, outcome, verdict, held-back reason, journal record type and exit code; the
// README is a front page; no link leaves the repository or points at a file or heading that is not there.
// Files only, no process or database: the checks read README.md and docs/*.md from the repository root.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { buildProgram } from 'mosip-reprocess/cli/program.js';
import type { Io } from 'mosip-reprocess/cli/runCommand.js';
import { STOP_SIGNALS } from 'mosip-reprocess/cli/interrupt.js';
import { signalExitCode } from 'mosip-reprocess/run/stop.js';
import { EXIT_CODES } from 'mosip-reprocess/k8s/manifests.js';
import { InputError, UnreachableError } from 'mosip-reprocess/errors.js';
import { METRICS } from 'mosip-reprocess/report/metrics/runMetrics.js';
import { ROW_VERDICTS } from 'mosip-reprocess/domain/rowVerdict.js';
import { HOLD_BACK_REASONS } from 'mosip-reprocess/domain/holdBack.js';
import { VERDICTS } from 'mosip-reprocess/domain/cohort.js';
import { OUTCOMES } from '@mosip-reprocess/contract/wire.js';
import { WORKFLOW_ACTION_OUTCOMES } from '@mosip-reprocess/contract/workflowAction.js';
import { registerDemoCommand, registerSimCommands } from '@mosip-reprocess/simulator/cli/commands.js';

/** packages/reprocess/dist/test -> the repository root. */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
const REFERENCE = join(ROOT, 'docs', 'reference.md');
const reference = () => readFileSync(REFERENCE, 'utf8');

/** README.md and every markdown file under docs/. */
function docFiles(): string[] {
  const docs = join(ROOT, 'docs');
  const inDocs = existsSync(docs) ? readdirSync(docs, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.md')).map((f) => join(docs, f)) : [];
  return [join(ROOT, 'README.md'), ...inDocs.sort()];
}

// ---- the commands, as commander builds them -------------------------------------------------------------------

const quietIo = (): Io => ({ out: () => undefined, err: () => undefined, env: {} });

/** The whole program, `sim` and `demo` included, built without parsing anything. */
function program(): Command {
  const p = buildProgram(quietIo);
  registerSimCommands(p, quietIo);
  registerDemoCommand(p, quietIo);
  return p;
}

/** "reprocess sim seed" -> its long flags (hidden ones included: they are accepted, so they are documented). */
function longFlags(cmd: Command, path = cmd.name()): { command: string; flag: string }[] {
  const own = cmd.options.filter((o) => o.long && o.long !== '--help').map((o) => ({ command: path, flag: o.long! }));
  return [...own, ...cmd.commands.flatMap((c) => longFlags(c, `${path} ${c.name()}`))];
}

/** `--db` is named only by `--db` itself, not by `--db-url`. */
const namesFlag = (text: string, flag: string) => new RegExp(`${flag.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![a-z0-9-])`).test(text);

test('docs/reference.md names every flag of every command, sim and demo included', () => {
  const text = reference();
  const all = longFlags(program());
  assert.ok(all.length > 150, `expected the whole program's flags, found ${all.length}`);
  const missing = all.filter(({ flag }) => !namesFlag(text, flag));
  assert.deepEqual(missing.map(({ command, flag }) => `${command}: ${flag}`), [], 'flags the reference does not name (add them to docs/reference.md)');
});

test('docs/reference.md names every command', () => {
  const text = reference();
  const commands = (cmd: Command, path: string): string[] => cmd.commands.flatMap((c) => [`${path} ${c.name()}`, ...commands(c, `${path} ${c.name()}`)]);
  const missing = commands(program(), 'reprocess').filter((c) => !text.includes(c));
  assert.deepEqual(missing, [], 'commands the reference does not name');
});

/** `name` in a code span: prose ("paused", "dropped") does not count. */
const namesCode = (text: string, name: string) => text.includes(`\`${name}\``) || new RegExp(`\`[^\`\\n]*\\b${name}\\b[^\`\\n]*\``).test(text);

test('docs/reference.md names every metric', () => {
  const text = reference();
  const missing = Object.values(METRICS).map((m) => m.name).filter((name) => !namesCode(text, name));
  assert.deepEqual(missing, [], 'metrics of METRICS (src/report/metrics/runMetrics.ts) the reference does not name');
});

/** The record types of the journal, read from its declarations (`t: 'send'`, ...). */
function journalRecordTypes(): string[] {
  const source = readFileSync(join(ROOT, 'packages', 'reprocess', 'src', 'journal', 'records.ts'), 'utf8');
  return [...source.matchAll(/^\s*t: '([a-z_]+)';/gm)].map((m) => m[1]!);
}

test('docs/reference.md names every outcome, verdict, held-back reason and journal record type', () => {
  const text = reference();
  const types = journalRecordTypes();
  assert.ok(types.length >= 10, `expected the journal's record types, found ${types.join(', ')}`);
  const groups: Record<string, readonly string[]> = {
    'notification outcomes (contract wire.ts OUTCOMES; delivered_on_resume: a resume\'s settlement)': [...OUTCOMES, 'delivered_on_resume'],
    'workflow action outcomes (contract workflowAction.ts)': WORKFLOW_ACTION_OUTCOMES,
    'verify verdicts (domain/rowVerdict.ts)': ROW_VERDICTS,
    'held-back reasons (domain/holdBack.ts)': HOLD_BACK_REASONS,
    'triage verdicts (domain/cohort.ts)': VERDICTS,
    'journal record types (journal/records.ts)': types,
  };
  const missing = Object.entries(groups).flatMap(([group, names]) => names.filter((n) => !namesCode(text, n)).map((n) => `${group}: ${n}`));
  assert.deepEqual(missing, [], 'names the reference does not give in a code span');
});

/** The text under a `## heading`, up to the next `## `. */
function section(text: string, heading: string): string | null {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l.trim() === `## ${heading}`);
  if (start < 0) return null;
  const end = lines.findIndex((l, i) => i > start && /^## /.test(l));
  return lines.slice(start + 1, end < 0 ? undefined : end).join('\n');
}

test('the "Exit codes" section of docs/reference.md gives every exit code the CLI can return', () => {
  const exits = section(reference(), 'Exit codes');
  assert.ok(exits, 'docs/reference.md has no "## Exit codes" section');
  const codes = new Set<number>([
    0, new InputError('x').exitCode, new UnreachableError('x').exitCode,
    EXIT_CODES.notForwarded, EXIT_CODES.badInput, EXIT_CODES.unreachable, EXIT_CODES.bug, EXIT_CODES.killed, ...EXIT_CODES.signals,
    ...STOP_SIGNALS.map(signalExitCode),
  ]);
  const missing = [...codes].sort((a, b) => a - b).filter((code) => !new RegExp(`(^|[^\\d.])${code}([^\\d.]|$)`, 'm').test(exits));
  assert.deepEqual(missing, [], 'exit codes the section does not give');
});

// ---- the README as a front page -------------------------------------------------------------------------------

const FRONT_PAGE_LINES = 300;
const FIRST_LINES = 40;
const FIRST_COMMANDS = ['npm ci && npm run demo', 'npm test'];

/** What keeps a text from being the front page: too long, or the two commands not near the top. */
function frontPageProblems(text: string): string[] {
  const lines = text.replace(/\n$/, '').split('\n');
  const problems: string[] = [];
  if (lines.length > FRONT_PAGE_LINES) problems.push(`${lines.length} lines, more than ${FRONT_PAGE_LINES}: move the rest to docs/`);
  const top = lines.slice(0, FIRST_LINES).join('\n');
  for (const command of FIRST_COMMANDS) if (!top.includes(command)) problems.push(`\`${command}\` is not in the first ${FIRST_LINES} lines`);
  return problems;
}

test('the front-page check refuses a long README and one without the two commands at the top', () => {
  const good = ['# mosip-reprocess', '', '```bash', 'npm ci && npm run demo', 'npm test', '```', ...Array(294).fill('text')].join('\n');
  assert.deepEqual(frontPageProblems(good), []);
  assert.deepEqual(frontPageProblems(`${good}\nline 301`), ['301 lines, more than 300: move the rest to docs/']);
  const late = ['# x', ...Array(40).fill(''), 'npm ci && npm run demo', 'npm test'].join('\n');
  assert.deepEqual(frontPageProblems(late), ['`npm ci && npm run demo` is not in the first 40 lines', '`npm test` is not in the first 40 lines']);
});

test('README.md is a front page: at most 300 lines, `npm ci && npm run demo` and `npm test` in its first 40', () => {
  assert.deepEqual(frontPageProblems(readFileSync(join(ROOT, 'README.md'), 'utf8')), [], 'README.md');
});

// ---- links ----------------------------------------------------------------------------------------------------

/** The text without fenced code blocks and inline code (example URLs there are not links); line breaks kept. */
function withoutCode(text: string): string {
  const out: string[] = [];
  let fence: string | null = null;
  for (const line of text.split('\n')) {
    const marker = /^\s{0,3}(`{3,}|~{3,})/.exec(line)?.[1];
    if (fence) {
      if (marker && marker[0] === fence[0] && marker.length >= fence.length && line.trim() === marker) fence = null;
      out.push('');
    } else if (marker) {
      fence = marker;
      out.push('');
    } else out.push(line.replace(/(`+)[\s\S]*?\1/g, ''));
  }
  return out.join('\n');
}

interface Link { target: string; line: number }

/** Inline links and images `[t](target)`, reference definitions `[id]: target`, autolinks `<scheme:...>`. */
function linksOf(text: string): Link[] {
  const links: Link[] = [];
  withoutCode(text).split('\n').forEach((l, i) => {
    for (const m of l.matchAll(/\]\(\s*<?([^)\s>]*)>?(?:\s+"[^"]*")?\s*\)/g)) links.push({ target: m[1]!, line: i + 1 });
    const def = /^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(\s|$)/.exec(l);
    if (def) links.push({ target: def[1]!, line: i + 1 });
    for (const m of l.matchAll(/<((?:[a-z][a-z0-9+.-]*:|\/\/)[^>\s]*)>/gi)) links.push({ target: m[1]!, line: i + 1 });
  });
  return links;
}

const ABSOLUTE = /^(?:[a-z][a-z0-9+.-]*:|\/\/)/i;

/** GitHub's anchors of a markdown file's headings: lower-case, punctuation dropped, spaces to -, repeats -1, -2. */
function anchorsOf(text: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  let fence: string | null = null;
  for (const line of text.split('\n')) {
    const marker = /^\s{0,3}(`{3,}|~{3,})/.exec(line)?.[1];
    if (fence) {
      if (marker && marker[0] === fence[0] && marker.length >= fence.length && line.trim() === marker) fence = null;
      continue;
    }
    if (marker) { fence = marker; continue; }
    for (const m of line.matchAll(/<a\s[^>]*\b(?:id|name)="([^"]+)"/gi)) anchors.add(m[1]!);
    const heading = /^\s{0,3}#{1,6}\s+(.*?)(?:\s+#+)?\s*$/.exec(line)?.[1];
    if (heading === undefined) continue;
    const slug = heading
      .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1') // a link's text only
      .replace(/<[^>]+>/g, '') // inline HTML
      .toLowerCase()
      .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
      .replace(/ /g, '-');
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    anchors.add(n === 0 ? slug : `${slug}-${n}`);
  }
  return anchors;
}

/** Why a link of `file` does not resolve (null: it does). Relative paths from the file's directory; #anchors GitHub's. */
function brokenLink(file: string, target: string, root = ROOT): string | null {
  if (ABSOLUTE.test(target)) return 'leaves the repository (an absolute URL): cite it as plain text';
  const hash = target.indexOf('#');
  const path = hash < 0 ? target : target.slice(0, hash);
  const anchor = hash < 0 ? null : decodeURIComponent(target.slice(hash + 1));
  const dest = path === '' ? file : resolve(dirname(file), decodeURIComponent(path));
  const shown = relative(root, dest);
  if (shown.startsWith('..')) return 'points outside the repository';
  if (!existsSync(dest)) return `no such file: ${shown}`;
  if (anchor === null || anchor === '') return null;
  if (!statSync(dest).isFile() || !dest.endsWith('.md')) return `an anchor into ${shown}, which is not a markdown file`;
  return anchorsOf(readFileSync(dest, 'utf8')).has(anchor) ? null : `no heading with the anchor #${anchor} in ${shown}`;
}

test('the link checker: GitHub anchors, code is not a link, absolute and broken targets are named', () => {
  const md = [
    '# Exit codes', '## Files (run.json, `journal.jsonl`)', '## Files (run.json, `journal.jsonl`)', '## What --resume does?', '### [Linked](x.md) heading',
    '```', '## Not a heading', '[not a link](https://example.org)', '```',
    'See `--server https://api.example.org` and [home](https://example.org), <https://example.org>, [up](//cdn.example.org/x).',
    '[ok](#exit-codes) [dup](#files-runjson-journaljsonl-1) [q](#what---resume-does) [l](#linked-heading)',
  ].join('\n');
  assert.deepEqual([...anchorsOf(md)], ['exit-codes', 'files-runjson-journaljsonl', 'files-runjson-journaljsonl-1', 'what---resume-does', 'linked-heading']);
  const targets = linksOf(md).map((l) => l.target);
  assert.deepEqual(targets.filter((t) => ABSOLUTE.test(t)), ['https://example.org', '//cdn.example.org/x', 'https://example.org']);
  // A repository of two files: README.md and docs/guide.md (the fixture above).
  const root = mkdtempSync(join(tmpdir(), 'docs-links-'));
  mkdirSync(join(root, 'docs'));
  writeFileSync(join(root, 'README.md'), '# Front\n');
  writeFileSync(join(root, 'docs', 'guide.md'), md);
  const readme = join(root, 'README.md');
  const guide = join(root, 'docs', 'guide.md');
  assert.equal(brokenLink(readme, 'docs/no-such-file.md', root), 'no such file: docs/no-such-file.md');
  assert.equal(brokenLink(readme, 'docs/guide.md#no-such-heading', root), 'no heading with the anchor #no-such-heading in docs/guide.md');
  assert.equal(brokenLink(readme, 'docs/guide.md#files-runjson-journaljsonl-1', root), null);
  assert.equal(brokenLink(guide, '../README.md#front', root), null);
  assert.equal(brokenLink(guide, '#exit-codes', root), null);
  assert.equal(brokenLink(guide, '#not-here', root), 'no heading with the anchor #not-here in docs/guide.md');
  assert.equal(brokenLink(readme, '../outside.md', root), 'points outside the repository');
  assert.match(brokenLink(readme, 'https://example.org', root) ?? '', /leaves the repository/);
});

for (const file of docFiles()) {
  const name = relative(ROOT, file);
  test(`${name}: every link stays in the repository and resolves (file and #anchor); no mention of ../shared`, () => {
    const text = readFileSync(file, 'utf8');
    const problems = linksOf(text).flatMap(({ target, line }) => {
      const why = brokenLink(file, target);
      return why ? [`${name}:${line}: ${target}: ${why}`] : [];
    });
    text.split('\n').forEach((l, i) => { if (l.includes('../shared')) problems.push(`${name}:${i + 1}: mentions ../shared, which users do not have: say it in the project's own words`); });
    assert.deepEqual(problems, []);
  });
}

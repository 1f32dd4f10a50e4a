// `reprocess triage` (why each packet of a selection is stuck, by cohort) and `reprocess explain <rid>` (one
// packet's story): parse, call the library (src/triage), print.
import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { SETTINGS } from '../config/settings.js';
import { renderTriage } from '../triage/triageText.js';
import { renderExplain } from '../triage/explainText.js';
import { explainPacket } from '../triage/explain.js';
import { resolveTriageRequest } from '../triage/request.js';
import { triageReprocess } from '../triage/triage.js';
import { TRANSIENT_FAILURES } from '@mosip-reprocess/contract/history.js';
import { VERDICT_TEXT, VERDICTS } from '../domain/cohort.js';
import { InputError } from '../errors.js';
import { jsonAwareStderr, reportFailure, stderrFormat, type Io } from './runCommand.js';
import type { RunFlags } from '../run/request.js';

const collect = (value: string, previous: string[] = []) => [...previous, value];
/** The settings shown in `triage --help` and `explain --help`; the others are accepted but hidden. */
const SHOWN = [
  '--approach <n>', '--stages <codes>', '--older-than <age>', '--trn-statuses <codes>', '--exclude-statuses <codes>', '--max-retries <n>',
  '--query-file <path>', '--shard <k/n>', '--db-url <url>', '--schema <name>', '--runs-dir <dir>', '--repeat-failures <n>',
  '--include-repeat-failures', '--include-paused', '--include-exhausted', '--json', '--allow-short-window',
];

function addSettings(cmd: Command): void {
  for (const s of SETTINGS) if ('flag' in s) cmd.addOption(new Option(s.flag, `${s.describe} [env ${s.env}]`).hideHelp(!SHOWN.includes(s.flag)));
}

const RULES_HELP = `
Cohort: the stage a packet is at (latest_trn_type_code) and its last failure in regprc.registration_transaction
(the stage that wrote it, status, sub_status_code, status_comment with ids and times replaced), unless that stage
succeeded since; plus whether it repeats. A failure is a row with status FAILED, ERROR, REPROCESS, REJECTED or
REPROCESS_FAILED written by a stage (not PACKET_REPROCESS, INTERNAL_WORKFLOW_ACTION, WORKFLOW_RESUME: the workflow
engine's own rows). Ids are a hash of that key, the same on every run and machine: runs take them with --cohort.
Verdicts:
${VERDICTS.map((v) => `  ${v.padEnd(10)} ${VERDICT_TEXT[v].meaning}`).join('\n')}
Transient failures are MOSIP's own (StatusUtil and the stages of mosip/registration v1.2.0.1):
${TRANSIENT_FAILURES.map((t) => `  ${t.subStatusCode} ${t.commentPrefix ? `"${t.commentPrefix}..."` : ''} (${t.mosipName})`).join('\n')}
Repeating packets are held back by every run and dry run unless --include-repeat-failures (docs/operating.md, "Triage").`;

export function registerTriageCommands(program: Command, stdio: () => Io): void {
  const triage = program.command('triage')
    .description('why each packet of a selection is stuck: cohorts by stage and last failure (from registration_transaction), what was tried, and a verdict (repeating / transient / unknown / quiet); only reads')
    .option('--db', 'the guide\'s selection, as a run takes it (--approach, --stages, --older-than, ...)')
    .option('--file <path>', 'packets from a file, as a run reads it')
    .option('--registration <packet>', 'one packet: "rid, process, workflowInstanceId" or a RID (repeatable)', collect)
    .option('--config <file>', 'YAML file with any of the settings (flags win, then env, then file)')
    .option('--html <file>', 'also write the triage as one self-contained HTML page (a chart of the cohorts by size and age)')
    .option('--debug', 'on an internal error, print its stack');
  addSettings(triage);
  triage.addHelpText('after', `${RULES_HELP}
Exit codes: 0 done, 2 bad input, 3 database unreachable or refused.`);
  triage.action(async (opts: Record<string, unknown>) => {
    const io = stdio();
    process.exitCode = await triageCommand(opts, { ...io, debug: Boolean(opts.debug) });
  });

  const explain = program.command('explain')
    .description("one packet's story: its rows, its history in time order, what this tool did to it (journals in --runs-dir), its cohort, and whether a run would select it now (and if not, why and what to do)")
    .argument('<rid>')
    .option('--config <file>', 'YAML file with any of the settings (flags win, then env, then file)')
    .option('--debug', 'on an internal error, print its stack');
  addSettings(explain);
  explain.addHelpText('after', `
"Would a run select it now" is judged with the run's selection settings given here (--approach, --older-than, ...)
and its hold-back rules (paused, retry budgets, repeating failures).${RULES_HELP}
Exit codes: 0 done, 2 bad input (not a RID, or no row has it), 3 database unreachable or refused.`);
  explain.action(async (rid: string, opts: Record<string, unknown>) => {
    const io = stdio();
    process.exitCode = await explainCommand(rid, opts, { ...io, debug: Boolean(opts.debug) });
  });
}

export async function triageCommand(opts: Record<string, unknown>, rawIo: Io): Promise<number> {
  const stderr = { format: stderrFormat(opts, rawIo.env), runId: null };
  const io = jsonAwareStderr(rawIo, stderr);
  try {
    const request = resolveTriageRequest(opts as RunFlags, io.env);
    stderr.format = request.settings.json || request.settings.logFormat === 'json' ? 'json' : 'text';
    if (opts.html !== undefined && typeof opts.html !== 'string') throw new InputError('--html needs a file name');
    const report = await triageReprocess(request, { tell: (n) => { if (n.type === 'note') io.err(n.message); else if (n.type === 'warning') io.err(`warning: ${n.message}`); } });
    io.out(request.settings.json ? JSON.stringify(report) : renderTriage(report));
    if (typeof opts.html === 'string') {
      const { writeTriageHtml } = await import('../triage/triageHtml.js');
      writeTriageHtml(report, opts.html);
      io.err(`triage report: ${resolve(opts.html)}`);
    }
    return 0;
  } catch (err) {
    return reportFailure(err, io);
  }
}

export async function explainCommand(rid: string, opts: Record<string, unknown>, rawIo: Io): Promise<number> {
  const io = jsonAwareStderr(rawIo, { format: stderrFormat(opts, rawIo.env), runId: null });
  try {
    const report = await explainPacket(rid, opts as RunFlags, io.env);
    io.out(report.settings.json ? JSON.stringify(report.explain) : renderExplain(report.explain));
    return 0;
  } catch (err) {
    return reportFailure(err, io);
  }
}

// `reprocess action <RESUME_PROCESSING|RESUME_FROM_BEGINNING|STOP_PROCESSING>`: parses, resolves settings and
// prints; the work is in src/action/runAction.ts.
import { Command, Option } from 'commander';
import { flagAttribute, loadSettings } from '../config/load.js';
import { hideUrlPassword, hideUrlPasswords } from '../config/redact.js';
import { SECRET_KEYS, SETTINGS } from '../config/settings.js';
import { InputError } from '../errors.js';
import type { RunHandle } from '../journal/runStore.js';
import { continuedRun, withRunDatabase } from '../journal/runIdentity.js';
import { isWorkflowAction, WORKFLOW_ACTIONS } from '../action/contract.js';
import { checkActionRequest, planAction, runAction, settledRids, type ActionRequest, type ActionSource } from '../action/runAction.js';
import { jsonAwareStderr, reportFailure, stderrFormat, type Io } from './runCommand.js';
import { actionEventLines, actionFinishedLines } from '../action/lines.js';
import { plainLine, renderLine, type LogFormat } from '../report/logLines.js';
import { formatStopNotice } from './interrupt.js';

const collect = (value: string, previous: string[] = []) => [...previous, value];
const OWN_FLAGS = ['db', 'file', 'registration', 'pauseRule', 'includeHotlisted', 'batchSize', 'actionServer', 'yes', 'dryRun', 'resume', 'config', 'debug'];

export function registerActionCommand(program: Command, stdio: (signal?: AbortSignal) => Io, signal: () => AbortSignal | undefined): void {
  const cmd = program.command('action')
    .description('move paused packets the MOSIP way: the workflow action API (RESUME_PROCESSING, RESUME_FROM_BEGINNING, STOP_PROCESSING)')
    .argument('<workflow-action>', WORKFLOW_ACTIONS.join(' | '))
    .option('--db', 'the RIDs whose active rows are all PAUSED (see --pause-rule, --limit); a RID with several goes alone in its request')
    .option('--pause-rule <id>', 'with --db: only RIDs whose every active row has this rule in pause_rule_ids, e.g. PAUSE or HOTLISTED_OPERATOR')
    .option('--include-hotlisted', 'let RESUME_* take packets paused under HOTLISTED_OPERATOR (alone or with other rules); without it they are skipped and named')
    .option('--file <path>', 'RIDs from a file: one per line, or any format --file of a run reads')
    .option('--registration <rid>', 'one RID (repeatable)', collect)
    .option('--batch-size <n>', 'RIDs per request', '10')
    .option('--action-server <url>', 'base URL of the workflow manager (default --server; in a cluster http://regproc-workflow.regproc:8023)')
    .option('--yes', 'confirm STOP_PROCESSING, which rejects the packets for good')
    .option('--dry-run', 'show the RIDs and requests that would be sent; send nothing, fetch no token, take no lock')
    .option('--resume <run-id>', 'continue an action run: RIDs it settled are not sent again ("last": the newest unfinished action run); its database is the one it started with')
    .option('--config <file>', 'YAML file with any of the settings (flags win, then env, then file)')
    .option('--debug', 'on an internal error, print its stack');
  for (const s of SETTINGS) if ('flag' in s) cmd.addOption(new Option(s.flag, `${s.describe} [env ${s.env}]`).hideHelp(!['--server <url>', '--limit <n>', '--delay <seconds>', '--reason <text>', '--db-url <url>', '--schema <name>', '--runs-dir <dir>', '--log-dir <dir>', '--json'].includes(s.flag)));
  cmd.addHelpText('after', `
Every run setting of \`reprocess --help\` is accepted too (auth server, client id, database, TLS, ...).
After RESUME_*, the packets are RESUMABLE: they move only when MOSIP's reprocessor runs.
A RID is skipped, and named in the dry run, the output and the journal, when one of its active rows is not PAUSED
(or, with --pause-rule, not paused under that rule), or when RESUME_* would take a row paused under
HOTLISTED_OPERATOR without --include-hotlisted.
Exit codes: 0 every RID applied, 1 some were not (or skipped), 2 bad input (nothing sent; STOP_PROCESSING without --yes),
            3 server, authentication or database unreachable or refused, or another run holds the lock,
            130 / 143 / 129 stopped by SIGINT / SIGTERM / SIGHUP (the journal written; --resume continues it).`);
  cmd.action(async (actionName: string, opts: Record<string, unknown>) => {
    const io = stdio(signal());
    process.exitCode = await actionCommand(actionName, opts, { ...io, debug: Boolean(opts.debug) });
  });
}

export async function actionCommand(actionName: string, given: Record<string, unknown>, rawIo: Io): Promise<number> {
  const stderr = { format: stderrFormat(given, rawIo.env), runId: null as string | null };
  const io = jsonAwareStderr(rawIo, stderr);
  try {
    let opts = given;
    let resume: RunHandle | null = null;
    if (opts.resume) {
      const runsDir = loadSettings({ flags: opts, env: io.env, configFile: (opts.config as string | undefined) ?? io.env.REPROCESS_CONFIG }).settings.runsDir;
      ({ run: resume, flags: opts } = continuedRun(runsDir, String(opts.resume), 'action', given));
      actionName = String(resume.meta.flags.workflowAction ?? actionName);
    }
    if (!isWorkflowAction(actionName)) throw new InputError(`unknown workflow action "${actionName}": expected ${WORKFLOW_ACTIONS.join(', ')}`);
    const settingFlags = Object.fromEntries(Object.entries(opts).filter(([k]) => !OWN_FLAGS.includes(k) && k !== 'workflowAction'));
    let loaded = loadSettings({ flags: settingFlags, env: io.env, configFile: (opts.config as string | undefined) ?? io.env.REPROCESS_CONFIG });
    const sources = (['db', 'file', 'registration'] as const).filter((k) => opts[k] !== undefined && opts[k] !== false);
    // A resumed action run uses the database it started with (journal/runIdentity.ts).
    let dbConfigured: boolean | null = null;
    if (resume) ({ loaded, dbConfigured } = withRunDatabase(resume, loaded, sources[0] === 'db'));
    const { settings, origins } = loaded;
    if (sources.length !== 1) throw new InputError(sources.length === 0 ? 'say which packets: --db, --file <path> or --registration <rid>' : `use one source at a time, not ${sources.map((k) => `--${k}`).join(' and ')}`);
    if (opts.pauseRule !== undefined && sources[0] !== 'db') throw new InputError('--pause-rule narrows --db; it does not apply to --file or --registration');
    const source: ActionSource = sources[0] === 'db' ? { kind: 'db', pauseRule: (opts.pauseRule as string | undefined) ?? null }
      : sources[0] === 'file' ? { kind: 'file', path: String(opts.file) } : { kind: 'registration', values: opts.registration as string[] };
    const batchSize = Number(opts.batchSize ?? 10);
    const actionServer = typeof opts.actionServer === 'string' ? opts.actionServer.replace(/\/+$/, '') : null;
    if (actionServer !== null && !/^https?:\/\/\S+$/.test(actionServer)) throw new InputError(`--action-server ${actionServer}: must start with http:// or https://`);
    const keep: Record<string, unknown> = { workflowAction: actionName };
    for (const [k, v] of Object.entries(opts)) {
      if (v === undefined || ['resume', 'dryRun', 'yes', 'debug', 'config'].includes(k)) continue;
      const setting = SETTINGS.find((s) => 'flag' in s && flagAttribute(s.flag) === k);
      if (setting && SECRET_KEYS.has(setting.key)) continue;
      keep[k] = hideUrlPasswords(v); // run.json: a URL's password is not kept
    }
    const request: ActionRequest = {
      action: actionName, source, settings, dbConfigured: dbConfigured ?? (source.kind === 'db' || 'dbUrl' in origins || 'dbHost' in origins),
      actionServer, batchSize, yes: Boolean(opts.yes || resume), includeHotlisted: Boolean(opts.includeHotlisted), flags: keep, resume,
    };
    checkActionRequest(request);
    if (opts.dryRun) {
      const plan = await planAction(request, resume ? settledRids(resume) : new Set());
      const target = hideUrlPassword((actionServer ?? settings.server ?? '<--server>') + '/registrationprocessor/v1/workflowmanager/workflowaction');
      if (settings.json) io.out(JSON.stringify({ kind: 'action-dry-run', target, ...plan }));
      else {
        io.out(`DRY RUN: nothing is sent, no token is fetched.`);
        io.out(`${actionName} to ${target}: ${plan.rids.length} RID(s) in ${plan.batches} request(s) of up to ${batchSize}${plan.checked ? '' : ' (not checked against a database)'}`);
        if (actionName !== 'STOP_PROCESSING') {
          io.out(plan.includeHotlisted
            ? 'packets paused under HOTLISTED_OPERATOR: INCLUDED (--include-hotlisted); they become immune to that rule'
            : 'packets paused under HOTLISTED_OPERATOR: left out and named below (add --include-hotlisted to resume them)');
        }
        for (const x of plan.rids) io.out(`  ${x.rid}  ${x.origin}${x.rows ? `  (${x.rows} active rows, all PAUSED: sent alone)` : ''}`);
        for (const { item, reason } of plan.skipped) io.out(`  skipped: ${item.origin}: ${item.rid}: ${reason}`);
        if (plan.skippedCount > plan.skipped.length) io.out(`  skipped: ${plan.skippedCount - plan.skipped.length} more, not named here`);
      }
      return 0;
    }
    // stdout: --json's objects, else lines in --log-format; stderr: JSON with either (as a run's).
    const outFormat: LogFormat = settings.logFormat;
    stderr.format = settings.json || outFormat === 'json' ? 'json' : 'text';
    formatStopNotice(stderr.format === 'json' ? (text) => renderLine(plainLine(text, stderr.runId), 'json') : null);
    const result = await runAction(request, (e) => {
      if (e.type === 'started') stderr.runId = e.runId;
      if (e.type === 'finished') return; // printed below from the result, the same lines
      if (e.type === 'rid' && settings.json) {
        const { at: _at, ms: _ms, ...plain } = e;
        io.out(JSON.stringify(plain));
        return;
      }
      for (const line of actionEventLines(e, stderr.runId)) {
        if (line.stream === 'out') io.out(renderLine(line, outFormat));
        else rawIo.err(renderLine(line, stderr.format));
      }
    }, io.signal ? { signal: io.signal } : {});
    for (const line of actionFinishedLines(actionName, result)) {
      if (line.stream === 'out') io.out(settings.json ? JSON.stringify({ type: 'summary', ...result }) : renderLine(line, outFormat));
      else rawIo.err(renderLine(line, stderr.format));
    }
    return result.exitCode;
  } catch (err) {
    return reportFailure(err, io);
  }
}

// Every run setting in one table: its config-file key, flag, environment variable, type, default and
// whether it is a secret. The CLI, the loader and the redactor all read this table.
import { z } from 'zod';
import { safetySettings } from './safety.js';
import { databaseUrlProblem, parseDurationMs, parseNumber, parseShare, ValueProblem, type DurationSpec, type NumberSpec } from './values.js';

const list = z.preprocess(
  (v) => (typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter(Boolean) : v),
  z.array(z.string().regex(/^[A-Z0-9_]+$/, 'expected upper-case codes like UPLOAD_PACKET')),
);
const bool = z.preprocess((v) => {
  if (typeof v !== 'string') return v;
  if (/^(true|1|yes|on)$/i.test(v)) return true;
  if (/^(false|0|no|off)$/i.test(v)) return false;
  return v;
}, z.boolean());
const httpUrl = z.string().url().refine((u) => /^https?:\/\//.test(u), 'must start with http:// or https://')
  .transform((u) => u.replace(/\/+$/, ''));

/** A zod step over one of the value parsers of values.ts: its ValueProblem becomes the setting's issue. */
function parsed<T>(parse: (value: unknown) => T) {
  return z.unknown().transform((value, ctx) => {
    try {
      return parse(value);
    } catch (err) {
      if (!(err instanceof ValueProblem)) throw err;
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: err.message });
      return z.NEVER;
    }
  });
}
const num = (spec: NumberSpec) => parsed((v) => parseNumber(v, spec));
const share = parsed((v) => parseShare(v, { aboveZero: true }) as number);
const DAY_MS = 86_400_000;
/**
 * A duration in seconds. Ages (older-than, cooldowns, ...) need a unit in text ("90m"); delay and timeout take
 * bare seconds as their flags always did. Every maximum is below what a timer holds (MAX_TIMER_MS, 24.8 days).
 */
const seconds = (spec: Omit<DurationSpec, 'bareUnit'> & { bareUnit?: 's' }) =>
  parsed((v) => parseDurationMs(v, { bareUnit: 's', ...spec }) / 1000);
const age = (minMs: number, maxMs: number, aboveMin = false) => seconds({ unitRequired: true, minMs, maxMs, aboveMin });
const MAX_COUNT = 1_000_000_000;
/** "0.5s-15s": two durations, the first at most the second, in milliseconds. */
const delayRange = parsed((v) => {
  const parts = typeof v === 'string' ? v.split('-') : [];
  const spec = { bareUnit: 's' as const, minMs: 0, maxMs: DAY_MS };
  const wanted = 'two durations like 0.5s-15s (the first retry\'s, then the most), the first not above the second';
  if (parts.length !== 2) throw new ValueProblem(wanted);
  const [firstMs, maxMs] = parts.map((p) => parseDurationMs(p, spec)) as [number, number];
  if (firstMs > maxMs) throw new ValueProblem(wanted);
  return { firstMs, maxMs };
});


export interface Setting {
  key: string;
  flag?: string;
  env: string;
  describe: string;
  schema: z.ZodTypeAny;
  secret?: boolean;
}

export const SETTINGS = [
  { key: 'server', flag: '--server <url>', env: 'REPROCESS_SERVER', describe: 'MOSIP base URL; the tool calls <server>/registrationprocessor/v1/securezone/notification', schema: httpUrl.optional() },
  { key: 'authServer', flag: '--auth-server <url>', env: 'REPROCESS_AUTH_SERVER', describe: 'base URL of authmanager when it differs from --server', schema: httpUrl.optional() },
  { key: 'clientId', flag: '--client-id <id>', env: 'REPROCESS_CLIENT_ID', describe: 'client id for the token (default mosip-regproc-client)', schema: z.string().min(1).default('mosip-regproc-client') },
  { key: 'clientSecret', env: 'REGPROC_CLIENT_PWD', describe: 'client secret (env or config file only, never a flag)', schema: z.string().min(1).optional(), secret: true },
  { key: 'appId', flag: '--app-id <id>', env: 'REPROCESS_APP_ID', describe: 'authmanager app id (default regproc)', schema: z.string().min(1).default('regproc') },
  { key: 'caFile', flag: '--ca-file <path>', env: 'REPROCESS_CA_FILE', describe: 'extra CA certificate (PEM) to trust for HTTPS', schema: z.string().min(1).optional() },
  { key: 'insecure', flag: '--insecure', env: 'REPROCESS_INSECURE', describe: 'do not verify the server TLS certificate (not recommended)', schema: bool.default(false) },
  { key: 'timeout', flag: '--timeout <seconds>', env: 'REPROCESS_TIMEOUT', describe: 'HTTP request timeout in seconds, at most 3600 (default 30); a lost reply is decided 2 x this after its send', schema: seconds({ minMs: 0, aboveMin: true, maxMs: 3_600_000 }).default(30) },
  { key: 'dbUrl', flag: '--db-url <url>', env: 'REPROCESS_DB_URL', describe: 'postgres:// URL; overrides DB_HOST, DB_PORT, DB_USER, DB_PWD and DB_NAME', schema: z.string().regex(/^postgres(ql)?:\/\//, 'must start with postgres://').superRefine((url, ctx) => {
      const problem = /^postgres(ql)?:\/\//.test(url) ? databaseUrlProblem(url) : null;
      if (problem) ctx.addIssue({ code: z.ZodIssueCode.custom, message: problem });
    }).optional(), secret: true },
  { key: 'dbHost', flag: '--db-host <host>', env: 'DB_HOST', describe: 'database host (default localhost)', schema: z.string().min(1).default('localhost') },
  { key: 'dbPort', flag: '--db-port <port>', env: 'DB_PORT', describe: 'database port (default 5432)', schema: num({ min: 1, max: 65535, integer: true }).default(5432) },
  { key: 'dbUser', flag: '--db-user <user>', env: 'DB_USER', describe: 'database user (default postgres)', schema: z.string().min(1).default('postgres') },
  { key: 'dbPassword', env: 'DB_PWD', describe: 'database password (env or config file only, never a flag)', schema: z.string().optional(), secret: true },
  { key: 'dbName', flag: '--db-name <name>', env: 'DB_NAME', describe: 'database name (default mosip_regprc)', schema: z.string().min(1).default('mosip_regprc') },
  { key: 'dbSchema', flag: '--schema <name>', env: 'DB_SCHEMA', describe: 'schema of the registration tables (default regprc)', schema: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, 'lower-case letters, digits and _').default('regprc') },
  { key: 'dbSsl', flag: '--db-ssl <mode>', env: 'DB_SSL', describe: 'off | verify | no-verify (default off)', schema: z.enum(['off', 'verify', 'no-verify']).default('off') },
  { key: 'approach', flag: '--approach <n>', env: 'REPROCESS_APPROACH', describe: "the guide's APPROACH 1 (default) or 2 (only packets stuck in later stages)", schema: num({ min: 1, max: 2, integer: true }).default(1) },
  { key: 'stages', flag: '--stages <codes>', env: 'REPROCESS_STAGES', describe: 'APPROACH 2: extra latest_trn_type_code values (a country\'s custom stages), comma-separated', schema: list.default([]) },
  { key: 'trnStatuses', flag: '--trn-statuses <codes>', env: 'REPROCESS_TRN_STATUSES', describe: 'latest_trn_status_code values to select (default SUCCESS,REPROCESS,IN_PROGRESS)', schema: list.default(['SUCCESS', 'REPROCESS', 'IN_PROGRESS']) },
  { key: 'excludeStatuses', flag: '--exclude-statuses <codes>', env: 'REPROCESS_EXCLUDE_STATUSES', describe: 'status_code values to leave alone (default PROCESSED,FAILED,REJECTED)', schema: list.default(['PROCESSED', 'FAILED', 'REJECTED']) },
  { key: 'maxRetries', flag: '--max-retries <n>', env: 'REPROCESS_MAX_RETRIES', describe: 'select rows with reg_process_retry_count <= n (default 500)', schema: num({ min: 0, max: 32767, integer: true }).default(500) },
  { key: 'olderThan', flag: '--older-than <age>', env: 'REPROCESS_OLDER_THAN', describe: 'select rows whose latest_trn_dtimes is older than this, e.g. 1d, 36h, 90m, at most 3650d (default 1d)', schema: age(0, 3650 * DAY_MS).default('1d') },
  { key: 'limit', flag: '--limit <n>', env: 'REPROCESS_LIMIT', describe: 'at most this many packets in this run (default 1000; 1 = the guide\'s "try one first")', schema: num({ min: 1, max: MAX_COUNT, integer: true }).default(1000) },
  { key: 'queryFile', flag: '--query-file <path>', env: 'REPROCESS_QUERY_FILE', describe: 'custom SELECT returning reg_id, process, workflow_instance_id [, iteration, source]; runs READ ONLY', schema: z.string().min(1).optional() },
  { key: 'delay', flag: '--delay <seconds>', env: 'REPROCESS_DELAY', describe: 'seconds between the starts of two notifications, decimals and 0 allowed, at most 86400 (default 1)', schema: seconds({ minMs: 0, maxMs: DAY_MS }).default(1) },
  { key: 'rate', flag: '--rate <per-second>', env: 'REPROCESS_RATE', describe: 'packets per second (start-to-start), 0.001 to 10000, instead of --delay', schema: num({ min: 0.001, max: 10_000, what: 'packets per second; slower than one per 1000 s: use --delay' }).optional() },
  { key: 'concurrency', flag: '--concurrency <n>', env: 'REPROCESS_CONCURRENCY', describe: 'notifications in flight at once (default 1); pacing still applies. Unpaced (--delay 0), send records are written ahead, as many as leave in a few disk syncs and at most 32: a crash leaves at most n + 32 in doubt', schema: num({ min: 1, max: 256, integer: true }).default(1) },
  { key: 'pace', flag: '--pace <mode>', env: 'REPROCESS_PACE', describe: 'fixed (--delay/--rate, default) or auto: send as fast as the pipeline drains, watching the notified packets in the database (--rate, --delay, --concurrency are then upper bounds when given)', schema: z.enum(['fixed', 'auto']).default('fixed') },
  { key: 'messageMaxAge', flag: '--message-max-age <age>', env: 'REPROCESS_MESSAGE_MAX_AGE', describe: "MOSIP drops a queued message older than this without a database write (mosip.regproc.common.stage.message.expiry-time-limit; default 3600s): a notified packet still as the notification left it (at securezone) for longer is counted as dropped by the pipeline; a packet a later stage wrote never is", schema: age(0, DAY_MS, true).default('3600s') },
  { key: 'maxWait', flag: '--max-wait <age>', env: 'REPROCESS_MAX_WAIT', describe: '--pace auto: the waiting time inside the pipeline the rate must stay under (default half of --message-max-age)', schema: age(0, DAY_MS, true).optional() },
  { key: 'maxInPipeline', flag: '--max-in-pipeline <n>', env: 'REPROCESS_MAX_IN_PIPELINE', describe: '--pace auto: at most this many notified packets inside the pipeline at once', schema: num({ min: 1, max: MAX_COUNT, integer: true }).optional() },
  { key: 'retries', flag: '--retries <n>', env: 'REPROCESS_RETRIES', describe: 'extra attempts for a 5xx or lost reply, with exponential backoff and jitter (default 3)', schema: num({ min: 0, max: 20, integer: true }).default(3) },
  { key: 'retryDelay', flag: '--retry-delay <first-max>', env: 'REPROCESS_RETRY_DELAY', describe: 'backoff before a retry: up to <first> before the first, doubling each attempt to at most <max>, with jitter (default 0.5s-15s)', schema: delayRange.default('0.5s-15s') },
  { key: 'breakerThreshold', flag: '--breaker-threshold <share>', env: 'REPROCESS_BREAKER_THRESHOLD', describe: 'pause when this share of the last 20 sends failed in transit (default 0.5)', schema: share.default(0.5) },
  { key: 'breakerCooldown', flag: '--breaker-cooldown <age>', env: 'REPROCESS_BREAKER_COOLDOWN', describe: 'how long to pause before probing with one packet, at most 1d (default 15s)', schema: age(0, DAY_MS).default('15s') },
  { key: 'breakerPatience', flag: '--breaker-patience <age>', env: 'REPROCESS_BREAKER_PATIENCE', describe: 'stop the run when the server stays down this long, at most 1d (default 10m)', schema: age(0, DAY_MS).default('10m') },
  { key: 'logDir', flag: '--log-dir <dir>', env: 'REPROCESS_LOG_DIR', describe: 'where out.log (all runs) and last.log (this run) go (default ./reprocess-logs)', schema: z.string().min(1).default('reprocess-logs') },
  { key: 'runsDir', flag: '--runs-dir <dir>', env: 'REPROCESS_RUNS_DIR', describe: 'where each run keeps its journal and summary, for --resume, runs, report and verify (default ./reprocess-runs)', schema: z.string().min(1).default('reprocess-runs') },
  { key: 'canaryTimeout', flag: '--canary-timeout <age>', env: 'REPROCESS_CANARY_TIMEOUT', describe: 'how long --canary waits for its packet to move past securezone, e.g. 90s, 5m, at most 1d (default 2m)', schema: age(0, DAY_MS, true).default('2m') },
  { key: 'maxPackets', flag: '--max-packets <n>', env: 'REPROCESS_MAX_PACKETS', describe: 'stop after sending this many packets in all (with --all)', schema: num({ min: 1, max: MAX_COUNT, integer: true }).optional() },
  { key: 'maxDuration', flag: '--max-duration <age>', env: 'REPROCESS_MAX_DURATION', describe: 'stop taking new packets after this long, e.g. 6h, at most 24d', schema: age(0, 24 * DAY_MS, true).optional() },
  { key: 'until', flag: '--until <time>', env: 'REPROCESS_UNTIL', describe: 'stop taking new packets at this local clock time (HH:MM, e.g. 05:30 for a night window) or ISO date-time', schema: z.string().regex(/^(\d{1,2}:\d{2}|\d{4}-\d{2}-\d{2}T.+)$/, 'expected HH:MM or an ISO date-time').optional() },
  { key: 'progressInterval', flag: '--progress-interval <age>', env: 'REPROCESS_PROGRESS_INTERVAL', describe: 'when stderr is not a terminal, print a progress line this often, at most 1d (default 30s; 0 = never)', schema: age(0, DAY_MS).default('30s') },
  { key: 'shard', flag: '--shard <k/n>', env: 'REPROCESS_SHARD', describe: 'scale-out: take only the packets of shard k of n (by workflow id), e.g. 1/4; run the n shards together (the run lock refuses an overlapping run)', schema: z.string().regex(/^\d+\/\d+$/, 'expected K/N, e.g. 1/4').optional() },
  ...safetySettings({ bool, num }),
  { key: 'json', flag: '--json', env: 'REPROCESS_JSON', describe: 'print JSON lines instead of text (stdout: results; stderr: log records as --log-format json)', schema: bool.default(false) },
  { key: 'logFormat', flag: '--log-format <format>', env: 'REPROCESS_LOG_FORMAT', describe: 'text (default) or json: one JSON object per line (time, level, msg, run_id; for a packet rid, workflow_id, outcome, http_status, ms) in the log files and on the terminal, for fluentd or Loki', schema: z.enum(['text', 'json']).default('text') },
  { key: 'metricsPort', flag: '--metrics-port <port>', env: 'REPROCESS_METRICS_PORT', describe: 'serve Prometheus metrics on http://<metrics-host>:<port>/metrics while the command runs (0: any free port)', schema: num({ min: 0, max: 65535, integer: true }).optional() },
  { key: 'metricsHost', flag: '--metrics-host <host>', env: 'REPROCESS_METRICS_HOST', describe: 'address the metrics server listens on (default 127.0.0.1; 0.0.0.0 for a scrape from another host or pod)', schema: z.string().min(1).default('127.0.0.1') },
  { key: 'pushgateway', flag: '--pushgateway <url>', env: 'REPROCESS_PUSHGATEWAY', describe: 'push the metrics to this Prometheus Pushgateway (PUT <url>/metrics/job/reprocess/run_id/<id>) at each --progress-interval and once at the end', schema: httpUrl.optional() },
] as const satisfies readonly Setting[];

export type SettingKey = (typeof SETTINGS)[number]['key'];

export const SETTINGS_SCHEMA = z.object(
  Object.fromEntries(SETTINGS.map((s) => [s.key, s.schema])) as { [K in (typeof SETTINGS)[number] as K['key']]: K['schema'] },
).strict();

export type Settings = z.output<typeof SETTINGS_SCHEMA>;

export const SECRET_KEYS: ReadonlySet<string> = new Set(
  SETTINGS.filter((s) => 'secret' in s && s.secret).map((s) => s.key),
);

export function settingByKey(key: string): Setting | undefined {
  return SETTINGS.find((s) => s.key === key);
}

/** The flag's long name without the value placeholder: "--server <url>" -> "--server". */
export function flagName(setting: Setting): string | undefined {
  return setting.flag?.split(' ')[0];
}

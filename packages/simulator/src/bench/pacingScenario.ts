// The pacing scenario of `npm run bench` (bench/pacing.ts) and of its scaled-down test: N stuck packets re-driven
// through the REAL run path (the library's runReprocess, --db selection, over HTTP) into the simulator with the
// pipeline model behind it, whose stages consume C packets per second and drop a message older than T seconds
// unread. The figures come from the model itself (what MOSIP would have dropped), not from the tool's own count.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeRid } from '@mosip-reprocess/contract/rid.js';
import { createSchema } from '@mosip-reprocess/contract/schema.js';
import { createPool } from 'mosip-reprocess/db/connect.js';
import { resolveRunRequest, runReprocess, type RunEvent, type RunFlags, type RunSummary } from 'mosip-reprocess/index.js';
import { DEFAULT_STAGES, startPipeline } from '../sim/pipeline.js';
import { startSimulator } from '../sim/server.js';
import { insertRegistrations, type RegistrationRowInput } from '../sql/registrationRows.js';

export type PacingMode = { kind: 'fixed'; delaySeconds: number } | { kind: 'auto' };

export interface PacingScenario {
  /** Packets to re-drive (N). */
  packets: number;
  /** Messages per second each stage consumes (C). */
  capacityPerSecond: number;
  /** The message age limit (T), seconds; also the run's --message-max-age. */
  maxMessageAgeSeconds: number;
  /** Pipeline stages (the first ones of the 1.2.0.1 list; the last one completes the packet). Default 4. */
  stages?: number;
  /** ms per stage. Default 50. */
  stageLatencyMs?: number;
  /** Halve every stage's capacity this many seconds after the run starts. */
  halveCapacityAfterSeconds?: number;
  pace: PacingMode;
  /** --concurrency (notifications in flight at once); default: the tool's (1, or 10 with --pace auto). */
  concurrency?: number;
  /** How long to wait for the pipeline to empty after the run, s. Default 4 x T. */
  drainTimeoutSeconds?: number;
  /** Every event of the run (e.g. to trace --pace auto's rate). */
  onEvent?: (event: RunEvent) => void;
}

export interface PacingResult {
  /** What MOSIP dropped: messages the model's stages found older than T (nothing written for them). */
  dropped: number;
  /** Packets that ended PROCESSED. */
  completed: number;
  sent: number;
  /** From the run's start to its last send. */
  sendSeconds: number;
  /** From the run's start until the pipeline was empty (every packet out: processed or dropped). */
  allOutSeconds: number;
  /** The run's own count of packets dropped by the pipeline (--pace auto only), at its end. */
  runDropped: number | null;
  /** Longest waiting time --pace auto observed, s (null for a fixed pace). */
  peakWaitSeconds: number | null;
  exitCode: number;
  summary: RunSummary;
}

const SECRET = 'pacing-scenario-secret';

/** Runs one scenario on its own schema of the database at dbUrl (created and dropped here). */
export async function runPacingScenario(dbUrl: string, s: PacingScenario): Promise<PacingResult> {
  const schema = `pace_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  const pool = createPool({ url: dbUrl, max: 12, applicationName: 'pacing-scenario' });
  const dir = mkdtempSync(join(tmpdir(), 'pacing-'));
  let stopPipeline: (() => Promise<void>) | null = null;
  let closeSimulator: (() => Promise<void>) | null = null;
  try {
    await createSchema(pool, schema);
    const now = Date.now();
    const rows: RegistrationRowInput[] = Array.from({ length: s.packets }, (_, i) => ({
      regId: makeRid(10001, 10002, i + 1, new Date(now - 5 * 86_400_000)),
      workflowInstanceId: randomUUID(),
      process: 'NEW',
      latestTrnTypeCode: 'UPLOAD_PACKET',
      latestTrnStatusCode: 'SUCCESS',
      latestTrnDtimes: new Date(now - 2 * 86_400_000),
      regStageName: 'PacketUploaderStage',
      crDtimes: new Date(now - 4 * 86_400_000),
    }));
    await insertRegistrations(pool, schema, rows);

    const model = startPipeline({
      pool, schema, stages: DEFAULT_STAGES.slice(0, s.stages ?? 4), stageLatencyMs: s.stageLatencyMs ?? 50,
      capacityPerSecond: s.capacityPerSecond, maxMessageAgeMs: s.maxMessageAgeSeconds * 1000, seed: 1, maxConcurrentDbWork: 8,
    });
    stopPipeline = () => model.stop();
    const sim = await startSimulator({ db: pool, schema, clients: [{ secret: SECRET }], onForward: model.onForward, forwardedLogLimit: 10 });
    closeSimulator = () => sim.close();

    const flags: RunFlags = {
      db: true, server: sim.url, dbUrl, schema, limit: String(s.packets), runsDir: join(dir, 'runs'), logDir: join(dir, 'logs'),
      messageMaxAge: `${s.maxMessageAgeSeconds}s`, progressInterval: '0s',
      ...(s.concurrency !== undefined ? { concurrency: String(s.concurrency) } : {}),
      ...(s.pace.kind === 'auto' ? { pace: 'auto' } : { delay: String(s.pace.delaySeconds) }),
    };
    const request = resolveRunRequest(flags, { REGPROC_CLIENT_PWD: SECRET });
    let peakWaitMs: number | null = s.pace.kind === 'auto' ? 0 : null;
    let lastSend = 0;
    const started = performance.now();
    const halve = s.halveCapacityAfterSeconds === undefined ? null : setTimeout(
      () => model.setCapacityPerSecond(s.capacityPerSecond / 2), s.halveCapacityAfterSeconds * 1000);
    const sink = (e: RunEvent): void => {
      if (e.type === 'packet') lastSend = Math.max(lastSend, performance.now());
      if (e.type === 'pace' && peakWaitMs !== null) peakWaitMs = Math.max(peakWaitMs, e.status.maxWaitMs);
      s.onEvent?.(e);
    };
    let result;
    try {
      result = await runReprocess(request, sink);
      await model.drain((s.drainTimeoutSeconds ?? 4 * s.maxMessageAgeSeconds) * 1000);
    } finally {
      if (halve) clearTimeout(halve);
    }
    const allOut = performance.now();
    const stats = model.stats();
    return {
      dropped: stats.expired,
      completed: stats.completed,
      sent: result.summary.sent,
      sendSeconds: (lastSend - started) / 1000,
      allOutSeconds: (allOut - started) / 1000,
      runDropped: result.summary.pipeline?.dropped ?? null,
      peakWaitSeconds: peakWaitMs === null ? null : peakWaitMs / 1000,
      exitCode: result.exitCode,
      summary: result.summary,
    };
  } finally {
    await closeSimulator?.().catch(() => undefined);
    await stopPipeline?.().catch(() => undefined);
    await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
    await pool.end().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

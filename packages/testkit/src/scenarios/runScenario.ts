// One scenario from its seed to its verdict: a fresh schema with the backlog, the MOSIP side behaving as drawn, the
// operator's attempts (stopped and continued as drawn), then every invariant over what the simulator saw, what the
// journals say and what the processes printed. A failure reads as a report: the seed, the combination, the command
// that replays it alone, each attempt's exact command line and how it ended, and each promise that broke.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPool } from 'mosip-reprocess/db/connect.js';
import { createSchema } from '@mosip-reprocess/contract/schema.js';
import { TEST_DB_URL } from '../db.js';
import { seedBacklog } from './backlog.js';
import { describeScenario, replayCommand, scenarioFromSeed, type Scenario } from './combination.js';
import { checkInvariants, ranAsDrawn, type Evidence, type Violation } from './invariants.js';
import { readRuns } from './journals.js';
import { describeAttempt, drive, type Drive } from './operator.js';
import { watchSessions, type SessionSighting } from './sessions.js';
import { startStage } from './stage.js';

const SECRET = 'scenario-client-secret';
let counter = 0;

export interface ScenarioReport {
  scenario: Scenario;
  drive: Drive;
  /** The tool's promises broken. */
  violations: Violation[];
  /** Where the scenario did not run as drawn (its stop never came): the harness's limits, not the tool's. */
  notDrawn: Violation[];
  durationMs: number;
}

/** Runs the scenario of `seed` against the test database (DATABASE_URL) and checks every invariant. */
export async function runScenario(seed: number): Promise<ScenarioReport> {
  const started = Date.now();
  const scenario = scenarioFromSeed(seed);
  const schema = `scn_${seed}_${process.pid}_${counter++}`;
  const dir = mkdtempSync(join(tmpdir(), `scenario-${seed}-`));
  // The harness's own sessions carry another name than the tool's (sessions.ts counts only the tool's).
  const pool = createPool({ url: TEST_DB_URL, max: 6, applicationName: 'scenario-harness' });
  let failed = true;
  try {
    await createSchema(pool, schema);
    const backlog = await seedBacklog(pool, schema, scenario, dir);
    const stage = await startStage(scenario, TEST_DB_URL, schema, SECRET);
    try {
      const sessions = watchSessions(pool, schema);
      let driven: Drive;
      let leftOpen: SessionSighting[];
      try {
        driven = await drive({ scenario, backlog, stage, dbUrl: TEST_DB_URL, schema, dir, secret: SECRET });
        await stage.idle();
        leftOpen = await settledSessions(sessions.openNow);
      } finally {
        await sessions.stop();
      }
      await stage.pipeline?.drain(5000);
      const { rows } = await pool.query<{ reg_id: string; n: number }>(
        `SELECT reg_id, count(*)::int AS n FROM "${schema}".registration_transaction WHERE trn_type_code = 'WORKFLOW_RESUME' GROUP BY reg_id`);
      const evidence: Evidence = {
        scenario, backlog, stage, drive: driven, runs: readRuns(driven.runsDir),
        sessions: { longest: sessions.longest(), leftOpen },
        workflowResumes: new Map(rows.map((r) => [r.reg_id, r.n])),
      };
      const violations = checkInvariants(evidence);
      const notDrawn = ranAsDrawn(evidence);
      failed = violations.length + notDrawn.length > 0;
      return { scenario, drive: driven, violations, notDrawn, durationMs: Date.now() - started };
    } finally {
      await stage.close();
    }
  } finally {
    await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
    await pool.end();
    // A failing scenario keeps its directory (journals, logs, input files) for a look; its path is in the report.
    if (!failed) rmSync(dir, { recursive: true, force: true });
  }
}

/** The tool's sessions left once every attempt has ended: a killed process's sessions take a moment to go. */
async function settledSessions(openNow: () => Promise<SessionSighting[]>): Promise<SessionSighting[]> {
  let open = await openNow();
  for (let waited = 0; open.length > 0 && waited < 5000; waited += 100) {
    await new Promise((r) => setTimeout(r, 100));
    open = await openNow();
  }
  return open;
}

/**
 * The report of a scenario that broke a promise (empty string when it kept them all). `strict`: one that did not
 * run as drawn fails too (the fixed set's seeds must exercise what they were chosen for).
 */
export function failureReport(report: ScenarioReport, strict = false): string {
  const findings = [...report.violations, ...(strict ? report.notDrawn : [])];
  if (findings.length === 0) return '';
  const { scenario, drive: d } = report;
  const byPromise = new Map<string, string[]>();
  for (const v of findings) byPromise.set(v.promise, [...(byPromise.get(v.promise) ?? []), v.detail]);
  const lines = [
    `scenario ${scenario.seed} broke ${byPromise.size} promise(s) (${findings.length} finding(s)):`,
    `  combination: ${describeScenario(scenario)}`,
    `  replay alone: ${replayCommand(scenario.seed)}`,
    `  runs dir: ${d.runsDir}`,
    '  attempts:',
    ...d.attempts.map((a, i) => `    ${describeAttempt(a, i + 1).replace(/\n/g, '\n    ')}`),
    '  broken:',
  ];
  for (const [promise, details] of byPromise) {
    lines.push(`    [${promise}]`);
    for (const detail of details.slice(0, 8)) lines.push(`      - ${detail}`);
    if (details.length > 8) lines.push(`      - ... and ${details.length - 8} more`);
  }
  return lines.join('\n');
}

// The fault cases: packets under each fault the simulator can inject, under all of them at once, and across a
// PostgreSQL restart. Each run must complete (or stop for its documented reason), and the simulator must have
// seen every eligible packet exactly once: nothing lost, nothing sent twice. Registered at two sizes: small in
// faults.test.ts (`npm test`), a couple of thousand packets in faults.soak.ts (`npm run test:soak`).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FaultSettings } from '@mosip-reprocess/simulator/sim/faults.js';
import { startSimulator, type RunningSimulator } from '@mosip-reprocess/simulator/sim/server.js';
import { insertRegistrations, type RegistrationRowInput } from '@mosip-reprocess/simulator/sql/registrationRows.js';
import { restartPostgres } from '@mosip-reprocess/testkit/postgresServer.js';
import { jsonLines, runCli, runIdOf, type CliRun } from '@mosip-reprocess/testkit/cli.js';
import { freshSchema, NEEDS_RESTARTABLE_SERVER, RESTARTABLE_SERVER, TEST_DB_URL, type TestSchema } from '@mosip-reprocess/testkit/db.js';
import { stuckRow } from '@mosip-reprocess/testkit/rows.js';

const SECRET = 'fault-suite-secret';

/** The sizes of one registration of the cases. */
export interface FaultSuiteSize {
  /** Packets per case. */
  packets: number;
  /** Packets of the "1 retry, then --resume" case. */
  resumePackets: number;
  /** Uses after which a token expires. */
  tokenMaxUses: number;
  /** How long the server is down in the "down mid-run" case (ms). */
  downMs: number;
  /** Requests before the server goes down for good, and the --breaker-patience that stops the run. */
  downForGoodAfter: number;
  downForGoodPatience: string;
  /** The "all at once" case: its down window (ms) and token uses. */
  allAtOnceDownMs: number;
  allAtOnceTokenMaxUses: number;
  /** Extra flags for every run (breaker cooldown, retry delays). */
  tuning: string[];
  /**
   * Restart the test's PostgreSQL mid-run. Only where nothing else uses that server at the same time: `npm test`
   * runs test files side by side, so the restart case runs in the soak suite, which runs one file at a time.
   */
  restartPostgres: boolean;
  /**
   * Which half of the cases to register: 'transport' (5xx, slow, dropped connections) or 'server' (tokens,
   * outages, 403, all at once, restart); both when absent. `npm test` runs the halves as two files side by side.
   */
  part?: 'transport' | 'server';
}

let db: TestSchema;
let rows: RegistrationRowInput[] = [];

interface Summary { sent: number; durationMs: number; counts: Record<string, number>; stop: { kind: string } | null; resilience: Record<string, number> }

async function freshRows(count: number): Promise<void> {
  await db.pool.query(`TRUNCATE "${db.schema}".registration, "${db.schema}".registration_list, "${db.schema}".registration_transaction`);
  rows = Array.from({ length: count }, () => stuckRow());
  await insertRegistrations(db.pool, db.schema, rows);
}

const TRANSIENT = ['server_error', 'network_error'];

/** Adds a resumed run's summary to the first: packets that failed in transit were sent again by the resume. */
function merge(first: Summary, next: Summary): Summary {
  const counts = { ...first.counts };
  for (const t of TRANSIENT) counts[t] = 0;
  for (const [k, n] of Object.entries(next.counts)) counts[k] = (counts[k] ?? 0) + n;
  const resilience = { ...first.resilience };
  for (const [k, n] of Object.entries(next.resilience)) resilience[k] = (resilience[k] ?? 0) + n;
  return { sent: first.sent + next.sent, durationMs: first.durationMs + next.durationMs, counts, stop: next.stop, resilience };
}

/**
 * Runs --all under the faults. Retries are bounded, so at a high fault rate a packet can still end with a
 * 5xx; it is not lost: it is journaled as a transient failure and `--resume` sends it again, as an operator
 * would. The figures cover the run and its resumes together.
 */
async function underFaults(
  name: string, packets: number, faults: FaultSettings, extraArgs: string[] = [], during?: (sim: RunningSimulator) => void,
): Promise<{ run: CliRun; summary: Summary; sim: RunningSimulator }> {
  await freshRows(packets);
  const sim = await startSimulator({ db: db.pool, schema: db.schema, clients: [{ secret: SECRET }], faults });
  const env = { REGPROC_CLIENT_PWD: SECRET, REPROCESS_DB_URL: TEST_DB_URL, DB_SCHEMA: db.schema };
  const summaryOf = (run: CliRun) => {
    const summary = jsonLines(run.stdout).find((l) => l.type === 'summary') as unknown as Summary | undefined;
    assert.ok(summary, `no summary: ${run.stderr}`);
    return summary;
  };
  try {
    during?.(sim);
    let run = await runCli(['--db', '--all', '--limit', '1000', '--delay', '0', '--concurrency', '8', '--retries', '5',
      '--breaker-cooldown', '1s', '--breaker-patience', '60s', '--timeout', '1', '--json', '--server', sim.url, ...extraArgs], { env });
    let summary = summaryOf(run);
    let resumes = 0;
    while (run.code === 1 && TRANSIENT.some((t) => (summary.counts[t] ?? 0) > 0) && resumes < 3) {
      resumes += 1;
      run = await runCli(['--resume', runIdOf(run), '--json'], { env, logDir: run.logDir });
      summary = merge(summary, summaryOf(run));
    }
    const f = sim.stats().faults as unknown as Record<string, number>;
    const injected = Object.entries(f).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`).join(', ') || 'none';
    const r = summary.resilience;
    console.log(`# ${name}: ${summary.sent} packets in ${(summary.durationMs / 1000).toFixed(1)} s `
      + `(${(summary.sent / (summary.durationMs / 1000)).toFixed(0)}/s), forwarded ${summary.counts.forwarded}; injected: ${injected}; `
      + `${r.retries} retries, ${r.settledFromDb} lost replies settled from the DB, ${r.breakerTrips} breaker trips, ${r.reauthentications} new tokens`
      + `${resumes ? `; ${resumes} resume(s) for packets that ended in a 5xx` : ''}`);
    return { run, summary, sim };
  } finally {
    await sim.close();
  }
}

/**
 * Nothing lost, nothing twice: the stage committed exactly one securezone transaction per packet (the DB's
 * truth), every packet reached the simulator, and any packet it received more than once was one of our retries
 * after a transient failure (a request the stage could not process because its own database was down).
 */
async function assertExactlyOnce(sim: RunningSimulator, summary: Summary, stageDatabaseDown = false): Promise<void> {
  const counts = sim.stats().notificationsByWorkflowId;
  const missing = rows.filter((r) => !counts[r.workflowInstanceId]);
  assert.equal(missing.length, 0, `never notified: ${missing.slice(0, 5).map((r) => r.workflowInstanceId).join(', ')}`);
  assert.equal(Object.keys(counts).length, rows.length, 'no other packet was notified');
  const repeats = rows.reduce((n, r) => n + counts[r.workflowInstanceId]! - 1, 0);
  // Faults outside the stage (5xx at the gateway, drops, 401, down) never make the stage see a packet twice.
  if (stageDatabaseDown) assert.ok(repeats <= summary.resilience.retries!, `${repeats} repeats, ${summary.resilience.retries} retries`);
  else assert.equal(repeats, 0, 'no packet reached the stage twice');
  // What reached the next stage: each packet forwarded (its Kafka message) exactly once, whatever the faults.
  const forwardedBy = new Map<string, number>();
  for (const { message: { workflowInstanceId: id } } of sim.stats().forwarded) forwardedBy.set(id ?? '', (forwardedBy.get(id ?? '') ?? 0) + 1);
  assert.deepEqual(rows.filter((r) => forwardedBy.get(r.workflowInstanceId) !== 1).map((r) => [r.workflowInstanceId, forwardedBy.get(r.workflowInstanceId) ?? 0]), [],
    'each packet forwarded to the next stage exactly once');
  const { rows: committed } = await db.pool.query<{ packets: number; once: number; extra: number }>(
    `SELECT count(*)::int AS packets, count(*) FILTER (WHERE n = 1)::int AS once, coalesce(sum(n - 1), 0)::int AS extra FROM (
       SELECT reg_id, count(*) AS n FROM "${db.schema}".registration_transaction
        WHERE trn_type_code = 'SECUREZONE_NOTIFICATION' AND status_code = 'SUCCESS' GROUP BY reg_id) t`);
  if (stageDatabaseDown) {
    // MOSIP's stage writes the history row and then the registration row, each committed on its own: when its
    // database goes away between the two, the history row stays, the stage answers with an error, the packet is
    // not forwarded, and the tool's retry writes a second history row. Only a retry can add one.
    assert.equal(committed[0]!.packets, rows.length, 'the stage recorded every packet');
    assert.ok(committed[0]!.extra <= summary.resilience.retries!, `${committed[0]!.extra} extra history rows, ${summary.resilience.retries} retries`);
  } else {
    assert.deepEqual({ packets: committed[0]!.packets, once: committed[0]!.once }, { packets: rows.length, once: rows.length }, 'the stage committed each packet exactly once');
  }
}

/** Registers every fault case at the given size. */
export function defineFaultCases(size: FaultSuiteSize): void {
  const PACKETS = size.packets;
  const T = size.tuning;
  const transport = size.part !== 'server';
  const server = size.part !== 'transport';
  before(async () => { db = await freshSchema('faults'); });
  after(async () => { await db.drop(); });

  if (transport) test('5xx replies (20 %): retried until they go through', async () => {
    const { run, summary, sim } = await underFaults('5xx 20%', PACKETS, { serverErrorRate: 0.2, seed: 11 }, [...T, '--breaker-threshold', '0.8']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(summary.counts.forwarded, PACKETS);
    assert.ok(summary.resilience.retries! > 0);
    await assertExactlyOnce(sim, summary);
  });

  if (transport) test('packets that still end in a 5xx after their retries are not lost: --resume sends them again', async () => {
    const { run, summary, sim } = await underFaults('5xx 25%, 1 retry, then resume', size.resumePackets, { serverErrorRate: 0.25, seed: 21 },
      [...T, '--retries', '1', '--breaker-threshold', '0.9']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /resumed/);
    assert.equal(summary.counts.forwarded, size.resumePackets);
    await assertExactlyOnce(sim, summary);
  });

  if (transport) test('slow replies (0-60 ms on half the requests)', async () => {
    const { run, summary, sim } = await underFaults('slow', PACKETS, { slowRangeMs: [0, 60], slowRate: 0.5, seed: 12 }, T);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(summary.counts.forwarded, PACKETS);
    await assertExactlyOnce(sim, summary);
  });

  if (transport) test('dropped connections after the stage ran (3 %): settled from the database, never sent twice', async () => {
    const { run, summary, sim } = await underFaults('drop after stage 3%', PACKETS, { dropRate: 0.03, dropMode: 'after', seed: 13 }, T);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(summary.counts.forwarded, PACKETS);
    assert.ok(summary.resilience.settledFromDb! > 0);
    await assertExactlyOnce(sim, summary);
  });

  if (transport) test('dropped connections before the stage ran (3 %): sent again', async () => {
    const { run, summary, sim } = await underFaults('drop before stage 3%', PACKETS, { dropRate: 0.03, dropMode: 'before', seed: 14 }, T);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(summary.counts.forwarded, PACKETS);
    assert.ok(summary.resilience.retries! > 0);
    await assertExactlyOnce(sim, summary);
  });

  if (server) test(`tokens that expire after ${size.tokenMaxUses} uses: a new token each time, no packet lost`, async () => {
    const { run, summary, sim } = await underFaults(`token expires after ${size.tokenMaxUses} uses`, PACKETS, { tokenMaxUses: size.tokenMaxUses, seed: 15 }, T);
    assert.equal(run.code, 0, run.stderr);
    assert.ok(summary.resilience.reauthentications! >= Math.floor(PACKETS / size.tokenMaxUses) - 1);
    await assertExactlyOnce(sim, summary);
  });

  if (server) test(`the server goes down for ${size.downMs / 1000} s mid-run: the breaker pauses, probes, resumes`, async () => {
    const { run, summary, sim } = await underFaults(`down ${size.downMs / 1000} s`, PACKETS,
      { down: { startAfterRequests: Math.floor(PACKETS / 3), durationMs: size.downMs, mode: 'refuse' } }, T);
    assert.equal(run.code, 0, run.stderr);
    assert.ok(summary.resilience.breakerTrips! >= 1, 'the breaker opened');
    assert.match(run.stderr, /circuit breaker open/);
    await assertExactlyOnce(sim, summary);
  });

  if (server) test('a server that stays down stops the run with the documented reason, after a handful of packets', async () => {
    const { run, summary, sim } = await underFaults('down for good', PACKETS,
      { down: { startAfterRequests: size.downForGoodAfter, durationMs: 600_000, mode: '503' } }, [...T, '--breaker-patience', size.downForGoodPatience]);
    assert.equal(run.code, 3);
    assert.equal(summary.stop?.kind, 'unreachable');
    assert.match(run.stderr, /stopped: .*kept failing/);
    const failed = summary.counts.server_error ?? 0;
    assert.ok(failed <= 16, `${failed} packets failed (at most the in-flight ones)`);
    const counts = sim.stats().notificationsByWorkflowId;
    assert.ok(Object.values(counts).every((n) => n === 1), 'nothing sent twice');
  });

  // 1 % of 2,000 in the soak suite; 5 % of the small size, so that some do come.
  const forbiddenRate = PACKETS >= 1000 ? 0.01 : 0.05;
  if (server) test(`403 replies (${forbiddenRate * 100} %) stop the run (documented: the client lacks the role), nothing sent twice`, async () => {
    const { run, summary, sim } = await underFaults(`403 ${forbiddenRate * 100}%`, PACKETS, { forbiddenRate, seed: 16 }, T);
    assert.equal(run.code, 3);
    assert.equal(summary.stop?.kind, 'forbidden');
    assert.ok(Object.values(sim.stats().notificationsByWorkflowId).every((n) => n === 1));
  });

  if (server) test('all the faults at once', async () => {
    const { run, summary, sim } = await underFaults('all at once', PACKETS, {
      seed: 17, serverErrorRate: 0.1, slowRangeMs: [0, 30], slowRate: 0.3, dropRate: 0.02, dropMode: 'after', tokenMaxUses: size.allAtOnceTokenMaxUses,
      down: { startAfterRequests: Math.floor(PACKETS / 2), durationMs: size.allAtOnceDownMs, mode: 'refuse' },
    }, T);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(summary.counts.forwarded, PACKETS);
    await assertExactlyOnce(sim, summary);
  });

  if (server && size.restartPostgres) test('PostgreSQL restarts mid-run: the tool and the stage reconnect, the run continues where it was', { skip: NEEDS_RESTARTABLE_SERVER }, async () => {
    const server = RESTARTABLE_SERVER!;
    let restarted = false;
    const { run, summary, sim } = await underFaults('PostgreSQL restart', PACKETS, {}, [...T, '--limit', '200', '--concurrency', '4'], (s) => {
      const timer = setInterval(() => {
        if (!restarted && (s.stats().requests.notification ?? 0) >= PACKETS / 3) {
          restarted = true;
          clearInterval(timer);
          restartPostgres(server.binDir, server.dataDir);
        }
      }, 20);
      timer.unref();
    });
    assert.ok(restarted, 'the server was restarted during the run');
    assert.equal(run.code, 0, run.stderr);
    assert.equal(summary.counts.forwarded, PACKETS);
    await assertExactlyOnce(sim, summary, true);
  });
}

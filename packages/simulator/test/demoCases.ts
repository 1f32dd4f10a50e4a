// The demo's end-to-end cases, run small by demo.test.ts (`npm test`) and at full size by demo.soak.ts.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runDemo, type DemoResult } from '../src/demo/demo.js';

export const SECRET = 'Demo-Secret-never-printed-4711';

/** Whether something accepts TCP connections on 127.0.0.1:port. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
  });
}

const sum = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);
const networkHandles = () => process.getActiveResourcesInfo().filter((r) => r === 'TCPServerWrap' || r === 'TCPSocketWrap').length;

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath ?? e.path, e.name));
}

/**
 * The whole demo with `packets` rows and batches of `batchSize`: dry run, canary, batches, drain, before/after,
 * and nothing left running or written where it should not be.
 */
export async function demoRedrivesEveryRow(packets: number, batchSize: number): Promise<void> {
  const parent = mkdtempSync(join(tmpdir(), 'reprocess-demo-'));
  const lines: string[] = [];
  const handlesBefore = networkHandles();
  let result: DemoResult;
  try {
    result = await runDemo({
      packets, delay: 0, batchSize, pipelineLatency: 1, pipelineCapacity: 0, failureRate: 0.02, failureMode: 'mixed',
      seed: 1, drainTimeout: 120, dir: parent, secret: SECRET, // the drain ends as soon as the pipeline is idle
    }, { out: (l) => lines.push(l), err: (l) => lines.push(l) });
    const output = lines.join('\n');

    assert.equal(result.exitCode, 0, output);
    assert.equal(result.dryRunExitCode, 0);
    assert.match(output, /DRY RUN: nothing is sent/);
    assert.match(output, /delay scaled from 1 s to 0 ms for the demo/);

    // The triage before the night: every selected packet in a cohort, and the same packets a run takes.
    const triage = result.triage;
    assert.ok(triage, 'the triage ran');
    assert.match(output, /\[4\/9\] Triage: why each selected packet is stuck/);
    assert.equal(triage.cohorts.reduce((n, c) => n + c.count, 0) + triage.notFound, triage.selected);
    assert.equal(triage.runWouldSend, result.eligibleBefore, 'the triage and the runs agree on what is sent');
    assert.ok(triage.byVerdict.repeating.packets >= result.seeded.approach1Repeating);
    // The repeating cohort is left alone by the runs, and one of its packets is explained at the end.
    const looping = triage.cohorts.find((c) => c.verdict === 'repeating' && c.heldBack.repeating);
    assert.equal(result.explained, looping?.sample.rid ?? null);
    if (looping) {
      assert.match(output, new RegExp(`\\[9/9\\] The runs left cohort ${looping.id} \\(${looping.count} packet\\(s\\), repeating\\) alone`));
      assert.match(output, /a run now: would NOT select it/);
      assert.match(output, /held back \(repeating\): VALIDATE_PACKET REPROCESS RPR-PKV-FAILED-014/);
      assert.equal(result.simulator.notificationsByWorkflowId[looping.sample.workflowInstanceId], undefined, 'never notified');
    }

    // The canary: one packet, forwarded, watched until it moved past securezone.
    assert.ok(result.canary?.passed, 'the canary passed');
    assert.equal(result.canary.summary?.sent, 1);
    assert.equal(result.canary.summary?.counts.forwarded, 1);
    assert.match(output, /canary passed/);

    // The batches: together with the canary, exactly the packets the dry run counted, each once.
    const batches = result.batches?.summary;
    assert.ok(batches, 'the batch run wrote its summary');
    assert.equal(batches.stop, null);
    assert.ok(result.eligibleBefore > 2 * batchSize, `enough eligible packets for several batches (${result.eligibleBefore})`);
    assert.ok(batches.batches >= 3, `several batches (${batches.batches})`);
    assert.equal(result.canary.summary!.sent + batches.sent, result.eligibleBefore, 'sent = what the dry run selected');
    const forwarded = result.canary.summary!.counts.forwarded + batches.counts.forwarded;
    assert.equal(result.simulator.forwardedTotal, forwarded, 'the stage forwarded what the runs saw forwarded');
    assert.equal(sum(result.simulator.notificationsByWorkflowId), result.eligibleBefore);
    assert.ok(Object.values(result.simulator.notificationsByWorkflowId).every((n) => n === 1), 'each packet notified once');
    // Not forwarded: the backlog's duplicate resends (refused) and inactive rows (not found); nothing else.
    assert.equal(batches.counts.not_uploaded + batches.counts.not_found, batches.sent - batches.counts.forwarded);
    // Nothing eligible left but the inactive rows, which the stage cannot find and so cannot change.
    assert.equal(result.eligibleAfter, batches.counts.not_found);

    // The pipeline moved every forwarded packet to an end.
    assert.ok(result.drained);
    const p = result.pipeline;
    assert.equal(p.accepted, forwarded);
    assert.equal(p.backlog + p.inFlight, 0);
    assert.equal(p.superseded + p.dbErrors, 0, `no superseded or failed writes (last error: ${p.lastError})`);
    assert.equal(p.completed + p.failed + p.reprocess, forwarded);
    assert.ok(p.completed > forwarded / 2, 'most ended PROCESSED');

    // Before/after: the database agrees with the pipeline, and every row is counted once in each table.
    const { before, after } = result;
    assert.equal(before.total, packets);
    assert.equal(after.total, packets);
    for (const s of [before, after]) {
      assert.equal(sum(s.byStatus), s.total);
      assert.equal(sum(s.byType), s.total);
    }
    assert.equal((after.byStatus.PROCESSED ?? 0) - (before.byStatus.PROCESSED ?? 0), p.completed, 'PROCESSED went up by what completed');
    assert.equal((after.byStatus.FAILED ?? 0) - (before.byStatus.FAILED ?? 0), p.failed);
    // PRINT_SERVICE is where completed packets end (and where the ones failing at the last stage stop).
    assert.ok((after.byType.PRINT_SERVICE ?? 0) - (before.byType.PRINT_SERVICE ?? 0) >= p.completed);
    assert.match(output, /status_code\s+before\s+after\s+change/);
    assert.match(output, new RegExp(`ended PROCESSED\\s+${p.completed}\\b`));

    // Nothing left running: the simulator and the database no longer accept connections, no socket is left open.
    assert.equal(await listening(result.simulatorPort), false, 'the simulator port is closed');
    assert.equal(await listening(Number(new URL(result.databaseUrl).port)), false, 'the embedded database port is closed');
    await new Promise((r) => setTimeout(r, 200)); // closing sockets finish their shutdown
    assert.equal(networkHandles(), handlesBefore, 'no server or socket left open');

    // Where things went: journals and logs kept, the database removed (no --keep), and the secret nowhere.
    assert.equal(result.dataDir, null);
    assert.equal(existsSync(join(result.dir, 'pgdata')), false);
    // Step 7: the packets paused by the plain PAUSE rule resumed through the workflow action API, then moved on by
    // one reprocessor tick; a third run (the action run) when there were any.
    assert.ok(result.paused, 'the paused step ran');
    assert.match(output, /\[8\/9\] Paused packets, the MOSIP way/);
    if (result.paused.selected > 0) {
      assert.equal(result.paused.action?.counts.applied, result.paused.selected, 'every plain-PAUSE packet applied');
      assert.equal(result.paused.exitCode, 0);
      assert.equal(result.simulator.workflowActions.rowsByAction.RESUME_PROCESSING, result.paused.selected);
    }
    assert.ok((result.paused.tick?.sent.length ?? 0) >= result.paused.selected, 'the resumed packets moved on');
    assert.equal(readdirSync(result.runsDir).length, result.paused.action ? 3 : 2, 'the canary, the batches (and the action run)');
    assert.ok(existsSync(join(result.logDir, 'out.log')));
    assert.match(output, new RegExp(`journal of each run\\s+.*runs`));
    // The morning-after report of the batch run, its CSV and the dry run's HTML: written, and their paths printed.
    for (const f of ['triage.html', 'dry-run.html', 'report.html', 'packets.csv']) {
      assert.ok(existsSync(join(result.dir, f)), f);
      assert.match(output, new RegExp(`${f.replace('.', '\\.')}\\s+\\S*${f.replace('.', '\\.')}`));
    }
    assert.equal(readFileSync(join(result.dir, 'packets.csv'), 'utf8').trim().split('\n').length, 1 + batches.sent, 'one CSV line per packet of the batch run');
    for (const file of filesUnder(result.dir)) assert.ok(!readFileSync(file, 'utf8').includes(SECRET), `secret in ${file}`);
    assert.ok(!output.includes(SECRET), 'secret printed');
  } finally {
    rmSync(parent, { recursive: true, force: true });
  }
}

/** --keep: the PGlite data directory stays. */
export async function demoKeepKeepsTheDatabase(): Promise<void> {
  const parent = mkdtempSync(join(tmpdir(), 'reprocess-demo-'));
  try {
    const lines: string[] = [];
    const result = await runDemo({
      packets: 20, delay: 0, pipelineLatency: 0, pipelineCapacity: 0, failureRate: 0, keep: true, dir: parent,
    }, { out: (l) => lines.push(l), err: (l) => lines.push(l) });
    assert.equal(result.exitCode, 0, lines.join('\n'));
    assert.equal(result.dataDir, join(result.dir, 'pgdata'));
    assert.ok(readdirSync(result.dataDir).length > 0, 'PGlite data directory kept');
    assert.equal(result.pipeline.completed, result.pipeline.accepted, 'no failures with --failure-rate 0');
    assert.match(lines.join('\n'), /kept by --keep/);
  } finally {
    rmSync(parent, { recursive: true, force: true });
  }
}

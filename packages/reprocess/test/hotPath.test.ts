// The hot path: one socket per request in flight (never more), the journal's group commit (no request leaves
// before its send record is on disk, one fdatasync per batch), and logs that are complete however the run ends.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Journal, nodeFileOps, type JournalFileOps } from '../src/journal/journal.js';
import type { SendRecord } from '../src/journal/records.js';
import { jsonLines, runCli, type CliRun } from '@mosip-reprocess/testkit/cli.js';
import { stuckRow } from '@mosip-reprocess/testkit/rows.js';
import { startStandIn } from '@mosip-reprocess/testkit/standIn.js';
import { WRITE_AHEAD_MAX } from '../src/run/writeAhead.js';

const SECRET = 'stand-in-secret';
const dir = mkdtempSync(join(tmpdir(), 'hotpath-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function send(n: number): SendRecord {
  return { t: 'send', at: new Date().toISOString(), wf: `wf-${n}`, rid: `rid-${n}`, process: 'NEW', iteration: 1, source: null, origin: 'test', attempt: 1 };
}

/** File operations that log each step and let the test decide when a datasync completes. */
function watchedOps() {
  const steps: string[] = [];
  const pendingSyncs: (() => void)[] = [];
  const ops: JournalFileOps = {
    write(fd, text) {
      steps.push(`write ${text.split('\n').filter(Boolean).length}`);
      nodeFileOps.write(fd, text);
    },
    datasync(fd) {
      steps.push('sync');
      return new Promise((resolve, reject) => pendingSyncs.push(() => nodeFileOps.datasync(fd).then(resolve, reject)));
    },
  };
  return { ops, steps, pendingSyncs };
}

const settle = () => new Promise((r) => setImmediate(r));

test('group commit: sends queued together share one write and one fdatasync, and none is released before its own', async () => {
  const { ops, steps, pendingSyncs } = watchedOps();
  const path = join(dir, 'group.jsonl');
  const journal = new Journal(path, ops);
  const released = new Set<number>();
  const wave = (from: number, n: number) => Array.from({ length: n }, (_, i) => journal.appendDurable(send(from + i)).then(() => { released.add(from + i); }));
  const until = async (cond: () => boolean) => { while (!cond()) await settle(); };

  const first = wave(0, 16);
  await until(() => steps.length === 2);
  assert.deepEqual(steps, ['write 16', 'sync']);
  // Sends and a result arriving while that sync runs form the next batch, with its own sync.
  const second = wave(100, 5);
  journal.append({ t: 'result', at: '', wf: 'wf-0', rid: 'rid-0', attempt: 1, outcome: 'forwarded', http: 200, reply: 'ok', latencyMs: 1, startedAt: '' });
  await until(() => steps.length === 4);
  assert.deepEqual(steps.slice(2), ['write 6', 'sync']);
  // Two syncs are under way: a third batch waits for one of them.
  const third = wave(200, 3);
  for (let i = 0; i < 5; i++) await settle();
  assert.equal(steps.length, 4, 'at most two fdatasyncs at a time');
  assert.equal(released.size, 0, 'no send is released before the sync of its batch');

  pendingSyncs[1]!();
  await Promise.all(second);
  assert.deepEqual([...released].sort((a, b) => a - b), [100, 101, 102, 103, 104], 'the second batch, synced, goes; the first still waits');
  await until(() => steps.length === 6);
  assert.deepEqual(steps.slice(4), ['write 3', 'sync']);
  pendingSyncs[0]!();
  await Promise.all(first);
  assert.equal(released.size, 21);
  assert.ok(![200, 201, 202].some((n) => released.has(n)));
  pendingSyncs[2]!();
  await Promise.all(third);

  // A record that needs no sync is written without one.
  journal.append({ t: 'note', at: '', message: 'x' });
  await until(() => steps.length === 7);
  await settle();
  assert.deepEqual(steps.slice(6), ['write 1']);
  assert.equal(readFileSync(path, 'utf8').trim().split('\n').length, 26);
  const closing = journal.close();
  await until(() => pendingSyncs.length === 4);
  pendingSyncs[3]!();
  await closing;
});

test('a journal that cannot be written releases no send, now or later', async () => {
  const failing: JournalFileOps = { write: () => { throw new Error('ENOSPC: no space left on device'); }, datasync: () => Promise.resolve() };
  const journal = new Journal(join(dir, 'full.jsonl'), failing);
  await assert.rejects(journal.appendDurable(send(1)), /ENOSPC/);
  await assert.rejects(journal.appendDurable(send(2)), /ENOSPC/);
  await assert.rejects(journal.close(), /ENOSPC/);
});

function packetFile(n: number): { path: string; wfs: string[] } {
  const rows = Array.from({ length: n }, () => stuckRow());
  const path = join(dir, `packets-${n}-${Math.random().toString(16).slice(2)}.txt`);
  writeFileSync(path, rows.map((r) => `${r.regId}, ${r.process}, ${r.workflowInstanceId}`).join('\n') + '\n');
  return { path, wfs: rows.map((r) => r.workflowInstanceId) };
}

function journalText(runsDir: string): string {
  const runs = readdirSync(runsDir);
  assert.equal(runs.length, 1);
  return readFileSync(join(runsDir, runs[0]!, 'journal.jsonl'), 'utf8');
}

function assertLogsComplete(run: CliRun, expectSummary: boolean): number {
  const journal = readFileSync(join(run.runsDir, readdirSync(run.runsDir)[0]!, 'journal.jsonl'), 'utf8');
  const results = journal.split('\n').filter((l) => l.includes('"t":"result"')).map((l) => (JSON.parse(l) as { wf: string }).wf);
  const last = readFileSync(join(run.logDir, 'last.log'), 'utf8');
  const out = readFileSync(join(run.logDir, 'out.log'), 'utf8');
  for (const wf of results) {
    assert.ok(last.includes(wf), `last.log has the packet ${wf}`);
    assert.ok(out.includes(wf), `out.log has the packet ${wf}`);
    assert.ok(run.stdout.includes(wf), `stdout has the packet ${wf}`);
  }
  if (expectSummary) assert.match(last, /packets sent/, 'last.log ends with the summary');
  return results.length;
}

for (const concurrency of [1, 16, 32]) {
  test(`--concurrency ${concurrency} opens ${concurrency} connection(s); each request finds its send record on disk; logs complete`, async () => {
    const packets = 64;
    const { path, wfs } = packetFile(packets);
    const logDir = mkdtempSync(join(dir, 'run-'));
    const runsDir = join(logDir, 'runs');
    const missing: string[] = [];
    let checked = 0;
    // Replies are held until `concurrency` requests wait, so a client that could open more sockets would.
    const server = await startStandIn({
      holdUntil: concurrency, total: packets,
      onNotification(body) {
        // Read the journal file as the request arrives: its send record must already be there.
        checked += 1;
        const sends = journalText(runsDir).split('\n').filter((l) => l.startsWith('{"t":"send"'));
        if (!sends.some((l) => l.includes(`"wf":"${body.workflowInstanceId}"`))) missing.push(body.workflowInstanceId);
      },
    });
    try {
      const run = await runCli(['--file', path, '--delay', '0', '--concurrency', String(concurrency), '--server', server.url, '--json'],
        { env: { REGPROC_CLIENT_PWD: SECRET }, logDir });
      assert.equal(run.code, 0, run.stderr);
      assert.equal(server.notifications(), packets);
      assert.equal(server.connections(), concurrency, 'one keep-alive connection per request in flight, never more');
      assert.equal(checked, packets);
      assert.deepEqual(missing, [], 'no request reached the server before its send record was in the journal');
      const journal = journalText(runsDir);
      for (const wf of wfs) assert.ok(journal.includes(`"wf":"${wf}"`));
      // After a normal end, out.log, last.log and stdout (a pipe here, so buffered) hold every packet.
      assert.equal(assertLogsComplete(run, true), packets);
      assert.equal(jsonLines(run.stdout).filter((l) => l.type === 'packet').length, packets);
    } finally {
      await server.close();
    }
  });
}

for (const signals of [1, 2]) {
  test(`the log files and stdout hold every packet the journal has after ${signals === 1 ? 'Ctrl-C' : 'Ctrl-C twice (exit at once)'}`, async () => {
    const { path } = packetFile(200);
    let sent = 0;
    let interrupt = () => undefined as void;
    // Slow replies keep requests in flight when the signals land, so the second one finds the run still going.
    const server = await startStandIn({ serviceMs: 100, onNotification() { if (++sent === 24) interrupt(); } });
    try {
      const run = await runCli(['--file', path, '--delay', '0', '--concurrency', '4', '--server', server.url], {
        env: { REGPROC_CLIENT_PWD: SECRET },
        onSpawn(child, output) {
          interrupt = () => {
            child.kill('SIGINT');
            if (signals === 1) return;
            // The second Ctrl-C once the first was seen (two at once would reach the process as one).
            const timer = setInterval(() => {
              if (output.stderr().includes('stopping')) { clearInterval(timer); child.kill('SIGINT'); }
            }, 2);
            child.on('exit', () => clearInterval(timer));
          };
        },
      });
      assert.equal(run.code, 130, run.stderr);
      const logged = assertLogsComplete(run, signals === 1);
      assert.ok(logged >= 16 && logged < 200, `stopped part-way (${logged} results)`);
    } finally {
      await server.close();
    }
  });
}

test('--delay 0 writes send records a window ahead: after Ctrl-C the unsent ones are withdrawn, none is in doubt, and --resume sends each packet once', async () => {
  const { path, wfs } = packetFile(60);
  const seen = new Map<string, number>();
  let interrupt = () => undefined as void;
  const server = await startStandIn({
    serviceMs: 20,
    onNotification(body) {
      seen.set(body.workflowInstanceId, (seen.get(body.workflowInstanceId) ?? 0) + 1);
      if (seen.size === 12) interrupt();
    },
  });
  try {
    const env = { REGPROC_CLIENT_PWD: SECRET };
    const args = ['--file', path, '--delay', '0', '--concurrency', '4', '--server', server.url];
    const first = await runCli(args, { env, onSpawn(child) { interrupt = () => { child.kill('SIGINT'); }; } });
    assert.equal(first.code, 130, first.stderr);
    const records = journalText(first.runsDir).split('\n').filter(Boolean).map((l) => JSON.parse(l) as { t: string; wf?: string });
    const sends = records.filter((r) => r.t === 'send').map((r) => r.wf);
    const closed = records.filter((r) => r.t === 'result' || r.t === 'withdrawn').map((r) => r.wf);
    assert.ok(sends.length > seen.size, `records were written ahead (${sends.length} for ${seen.size} sent)`);
    assert.deepEqual([...closed].sort(), [...sends].sort(), 'every send record has its reply or its withdrawal: nothing in doubt');
    assert.ok(sends.length - seen.size <= WRITE_AHEAD_MAX, `no more written ahead than the window's most (${sends.length - seen.size})`);

    const id = readdirSync(first.runsDir)[0]!;
    const resumed = await runCli(['--resume', id, '--server', server.url], { env, logDir: first.logDir });
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.doesNotMatch(resumed.stderr, /in doubt/i);
    assert.deepEqual([...seen.keys()].sort(), [...wfs].sort(), 'every packet notified');
    assert.deepEqual([...seen.values()].filter((n) => n !== 1), [], 'none twice');
  } finally {
    await server.close();
  }
});

// `--resume last` and the crash note at every start find the newest unfinished run from each journal's tail;
// they must judge a run exactly as the whole journal does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRun, openRun } from '../src/journal/runStore.js';
import { latestUnfinishedRun, readWholeRun } from '../src/journal/wholeRun.js';
import { journalRecords } from '../src/journal/replay.js';

const DEAD_PID = 2 ** 22 + 12345; // above pid_max: no such process

let created = 0;
function newRun(dir: string, lines: object[], torn = ''): string {
  const run = createRun(dir, { flags: {}, configFile: null, settings: {}, source: 'test' });
  // Runs are ordered by when they were created; these are made within the same millisecond, so say when.
  run.meta.createdAt = new Date(Date.UTC(2026, 10, 30, 1, 0, ++created)).toISOString();
  run.saveMeta();
  appendFileSync(run.journalPath, lines.map((l) => JSON.stringify(l) + '\n').join('') + torn);
  return run.id;
}

const start = (attempt: number) => ({ t: 'start', at: '2026-11-30T01:00:00.000Z', attempt, host: hostname(), pid: DEAD_PID });
const end = (stop: string | null, stopKind: string | null = null) => ({ t: 'end', at: '2026-11-30T01:10:00.000Z', exitCode: stop ? 1 : 0, stop, stopKind });
const note = (k: number) => ({ t: 'note', at: '2026-11-30T01:05:00.000Z', message: `filler ${k} ${'x'.repeat(200)}` });

test('the newest unfinished run: crashed (even with more than the tail after its start), stopped; not finished or canary-failed ones', () => {
  const dir = mkdtempSync(join(tmpdir(), 'reprocess-latest-'));
  assert.equal(latestUnfinishedRun(dir), null);
  const crashedLong = newRun(dir, [start(1), ...Array.from({ length: 600 }, (_, k) => note(k))]);
  assert.equal(readWholeRun(openRun(dir, crashedLong)).unfinished, true);
  assert.equal(latestUnfinishedRun(dir), crashedLong, 'no start or end in the tail: the whole journal decides');
  newRun(dir, [start(1), end(null)]);
  newRun(dir, [start(1), end('canary failed', 'canary_failed')]);
  assert.equal(latestUnfinishedRun(dir), crashedLong, 'finished and canary-failed runs are not unfinished');
  const stopped = newRun(dir, [start(1), note(1), end('stopped by the operator', 'interrupted')], '{"t":"sta');
  assert.equal(latestUnfinishedRun(dir), stopped, 'a stopped run, its torn last line skipped');
  const resumedAndCrashed = newRun(dir, [start(1), end('stopped', 'interrupted'), start(2), note(2)]);
  assert.equal(latestUnfinishedRun(dir), resumedAndCrashed);
  newRun(dir, [start(1), end('stopped', 'interrupted'), start(2), end(null)]);
  assert.equal(latestUnfinishedRun(dir), resumedAndCrashed, 'a resume that finished ends the run');
});

test('the journal is read in chunks: records across chunk boundaries, multi-byte text and a torn last line come back as written', () => {
  const dir = mkdtempSync(join(tmpdir(), 'reprocess-chunks-'));
  // About 3 MB (three 1 MB chunks), each line with multi-byte text, so boundaries fall inside lines and characters.
  const notes = Array.from({ length: 9000 }, (_, k) => ({ t: 'note', at: '2026-11-30T01:05:00.000Z', message: `${k} ${'é€𝄞'.repeat(40 + (k % 17))}` }));
  const id = newRun(dir, [start(1), ...notes, end(null)], '{"t":"send","at":"2026-11-30T01:');
  const read = [...journalRecords(openRun(dir, id).journalPath)];
  assert.equal(read.length, notes.length + 2, 'every whole line, and not the torn one');
  assert.deepEqual(read.slice(1, -1), notes);
  assert.equal(readWholeRun(openRun(dir, id)).status, 'finished');
});

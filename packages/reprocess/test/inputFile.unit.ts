// --file: every format operators have, whole-file validation with file:line messages, duplicates.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { makeRid } from '@mosip-reprocess/contract/rid.js';
import { InputError } from '../src/errors.js';
import { readPacketFile } from '../src/source/fileSource.js';
import { loadPacketsFromFile } from '../src/source/loadPackets.js';
import { largeFileStreamsThrough } from './inputFileCases.js';

const RID_A = '10001101040000520220809113748';
const RID_B = '10001101040000620220809113801';
const WF_A = 'e6e944b1-5c4b-42aa-b749-b39428cb7512';
const WF_B = '0b8e3c39-77a2-4f07-9d1c-2f1b8e1e6a55';

const dir = await mkdtemp(join(tmpdir(), 'input-file-'));
after(() => rm(dir, { recursive: true, force: true }));
let fileCounter = 0;

async function fileWith(content: string | Buffer): Promise<string> {
  const path = join(dir, `packets-${fileCounter++}.txt`);
  await writeFile(path, content);
  return path;
}

/** Asserts that reading the file fails with an InputError (exit 2) whose message matches every pattern. */
async function rejectsWith(path: string, patterns: RegExp[]): Promise<string> {
  let message = '';
  await assert.rejects(readPacketFile(path), (err: unknown) => {
    assert.ok(err instanceof InputError, `expected InputError, got ${String(err)}`);
    assert.equal(err.exitCode, 2);
    message = err.message;
    return true;
  });
  for (const pattern of patterns) assert.match(message, pattern);
  return message;
}

test('plain RIDs, one per line', async () => {
  const path = await fileWith(`${RID_A}\n${RID_B}\n`);
  const { entries, duplicates } = await readPacketFile(path);
  assert.equal(duplicates, 0);
  assert.deepEqual(entries, [
    { kind: 'rid', rid: RID_A, origin: `${path}:1` },
    { kind: 'rid', rid: RID_B, origin: `${path}:2` },
  ]);
});

test('MOSIP README format (single quotes), double quotes and unquoted lines, with blanks and comments', async () => {
  const path = await fileWith([
    '# stuck since the upgrade',
    `'${RID_A}', 'NEW', '${WF_A}'`,
    '',
    '   ',
    `"${RID_B}", "update", "${WF_B}", "2", "registration_client"`,
    `  # ${RID_A}, NEW, ${randomUUID()} commented out`,
    `${RID_A},LOST,${'a'.repeat(8)}-aaaa-4aaa-8aaa-${'a'.repeat(12)},1`,
  ].join('\n'));
  const { entries } = await readPacketFile(path);
  assert.deepEqual(entries, [
    { kind: 'full', rid: RID_A, process: 'NEW', workflowInstanceId: WF_A, iteration: null, source: null, origin: `${path}:2` },
    { kind: 'full', rid: RID_B, process: 'UPDATE', workflowInstanceId: WF_B, iteration: 2, source: 'REGISTRATION_CLIENT', origin: `${path}:5` },
    { kind: 'full', rid: RID_A, process: 'LOST', workflowInstanceId: 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', iteration: 1, source: null, origin: `${path}:7` },
  ]);
});

test('UTF-8 BOM and CRLF line endings (a file saved on Windows)', async () => {
  const path = await fileWith(Buffer.from(`\uFEFF${RID_A}, NEW, ${WF_A}\r\n${RID_B}\r\n\r\n`, 'utf8'));
  const { entries } = await readPacketFile(path);
  assert.equal(entries.length, 2);
  assert.equal(entries[0]?.rid, RID_A);
  assert.equal(entries[0]?.origin, `${path}:1`);
  assert.deepEqual(entries[1], { kind: 'rid', rid: RID_B, origin: `${path}:2` });
});

test('CSV with a header in another column order (psql \\copy ... csv header), after a BOM and a comment', async () => {
  const path = await fileWith([
    '\uFEFF# exported from regprc',
    'workflow_instance_id,source,reg_id,iteration,process',
    `${WF_A},RESIDENT,${RID_A},3,RES_UPDATE`,
    `"${WF_B}",,"${RID_B}",,NEW`,
  ].join('\r\n'));
  const { entries } = await readPacketFile(path);
  assert.deepEqual(entries, [
    { kind: 'full', rid: RID_A, process: 'RES_UPDATE', workflowInstanceId: WF_A, iteration: 3, source: 'RESIDENT', origin: `${path}:3` },
    { kind: 'full', rid: RID_B, process: 'NEW', workflowInstanceId: WF_B, iteration: null, source: null, origin: `${path}:4` },
  ]);
});

test('a header naming only the RID column gives RID-only entries', async () => {
  const path = await fileWith(`rid\n${RID_A}\n`);
  const { entries } = await readPacketFile(path);
  assert.deepEqual(entries, [{ kind: 'rid', rid: RID_A, origin: `${path}:2` }]);
});

test('every malformed line is reported with file:line, field and reason, and nothing is returned', async () => {
  const path = await fileWith([
    `${RID_A}, NEW, ${WF_A}`, // 1 good
    `${RID_A}, NEW`, // 2 field count
    '1000110104000052022080911374', // 3 28 digits
    '1000110104000052022080911374X', // 4 not digits
    '10001101040000520220230113748', // 5 Feb 30
    `${RID_B}, NEWW, ${WF_B}`, // 6 process
    `${RID_B}, NEW, ${WF_B.slice(0, 35)}`, // 7 uuid
    `${RID_B}, NEW, ${WF_B}, 0`, // 8 iteration
    `${RID_B}, NEW, ${WF_B}, 1, KIOSK`, // 9 source
    `${RID_B}, UPDATE, ${WF_B}`, // 10 good
  ].join('\n'));
  const message = await rejectsWith(path, [
    new RegExp(`^${path}: 8 problems; nothing was sent:`),
    new RegExp(`${path}:2: has 2 fields; expected 1 \\(reg_id\\)`),
    new RegExp(`${path}:3: reg_id: "1000110104000052022080911374": RID must be 29 digits, got 28`),
    new RegExp(`${path}:4: reg_id: .*digits only`),
    new RegExp(`${path}:5: reg_id: .*timestamp 20220230113748 is not a valid`),
    new RegExp(`${path}:6: process: unknown process "NEWW"`),
    new RegExp(`${path}:7: workflow_instance_id: ".*" is not a UUID`),
    new RegExp(`${path}:8: iteration: "0" is not a positive integer`),
    new RegExp(`${path}:9: source: unknown source "KIOSK"`),
  ]);
  assert.doesNotMatch(message, new RegExp(`${path}:(1|10):`));
});

test('a bad line at the very end still stops the whole file', async () => {
  const good = Array.from({ length: 500 }, (_, i) => `${makeRid(10001, 10001, i, new Date(Date.UTC(2023, 0, 1)))}, NEW, ${randomUUID()}`);
  const path = await fileWith([...good, `${RID_A}, NEW, ${WF_A}, 1, RESIDENT, extra`].join('\n'));
  await rejectsWith(path, [new RegExp(`${path}:501: has 6 fields`), /1 problem;/]);
});

test('the message shows 20 bad lines and counts the rest', async () => {
  const path = await fileWith(Array.from({ length: 25 }, (_, i) => `bad-${i}`).join('\n'));
  const message = await rejectsWith(path, [/25 problems/, /\.\.\. and 5 more$/, new RegExp(`${path}:20: reg_id`)]);
  assert.doesNotMatch(message, new RegExp(`${path}:21:`));
});

test('a bad header stops the run at once, naming the line', async () => {
  await rejectsWith(await fileWith(`reg_id,process,colour\n${RID_A},NEW,red\n`), [/:1: header names an unknown column "colour"/]);
  await rejectsWith(await fileWith(`reg_id,process\n`), [/:1: header must name both process and workflow_instance_id/]);
});

test('a header row after data is an error, not skipped', async () => {
  const path = await fileWith(`${RID_A}, NEW, ${WF_A}\nreg_id,process,workflow_instance_id\n`);
  await rejectsWith(path, [new RegExp(`${path}:2: looks like a header row`)]);
});

test('duplicates (same workflow id, same RID-only line) are dropped and counted; later lines fill unstated fields', async () => {
  const path = await fileWith([
    `${RID_A}, NEW, ${WF_A}`,
    `'${RID_A}', 'NEW', '${WF_A}', '2'`,
    `"${RID_A}", "new", "${WF_A}"`,
    RID_B,
    `'${RID_B}'`,
  ].join('\n'));
  const { entries, duplicates } = await readPacketFile(path);
  assert.equal(duplicates, 3);
  assert.deepEqual(entries, [
    { kind: 'full', rid: RID_A, process: 'NEW', workflowInstanceId: WF_A, iteration: 2, source: null, origin: `${path}:1` },
    { kind: 'rid', rid: RID_B, origin: `${path}:4` },
  ]);
});

test('the same workflow id with a different RID or process is a conflict, not a duplicate', async () => {
  const path = await fileWith(`${RID_A}, NEW, ${WF_A}\n${RID_A}, UPDATE, ${WF_A}\n${RID_B}, NEW, ${WF_A}\n`);
  await rejectsWith(path, [
    new RegExp(`${path}:2: process: workflow instance ${WF_A} has process NEW at ${path}:1 but UPDATE here`),
    new RegExp(`${path}:3: reg_id: workflow instance ${WF_A} has reg_id ${RID_A} at ${path}:1 but ${RID_B} here`),
  ]);
});

test('missing file, a directory, an empty file, a UTF-16 file', async () => {
  await rejectsWith(join(dir, 'nope.txt'), [/cannot read .*nope\.txt: ENOENT/]);
  const sub = join(dir, 'subdir');
  await mkdir(sub);
  await rejectsWith(sub, [/not a regular file/]);
  await rejectsWith(await fileWith('# nothing\n\n'), [/holds no packet lines/]);
  await rejectsWith(await fileWith(Buffer.from(`\uFEFF${RID_A}\r\n`, 'utf16le')), [/is UTF-16 text; save it as UTF-8/]);
  await rejectsWith(await fileWith(Buffer.from(`${RID_A}\n${RID_B}\n`, 'utf16le')), [/is UTF-16 text/]);
});

test('loadPacketsFromFile without a database: full lines become packets with defaults; RID-only lines need the database', async () => {
  const full = await fileWith(`${RID_A}, NEW, ${WF_A}\n${RID_B}, UPDATE, ${WF_B}, 4, RESIDENT\n${RID_A}, NEW, ${WF_A}\n`);
  const { packets, duplicates } = await loadPacketsFromFile(full, null, 'regprc');
  assert.equal(duplicates, 1);
  assert.deepEqual(packets, [
    { rid: RID_A, process: 'NEW', workflowInstanceId: WF_A, iteration: 1, source: null, origin: `${full}:1` },
    { rid: RID_B, process: 'UPDATE', workflowInstanceId: WF_B, iteration: 4, source: 'RESIDENT', origin: `${full}:2` },
  ]);

  const mixed = await fileWith(`${RID_A}, NEW, ${WF_A}\n${RID_B}\n`);
  await assert.rejects(loadPacketsFromFile(mixed, null, 'regprc'), (err: unknown) => {
    assert.ok(err instanceof InputError);
    assert.equal(err.exitCode, 2);
    assert.match(err.message, new RegExp(`${mixed}:2: reg_id: ${RID_B} .*needs the database to complete it`));
    return true;
  });
});

test('a large file streams through (10 000 lines, about 700 KB; 100 000 in inputFile.soak.ts)', async () => {
  await largeFileStreamsThrough(dir, 10_000);
});

test('compressed and binary files are named as such by their first bytes', async () => {
  const { whyNotText } = await import('../src/source/fileSource.js');
  const cases: [number[], RegExp][] = [
    [[0x1f, 0x8b, 0x08, 0x00], /gzip-compressed.*gunzip/],
    [[0x50, 0x4b, 0x03, 0x04, 0x14], /zip archive.*unzip/],
    [[0x42, 0x5a, 0x68, 0x39, 0x31], /bzip2-compressed/],
    [[0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 0x00], /xz-compressed/],
    [[0x28, 0xb5, 0x2f, 0xfd, 0x04], /zstd-compressed/],
    [[0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x00, 0x00, 0x00], /binary file/],
  ];
  for (const [bytes, message] of cases) {
    assert.match(whyNotText(Uint8Array.from(bytes)) ?? 'null', message);
    await rejectsWith(await fileWith(Buffer.from(bytes)), [message]);
  }
  assert.equal(whyNotText(Buffer.from(`${RID_A}, NEW, ${WF_A}\n`)), null);
});

test('a binary file is named with where its first NUL byte is: the line and the byte offset', async () => {
  // A file of NUL bytes only (a truncated or zeroed file), and text with NUL bytes on its third line.
  await rejectsWith(await fileWith(Buffer.alloc(64)), [/: is a binary file, not text: its first NUL byte is on line 1 \(byte offset 0 of the file\)/]);
  const text = `${RID_A}\n${RID_B}\nab`;
  await rejectsWith(await fileWith(Buffer.concat([Buffer.from(text), Buffer.alloc(40), Buffer.from('\n')])),
    [new RegExp(`: is a binary file, not text: its first NUL byte is on line 3 \\(byte offset ${Buffer.byteLength(text)} of the file\\)`)]);
});

test('one de-duplication rule: a workflow id in upper case is the same packet as in lower case', async () => {
  const path = await fileWith(`${RID_A}, NEW, ${WF_A}\n${RID_A}, NEW, ${WF_A.toUpperCase()}\n`);
  const { entries, duplicates } = await readPacketFile(path);
  assert.equal(entries.length, 1);
  assert.equal(duplicates, 1);

  const conflict = await fileWith(`${RID_A}, NEW, ${WF_A}\n${RID_B}, NEW, ${WF_A.toUpperCase()}\n`);
  await rejectsWith(conflict, [/:2: reg_id: workflow instance .* has reg_id/i]);

  const { firstOfEachWorkflow } = await import('../src/filter/dedupe.js');
  const { applyFilters } = await import('../src/filter/chain.js');
  const packet = (wf: string) => ({ rid: RID_A, process: 'NEW', workflowInstanceId: wf, iteration: 1, source: null, origin: 'x' });
  async function* two() { yield packet(WF_A); yield packet(WF_A.toUpperCase()); }
  const passed: string[] = [];
  let dropped = 0;
  for await (const p of applyFilters(two(), [firstOfEachWorkflow(() => { dropped += 1; })])) passed.push(p.workflowInstanceId);
  assert.deepEqual([passed, dropped], [[WF_A], 1]);
});

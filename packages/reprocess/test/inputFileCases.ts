// The large-file case of the file reader, small in inputFile.unit.ts (`npm test`), at 100 000 lines in
// inputFile.soak.ts (`npm run test:soak`).
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { makeRid } from '@mosip-reprocess/contract/rid.js';
import { readPacketFile } from '../src/source/fileSource.js';

/** Writes `count` full lines to a file in `dir`, reads it, and checks every line came through with its file:line. */
export async function largeFileStreamsThrough(dir: string, count: number): Promise<void> {
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    lines.push(`${makeRid(10001 + (i % 7), 10001, i, new Date(Date.UTC(2022, 7, 9, 11, 37, i % 60)))},NEW,${randomUUID()}`);
  }
  const path = join(dir, `large-${count}.txt`);
  await writeFile(path, lines.join('\n'));
  const { entries, duplicates } = await readPacketFile(path);
  assert.equal(entries.length, count);
  assert.equal(duplicates, 0);
  assert.equal(entries[count - 1]?.origin, `${path}:${count}`);
}

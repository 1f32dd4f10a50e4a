// The file reader on a large file: 100 000 lines (about 2 s of CPU); inputFile.unit.ts reads 10 000.
import { after, test } from 'node:test';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { largeFileStreamsThrough } from './inputFileCases.js';

const dir = await mkdtemp(join(tmpdir(), 'input-file-soak-'));
after(() => rm(dir, { recursive: true, force: true }));

test('a large file streams through (100 000 lines)', async () => {
  await largeFileStreamsThrough(dir, 100_000);
});

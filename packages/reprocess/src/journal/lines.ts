// The one reader of a journal file: line by line, in 1 MB blocks, so a journal of gigabytes (a run of millions of
// packets writes about 570 bytes each) is never held whole. Replay, `runs`, verify and the report all read this way.
import { closeSync, openSync, readSync } from 'node:fs';

/**
 * Every line of a journal, parsed, with its 1-based line number; a torn line yields null. Read in blocks
 * of 1 MB with synchronous reads (a generator, no promise per line): the whole file is never in memory.
 */
export function* journalLines(path: string): Generator<{ line: number; record: Record<string, unknown> | null }> {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  try {
    const block = Buffer.allocUnsafe(1 << 20);
    let carry: Buffer | null = null;
    let line = 0;
    const parse = (text: string): Record<string, unknown> | null => {
      try {
        const parsed: unknown = JSON.parse(text);
        return parsed && typeof parsed === 'object' ? parsed as Record<string, unknown> : null;
      } catch {
        return null; // A torn last line from a crash mid-write: its send was not flushed, so it never went out.
      }
    };
    for (;;) {
      const bytes = readSync(fd, block, 0, block.length, null);
      if (bytes === 0) break;
      let data = block.subarray(0, bytes);
      if (carry) { data = Buffer.concat([carry, data]); carry = null; }
      let start = 0;
      let end: number;
      while ((end = data.indexOf(10, start)) >= 0) {
        line += 1;
        // A blank line is skipped (it holds nothing); a line that does not parse yields null.
        if (end > start) yield { line, record: parse(data.toString('utf8', start, end)) };
        start = end + 1;
      }
      if (start < data.length) carry = Buffer.from(data.subarray(start));
    }
    if (carry) {
      line += 1;
      yield { line, record: parse(carry.toString('utf8')) };
    }
  } finally {
    closeSync(fd);
  }
}

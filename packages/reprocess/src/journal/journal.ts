// The append-only journal writer. Each record is written with one write(2), so a kill -9 at any point leaves
// at most a torn last line, which the reader ignores. Records that must survive a power loss too (a `send`,
// before the request goes out) are also fdatasync'ed; a result lost that way only turns its packet into an
// in-doubt one, which a resume settles from the database, so results skip the (costly) sync.
import { closeSync, fdatasyncSync, openSync, writeSync } from 'node:fs';
import type { JournalRecord } from './records.js';

export class Journal {
  private fd: number | null;

  constructor(readonly path: string) {
    this.fd = openSync(path, 'a');
  }

  append(record: JournalRecord): void {
    if (this.fd === null) throw new Error(`journal ${this.path} is closed`);
    writeSync(this.fd, JSON.stringify(record) + '\n');
    if (record.t !== 'result') fdatasyncSync(this.fd);
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}

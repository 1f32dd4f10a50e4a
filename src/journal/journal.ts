// The append-only journal writer. Each record is written with one write(2) and fdatasync'ed, so a kill -9
// at any point leaves at most a torn last line, which the reader ignores.
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
    fdatasyncSync(this.fd);
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}

// The run's log on disk, as MOSIP's script keeps it: out.log gathers every run, last.log holds only the latest.
// Lines are buffered (see ./buffered.ts) and written in batches, on exit, on Ctrl-C and when the run ends;
// the journal, not the log, is what a resume relies on.
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { BufferedLines } from './buffered.js';

export class RunLog {
  readonly outLog: string;
  readonly lastLog: string;
  private fds: number[] | null;
  private readonly buffer: BufferedLines;

  constructor(dir: string) {
    const abs = resolve(dir);
    mkdirSync(abs, { recursive: true });
    this.outLog = join(abs, 'out.log');
    this.lastLog = join(abs, 'last.log');
    const fds = [openSync(this.outLog, 'a'), openSync(this.lastLog, 'w')];
    this.fds = fds;
    this.buffer = new BufferedLines((text) => { for (const fd of fds) writeSync(fd, text); });
  }

  write(line: string): void {
    if (!this.fds) throw new Error(`log ${this.lastLog} is closed`);
    this.buffer.write(line.endsWith('\n') ? line : line + '\n');
  }

  /** Writes out what is buffered now. */
  flush(): void {
    this.buffer.flush();
  }

  close(): void {
    if (!this.fds) return;
    this.buffer.close();
    for (const fd of this.fds) closeSync(fd);
    this.fds = null;
  }
}

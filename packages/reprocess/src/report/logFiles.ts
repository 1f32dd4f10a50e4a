// The run's log on disk, as MOSIP's script keeps it: out.log gathers every run, last.log holds only the latest.
// Lines are text as the terminal shows them, or one JSON object each (--log-format json; see ./logLines.ts).
// They are buffered (see ./buffered.ts) and written in batches, on exit, on Ctrl-C and when the run ends;
// the journal, not the log, is what a resume relies on.
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { BufferedLines } from './buffered.js';
import { messageLine, renderLine, type LogFormat, type LogLine } from './logLines.js';

export class RunLog {
  readonly outLog: string;
  readonly lastLog: string;
  private fds: number[] | null;
  private readonly buffer: BufferedLines;

  /** The run id that write() puts on its JSON lines (null until the run has one). */
  runId: string | null = null;

  constructor(dir: string, readonly format: LogFormat = 'text') {
    const abs = resolve(dir);
    mkdirSync(abs, { recursive: true });
    this.outLog = join(abs, 'out.log');
    this.lastLog = join(abs, 'last.log');
    const fds = [openSync(this.outLog, 'a'), openSync(this.lastLog, 'w')];
    this.fds = fds;
    this.buffer = new BufferedLines((text) => { for (const fd of fds) writeSync(fd, text); });
  }

  /** A line in this log's format. */
  line(line: LogLine): void {
    this.raw(renderLine(line, this.format));
  }

  /** A plain message: as it is in text, an info record in JSON. */
  write(text: string): void {
    if (this.format === 'json') this.line(messageLine('info', text.replace(/\n+$/, ''), this.runId));
    else this.raw(text);
  }

  private raw(line: string): void {
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

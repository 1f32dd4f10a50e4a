// The run's log on disk, as MOSIP's script keeps it: out.log gathers every run, last.log holds only the latest.
// Lines are written synchronously so a crash loses nothing already reported.
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export class RunLog {
  readonly outLog: string;
  readonly lastLog: string;

  constructor(dir: string) {
    const abs = resolve(dir);
    mkdirSync(abs, { recursive: true });
    this.outLog = join(abs, 'out.log');
    this.lastLog = join(abs, 'last.log');
    writeFileSync(this.lastLog, '');
  }

  write(line: string): void {
    const text = line.endsWith('\n') ? line : line + '\n';
    appendFileSync(this.outLog, text);
    appendFileSync(this.lastLog, text);
  }
}

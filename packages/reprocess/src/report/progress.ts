// Progress while a run goes on, on stderr: a redrawn bar on a terminal, otherwise a line at a steady interval
// (for nohup, tmux logs and CI).
import { OUTCOMES, type NotifyOutcome } from '@mosip-reprocess/contract/wire.js';

export interface ProgressSink {
  isTTY: boolean;
  write(text: string): void;
}

function formatEta(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = Math.floor(seconds % 60);
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : m > 0 ? `${m}m${String(s).padStart(2, '0')}s` : `${s}s`;
}

export class Progress {
  private done = 0;
  private readonly counts = Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<NotifyOutcome, number>;
  private readonly started = Date.now();
  private lastDraw = 0;
  private timer: NodeJS.Timeout | null = null;
  private drawn = false;
  private detail: string | null = null;

  constructor(private readonly sink: ProgressSink, private total: number | null, intervalMs: number) {
    if (!sink.isTTY && intervalMs > 0) {
      this.timer = setInterval(() => this.sink.write(this.line() + '\n'), intervalMs);
      this.timer.unref();
    }
  }

  /** Extra text at the end of the line (e.g. --pace auto's rate, packets inside, waiting time). */
  setDetail(detail: string | null): void {
    this.detail = detail;
  }

  setTotal(total: number | null): void {
    this.total = total;
  }

  record(outcome: NotifyOutcome): void {
    this.done += 1;
    this.counts[outcome] += 1;
    if (this.sink.isTTY && Date.now() - this.lastDraw >= 200) this.draw();
  }

  /** The one-line status: done/total, counts per outcome, rate and ETA. */
  line(): string {
    const seconds = (Date.now() - this.started) / 1000;
    const rate = seconds > 0 ? this.done / seconds : 0;
    const counts = OUTCOMES.filter((o) => this.counts[o] > 0).map((o) => `${o} ${this.counts[o]}`).join(', ') || 'none yet';
    const total = this.total === null ? '' : `/${this.total}`;
    const eta = this.total === null || rate === 0 ? '' : `, ETA ${formatEta((this.total - this.done) / rate)}`;
    return `progress ${this.done}${total} (${counts}) ${rate.toFixed(2)}/s${eta}${this.detail ? `; ${this.detail}` : ''}`;
  }

  private draw(): void {
    this.lastDraw = Date.now();
    const width = 24;
    const filled = this.total ? Math.min(width, Math.round((this.done / this.total) * width)) : 0;
    const bar = this.total ? `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ` : '';
    this.sink.write(`\r\x1b[2K${bar}${this.line()}`);
    this.drawn = true;
  }

  /** Clears the bar (so normal lines print cleanly) and stops the timer. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.drawn) this.sink.write('\r\x1b[2K');
    this.drawn = false;
  }

  /** Before printing a normal line on a terminal, clear the bar; it is redrawn on the next packet. */
  clear(): void {
    if (this.sink.isTTY && this.drawn) {
      this.sink.write('\r\x1b[2K');
      this.drawn = false;
    }
  }
}

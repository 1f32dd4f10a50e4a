// Buffered output for the per-packet lines (log files, and stdout when it is not a terminal): lines gather in
// memory and go out in one write when 64 KB have gathered or 100 ms after the first one, and always on exit,
// on Ctrl-C and when the run ends. The flush itself is synchronous on purpose: it costs one system call per
// batch instead of two per packet, and it is what makes flushing from an exit or signal handler exact (a
// Node stream's pending asynchronous writes are dropped by process.exit).
const live = new Set<BufferedLines>();
let exitHookInstalled = false;

/** Writes out every buffer now (from a signal handler, or before a line on another stream). */
export function flushBuffered(): void {
  for (const b of live) b.flush();
}

export interface BufferOptions {
  maxBytes?: number;
  maxDelayMs?: number;
}

export class BufferedLines {
  private parts: string[] = [];
  private bytes = 0;
  private timer: NodeJS.Timeout | null = null;
  private readonly maxBytes: number;
  private readonly maxDelayMs: number;

  constructor(private readonly sink: (text: string) => void, options: BufferOptions = {}) {
    this.maxBytes = options.maxBytes ?? 64 * 1024;
    this.maxDelayMs = options.maxDelayMs ?? 100;
    live.add(this);
    if (!exitHookInstalled) {
      exitHookInstalled = true;
      process.on('exit', flushBuffered);
    }
  }

  write(text: string): void {
    this.parts.push(text);
    this.bytes += text.length;
    if (this.bytes >= this.maxBytes) this.flush();
    else if (!this.timer) {
      this.timer = setTimeout(() => this.flush(), this.maxDelayMs);
      this.timer.unref();
    }
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.parts.length === 0) return;
    const text = this.parts.join('');
    this.parts = [];
    this.bytes = 0;
    this.sink(text);
  }

  /** Flushes and stops buffering (later writes go straight to the sink). */
  close(): void {
    this.flush();
    live.delete(this);
  }
}

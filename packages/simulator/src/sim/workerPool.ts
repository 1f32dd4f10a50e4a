// The securezone stage's worker pool: MOSIP runs the HTTP route's blocking handler on a Vert.x worker pool of 10
// (MosipRouter, worker.pool.size; docs/mosip-facts.md, "Worker pool and timeouts"). There is no throttle and no
// 429: a request beyond the pool waits for a worker, so the reply takes longer, and nothing is refused.
export interface WorkerPoolStats {
  size: number;
  /** Handlers running now. */
  active: number;
  /** Requests waiting for a worker now. */
  waiting: number;
  /** Most handlers ever running at once. */
  peakActive: number;
  /** Most requests ever waiting at once. */
  peakWaiting: number;
}

export const DEFAULT_SECUREZONE_WORKERS = 10;

export class WorkerPool {
  private active = 0;
  private peakActive = 0;
  private peakWaiting = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(readonly size: number = DEFAULT_SECUREZONE_WORKERS) {
    if (!Number.isInteger(size) || size < 1) throw new Error('the securezone worker pool needs a whole number of workers, 1 or more');
  }

  /** Runs fn on a worker, once one is free (first come, first served). */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.size) {
      await new Promise<void>((resolve) => {
        this.waiting.push(resolve);
        this.peakWaiting = Math.max(this.peakWaiting, this.waiting.length);
      });
    } else {
      this.active += 1;
    }
    this.peakActive = Math.max(this.peakActive, this.active);
    try {
      return await fn();
    } finally {
      const next = this.waiting.shift();
      if (next) next(); // the worker passes straight to the next request: active stays the same
      else this.active -= 1;
    }
  }

  stats(): WorkerPoolStats {
    return { size: this.size, active: this.active, waiting: this.waiting.length, peakActive: this.peakActive, peakWaiting: this.peakWaiting };
  }
}

// The append-only journal writer, with group commit. Records are queued and written in batches: one write(2)
// per batch, which only copies into the page cache. A `send` record is appended with `appendDurable`, whose
// promise resolves once an fdatasync started after its batch was written has returned; the runner sends a
// packet only then, so no request ever leaves before its send record is on disk. The fdatasync runs in
// libuv's thread pool, off the event loop, and the sends queued while it runs share the next one, so the
// cost of durability no longer grows with the packet rate. Two syncs may overlap: a batch written while one
// runs starts its own at once instead of waiting its turn.
// Other records (results, notes) ride along with the next batch of sends (or go alone after 20 ms) and are not
// synced one by one: a result lost to a kill -9 or a power cut only turns its packet into an in-doubt one,
// which a resume settles from the database. A power cut mid-write leaves at most a torn last line, which the
// reader ignores. What is still queued when the process exits (a second Ctrl-C) is written synchronously from
// the exit handler.
import { close, closeSync, fdatasync, openSync, writeSync } from 'node:fs';
import type { JournalRecord } from './records.js';

/** The file operations the journal uses; tests substitute them to watch the order of writes and syncs. */
export interface JournalFileOps {
  /** Appends the whole text (a batch of lines: one write(2) into the page cache, microseconds). */
  write(fd: number, text: string): void;
  /** fdatasync in libuv's thread pool: the part that waits for the disk, kept off the event loop. */
  datasync(fd: number): Promise<void>;
}

export const nodeFileOps: JournalFileOps = {
  write(fd, text) {
    const bytes = Buffer.from(text, 'utf8');
    for (let off = 0; off < bytes.length;) off += writeSync(fd, bytes, off);
  },
  datasync: (fd) => new Promise((resolve, reject) => fdatasync(fd, (err) => (err ? reject(err) : resolve()))),
};

interface Waiter { resolve(): void; reject(err: unknown): void }

/** Overlapping fdatasyncs allowed (each takes one of libuv's four pool threads). */
const MAX_SYNCS_IN_FLIGHT = 2;
/** How long a result or note waits for a batch of sends to ride along with before it is written alone. */
const RIDE_ALONG_MS = 20;

export class Journal {
  private fd: number | null;
  /** Lines not yet handed to write(2). */
  private queued: string[] = [];
  /** Callers waiting for the queued lines to be synced, and whether any queued line needs a sync. */
  private waiters: Waiter[] = [];
  private syncQueued = false;
  private draining: Promise<void> | null = null;
  /** fdatasyncs under way: a batch written while one runs gets its own at once instead of waiting its turn. */
  private readonly syncs = new Set<Promise<void>>();
  private scheduled = false;
  private timer: NodeJS.Timeout | null = null;
  /** The first write or sync error: the journal refuses everything after it (no request may leave). */
  private failed: unknown = null;
  private readonly onExit = () => this.flushSync();

  constructor(readonly path: string, private readonly ops: JournalFileOps = nodeFileOps) {
    this.fd = openSync(path, 'a');
    process.on('exit', this.onExit);
  }

  /**
   * Queues a record that need not be synced on its own (a result, a note): it goes out with the next batch
   * of sends, or on its own after at most RIDE_ALONG_MS when no send comes.
   */
  append(record: JournalRecord): void {
    this.enqueue(record);
    if (!this.timer && !this.scheduled) {
      this.timer = setTimeout(() => { this.timer = null; this.startDrain(); }, RIDE_ALONG_MS);
      this.timer.unref();
    }
  }

  /**
   * Queues a send record and resolves once it is on disk (written and fdatasync'ed together with every send
   * queued alongside it). Rejects when the journal cannot be written: the packet must then not be sent.
   */
  appendDurable(record: JournalRecord): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (this.failed) return reject(this.failed);
      this.enqueue(record);
      this.syncQueued = true;
      this.waiters.push({ resolve, reject });
      // Start the batch once this turn of the event loop has run its callbacks (setImmediate: no timer, no
      // wait), so the sends queued by every reply that arrived together share one write and one fdatasync.
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => {
          this.scheduled = false;
          this.startDrain();
        });
      }
    });
  }

  /** Writes and syncs everything queued so far. */
  async flush(): Promise<void> {
    if (this.queued.length > 0) {
      this.syncQueued = true;
      const written = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
      this.startDrain();
      await written;
    }
    while (this.draining || this.syncs.size > 0) await (this.draining ?? Promise.race(this.syncs));
    if (this.failed) throw this.failed;
  }

  /** Flushes, syncs and closes the file. */
  async close(): Promise<void> {
    if (this.fd === null) return;
    try {
      await this.flush();
      if (this.fd !== null) await this.ops.datasync(this.fd);
    } finally {
      if (this.timer) clearTimeout(this.timer);
      this.timer = null;
      const fd = this.fd;
      this.fd = null;
      process.off('exit', this.onExit);
      if (fd !== null) await new Promise<void>((resolve) => close(fd, () => resolve()));
    }
  }

  /** Last resort at process exit: writes what is still queued, synchronously. */
  flushSync(): void {
    if (this.fd === null || this.queued.length === 0) return;
    const text = this.queued.join('');
    this.queued = [];
    try {
      writeSync(this.fd, text);
    } catch {
      // nothing more can be done at exit; a resume treats the missing results as in doubt
    }
    if (!this.draining && this.syncs.size === 0) {
      closeSync(this.fd);
      this.fd = null;
    }
  }

  private enqueue(record: JournalRecord): void {
    if (this.fd === null) throw new Error(`journal ${this.path} is closed`);
    this.queued.push(JSON.stringify(record) + '\n');
  }

  private startDrain(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.draining || this.queued.length === 0) return;
    this.draining = this.drain().finally(() => {
      this.draining = null;
      this.startDrain();
    });
  }

  private async drain(): Promise<void> {
    while (this.queued.length > 0 && this.fd !== null) {
      // Writes go one after another (the file's order is the journal's); syncs may overlap, up to a bound.
      if (this.syncs.size >= MAX_SYNCS_IN_FLIGHT) {
        await Promise.race(this.syncs);
        continue;
      }
      const text = this.queued.join('');
      const waiters = this.waiters;
      const sync = this.syncQueued;
      this.queued = [];
      this.waiters = [];
      this.syncQueued = false;
      try {
        if (this.failed) throw this.failed;
        this.ops.write(this.fd, text);
      } catch (err) {
        this.fail(err, waiters);
        continue;
      }
      if (!sync) {
        for (const w of waiters) w.resolve();
        continue;
      }
      // An fdatasync started after this batch's write covers it (and every batch written before it).
      const done: Promise<void> = this.ops.datasync(this.fd).then(
        () => {
          if (this.failed) throw this.failed;
          for (const w of waiters) w.resolve();
        },
      ).catch((err: unknown) => this.fail(err, waiters)).finally(() => this.syncs.delete(done));
      this.syncs.add(done);
    }
  }

  private fail(err: unknown, waiters: Waiter[]): void {
    this.failed ??= err;
    for (const w of waiters) w.reject(this.failed);
  }
}

// A lost database connection (failover, restart, network blip) must not end a night's run. Keyset paging
// makes every read a short, independent query, so retrying one after reconnecting continues exactly where the
// run was. pg's Pool opens a fresh connection for the retry by itself.
import { setTimeout as sleep } from 'node:timers/promises';

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/** True for errors that mean "the connection went away", not "the query is wrong". */
export function isConnectionLoss(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  if (e.code && (CONNECTION_CODES.has(e.code) || e.code.startsWith('08') || ['57P01', '57P02', '57P03'].includes(e.code))) return true;
  // 'Query read timeout': no answer within the pool's queryTimeoutMs; pg drops that connection (db/connect.ts).
  return /Connection terminated|terminating connection|timeout exceeded when trying to connect|Client has encountered a connection error|Query read timeout/i.test(e.message ?? '');
}

export interface ReconnectOptions {
  /** Give up after trying this long (default 120 s). */
  patienceMs?: number;
  onRetry?: (message: string) => void;
  /** The run's stop signal: no more attempts once it fires. */
  signal?: AbortSignal | undefined;
}

export async function withReconnect<T>(work: () => Promise<T>, options: ReconnectOptions = {}): Promise<T> {
  const deadline = Date.now() + (options.patienceMs ?? 120_000);
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (err) {
      if (!isConnectionLoss(err) || Date.now() >= deadline || options.signal?.aborted) throw err;
      const wait = Math.min(5000, 250 * 2 ** (attempt - 1));
      options.onRetry?.(`database connection lost (${(err as Error).message}); reconnecting in ${wait} ms`);
      try {
        await sleep(wait, undefined, options.signal ? { signal: options.signal } : undefined);
      } catch {
        throw err;
      }
    }
  }
}

import { isConnectionLoss } from './reconnect.js';
import { InputError, UnreachableError } from '../errors.js';

/** Maps a pg or socket error to what the operator must do about it; null when it is not a database problem. */
export function databaseProblem(err: unknown, where: string, schema: string): Error | null {
  if (err instanceof InputError || err instanceof UnreachableError) return err;
  const e = err as { code?: string; message?: string };
  const message = e.message ?? String(err);
  if (isConnectionLoss(err)) return new UnreachableError(`cannot reach the database ${where}: ${message}`);
  // 28xxx: authentication; 3D000: no such database.
  if (e.code?.startsWith('28') || e.code === '3D000') return new UnreachableError(`the database ${where} refused the connection: ${message}`);
  if (e.code === '42P01' || e.code === '3F000') {
    return new InputError(`the database ${where} has no ${schema}.registration table (${message}); check --schema and DB_NAME`);
  }
  return null;
}

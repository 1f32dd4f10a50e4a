import { isConnectionLoss } from './reconnect.js';
import { InputError, UnreachableError } from '../errors.js';

/**
 * Maps a pg or socket error to what the operator must do about it; null when it is not a database problem (a
 * bug, then). `where` names the database (user@host:port/db) and `schema` the schema, when the caller knows them.
 */
export function databaseProblem(err: unknown, where: string | null = null, schema: string | null = null): Error | null {
  if (err instanceof InputError || err instanceof UnreachableError) return err;
  const e = err as { code?: string; message?: string };
  const message = e.message ?? String(err);
  const db = where ? `the database ${where}` : 'the database';
  if (isConnectionLoss(err)) return new UnreachableError(`cannot reach ${db}: ${message}`);
  // 28xxx: authentication; 3D000: no such database.
  if (e.code?.startsWith('28') || e.code === '3D000') return new UnreachableError(`${db} refused the connection: ${message}`);
  if (e.code === '42P01' || e.code === '3F000') {
    return new InputError(`${db} has no ${schema ?? '<schema>'}.registration table (${message}); check --schema and DB_NAME`);
  }
  // 42501 insufficient_privilege: the user may connect but not read what the tool reads (it only reads).
  if (e.code === '42501') {
    return new UnreachableError(`${db} refused a read: ${message} (SQLSTATE 42501). The tool only reads: its database user needs USAGE on `
      + `the schema${schema ? ` ${schema}` : ''} and SELECT on its registration, registration_transaction and registration_list tables, as MOSIP's `
      + 'regprcuser has; grant them, or connect as such a user (DB_USER / --db-user, or --db-url)');
  }
  return null;
}

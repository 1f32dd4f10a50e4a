// The run's database: the pool settings its settings name, and the errors of its reads mapped to what the
// operator can act on (exit 3 unreachable or refused, exit 2 a missing table or schema).
import type { Packet } from '../domain/packet.js';
import type { Settings } from '../config/settings.js';
import { describeDb, SHORT_READ_TIMEOUTS, type DbSettings } from './connect.js';
import { databaseProblem } from './problems.js';

export function dbSettingsOf(s: Settings): DbSettings {
  return {
    url: s.dbUrl, host: s.dbHost, port: s.dbPort, user: s.dbUser, password: s.dbPassword, database: s.dbName, ssl: s.dbSsl,
    ...SHORT_READ_TIMEOUTS,
  };
}

/** Turns connection failures and a missing table into clear errors (exit 3 / exit 2). */
export async function withDb<T>(s: Settings, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw databaseProblem(err, describeDb(dbSettingsOf(s)), s.dbSchema) ?? err;
  }
}

export async function* guardDb(s: Settings, packets: AsyncIterable<Packet>): AsyncGenerator<Packet, void, void> {
  try {
    yield* packets;
  } catch (err) {
    throw databaseProblem(err, describeDb(dbSettingsOf(s)), s.dbSchema) ?? err;
  }
}

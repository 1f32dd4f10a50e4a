// One schema and one simulator for a whole test file: starting a simulator per test was a good part of the
// suite's time. Each test takes the simulator with its request counts cleared (`withSim`).
import { after, before } from 'node:test';
import { startSimulator, type RunningSimulator } from '@mosip-reprocess/simulator/sim/server.js';
import { freshSchema, type TestSchema } from './db.js';

export interface FileSimulator {
  /** Set by the file's `before` hook. */
  db: TestSchema;
  sim: RunningSimulator;
  /** Runs `fn` with the file's simulator, its counts cleared. */
  withSim<T>(fn: (url: string, sim: RunningSimulator) => Promise<T>): Promise<T>;
}

/** Registers the file's hooks: a fresh schema, and a simulator on it accepting the client with `secret`. */
export function simulatorForFile(prefix: string, secret: string): FileSimulator {
  const file = {
    async withSim<T>(fn: (url: string, sim: RunningSimulator) => Promise<T>): Promise<T> {
      file.sim.resetStats();
      return fn(file.sim.url, file.sim);
    },
  } as FileSimulator;
  before(async () => {
    file.db = await freshSchema(prefix);
    file.sim = await startSimulator({ db: file.db.pool, schema: file.db.schema, clients: [{ secret }] });
  });
  after(async () => {
    await file.sim.close();
    await file.db.drop();
  });
  return file;
}

// The seeds of the scenario suite (packages/testkit/src/scenarios): which scenarios `npm test` runs, and how the
// soak suite picks its many more. SCENARIO_SEED=<n> runs that one scenario alone, in either file.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { describeScenario, scenarioFromSeed } from '@mosip-reprocess/testkit/scenarios/combination.js';
import { failureReport, runScenario } from '@mosip-reprocess/testkit/scenarios/runScenario.js';

/** SCENARIO_SEED, when given: the one scenario to run. */
export function seedFromEnvironment(): number | null {
  const text = process.env.SCENARIO_SEED;
  if (text === undefined || text.trim() === '') return null;
  const seed = Number(text);
  if (!Number.isInteger(seed) || seed < 0 || seed > 2 ** 32 - 1) throw new Error(`SCENARIO_SEED must be a whole number from 0 to 4294967295, got ${text}`);
  return seed;
}

/**
 * Registers one test per seed, run `concurrency` at a time (their time is mostly waiting on the runs they drive).
 * `strict`: a scenario that could not apply its stop fails as well (the fixed set); otherwise that is only printed.
 */
export function scenarioTests(title: string, seeds: readonly number[], concurrency: number, strict: boolean): void {
  describe(title, { concurrency }, () => {
    for (const seed of seeds) {
      test(`scenario ${seed}: ${describeScenario(scenarioFromSeed(seed))}`, async () => {
        const report = await runScenario(seed);
        console.log(`# scenario ${seed}: ${report.violations.length === 0 ? 'every promise kept' : `${report.violations.length} finding(s)`} in ${(report.durationMs / 1000).toFixed(1)} s, ${report.drive.attempts.length} attempt(s)`);
        for (const n of report.notDrawn) console.log(`# scenario ${seed} did not run as drawn: ${n.detail}`);
        const failure = failureReport(report, strict);
        if (failure) assert.fail(failure);
      });
    }
  });
}

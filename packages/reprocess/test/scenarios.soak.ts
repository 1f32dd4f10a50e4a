// The scenario suite's long part (`npm run test:soak`): many more seeded scenarios than `npm test` runs
// (scenarios.test.ts), each a combination of source x pace x stop x continuation x shards x stage behaviour checked
// against every promise. SCENARIO_SEED=<n> runs one; SCENARIO_FIRST and SCENARIO_COUNT choose another range.
import { scenarioTests, seedFromEnvironment } from './scenarioCases.js';

const only = seedFromEnvironment();
const first = Number(process.env.SCENARIO_FIRST ?? 1);
const count = Number(process.env.SCENARIO_COUNT ?? 48);
if (!Number.isInteger(first) || !Number.isInteger(count) || first < 0 || count < 1) {
  throw new Error('SCENARIO_FIRST and SCENARIO_COUNT must be whole numbers (a first seed, and how many from it)');
}

scenarioTests('scenario soak', only !== null ? [only] : Array.from({ length: count }, (_, i) => first + i), 4, false);

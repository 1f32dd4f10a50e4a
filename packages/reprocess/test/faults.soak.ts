// The fault suite at full size: a couple of thousand packets under each fault, under all of them at once and
// across a PostgreSQL restart, with the tool's default backoff. About two minutes; `npm run test:soak` (and CI).
// FAULT_SUITE_PACKETS sets another size.
import { defineFaultCases } from './faultCases.js';

const packets = Number(process.env.FAULT_SUITE_PACKETS ?? 2000);

defineFaultCases({
  packets,
  resumePackets: 400,
  tokenMaxUses: 150,
  downMs: 3000,
  downForGoodAfter: 200,
  downForGoodPatience: '4s',
  allAtOnceDownMs: 2000,
  allAtOnceTokenMaxUses: 250,
  tuning: ['--breaker-cooldown', '1s'],
  restartPostgres: true,
});

// The fault suite at a small size (under a hundred packets, short down windows, short backoff and cooldown), so
// each fault path is covered by `npm test`; its two halves run as two files side by side (faults.test.ts,
// faultsServer.test.ts). The same cases at full size (2,000 packets) run in `npm run test:soak` (faults.soak.ts).
import type { FaultSuiteSize } from './faultCases.js';

export const SMALL_FAULT_SUITE: FaultSuiteSize = {
  packets: 80,
  resumePackets: 60,
  tokenMaxUses: 25,
  // Longer than the lost-reply wait (2 x --timeout 1): shorter outages end while every slot waits, and never trip the breaker.
  downMs: 3000,
  downForGoodAfter: 25,
  downForGoodPatience: '1.5s',
  allAtOnceDownMs: 800,
  allAtOnceTokenMaxUses: 40,
  tuning: ['--breaker-cooldown', '0.3s', '--retry-delay', '0.02s-0.2s'],
  restartPostgres: false,
};

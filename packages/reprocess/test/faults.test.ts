// Every fault case of the fault suite at a small size (a hundred-odd packets, short down windows, short backoff
// and cooldown), so each fault path is covered by `npm test`. The same cases at full size (2,000 packets) run
// in `npm run test:soak` (faults.soak.ts).
import { defineFaultCases } from './faultCases.js';

defineFaultCases({
  packets: 150,
  resumePackets: 100,
  tokenMaxUses: 40,
  // Longer than the lost-reply wait (2 x --timeout 1): shorter outages end while every slot waits, and never trip the breaker.
  downMs: 3000,
  downForGoodAfter: 40,
  downForGoodPatience: '1.5s',
  allAtOnceDownMs: 800,
  allAtOnceTokenMaxUses: 60,
  tuning: ['--breaker-cooldown', '0.3s', '--retry-delay', '0.02s-0.2s'],
  restartPostgres: false,
});
